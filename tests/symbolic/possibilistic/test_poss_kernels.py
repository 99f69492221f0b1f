"""Min–max kernels: lowest solutions, consistency, Chebyshev distance (fast vs literal vs brute force)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.possibilistic import (
    PossibilisticError,
    ShapeError,
    chebyshev_distance,
    chebyshev_rows,
    epsilon_product,
    is_consistent,
    lowest_approximate_solution,
    lowest_chebyshev_approximation,
    lowest_solution,
    minmax_product,
)

DYADIC = 8  # values k/8: every operation of the kernels is exact, so equalities are exact


@st.composite
def systems(draw, max_n: int = 6, max_m: int = 4, dyadic: bool = True, binary_y: bool = False,
            max_batch: int = 1):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    b = draw(st.integers(1, max_batch))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    shape = (b, n, m) if max_batch > 1 else (n, m)
    if dyadic:
        A = rng.integers(0, DYADIC + 1, size=shape) / DYADIC
        y = rng.integers(0, DYADIC + 1, size=shape[:-1]) / DYADIC
    else:
        A = rng.random(shape)
        y = rng.random(shape[:-1])
    if binary_y:
        y = (rng.random(shape[:-1]) < 0.4).astype(np.float64)
    return A, y


def brute_force_nabla(A: np.ndarray, y: np.ndarray) -> float:
    """Smallest δ for which some x gives ‖A □ x − y‖∞ ≤ δ, found without the closed form.

    For a given δ the lowest x with A □ x ≥ y − δ is x_j = max{y_k − δ : a_kj < y_k − δ}; since the
    product is monotone in x, some x fits within δ iff that one also satisfies A □ x ≤ y + δ. The
    optimum lies among the differences and half-differences of the entries, so try them all.
    """
    vals = np.unique(np.concatenate([A.ravel(), y.ravel()]))
    diffs = np.abs(vals[:, None] - vals[None, :]).ravel()
    candidates = np.unique(np.concatenate([[0.0], diffs, diffs / 2]))
    for delta in candidates:
        low = y - delta
        x = np.where(A < low[:, None], low[:, None], 0.0).max(axis=0)
        if (np.maximum(A, x[None, :]).min(axis=1) <= y + delta + 1e-12).all():
            return float(delta)
    raise AssertionError("no candidate fits")


@settings(max_examples=200, deadline=None)
@given(systems(), st.data())
def test_lowest_solution_solves_consistent_systems(system, data) -> None:
    A, _ = system
    x = np.array(data.draw(st.lists(st.integers(0, DYADIC), min_size=A.shape[1], max_size=A.shape[1]))) / DYADIC
    y = minmax_product(A, x)  # consistent by construction
    x_low = lowest_solution(A, y)
    np.testing.assert_array_equal(minmax_product(A, x_low), y)
    assert (x_low <= x).all(), "the lowest solution is below every solution"
    assert bool(is_consistent(A, y))
    assert float(chebyshev_distance(A, y)) == 0.0


@settings(max_examples=300, deadline=None)
@given(systems())
def test_nabla_zero_iff_consistent(system) -> None:
    A, y = system
    nab = float(chebyshev_distance(A, y))
    assert (nab == 0.0) == bool(is_consistent(A, y))


@settings(max_examples=300, deadline=None)
@given(systems(max_n=5, max_m=3))
def test_nabla_matches_brute_force(system) -> None:
    A, y = system
    assert float(chebyshev_distance(A, y, method="literal")) == brute_force_nabla(A, y)
    assert float(chebyshev_distance(A, y, method="fast")) == brute_force_nabla(A, y)


@settings(max_examples=300, deadline=None)
@given(systems(max_n=40, max_m=6, max_batch=3))
def test_fast_equals_literal_dyadic(system) -> None:
    A, y = system
    np.testing.assert_array_equal(chebyshev_rows(A, y, method="fast"), chebyshev_rows(A, y, method="literal"))


@settings(max_examples=200, deadline=None)
@given(systems(max_n=60, max_m=8, dyadic=False, max_batch=3))
def test_fast_equals_literal_real(system) -> None:
    A, y = system
    np.testing.assert_allclose(chebyshev_rows(A, y, method="fast"), chebyshev_rows(A, y, method="literal"),
                               rtol=0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(systems(max_n=60, max_m=8, dyadic=False, binary_y=True, max_batch=3))
def test_fast_and_binary_equal_literal_for_binary_y(system) -> None:
    A, y = system
    lit = chebyshev_rows(A, y, method="literal")
    np.testing.assert_array_equal(chebyshev_rows(A, y, method="binary"), lit)
    np.testing.assert_allclose(chebyshev_rows(A, y, method="fast"), lit, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(chebyshev_rows(A, y), lit)  # auto picks binary


def test_fast_equals_literal_many_shapes_with_ties() -> None:
    rng = np.random.default_rng(7)
    for n, m in itertools.product([1, 2, 3, 17, 200, 1500], [1, 2, 5, 40]):
        A = rng.integers(0, 5, (n, m)) / 4  # many exact ties in y and A
        y = rng.integers(0, 5, n) / 4
        np.testing.assert_array_equal(chebyshev_rows(A, y, method="fast"), chebyshev_rows(A, y, method="literal"))
        A = rng.random((n, m)).astype(np.float32)
        y = rng.random(n).astype(np.float32)
        np.testing.assert_allclose(chebyshev_rows(A, y, method="fast"), chebyshev_rows(A, y, method="literal"),
                                   rtol=0, atol=1e-6)


@settings(max_examples=250, deadline=None)
@given(systems(max_n=8, max_m=4, dyadic=False, max_batch=2))
def test_approximate_solution_residual_at_most_nabla(system) -> None:
    A, y = system
    nab = chebyshev_distance(A, y)
    x = lowest_approximate_solution(A, y)
    residual = np.abs(minmax_product(A, x) - y).max(-1)
    assert (residual <= nab + 1e-12).all()
    assert (residual >= nab - 1e-12).all(), "nothing consistent is closer than ∇"
    y_hat = lowest_chebyshev_approximation(A, y)
    np.testing.assert_array_equal(y_hat, minmax_product(A, x))
    assert np.all(is_consistent(A, y_hat))


def test_epsilon_product_and_tolerance() -> None:
    A = np.array([[0.2, 0.5], [0.9995, 0.1]])
    y = np.array([0.5, 1.0])
    np.testing.assert_array_equal(epsilon_product(A, y), [1.0, 1.0])
    # With a relative tolerance of 1e-3, 0.9995 counts as equal to 1.0, so it asks nothing of x_0.
    np.testing.assert_array_equal(epsilon_product(A, y, tol=1e-3), [0.5, 1.0])


def test_batched_and_kinds() -> None:
    rng = np.random.default_rng(0)
    A = rng.random((4, 6, 3))
    y = rng.random((4, 6))
    batched = chebyshev_rows(A, y)
    single = np.stack([chebyshev_rows(A[i], y[i]) for i in range(4)])
    np.testing.assert_array_equal(batched, single)
    t = chebyshev_distance(torch.from_numpy(A), torch.from_numpy(y))
    assert isinstance(t, torch.Tensor) and t.shape == (4,)
    assert isinstance(chebyshev_distance(A, y), np.ndarray)
    x = lowest_approximate_solution(A, y, nabla=0.5)
    assert x.shape == (4, 3)


def test_shape_errors_name_the_tensor() -> None:
    with pytest.raises(ShapeError, match="y has shape"):
        chebyshev_distance(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ShapeError, match="x has shape"):
        minmax_product(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ShapeError, match="nabla"):
        lowest_approximate_solution(np.zeros((2, 3, 2)), np.zeros((2, 3)), nabla=np.zeros(5))
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        lowest_solution(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="0 or 1"):
        chebyshev_rows(np.zeros((2, 2)), np.array([0.5, 1.0]), method="binary")
    assert issubclass(ShapeError, PossibilisticError)


@pytest.mark.gpu
def test_cuda_matches_cpu() -> None:
    rng = np.random.default_rng(3)
    A = torch.from_numpy(rng.random((3, 500, 12)))
    y = torch.from_numpy(rng.random((3, 500)))
    cpu = chebyshev_rows(A, y, method="fast")
    gpu = chebyshev_rows(A.cuda(), y.cuda(), method="fast")
    assert gpu.is_cuda
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-12)
    torch.testing.assert_close(chebyshev_rows(A.cuda(), y.cuda(), method="literal").cpu(), cpu, rtol=0, atol=1e-12)
    x = lowest_approximate_solution(A.cuda(), y.cuda())
    torch.testing.assert_close(x.cpu(), lowest_approximate_solution(A, y))
