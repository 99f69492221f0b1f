"""Export a program: simplified sympy expression, LaTeX, univariate collapse, torch activation.

Protected operations become sympy functions of their own (``pdiv``, ``plog``, ``psqrt``,
``pexp``, ``pinv``) so that simplification can never drop a guard; they print as ordinary
division, logarithm and so on in LaTeX. The torch module evaluates the program with the same
guards as the NumPy search, is differentiable everywhere a gradient exists, and never returns
NaN or infinity (outputs are bounded by :data:`OUTPUT_BOUND`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from symbolic.gp.primitives import (
    ARITY,
    EXP_CAP,
    PROTECT,
    UNIVARIATE_ARG,
    Code,
    code_to_string,
    code_variables,
    evaluate_code,
    fold_code,
)

#: |activation output| is clamped here, so a product that overflows cannot poison a network.
OUTPUT_BOUND = 1e6
#: Expressions larger than this (sympy operation count) are only canonicalised, not simplified,
#: because sympy's simplify can take minutes on large trees.
SIMPLIFY_MAX_OPS = 60


class DegenerateProgramError(ValueError):
    """A program cannot serve as an activation: constant, or not finite on a test grid."""


class pdiv(sp.Function):
    """Protected division: a / b, and 1 where |b| <= 1e-3."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if a == b:
            return sp.Integer(1)
        if b.is_Number:
            return a / b if abs(float(b)) > PROTECT else sp.Integer(1)
        return None

    def _latex(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return rf"\frac{{{a}}}{{{b}}}"


class pinv(sp.Function):
    """Protected inverse: 1 / a, and 0 where |a| <= 1e-3."""

    nargs = 1

    @classmethod
    def eval(cls, a):
        if a.is_Number:
            return 1 / a if abs(float(a)) > PROTECT else sp.Integer(0)
        return None

    def _latex(self, printer):
        return rf"\frac{{1}}{{{printer._print(self.args[0])}}}"


class plog(sp.Function):
    """Protected logarithm: log|a|, and 0 where |a| <= 1e-3."""

    nargs = 1

    def _latex(self, printer):
        return rf"\log\left|{printer._print(self.args[0])}\right|"


class psqrt(sp.Function):
    """Protected square root: sqrt|a|."""

    nargs = 1

    def _latex(self, printer):
        return rf"\sqrt{{\left|{printer._print(self.args[0])}\right|}}"


class pexp(sp.Function):
    """Capped exponential: exp(min(a, 20))."""

    nargs = 1

    def _latex(self, printer):
        return rf"e^{{{printer._print(self.args[0])}}}"


_SYMPY_BUILD: dict[str, Callable] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": pdiv, "max": sp.Max, "min": sp.Min, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "abs": sp.Abs, "neg": lambda a: -a, "inv": pinv, "tanh": sp.tanh, "exp": pexp, "log": plog,
    "sqrt": psqrt,
}


def to_sympy(code: Code, *, univariate: bool = False, simplify: bool = True) -> sp.Expr:
    """The program as a sympy expression.

    Args:
        code: Prefix code of the program.
        univariate: Replace every input variable by one symbol ``x`` (the paper's collapse).
        simplify: Run sympy's simplifier when the expression is small enough.
    """
    x = sp.Symbol(UNIVARIATE_ARG, real=True)
    symbols: dict[str, sp.Symbol] = {}
    expr = fold_code(code, sp.Float,
                     lambda tok: x if univariate else symbols.setdefault(tok, sp.Symbol(tok, real=True)),
                     lambda tok, args: _SYMPY_BUILD[tok](*args))
    if simplify and sp.count_ops(expr) <= SIMPLIFY_MAX_OPS:
        try:
            simpler = sp.simplify(expr)
            if sp.count_ops(simpler) <= sp.count_ops(expr):
                expr = simpler
        except Exception:  # sympy can fail on exotic nestings; the unsimplified form is still exact
            pass
    return expr


def round_floats(expr: sp.Expr, digits: int = 4) -> sp.Expr:
    """The expression with every float shown to ``digits`` significant digits (for display)."""
    return expr.xreplace({f: sp.Float(float(f), digits) for f in expr.atoms(sp.Float)})


def to_latex(expr: sp.Expr, digits: int = 4) -> str:
    """LaTeX of an expression, floats rounded for reading."""
    return sp.latex(round_floats(expr, digits))


def collapse_univariate(code: Code) -> Code:
    """The paper's collapse: every input variable ``X_i`` becomes the single input ``x``."""
    return tuple(UNIVARIATE_ARG if (isinstance(t, str) and t not in ARITY) else t for t in code)


