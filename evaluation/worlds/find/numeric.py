"""FIND's numeric functions (Schwettmann et al., NeurIPS 2023): 1,000 seeded black boxes ``R -> R``.

How a function is made
----------------------
An *atomic* function is drawn from 16 families (linear, polynomial of degree 2-5, absolute, root,
log, step, relu, tanh, constant, sin, cos, reciprocal, gaussian, rational, rectangle, square wave),
its parameters rounded to 0.1. 15% of the functions are sums or products of two atomics. Each
function then gets one *variant*, in the proportions the released data set serves (483 clean,
176 noisy, 191 corrupted, 150 MLP per 1,000):

- ``clean``: the formula itself;
- ``noisy``: plus Gaussian (sigma 1), uniform (+-1) or Poisson (lambda 1, so mean 1, as in the
  reference) noise, one fresh draw per input;
- ``corrupted``: outputs replaced by ``N(mean, 0.1)`` for ``x <= a``, for ``x >= a`` (a quarter each)
  or inside ``[a, a + w]`` with ``w`` in 5-25 (half), where ``mean`` is the formula's mean over 100
  points of its domain;
- ``mlp``: a 1->64->1 ReLU network trained to approximate the formula (:mod:`.mlp`), served instead
  of the formula.

Every function carries its ground truth: Python code (``def f(x)``), a description, and its domain
annotation (where it is defined and the corrupted interval, if any). The formula is a numpy
expression in ``x`` that both the served function (vectorised over arrays) and the code annotation
are built from, so the two cannot disagree.

Where this differs from the reference code (it is read, not copied; see
``shared/docs/research/ste-find-scoring.md``): the reference's ground truth runs on Python floats, so
a square root of a negative number is complex and an exact division by zero raises; here numpy
gives ``nan``/``inf`` there, which the scorer skips (the reference drops those functions to 0). The
reference's served ``absolute`` loses its bias and composed square waves become ``sign(x)``; both
bugs are not reproduced. Compositions draw from the atomics that are defined on all reals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

ATOMIC_FAMILIES: tuple[str, ...] = (
    "linear", "polynomial", "absolute", "root", "log", "step", "relu", "tanh", "constant", "sin", "cos",
    "reciprocal", "gaussian", "rational", "rectangle", "square_wave",
)
#: Families defined on the whole real line, the only ones compositions draw from (a sum with a log
#: would hide half the other function behind ``nan``).
COMPOSABLE: tuple[str, ...] = ("linear", "polynomial", "absolute", "step", "relu", "tanh", "constant", "sin",
                               "cos", "gaussian", "rectangle", "square_wave")
VARIANTS: tuple[str, ...] = ("clean", "noisy", "corrupted", "mlp")
#: Share of each variant in the released data set (483/176/191/150 of 1,000).
VARIANT_SHARES: dict[str, float] = {"clean": 0.483, "noisy": 0.176, "corrupted": 0.191, "mlp": 0.150}
NOISE_KINDS: tuple[str, ...] = ("gaussian", "uniform", "poisson")
#: Reference probabilities of the three noise kinds.
NOISE_PROBS: tuple[float, ...] = (0.33, 0.442, 0.228)
COMPOSITION_SHARE = 0.15
#: Where the interpreter is told to probe and where code is scored (x = -127.5 ... 127.5, step 1).
PROBE_RANGE: tuple[float, float] = (-128.0, 128.0)


def _r(v: float) -> float:
    """Round to 0.1 (the paper's parameter grid); ``+ 0.0`` turns ``-0.0`` into ``0.0``."""
    return round(float(v), 1) + 0.0


def _u(rng: np.random.Generator, lo: float, hi: float, nonzero: bool = False) -> float:
    while True:
        v = _r(rng.uniform(lo, hi))
        if not nonzero or v != 0.0:
            return v


def _minus(c: float) -> str:
    """``x - c`` as a person writes it (``x + 3.0`` rather than ``x - -3.0``)."""
    return f"x + {-c}" if c < 0 else f"x - {c}"


def _num(v: float) -> str:
    """A parameter as it appears in code: parenthesised when negative so ``x - (-3.0)`` stays valid."""
    return f"({v})" if v < 0 else f"{v}"


@dataclass(frozen=True)
class Atomic:
    """One atomic function: its family, parameters, numpy expression, description and natural domain.

    Attributes:
        family: One of :data:`ATOMIC_FAMILIES`.
        params: Parameter values (rounded to 0.1).
        expr: A numpy expression in ``x`` (``np`` is numpy); works on floats and arrays.
        description: What the function does, in words.
        domain: ``(lo, hi)`` where the function is defined (``-inf``/``inf`` for the real line);
            outside it the formula gives ``nan``.
    """

    family: str
    params: dict[str, float]
    expr: str
    description: str
    domain: tuple[float, float] = (-np.inf, np.inf)


def make_atomic(family: str, rng: np.random.Generator) -> Atomic:
    """Draw one atomic function of ``family``.

    Scales come from U(-30, 30) and biases from U(-10, 10), rounded to 0.1 (the released data's
    ranges); periodic amplitudes from [-10, 10].
    """
    a = _u(rng, -30, 30, nonzero=True)
    b = _u(rng, -10, 10)
    if family == "linear":
        return Atomic(family, {"a": a, "b": b}, f"{a} * x + {_num(b)}",
                      f"a linear function with slope {a} and intercept {b}")
    if family == "polynomial":
        deg = int(rng.integers(2, 6))
        # Coefficients shrink with the power so that no single term swamps the others on [-128, 128]
        # by many orders of magnitude (the description should name every term the code needs).
        coefs = [_u(rng, -10, 10) for _ in range(deg)] + [_u(rng, -3, 3, nonzero=True)]
        terms = [f"{_num(c)} * x ** {k}" if k > 1 else (f"{_num(c)} * x" if k == 1 else f"{_num(c)}")
                 for k, c in enumerate(coefs) if c != 0.0]
        words = " + ".join(f"{c}*x^{k}" if k else f"{c}" for k, c in reversed(list(enumerate(coefs))) if c != 0.0)
        return Atomic(family, {"degree": float(deg)} | {f"c{k}": c for k, c in enumerate(coefs)},
                      " + ".join(reversed(terms)), f"a polynomial of degree {deg}: {words}")
    if family == "absolute":
        return Atomic(family, {"a": a, "b": b}, f"{a} * np.abs(x) + {_num(b)}",
                      f"{a} times the absolute value of x, plus {b}")
    if family == "root":
        n = int(rng.integers(2, 4))
        if n == 2:
            return Atomic(family, {"a": a, "n": 2.0, "b": b}, f"{a} * np.sqrt(x) + {_num(b)}",
                          f"{a} times the square root of x, plus {b}; undefined for x < 0", (0.0, np.inf))
        return Atomic(family, {"a": a, "n": 3.0, "b": b}, f"{a} * np.cbrt(x) + {_num(b)}",
                      f"{a} times the cube root of x, plus {b}")
    if family == "log":
        base = float(rng.choice([2.0, np.e, 10.0]))
        name = {2.0: "base-2", 10.0: "base-10"}.get(base, "natural")
        fn = {2.0: "np.log2", 10.0: "np.log10"}.get(base, "np.log")
        return Atomic(family, {"a": a, "base": base, "b": b}, f"{a} * {fn}(x) + {_num(b)}",
                      f"{a} times the {name} logarithm of x, plus {b}; undefined for x <= 0", (0.0, np.inf))
    if family == "step":
        t = _u(rng, -50, 50)
        lo, hi = _u(rng, -20, 20), _u(rng, -20, 20)
        while hi == lo:
            hi = _u(rng, -20, 20)
        return Atomic(family, {"t": t, "low": lo, "high": hi}, f"np.where(x > {_num(t)}, {hi}, {lo})",
                      f"a step function: {lo} for x <= {t} and {hi} for x > {t}")
    if family == "relu":
        t = _u(rng, -50, 50)
        return Atomic(family, {"a": a, "t": t, "b": b}, f"{a} * np.maximum(x - {_num(t)}, 0.0) + {_num(b)}",
                      f"a ReLU: {b} for x <= {t}, then rising with slope {a} (value {a}*({_minus(t)}) + {b})")
    if family in ("tanh", "sin", "cos"):
        amp = _u(rng, -10, 10, nonzero=True)
        shift = _u(rng, -20, 20)
        if family == "tanh":
            width = _u(rng, 1, 30)
            return Atomic(family, {"amp": amp, "shift": shift, "width": width, "b": b},
                          f"{amp} * np.tanh((x - {_num(shift)}) / {width}) + {_num(b)}",
                          f"a tanh sigmoid from {_r(b - abs(amp))} to {_r(b + abs(amp))} centred at x = {shift} "
                          f"with width {width}" + (" (decreasing)" if amp < 0 else " (increasing)"))
        period = _u(rng, 2, 60)
        fn = "np.sin" if family == "sin" else "np.cos"
        return Atomic(family, {"amp": amp, "period": period, "shift": shift, "b": b},
                      f"{amp} * {fn}(2 * np.pi * (x - {_num(shift)}) / {period}) + {_num(b)}",
                      f"a {'sine' if family == 'sin' else 'cosine'} wave with amplitude {abs(amp)}, period {period}, "
                      f"shifted by {shift}, around {b}")
    if family == "constant":
        c = float(rng.integers(-100, 100))
        return Atomic(family, {"c": c}, f"{c} + 0.0 * x", f"the constant {c}")
    if family == "reciprocal":
        c = _u(rng, -50, 50)
        return Atomic(family, {"a": a, "c": c, "b": b}, f"{a} / (x - {_num(c)}) + {_num(b)}",
                      f"a reciprocal {a}/({_minus(c)}) + {b}, with a vertical asymptote at x = {c}")
    if family == "gaussian":
        amp = _u(rng, -50, 50, nonzero=True)
        mu = _u(rng, -60, 60)
        sd = _u(rng, 2, 30)
        return Atomic(family, {"amp": amp, "mu": mu, "sd": sd}, f"{amp} * np.exp(-((x - {_num(mu)}) ** 2) / "
                      f"(2 * {sd} ** 2))", f"a Gaussian bump of height {amp} centred at {mu} with width {sd}")
    if family == "rational":
        p, q = _u(rng, -30, 30, nonzero=True), _u(rng, -300, 300)
        c = _u(rng, 1, 100)
        return Atomic(family, {"p": p, "q": q, "c": c}, f"({p} * x + {_num(q)}) / (x ** 2 + {c})",
                      f"a rational function ({p}*x {'-' if q < 0 else '+'} {abs(q)}) / (x^2 + {c}), "
                      "tending to 0 far from 0")
    if family == "rectangle":
        lo = _u(rng, -80, 60)
        w = _u(rng, 5, 60)
        amp = _u(rng, -30, 30, nonzero=True)
        hi = _r(lo + w)
        return Atomic(family, {"lo": lo, "hi": hi, "amp": amp},
                      f"np.where((x >= {_num(lo)}) & (x <= {_num(hi)}), {amp}, 0.0)",
                      f"a rectangle: {amp} for {lo} <= x <= {hi}, 0 elsewhere")
    if family == "square_wave":
        amp = _u(rng, -10, 10, nonzero=True)
        period = _u(rng, 4, 60)
        return Atomic(family, {"amp": amp, "period": period, "b": b},
                      f"{amp} * np.where(np.mod(x, {period}) < {period} / 2, 1.0, -1.0) + {_num(b)}",
                      f"a square wave with period {period}: {_r(b + amp)} for the first half of each period "
                      f"(starting at x = 0), {_r(b - amp)} for the second half")
    raise ValueError(f"unknown numeric family {family!r}; expected one of {ATOMIC_FAMILIES}")


@dataclass(frozen=True)
class Corruption:
    """Where a corrupted function's outputs are replaced by noise around ``mean``.

    Attributes:
        kind: ``"below"`` (``x <= a``), ``"above"`` (``x >= a``) or ``"inside"`` (``a <= x <= b``).
        a: The boundary (or the interval's start).
        b: The interval's end (``inside`` only).
        mean: The replacement outputs' mean; their standard deviation is 0.1.
    """

    kind: str
    a: float
    b: float | None
    mean: float

    def interval(self) -> tuple[float, float]:
        """The corrupted set as an interval (infinite ends for the one-sided kinds)."""
        if self.kind == "below":
            return (-np.inf, self.a)
        if self.kind == "above":
            return (self.a, np.inf)
        assert self.b is not None
        return (self.a, self.b)

    def mask(self, x: np.ndarray) -> np.ndarray:
        lo, hi = self.interval()
        return (x >= lo) & (x <= hi)


@dataclass(frozen=True)
class NumericFunction:
    """One numeric black box of the benchmark, with its ground truth.

    Attributes:
        id: ``"fNNNNN"``.
        family: The atomic family, or ``"sum"``/``"product"`` for compositions.
        parts: The atomic functions (one, or two for a composition).
        expr: The clean formula (numpy expression in ``x``).
        description: The ground-truth description (the clean formula plus the variant).
        variant: One of :data:`VARIANTS`.
        noise: For ``noisy``: ``"gaussian"``, ``"uniform"`` or ``"poisson"``.
        corruption: For ``corrupted``: the replaced region.
        domain: Where the formula is defined, ``(lo, hi)`` (infinite ends for the real line).
    """

    id: str
    family: str
    parts: tuple[Atomic, ...]
    expr: str
    description: str
    variant: str = "clean"
    noise: str | None = None
    corruption: Corruption | None = None
    domain: tuple[float, float] = (-np.inf, np.inf)
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------------------ evaluation

    def formula(self, x: np.ndarray | float) -> np.ndarray:
        """The clean formula on ``x`` (vectorised; ``nan``/``inf`` outside the domain or at poles)."""
        xs = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            # Our own generated expression, never model text (that runs in the sandbox).
            y = eval(self.expr, {"np": np, "__builtins__": {}}, {"x": xs})
            return np.asarray(y, dtype=float) * np.ones_like(xs)

    def __call__(self, x: np.ndarray | float, rng: np.random.Generator | None = None) -> np.ndarray:
        """The served function: formula, noise or corruption applied, fresh randomness per input.

        MLP functions are served by :func:`evaluation.worlds.find.mlp.mlp_outputs` (they need weights);
        calling one here raises ``ValueError``.
        """
        if self.variant == "mlp":
            raise ValueError(f"{self.id} is MLP-approximated; evaluate it with evaluation.worlds.find.mlp")
        rng = rng if rng is not None else np.random.default_rng()
        xs = np.asarray(x, dtype=float)
        y = self.formula(xs)
        if self.variant == "noisy":
            y = y + _noise(self.noise or "gaussian", xs.shape, rng)
        elif self.variant == "corrupted" and self.corruption is not None:
            m = self.corruption.mask(xs)
            y = np.where(m, rng.normal(self.corruption.mean, 0.1, size=xs.shape), y)
        return y

    # ------------------------------------------------------------------------------ annotations

    def code(self) -> str:
        """Ground-truth Python source defining ``f(x)`` for one float (what the black box runs)."""
        lines = ["import numpy as np", "", "", "def f(x):", f"    y = {self.expr}"]
        if self.variant == "noisy":
            lines.append({"gaussian": "    y = y + np.random.normal(0.0, 1.0)",
                          "uniform": "    y = y + np.random.uniform(-1.0, 1.0)",
                          "poisson": "    y = y + np.random.poisson(1.0)"}[self.noise or "gaussian"])
        elif self.variant == "corrupted" and self.corruption is not None:
            c = self.corruption
            cond = {"below": f"x <= {c.a!r}", "above": f"x >= {c.a!r}", "inside": f"{c.a!r} <= x <= {c.b!r}"}[c.kind]
            lines += [f"    if {cond}:", f"        y = np.random.normal({c.mean!r}, 0.1)"]
        elif self.variant == "mlp":
            lines.insert(3, "# served by a 1->64->1 ReLU network trained to approximate this formula")
        lines.append("    return float(y)")
        return "\n".join(lines) + "\n"

    def domain_annotation(self) -> str:
        """The ground truth for ``[DOMAIN]``: where it is defined and any corrupted interval."""
        lo, hi = self.domain
        where = "all real numbers" if np.isinf(lo) and np.isinf(hi) else (
            f"x > {lo}" if np.isinf(hi) else f"x < {hi}" if np.isinf(lo) else f"{lo} < x < {hi}")
        text = f"defined for {where}"
        if self.corruption is not None:
            c = self.corruption
            region = {"below": f"x <= {c.a:.1f}", "above": f"x >= {c.a:.1f}",
                      "inside": f"{c.a:.1f} <= x <= {(c.b or 0.0):.1f}"}[c.kind]
            text += f"; for {region} the outputs are replaced by noise around {c.mean:.2f}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain data: id, family, variant, description, code, domain (JSON-serialisable)."""
        return {"id": self.id, "family": self.family, "variant": self.variant, "noise": self.noise,
                "description": self.description, "code": self.code(), "domain": self.domain_annotation(),
                "expr": self.expr, "corruption": None if self.corruption is None else asdict(self.corruption),
                "parts": [{"family": p.family, "params": p.params} for p in self.parts]}

    def key(self) -> str:
        """A content hash of the clean formula (caches MLP weights by what they approximate)."""
        return hashlib.sha256(json.dumps([self.expr, list(self.domain)]).encode()).hexdigest()[:16]


def _noise(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if kind == "gaussian":
        return rng.normal(0.0, 1.0, size=shape)
    if kind == "uniform":
        return rng.uniform(-1.0, 1.0, size=shape)
    if kind == "poisson":
        return rng.poisson(1.0, size=shape).astype(float)
    raise ValueError(f"unknown noise kind {kind!r}")


def _intersect(domains: Sequence[tuple[float, float]]) -> tuple[float, float]:
    return (max(d[0] for d in domains), min(d[1] for d in domains))


def _variant_plan(n: int, rng: np.random.Generator) -> list[str]:
    """Variants for ``n`` functions in the released proportions (exact counts at n = 1,000), shuffled."""
    counts = {v: int(round(VARIANT_SHARES[v] * n)) for v in VARIANTS if v != "clean"}
    counts["clean"] = n - sum(counts.values())
    plan = [v for v in VARIANTS for _ in range(counts[v])]
    rng.shuffle(plan)
    return plan


def generate_numeric(n: int = 1000, seed: int = 0) -> list[NumericFunction]:
    """The numeric functions ``f00000 ... f{n-1}``, deterministic given ``seed``.

    Args:
        n: How many functions (the benchmark's 1,000 by default).
        seed: Generator seed; the same ``(n, seed)`` gives the same functions on every machine.

    Returns:
        The functions, with 15% compositions and the variants in the released proportions. The first
        ``n`` of the full set of ``max(n, 1000)`` are returned, so a smaller ``n`` is a prefix of the
        benchmark, not a different set.
    """
    want, n = n, max(n, 1000)
    rng = np.random.default_rng(seed)
    n_comp = int(round(COMPOSITION_SHARE * n))
    kinds = ["composition"] * n_comp + ["atomic"] * (n - n_comp)
    rng.shuffle(kinds)
    variants = _variant_plan(n, rng)
    out: list[NumericFunction] = []
    for i, (kind, variant) in enumerate(zip(kinds, variants, strict=True)):
        if kind == "atomic":
            fam = str(rng.choice(ATOMIC_FAMILIES))
            at = make_atomic(fam, rng)
            parts: tuple[Atomic, ...] = (at,)
            family, expr, desc = fam, at.expr, at.description
        else:
            f1, f2 = (str(s) for s in rng.choice(COMPOSABLE, size=2))
            a1, a2 = make_atomic(f1, rng), make_atomic(f2, rng)
            parts = (a1, a2)
            family = "sum" if rng.random() < 0.5 else "product"
            op = "+" if family == "sum" else "*"
            expr = f"({a1.expr}) {op} ({a2.expr})"
            desc = f"the {family} of two functions: ({a1.description}) {'plus' if op == '+' else 'times'} " \
                   f"({a2.description})"
        domain = _intersect([p.domain for p in parts])
        fn = NumericFunction(id=f"f{i:05d}", family=family, parts=parts, expr=expr, description=desc,
                             variant=variant, domain=domain)
        if variant == "noisy":
            noise = str(rng.choice(NOISE_KINDS, p=NOISE_PROBS))
            fn = _replace(fn, noise=noise, description=desc + f", plus {_NOISE_WORDS[noise]} on every output")
        elif variant == "corrupted":
            corr = _draw_corruption(fn, rng)
            fn = _replace(fn, corruption=corr)
            fn = _replace(fn, description=desc + f"; {fn.domain_annotation().split('; ', 1)[1]}")
        elif variant == "mlp":
            fn = _replace(fn, description=desc + " (as approximated by a small neural network)")
        out.append(fn)
    return out[:want]


_NOISE_WORDS = {"gaussian": "Gaussian noise (standard deviation 1)", "uniform": "uniform noise in [-1, 1]",
                "poisson": "Poisson noise (lambda 1, mean 1)"}


def _replace(fn: NumericFunction, **changes: Any) -> NumericFunction:
    from dataclasses import replace

    return replace(fn, **changes)


def _draw_corruption(fn: NumericFunction, rng: np.random.Generator) -> Corruption:
    """The reference's scheme: mean over 100 domain points; boundary in [max(lo, -100), 100]."""
    lo = max(fn.domain[0], -100.0)
    hi = min(fn.domain[1], 100.0)
    ys = fn.formula(np.linspace(lo, hi, 100))
    ys = ys[np.isfinite(ys)]
    mean = float(ys.mean()) if ys.size else 0.0
    a = float(rng.uniform(lo, hi))
    u = rng.random()
    if u < 0.25:
        return Corruption("below", a, None, mean)
    if u < 0.5:
        return Corruption("above", a, None, mean)
    return Corruption("inside", a, a + float(rng.uniform(5, 25)), mean)


def variant_counts(functions: Sequence[NumericFunction]) -> dict[str, int]:
    """How many functions of each variant (for checks and reports)."""
    counts = dict.fromkeys(VARIANTS, 0)
    for f in functions:
        counts[f.variant] += 1
    return counts
