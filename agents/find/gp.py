"""Symbolic regression on the pairs a FIND interpreter has seen: the project's GP as a regressor tool.

Two users share this module: the GP baseline (the black box probed with a fixed query design, then
one fit, no model at all) and the tool-using interpreter (its ``FIT`` command fits the pairs seen so
far and reads back the formula). Both go through :func:`fit_pairs`, which runs
:func:`symbolic.gp.run_gp` on the finite pairs and returns Python source that the FIND scorer runs in
the sandbox like any interpreter's ``[CODE]``.

Fitness is *linear-scaled* (Keijzer 2003): a program ``g`` is scored by the mean squared error of the
best ``a + b * g(x)`` (least squares, closed form), divided by the variance of ``y``. The outputs of
FIND's functions span many orders of magnitude (a quintic on [-128, 128] reaches 1e10) and their
offsets and scales are arbitrary multiples of 0.1, which a GP with small ephemeral constants finds
only by luck; with the scaling it only has to find the *shape*. The loss lies in [0, 1] (0: exact,
1: no better than the mean), so one parsimony coefficient fits every function.

:func:`probe_design` is the baseline's query plan, the budget of an interpreter with ``rounds``
turns: the first round is the ``initialisation=true`` exemplars (powers of two both ways), each later
round probes ``per_round`` integers, one in each of ``per_round`` equal bins of [-128, 128], at a
position within the bin that moves by a van der Corput sequence from round to round (coarse to fine,
never the same integer twice while fresh ones remain). Integers, as an interpreter types them; the
scorer evaluates at the half-integers -127.5 ... 127.5, so no query is a scoring point.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from symbolic.gp import GPConfig, run_gp
from symbolic.gp.fitness import INVALID, ArrayTask
from symbolic.gp.primitives import EXP_CAP, PROTECT, Code, fold_code

#: Powers of two both ways: the numeric exemplars of ``initialisation=true`` and the design's round 1.
EXEMPLARS: tuple[float, ...] = (-128, -64, -32, -16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16, 32, 64, 128)
#: The probe range the interpreter is told about (and the design covers).
PROBE_RANGE: tuple[float, float] = (-128.0, 128.0)
#: Primitives of the regressor: the families of FIND are sums and products of lines, powers, |x|,
#: roots, logs, steps (max/min), tanh, sines, reciprocals and Gaussians (exp of a square).
FUNCTION_SET: tuple[str, ...] = ("add", "sub", "mul", "div", "max", "min", "sin", "cos", "abs", "tanh", "exp",
                                 "log", "sqrt")


@dataclass(frozen=True)
class GPSettings:
    """The size of one search (defaults: 0.38 s median per FIND numeric function on one core of a busy
    2-core machine; 300 x 15 took 0.21 s and passed about 7 points fewer functions on the first 120).

    Attributes:
        population_size: Programs per generation.
        generations: Evaluated populations, the initial one included.
        tournament_size: Aspirants per tournament.
        function_set: Primitive names (:data:`symbolic.gp.primitives.PRIMITIVES`).
        const_range: Range of the ephemeral constants (the linear scaling supplies scale and offset).
        init_depth: Heights of the initial trees.
        max_height: Height limit of every program (small trees: fast to evaluate, readable formulas).
        parsimony_coefficient: Length penalty in selection (the loss lies in [0, 1]).
    """

    population_size: int = 400
    generations: int = 20
    tournament_size: int = 10
    function_set: tuple[str, ...] = FUNCTION_SET
    const_range: tuple[float, float] = (-5.0, 5.0)
    init_depth: tuple[int, int] = (1, 4)
    max_height: int = 8
    parsimony_coefficient: float = 0.0005

    def config(self, seed: int) -> GPConfig:
        """The engine's settings for one seeded search (in process: one search is a fraction of a second)."""
        return GPConfig(population_size=self.population_size, generations=self.generations,
                        tournament_size=min(self.tournament_size, self.population_size),
                        function_set=tuple(self.function_set), init_depth=tuple(self.init_depth),
                        const_range=tuple(self.const_range), parsimony_coefficient=self.parsimony_coefficient,
                        p_crossover=0.8, p_subtree_mutation=0.08, p_hoist_mutation=0.04, p_point_mutation=0.04,
                        max_height=self.max_height, hall_of_fame=5, n_jobs=1, seed=seed).validate()


