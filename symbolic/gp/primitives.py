"""The primitive functions of the search, each with a NumPy, a torch and a sympy form.

Every operation is total: protected division, logarithm, square root and inverse return a
fixed value where the plain operation is undefined (the same guards as gplearn), and the
exponential is capped, so a program never raises on real data. Overflow in products can still
give ``inf``; the fitness functions turn non-finite outputs into the worst fitness.

The primitive set itself is a DEAP :class:`~deap.gp.PrimitiveSet` built per run by
:func:`build_pset`; nothing is registered in DEAP's global ``creator`` module.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from deap import gp

#: Below this magnitude a divisor / logarithm argument counts as zero (gplearn's threshold).
PROTECT = 1e-3
#: The exponential's argument is capped here: exp(20) ~ 4.9e8 keeps products of a few exps finite.
EXP_CAP = 20.0


def _pdiv(a, b):
    return np.where(np.abs(b) > PROTECT, np.divide(a, b), 1.0)


def _pinv(a):
    return np.where(np.abs(a) > PROTECT, np.divide(1.0, a), 0.0)


def _plog(a):
    return np.where(np.abs(a) > PROTECT, np.log(np.abs(a)), 0.0)


def _psqrt(a):
    return np.sqrt(np.abs(a))


def _pexp(a):
    return np.exp(np.minimum(a, EXP_CAP))


@dataclass(frozen=True)
class PrimitiveSpec:
    """One primitive: its name, arity and NumPy implementation (torch/sympy forms live in export)."""

    name: str
    arity: int
    numpy: Callable


PRIMITIVES: dict[str, PrimitiveSpec] = {p.name: p for p in (
    PrimitiveSpec("add", 2, np.add),
    PrimitiveSpec("sub", 2, np.subtract),
    PrimitiveSpec("mul", 2, np.multiply),
    PrimitiveSpec("div", 2, _pdiv),
    PrimitiveSpec("max", 2, np.maximum),
    PrimitiveSpec("min", 2, np.minimum),
    PrimitiveSpec("sin", 1, np.sin),
    PrimitiveSpec("cos", 1, np.cos),
    PrimitiveSpec("tan", 1, np.tan),
    PrimitiveSpec("abs", 1, np.abs),
    PrimitiveSpec("neg", 1, np.negative),
    PrimitiveSpec("inv", 1, _pinv),
    PrimitiveSpec("tanh", 1, np.tanh),
    PrimitiveSpec("exp", 1, _pexp),
    PrimitiveSpec("log", 1, _plog),
    PrimitiveSpec("sqrt", 1, _psqrt),
)}

#: The function set of Hajbi (2026), used by the activation-discovery benchmark.
PAPER_FUNCTIONS: tuple[str, ...] = ("add", "sub", "mul", "sin", "cos", "abs")
#: A richer default for symbolic regression.
DEFAULT_FUNCTIONS: tuple[str, ...] = ("add", "sub", "mul", "div", "sin", "cos", "abs", "tanh", "exp", "log")
#: Name of the single input of univariate (activation) programs.
UNIVARIATE_ARG = "x"

ARITY: dict[str, int] = {name: spec.arity for name, spec in PRIMITIVES.items()}
NUMPY_FUNCS: dict[str, Callable] = {name: spec.numpy for name, spec in PRIMITIVES.items()}


def check_function_set(function_set: Sequence[str]) -> tuple[str, ...]:
    """Validate a function set and return it as a tuple.

    Raises:
        ValueError: empty set, or a name that is not a known primitive (the message lists them).
    """
    if isinstance(function_set, str):
        function_set = [f.strip() for f in function_set.split(",") if f.strip()]
    names = tuple(function_set)
    if not names:
        raise ValueError("function_set is empty; choose from: " + ", ".join(PRIMITIVES))
    unknown = [n for n in names if n not in PRIMITIVES]
    if unknown:
        raise ValueError(f"unknown primitive(s) {unknown} in function_set; known: {', '.join(PRIMITIVES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"function_set {names} names a primitive twice")
    return names


def _uniform_constant(low: float, high: float) -> float:
    return random.uniform(low, high)


def argument_names(n_features: int) -> list[str]:
    """Terminal names of the input columns: ``X0``, ``X1``, ... (as gplearn prints them)."""
    return [f"X{i}" for i in range(n_features)]


def build_pset(n_features: int | None, function_set: Sequence[str],
               const_range: tuple[float, float] | None = (-1.0, 1.0)) -> gp.PrimitiveSet:
    """Build a fresh DEAP primitive set.

    Args:
        n_features: Number of input columns (terminals ``X0..X{n-1}``); ``None`` builds a univariate
            set whose only input is named ``x``.
        function_set: Primitive names, see :data:`PRIMITIVES`.
        const_range: Range of the ephemeral random constants, or ``None`` for no constants.

    The ephemeral constant's generator is a ``functools.partial`` of a module-level function, so
    individuals pickle, and its name is unique per range, so building many sets in one process
    (notebooks, repeated fits) never clashes.
    """
    names = check_function_set(function_set)
    if n_features is None:
        pset = gp.PrimitiveSet("univariate", 1)
        pset.renameArguments(ARG0=UNIVARIATE_ARG)
    else:
        if n_features < 1:
            raise ValueError(f"n_features must be >= 1, got {n_features}")
        pset = gp.PrimitiveSet("program", n_features)
        pset.renameArguments(**{f"ARG{i}": n for i, n in enumerate(argument_names(n_features))})
    for name in names:
        spec = PRIMITIVES[name]
        pset.addPrimitive(spec.numpy, spec.arity, name=name)
    if const_range is not None:
        low, high = float(const_range[0]), float(const_range[1])
        if not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise ValueError(f"const_range must be two finite numbers low <= high, got {const_range}")
        tag = f"{low:g}_{high:g}".replace("-", "m").replace(".", "p").replace("+", "")
        pset.addEphemeralConstant(f"const_{tag}", functools.partial(_uniform_constant, low, high))
    return pset


Code = tuple  # a program in prefix order: str (primitive or variable name) or float (constant)


def tree_to_code(tree: Sequence) -> Code:
    """Turn a DEAP tree into a hashable, picklable prefix code (no DEAP objects inside)."""
    out = []
    for node in tree:
        if node.arity:
            out.append(node.name)
        else:
            value = node.value
            out.append(value if isinstance(value, str) else float(value))
    return tuple(out)


def fold_code(code: Code, constant: Callable[[float], Any], variable: Callable[[str], Any],
              apply: Callable[[str, list], Any]) -> Any:
    """Build something from a prefix program bottom-up: a string, a sympy expression, Python source.

    Args:
        code: Prefix code from :func:`tree_to_code`.
        constant: What a constant becomes.
        variable: What an input variable becomes.
        apply: What a primitive becomes, given its name and its arguments' results in order.

    Raises:
        ValueError: the code is not one complete program.
    """
    stack: list = []
    for tok in reversed(code):
        if isinstance(tok, float):
            stack.append(constant(tok))
        elif tok in ARITY:
            stack.append(apply(tok, [stack.pop() for _ in range(ARITY[tok])]))
        else:
            stack.append(variable(tok))
    if len(stack) != 1:
        raise ValueError(f"malformed program code {code!r}")
    return stack[0]


def code_to_string(code: Code) -> str:
    """The program as nested calls, e.g. ``mul(cos(X0), X0)``."""
    return fold_code(code, repr, str, lambda tok, args: f"{tok}({', '.join(args)})")


def parse_program(text: str) -> Code:
    """Parse ``mul(cos(X0), 0.5)`` back into prefix code.

    Raises:
        ValueError: unknown function names, wrong argument counts, or trailing text.
    """
    import re

    tokens = [t for t in re.split(r"[\s(),]+", text.strip()) if t]
    if not tokens:
        raise ValueError("empty program text")
    code: list = []
    for tok in tokens:
        if tok in ARITY or re.fullmatch(r"X\d+|x", tok):
            code.append(tok)
        else:
            try:
                code.append(float(tok))
            except ValueError:
                raise ValueError(f"program {text!r}: unknown token {tok!r}") from None
    need = 1
    for tok in code:
        if need == 0:
            raise ValueError(f"program {text!r}: text after a complete expression")
        need += ARITY.get(tok, 0) - 1 if isinstance(tok, str) else -1
    if need != 0:
        raise ValueError(f"program {text!r}: a function is missing {need} argument(s)")
    return tuple(code)


def code_variables(code: Code) -> set[str]:
    """Names of the input variables a program reads."""
    return {t for t in code if isinstance(t, str) and t not in ARITY}


def code_height(code: Code) -> int:
    """Depth of the deepest node (a single terminal has height 0)."""
    stack = [0]
    best = 0
    for tok in code:
        depth = stack.pop()
        best = max(best, depth)
        stack.extend([depth + 1] * (ARITY.get(tok, 0) if isinstance(tok, str) else 0))
    return best


def evaluate_code(code: Code, columns: dict[str, np.ndarray], n: int, funcs: dict[str, Callable] | None = None,
                  ) -> np.ndarray:
    """Evaluate a program on whole columns at once: one array operation per node, no loop over rows.

    Args:
        code: Prefix code from :func:`tree_to_code`.
        columns: Variable name -> 1-D array (length ``n``).
        n: Number of rows (a program without variables is broadcast to this length).
        funcs: Implementations by name (NumPy by default; torch ones evaluate on tensors).
    """
    funcs = NUMPY_FUNCS if funcs is None else funcs
    stack: list = []
    push, pop = stack.append, stack.pop
    for tok in reversed(code):
        if tok.__class__ is float:
            push(tok)
            continue
        arity = ARITY.get(tok)
        if arity is None:
            push(columns[tok])
        elif arity == 1:
            push(funcs[tok](pop()))
        else:
            a = pop()
            push(funcs[tok](a, pop()))
    out = stack[0]
    if np.ndim(out) == 0:
        out = np.full(n, float(out))
    return out
