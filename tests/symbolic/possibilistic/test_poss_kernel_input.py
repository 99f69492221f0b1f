"""The min–max kernels refuse what is not a system of degrees, before computing anything."""

from __future__ import annotations

import numpy as np
import pytest

from symbolic.possibilistic import (
    RangeError,
    ShapeError,
    chebyshev_distance,
    chebyshev_rows,
    is_consistent,
    lowest_approximate_solution,
    lowest_chebyshev_approximation,
    lowest_solution,
    minmax_product,
)

GOOD_A = np.array([[0.2, 0.9], [0.5, 0.1]])
GOOD_Y = np.array([0.5, 0.2])
SYSTEM_KERNELS = (lowest_solution, is_consistent, chebyshev_rows, chebyshev_distance, lowest_approximate_solution,
                  lowest_chebyshev_approximation)


@pytest.mark.parametrize("kernel", SYSTEM_KERNELS, ids=lambda k: k.__name__)
def test_out_of_range_and_nan_are_refused_with_the_index(kernel):
    bad = GOOD_A.copy()
    bad[1, 0] = 1.5
    with pytest.raises(RangeError, match=r"A\[1, 0\] = 1.5"):
        kernel(bad, GOOD_Y)
    with pytest.raises(RangeError, match=r"y\[0\] = nan"):
        kernel(GOOD_A, np.array([np.nan, 0.2]))
    with pytest.raises(RangeError, match=r"A\[0, 1\] = -0.1"):
        kernel(np.array([[0.2, -0.1], [0.5, 0.1]]), GOOD_Y)


@pytest.mark.parametrize("kernel", SYSTEM_KERNELS, ids=lambda k: k.__name__)
def test_an_empty_system_is_a_clear_error(kernel):
    with pytest.raises(ShapeError, match="empty"):
        kernel(np.zeros((0, 3)), np.zeros(0))


def test_minmax_product_checks_both_inputs_and_check_false_skips_the_scan():
    with pytest.raises(RangeError, match=r"x\[1\]"):
        minmax_product(GOOD_A, np.array([0.1, 2.0]))
    with pytest.raises(ShapeError, match="empty"):
        minmax_product(np.zeros((0, 0)), np.zeros(0))
    assert np.isnan(minmax_product(np.array([[np.nan, 0.5]]), np.array([0.5, 0.5]), check=False)).all()
    assert minmax_product(GOOD_A, np.array([0.3, 0.3])).tolist() == pytest.approx([0.3, 0.3])