class ScaledRegressionTask(ArrayTask):
    """Fitness of ``g``: ``min_{a,b} mean((y - a - b g(x))^2) / var(y)`` (linear scaling, in [0, 1])."""

    def __init__(self, X: np.ndarray, y: np.ndarray, subtree_cache_mb: float = 16.0) -> None:
        super().__init__(X, y, subtree_cache_mb)
        self._ym = float(self.y.mean())
        self._yc = self.y - self._ym
        # A constant y: every program fits it exactly with b = 0; the length penalty picks the shortest.
        self._yvar = float(np.dot(self._yc, self._yc)) / self.n

    def scale(self, z: np.ndarray) -> tuple[float, float]:
        """The least-squares ``(a, b)`` of ``y ~ a + b z`` (``b = 0`` for a constant ``z``)."""
        zm = float(z.mean())
        zc = z - zm
        zz = float(np.dot(zc, zc))
        # Relative threshold: a program that is constant up to rounding is a constant.
        b = float(np.dot(zc, self._yc)) / zz if zz > 1e-12 * max(1.0, zm * zm) * self.n else 0.0
        return self._ym - b * zm, b

    def loss(self, z: np.ndarray) -> float:
        if self._yvar <= 0.0:
            return 0.0
        a, b = self.scale(z)
        if not (math.isfinite(a) and math.isfinite(b)):
            return INVALID
        d = self.y - a - b * z
        return float(np.dot(d, d)) / self.n / self._yvar


# --------------------------------------------------------------------------------- Python source

#: Guarded operations as Python source, each emitted only when the program uses it.
_HELPER_SRC: dict[str, str] = {
    "_div": f"def _div(a, b):\n    return a / b if abs(b) > {PROTECT!r} else 1.0\n",
    "_inv": f"def _inv(a):\n    return 1.0 / a if abs(a) > {PROTECT!r} else 0.0\n",
    "_log": f"def _log(a):\n    return math.log(abs(a)) if abs(a) > {PROTECT!r} else 0.0\n",
    "_sqrt": "def _sqrt(a):\n    return math.sqrt(abs(a))\n",
    "_exp": f"def _exp(a):\n    return math.exp(min(a, {EXP_CAP!r}))\n",
}

_UNARY = {"sin": "math.sin", "cos": "math.cos", "tan": "math.tan", "abs": "abs", "tanh": "math.tanh",
          "exp": "_exp", "log": "_log", "sqrt": "_sqrt", "inv": "_inv"}
_BINARY_CALL = {"div": "_div", "max": "max", "min": "min"}
_BINARY_OP = {"add": "+", "sub": "-", "mul": "*"}


def code_to_expression(code: Code, var: str = "x") -> str:
    """A prefix program as a Python expression in ``var`` (guarded operations call the helpers that
    :func:`code_to_python` defines; the engine's column ``X0`` becomes ``var``)."""

    def apply(tok: str, args: list[str]) -> str:
        if tok in _UNARY:
            return f"{_UNARY[tok]}({args[0]})"
        if tok == "neg":
            return f"(-{args[0]})"
        if tok in _BINARY_OP:
            return f"({args[0]} {_BINARY_OP[tok]} {args[1]})"
        return f"{_BINARY_CALL[tok]}({args[0]}, {args[1]})"

    return fold_code(code, lambda c: repr(c) if c >= 0 else f"({c!r})", lambda _name: var, apply)


def code_to_python(code: Code, a: float = 0.0, b: float = 1.0) -> str:
    """Python source defining ``f(x) = a + b * program(x)`` for one float, with the engine's guards.

    Plain ``math`` on scalars (what the FIND scorer runs per input in the sandbox): protected
    division, logarithm, square root and a capped exponential behave exactly as in the search.
    """
    ret = repr(float(a)) if b == 0.0 else f"{a!r} + {b!r} * {code_to_expression(code)}"
    helpers = "".join("\n\n" + src for name, src in _HELPER_SRC.items() if name + "(" in ret)
    return f"import math\n{helpers}\n\ndef f(x):\n    return float({ret})\n"


# --------------------------------------------------------------------------------- fitting

