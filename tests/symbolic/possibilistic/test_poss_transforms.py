"""Probability → possibility transforms: formulas, ties, input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from symbolic.possibilistic import (
    DistributionError,
    antipignistic,
    check_possibilities,
    check_probabilities,
    minimum_specificity,
    to_possibility,
)


def _distribution(values: np.ndarray) -> np.ndarray:
    v = values + 1e-3
    return v / v.sum()


dists = arrays(np.float64, st.integers(1, 8), elements=st.floats(0, 1)).map(_distribution)
# Dyadic probabilities, so ties happen often and sums are exact.
tied = st.lists(st.integers(0, 4), min_size=1, max_size=7).filter(lambda xs: sum(xs) > 0).map(
    lambda xs: np.array(xs, dtype=np.float64) / sum(xs))


def test_known_values() -> None:
    p = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(antipignistic(p), [1.0, 0.8, 0.6])
    np.testing.assert_allclose(minimum_specificity(p), [1.0, 0.5, 0.2])


def test_order_does_not_matter_for_distinct_values() -> None:
    p = np.array([0.2, 0.5, 0.3])
    np.testing.assert_allclose(antipignistic(p), [0.6, 1.0, 0.8])
    np.testing.assert_allclose(minimum_specificity(p), [0.2, 1.0, 0.5])


def test_ties_antipignistic_equal() -> None:
    np.testing.assert_allclose(antipignistic(np.array([0.2, 0.4, 0.4])), [0.6, 1.0, 1.0])


def test_ties_minimum_specificity_order_and_equal() -> None:
    p = np.array([0.2, 0.4, 0.4])
    # "order": stable sort, the earlier of the tied values gets the larger possibility (Π-NeSy code).
    np.testing.assert_allclose(minimum_specificity(p, ties="order"), [0.2, 1.0, 0.6])
    # "equal": every tied value gets the group's largest possibility (Dubois–Prade).
    np.testing.assert_allclose(minimum_specificity(p, ties="equal"), [0.2, 1.0, 1.0])
    np.testing.assert_allclose(minimum_specificity(np.array([0.5, 0.5])), [1.0, 0.5])


@settings(max_examples=150, deadline=None)
@given(dists)
def test_antipignistic_matches_definition(p: np.ndarray) -> None:
    expected = np.array([np.minimum(p, pi).sum() for pi in p])
    np.testing.assert_allclose(antipignistic(p), expected / expected.max(), atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(tied)
def test_minimum_specificity_matches_definitions(p: np.ndarray) -> None:
    order = sorted(range(len(p)), key=lambda i: -p[i])  # Python's sort is stable, as the reference's
    expected_order = np.empty_like(p)
    for pos, i in enumerate(order):
        expected_order[i] = p[order[pos:]].sum()
    np.testing.assert_allclose(minimum_specificity(p, ties="order"), expected_order, atol=1e-12)
    expected_equal = np.array([p[p <= pi].sum() for pi in p])
    np.testing.assert_allclose(minimum_specificity(p, ties="equal"), expected_equal, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(tied)
def test_normalized_and_order_preserving(p: np.ndarray) -> None:
    for pi in (antipignistic(p), minimum_specificity(p), minimum_specificity(p, ties="equal")):
        assert pi.max() == 1.0
        assert (pi >= 0).all()
        # More probable never means less possible; minimum specificity dominates nothing below p.
        for i in range(len(p)):
            for j in range(len(p)):
                if p[i] > p[j]:
                    assert pi[i] >= pi[j]
        assert (pi >= p - 1e-12).all()


def test_batched_torch_in_torch_out() -> None:
    p = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    out = to_possibility(p, "minimum_specificity")
    assert isinstance(out, torch.Tensor) and out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), [[1.0, 0.5, 0.2], [0.2, 0.1, 1.0]], atol=1e-6)


def test_bad_inputs_named() -> None:
    with pytest.raises(DistributionError, match="row 1 sums to 0.9"):
        antipignistic(np.array([[0.5, 0.5], [0.5, 0.4]]))
    with pytest.raises(DistributionError, match="negative"):
        minimum_specificity(np.array([1.2, -0.2]))
    with pytest.raises(DistributionError, match="digit: .* row 0 has maximum 0.9"):
        check_possibilities(np.array([[0.9, 0.2]]), "digit")
    with pytest.raises(DistributionError, match="empty"):
        check_probabilities(np.zeros((3, 0)), "p")
    with pytest.raises(ValueError, match="unknown transform"):
        to_possibility(np.array([1.0]), "pignistic")
    with pytest.raises(ValueError, match="ties"):
        minimum_specificity(np.array([1.0]), ties="random")  # type: ignore[arg-type]