def check_activation(code: Code, grid: np.ndarray | None = None) -> None:
    """Refuse programs that make no activation.

    Raises:
        DegenerateProgramError: the program reads no input (a constant), is constant on a grid of
            inputs, or gives NaN / infinity there.
    """
    text = code_to_string(code)
    if not code_variables(code):
        raise DegenerateProgramError(f"program {text} reads no input: a constant cannot be an activation")
    grid = np.linspace(-6.0, 6.0, 241) if grid is None else np.asarray(grid, float)
    with np.errstate(all="ignore"):
        values = evaluate_code(collapse_univariate(code), {UNIVARIATE_ARG: grid}, len(grid))
    if not np.isfinite(values).all():
        bad = grid[~np.isfinite(values)][:3].tolist()
        raise DegenerateProgramError(f"activation {text} is not finite at x = {bad}")
    if np.ptp(values) < 1e-9:
        raise DegenerateProgramError(f"activation {text} is constant ({values[0]:.4g}) on [-6, 6] after collapsing "
                                     "its inputs into one variable")


# ---------------------------------------------------------------- torch

def _torch_funcs() -> dict[str, Callable]:
    import torch

    def pdiv_t(a, b):
        ok = torch.abs(b) > PROTECT
        return torch.where(ok, a / torch.where(ok, b, torch.ones_like(b)), torch.ones_like(b))

    def pinv_t(a):
        ok = torch.abs(a) > PROTECT
        return torch.where(ok, 1.0 / torch.where(ok, a, torch.ones_like(a)), torch.zeros_like(a))

    def plog_t(a):
        ok = torch.abs(a) > PROTECT
        return torch.where(ok, torch.log(torch.where(ok, torch.abs(a), torch.ones_like(a))), torch.zeros_like(a))

    def psqrt_t(a):
        # sqrt|a| has an infinite slope at 0: the double `where` gives it slope 0 there (no NaN/inf).
        pos = torch.abs(a) > 0
        return torch.where(pos, torch.sqrt(torch.where(pos, torch.abs(a), torch.ones_like(a))), torch.zeros_like(a))

    return {
        "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": pdiv_t,
        "max": torch.maximum, "min": torch.minimum,
        "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "abs": torch.abs, "neg": torch.neg,
        "inv": pinv_t, "tanh": torch.tanh, "exp": lambda a: torch.exp(torch.clamp(a, max=EXP_CAP)),
        "log": plog_t, "sqrt": psqrt_t,
    }


def torch_activation(program: Code | str, *, name: str | None = None):
    """A differentiable, elementwise ``torch.nn.Module`` computing a univariate program.

    Args:
        program: Prefix code (multivariate codes are collapsed first) or program text such as
            ``"mul(cos(x), x)"``.
        name: Label shown in ``repr``.

    Raises:
        DegenerateProgramError: for constant or non-finite programs (see :func:`check_activation`).
    """
    import torch

    from symbolic.gp.primitives import parse_program

    code = parse_program(program) if isinstance(program, str) else tuple(program)
    code = collapse_univariate(code)
    check_activation(code)
    funcs = _torch_funcs()
    text = code_to_string(code)

    class SymbolicActivation(torch.nn.Module):
        """Elementwise activation f(x) = {text}."""

        def __init__(self) -> None:
            super().__init__()
            self.code = code
            self.formula = name or text

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            stack: list = []
            for tok in reversed(self.code):
                if tok.__class__ is float:
                    stack.append(torch.as_tensor(tok, dtype=x.dtype, device=x.device))  # 0-d, broadcasts
                elif tok == UNIVARIATE_ARG:
                    stack.append(x)
                else:
                    if ARITY[tok] == 1:
                        value = funcs[tok](stack.pop())
                    else:
                        a = stack.pop()
                        value = funcs[tok](a, stack.pop())
                    # An overflow (x*x at |x| = 1e30 in float32) would give NaN values or gradients
                    # downstream; nan_to_num stops both (its gradient is 0 where its input is not finite).
                    stack.append(torch.nan_to_num(value, nan=0.0, posinf=OUTPUT_BOUND, neginf=-OUTPUT_BOUND))
            out = stack[0].expand_as(x)
            out = torch.nan_to_num(out, nan=0.0, posinf=OUTPUT_BOUND, neginf=-OUTPUT_BOUND)
            return torch.clamp(out, -OUTPUT_BOUND, OUTPUT_BOUND)

        def extra_repr(self) -> str:
            return f"f(x) = {self.formula}"

    return SymbolicActivation()


def formula_string(expr: sp.Expr, digits: int = 4) -> str:
    """A readable one-line formula with rounded constants."""
    return str(round_floats(expr, digits))