@dataclass
class GPFit:
    """One regression.

    Attributes:
        code: Python source defining ``f(x)`` (the answer's ``[CODE]``), or None when nothing could be fitted.
        expression: ``a + b * program`` as a Python expression in ``x``.
        program: The engine's program text (``mul(sin(X0), X0)``).
        a, b: The linear scaling of the program.
        train_nmse: The scaled loss on the pairs (MSE / variance; 0 is exact).
        pairs: Finite pairs the fit used (of ``pairs_given``).
        pairs_given: Pairs passed in.
        time_s: Seconds of the search.
        error: Why there is no fit (too few finite pairs), else None.
        history: The best scaled loss so far after each generation.
    """

    code: str | None
    expression: str | None = None
    program: str | None = None
    a: float = 0.0
    b: float = 0.0
    train_nmse: float | None = None
    pairs: int = 0
    pairs_given: int = 0
    time_s: float = 0.0
    error: str | None = None
    history: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def fit_pairs(xs: Sequence[float], ys: Sequence[Any], settings: GPSettings | None = None, seed: int = 0) -> GPFit:
    """Fit ``y ~ f(x)`` on the finite pairs with the GP and return ``f`` as Python source.

    Args:
        xs, ys: The pairs (non-numbers, nan and inf outputs are dropped: the box answers "nan" where
            the function is undefined).
        settings: Search size; :class:`GPSettings` defaults when None.
        seed: Seed of the search (the same pairs and seed give the same program).
    """
    settings = settings or GPSettings()
    t0 = time.perf_counter()
    x_ok, y_ok = [], []
    for x, y in zip(xs, ys, strict=True):
        try:
            xf, yf = float(x), float(y)
        except (TypeError, ValueError):
            continue
        if math.isfinite(xf) and math.isfinite(yf):
            x_ok.append(xf)
            y_ok.append(yf)
    n_given = len(xs)
    if len(x_ok) < 2:
        return GPFit(code=None, pairs=len(x_ok), pairs_given=n_given, error=f"{len(x_ok)} finite pair(s); need 2")
    X = np.asarray(x_ok, dtype=float)[:, None]
    y = np.asarray(y_ok, dtype=float)
    task = ScaledRegressionTask(X, y)
    result = run_gp(task, settings.config(seed), n_features=1)
    best = result.best.code
    with np.errstate(all="ignore"):
        z = task.outputs(best)
    a, b = task.scale(z) if np.isfinite(z).all() else (float(y.mean()), 0.0)
    # Values printed with 6 significant digits and read back, so the source is what was scored here.
    a, b = float(f"{a:.6g}"), float(f"{b:.6g}")
    inner = code_to_expression(best)
    expression = repr(a) if b == 0.0 else f"{a!r} + {b!r} * {inner}"
    return GPFit(code=code_to_python(best, a, b), expression=expression, program=result.best.text, a=a, b=b,
                 train_nmse=float(result.best.fitness), pairs=len(x_ok), pairs_given=n_given,
                 time_s=time.perf_counter() - t0, history=[float(h["best_so_far"]) for h in result.history])


# --------------------------------------------------------------------------------- query design

def _van_der_corput(k: int) -> float:
    """The k-th point of the base-2 van der Corput sequence in [0, 1) (0, 0.5, 0.25, 0.75, ...)."""
    v, denom = 0.0, 1.0
    while k:
        denom *= 2.0
        v += (k & 1) / denom
        k >>= 1
    return v


def probe_design(rounds: int = 20, per_round: int = 10) -> list[list[float]]:
    """The GP baseline's queries: ``rounds`` calls of the box (see the module docstring).

    Round 1 is :data:`EXEMPLARS`; round ``r`` >= 2 probes one integer in each of ``per_round`` equal bins
    of [-128, 128], at the van der Corput offset ``r - 2`` within the bin. An integer already asked is
    replaced by the nearest unused one in its bin when there is one.

    Raises:
        ValueError: ``rounds`` or ``per_round`` below 1.
    """
    if rounds < 1 or per_round < 1:
        raise ValueError(f"rounds and per_round must be >= 1, got {rounds}, {per_round}")
    lo, hi = PROBE_RANGE
    width = (hi - lo) / per_round
    seen: set[int] = {int(v) for v in EXEMPLARS}
    plan: list[list[float]] = [[float(v) for v in EXEMPLARS]]
    for r in range(rounds - 1):
        off = _van_der_corput(r)
        row: list[float] = []
        for k in range(per_round):
            b_lo, b_hi = math.ceil(lo + k * width), math.floor(lo + (k + 1) * width - 1e-9)
            want = int(round(lo + (k + off) * width))
            want = min(max(want, b_lo), b_hi)
            free = [v for v in range(b_lo, b_hi + 1) if v not in seen]
            pick = min(free, key=lambda v: (abs(v - want), v)) if free else want
            seen.add(pick)
            row.append(float(pick))
        plan.append(row)
    return plan
