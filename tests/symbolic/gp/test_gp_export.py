import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.gp.export import (
    OUTPUT_BOUND,
    DegenerateProgramError,
    check_activation,
    collapse_univariate,
    to_latex,
    to_sympy,
    torch_activation,
)
from symbolic.gp.primitives import evaluate_code, parse_program
from tests.symbolic.gp.conftest import random_code

x = sp.Symbol("x", real=True)


def test_sympy_simplifies_and_collapses():
    code = parse_program("mul(cos(X1), add(add(X0, X0), X0))")
    X0, X1 = sp.symbols("X0 X1", real=True)
    assert sp.simplify(to_sympy(code) - 3 * X0 * sp.cos(X1)) == 0
    assert sp.simplify(to_sympy(code, univariate=True) - 3 * x * sp.cos(x)) == 0
    assert collapse_univariate(code) == parse_program("mul(cos(x), add(add(x, x), x))")
    assert r"\cos" in to_latex(to_sympy(code))


def test_protection_survives_simplification():
    # div(x, x) is 1 everywhere under protection (also at 0), so simplifying to 1 is right;
    # div(x, sub(x, x)) is the protected 1, never a zoo/NaN.
    assert to_sympy(parse_program("div(X0, X0)")) == 1
    assert to_sympy(parse_program("div(X0, sub(X1, X1))")) == 1
    e = to_sympy(parse_program("div(X0, X1)"))
    assert "pdiv" in str(e) and r"\frac" in to_latex(e)


def test_latex_rounds_constants():
    assert to_latex(to_sympy(parse_program("mul(X0, 0.123456789)"))) == "0.1235 X_{0}"


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000))
def test_torch_activation_matches_numpy_and_is_safe(seed):
    code = collapse_univariate(random_code(seed, n_features=None, max_depth=4))
    try:
        act = torch_activation(code)
    except DegenerateProgramError:
        return
    grid = np.linspace(-4, 4, 101)
    with np.errstate(all="ignore"):
        ref = evaluate_code(code, {"x": grid}, len(grid))
    got = act(torch.tensor(grid, dtype=torch.float64)).numpy()
    finite = np.isfinite(ref) & (np.abs(ref) < OUTPUT_BOUND)
    np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-6, atol=1e-6)
    # far outside the data range, in float32 as in training: values and gradients stay finite
    big = torch.tensor([-1e30, -1e6, -50.0, -1e-4, 0.0, 1e-4, 50.0, 1e6, 1e30], requires_grad=True)
    out = act(big)
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(big.grad).all()


def test_degenerate_activations_are_refused():
    for text, why in [("add(0.5, 0.25)", "reads no input"), ("sub(X0, X3)", "constant"),
                      ("mul(X0, 0.0)", "constant")]:
        with pytest.raises(DegenerateProgramError, match=why):
            check_activation(parse_program(text))
    act = torch_activation("mul(cos(x), x)")
    assert "mul(cos(x), x)" in repr(act)
    assert torch.allclose(act(torch.tensor([2.0])), torch.tensor([2.0 * np.cos(2.0)], dtype=torch.float32))
