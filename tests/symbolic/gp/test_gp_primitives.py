import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.gp.primitives import (
    EXP_CAP,
    NUMPY_FUNCS,
    build_pset,
    check_function_set,
    code_height,
    code_to_string,
    code_variables,
    evaluate_code,
    parse_program,
)
from tests.symbolic.gp.conftest import random_code


def test_protected_operations_follow_gplearn_guards():
    a = np.array([1.0, 2.0, -3.0])
    b = np.array([0.0, 1e-4, 2.0])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(NUMPY_FUNCS["div"](a, b), [1.0, 1.0, -1.5])
        np.testing.assert_array_equal(NUMPY_FUNCS["log"](np.array([0.0, -np.e])), [0.0, 1.0])
        np.testing.assert_array_equal(NUMPY_FUNCS["inv"](np.array([0.0, 4.0])), [0.0, 0.25])
        np.testing.assert_array_equal(NUMPY_FUNCS["sqrt"](np.array([-4.0])), [2.0])
        assert NUMPY_FUNCS["exp"](np.array([1e9]))[0] == pytest.approx(np.exp(EXP_CAP))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_code_text_round_trip(seed):
    code = random_code(seed)
    assert parse_program(code_to_string(code)) == code


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3))
def test_programs_never_return_nan_on_finite_input(seed, row):
    code = random_code(seed)
    cols = {f"X{i}": np.array([v, -v, 0.0]) for i, v in enumerate(row)}
    with np.errstate(all="ignore"):
        out = evaluate_code(code, cols, 3)
    assert out.shape == (3,)
    # Protected operations cannot produce NaN from finite inputs except inf - inf / 0 * inf after an
    # overflow; with |x| <= 1e3 and depth <= 4 no product overflows.
    assert not np.isnan(out).any(), code_to_string(code)


def test_parse_program_rejects_bad_text():
    with pytest.raises(ValueError, match="unknown token"):
        parse_program("foo(X0)")
    with pytest.raises(ValueError, match="missing"):
        parse_program("add(X0)")
    with pytest.raises(ValueError, match="after a complete expression"):
        parse_program("X0 X1")


def test_function_set_validation_and_fresh_psets():
    with pytest.raises(ValueError, match="unknown primitive"):
        check_function_set(["add", "pow"])
    with pytest.raises(ValueError, match="empty"):
        check_function_set([])
    # Building many sets in one process (notebooks, repeated fits) must never clash.
    for _ in range(3):
        pset = build_pset(4, ("add", "sin"), (-1.0, 1.0))
        build_pset(None, ("mul",), (0.0, 5.0))
    assert "X3" in pset.mapping


def test_code_helpers():
    code = parse_program("mul(cos(X1), add(X0, 0.5))")
    assert code_variables(code) == {"X0", "X1"}
    assert code_height(code) == 2
    assert evaluate_code(parse_program("0.5"), {}, 4).tolist() == [0.5] * 4
