"""Probability → possibility transforms (Π-NeSy-1 and Π-NeSy-2) and distribution checks.

Both transforms sort the probabilities so that p_1 ≥ … ≥ p_n and give the most probable value
possibility 1:

- **antipignistic** (Π-NeSy-1): π_i = Σ_j min(p_j, p_i) = i·p_i + Σ_{j>i} p_j. Equal probabilities
  always get equal possibilities, so ties need no rule.
- **minimum specificity** (Π-NeSy-2): π_i = Σ_{j≥i} p_j, the tail sum in sorted order. With ties the
  sorted order is not unique, so ``ties`` decides:

  * ``"order"`` (default, what the Π-NeSy code does): a stable sort, so among equal probabilities the
    value with the smaller index comes first and gets the *larger* possibility. Deterministic but not
    symmetric: ``[0.5, 0.5]`` → ``[1.0, 0.5]``.
  * ``"equal"`` (Dubois–Prade's optimal transformation): every value of a tie group gets the group's
    largest possibility, π_i = Σ_{j: p_j ≤ p_i} p_j. Symmetric: ``[0.5, 0.5]`` → ``[1.0, 1.0]``.

Inputs are checked (each row sums to 1 within ``atol``, no negative entries), then divided by their
sum so that the maximum possibility is exactly 1.
"""

from __future__ import annotations

from typing import Literal

import torch

from symbolic.possibilistic._tensor import ArrayLike, as_tensor, like_input
from symbolic.possibilistic.errors import DistributionError

Ties = Literal["order", "equal"]
TRANSFORMS = ("antipignistic", "minimum_specificity")


def _first_bad_row(mask: torch.Tensor) -> int:
    return int(torch.nonzero(mask.reshape(-1))[0])


def check_probabilities(p: ArrayLike, name: str = "probabilities", *, atol: float = 1e-3) -> torch.Tensor:
    """Validate probability distributions along the last axis and return them as a tensor.

    Args:
        p: Array of shape (..., n) with n ≥ 1.
        name: Name used in error messages (e.g. the attribute).
        atol: Allowed deviation of each row sum from 1.

    Raises:
        DistributionError: NaN, a negative entry, or a row whose sum is not 1 within ``atol``.
    """
    t = as_tensor(p, name, min_dim=1)
    if t.shape[-1] == 0:
        raise DistributionError(f"{name}: empty distribution (last axis has size 0)")
    if torch.isnan(t).any():
        raise DistributionError(f"{name}: contains NaN")
    if (t < 0).any():
        raise DistributionError(f"{name}: negative probability {float(t.min()):.6g}")
    sums = t.sum(-1)
    bad = (sums - 1).abs() > atol
    if bad.any():
        row = _first_bad_row(bad)
        raise DistributionError(
            f"{name}: probabilities must sum to 1 along the last axis; row {row} sums to "
            f"{float(sums.reshape(-1)[row]):.6g}")
    return t


def check_possibilities(pi: ArrayLike, name: str = "possibilities", *, atol: float = 1e-6) -> torch.Tensor:
    """Validate normalized possibility distributions (values in [0, 1], max 1 per row).

    Raises:
        DistributionError: NaN, a value outside [0, 1], or a row whose maximum is not 1.
    """
    t = as_tensor(pi, name, min_dim=1)
    if t.shape[-1] == 0:
        raise DistributionError(f"{name}: empty distribution (last axis has size 0)")
    if torch.isnan(t).any():
        raise DistributionError(f"{name}: contains NaN")
    if (t < 0).any() or (t > 1 + atol).any():
        raise DistributionError(f"{name}: possibility degrees must lie in [0, 1]; "
                                f"found range [{float(t.min()):.6g}, {float(t.max()):.6g}]")
    tops = t.amax(-1)
    bad = (tops - 1).abs() > atol
    if bad.any():
        row = _first_bad_row(bad)
        raise DistributionError(
            f"{name}: a possibility distribution must reach 1; row {row} has maximum "
            f"{float(tops.reshape(-1)[row]):.6g}")
    return t.clamp(max=1.0)


def antipignistic(p: ArrayLike, *, atol: float = 1e-3) -> ArrayLike:
    """Antipignistic transform (Π-NeSy-1) along the last axis: π_i = Σ_j min(p_j, p_i).

    Args:
        p: Probabilities, shape (..., n), each row summing to 1.
        atol: Tolerance of the row-sum check.

    Returns:
        Possibilities of the same shape and kind (NumPy in, NumPy out); ties get equal values.
    """
    t = check_probabilities(p, "p", atol=atol)
    t = t / t.sum(-1, keepdim=True)
    n = t.shape[-1]
    q, order = torch.sort(t, dim=-1, descending=True, stable=True)
    ranks = torch.arange(1, n + 1, dtype=t.dtype, device=t.device)
    # tail[i] = Σ_{j>i} q_j, computed as a reversed cumulative sum.
    tail = torch.flip(torch.cumsum(torch.flip(q, [-1]), -1), [-1]) - q
    pi_sorted = ranks * q + tail
    # Equal probabilities give equal i·q_i + tail in exact arithmetic; make it exact in floats too.
    pi_sorted = _equalize_ties(q, pi_sorted, keep="max")
    pi = torch.empty_like(pi_sorted).scatter_(-1, order, pi_sorted)
    return like_input(_renormalize(pi), p)


def minimum_specificity(p: ArrayLike, *, ties: Ties = "order", atol: float = 1e-3) -> ArrayLike:
    """Minimum-specificity transform (Π-NeSy-2) along the last axis: π_i = Σ_{j≥i} p_j in sorted order.

    Args:
        p: Probabilities, shape (..., n), each row summing to 1.
        ties: ``"order"`` (stable sort: the earlier index of a tie gets the larger possibility, as in
            the Π-NeSy code) or ``"equal"`` (all members of a tie get the largest value, Dubois–Prade).
        atol: Tolerance of the row-sum check.

    Returns:
        Possibilities of the same shape and kind.
    """
    if ties not in ("order", "equal"):
        raise ValueError(f"ties must be 'order' or 'equal', not {ties!r}")
    t = check_probabilities(p, "p", atol=atol)
    t = t / t.sum(-1, keepdim=True)
    q, order = torch.sort(t, dim=-1, descending=True, stable=True)
    pi_sorted = torch.flip(torch.cumsum(torch.flip(q, [-1]), -1), [-1])
    if ties == "equal":
        pi_sorted = _equalize_ties(q, pi_sorted, keep="max")
    pi = torch.empty_like(pi_sorted).scatter_(-1, order, pi_sorted)
    return like_input(_renormalize(pi), p)


def to_possibility(p: ArrayLike, method: str = "antipignistic", *, ties: Ties = "order",
                   atol: float = 1e-3) -> ArrayLike:
    """Apply the transform named ``method`` (``"antipignistic"`` or ``"minimum_specificity"``)."""
    if method == "antipignistic":
        return antipignistic(p, atol=atol)
    if method == "minimum_specificity":
        return minimum_specificity(p, ties=ties, atol=atol)
    raise ValueError(f"unknown transform {method!r}; valid: {', '.join(TRANSFORMS)}")


def _equalize_ties(q: torch.Tensor, values: torch.Tensor, keep: str) -> torch.Tensor:
    """Give every run of equal ``q`` (sorted descending) the first value of the run (the largest)."""
    n = q.shape[-1]
    if n < 2:
        return values
    new_run = torch.ones_like(q, dtype=torch.bool)
    new_run[..., 1:] = q[..., 1:] != q[..., :-1]
    idx = torch.arange(n, device=q.device).expand_as(q)
    start = torch.where(new_run, idx, torch.zeros_like(idx))
    start = torch.cummax(start, dim=-1).values
    assert keep == "max"
    return torch.gather(values, -1, start)


def _renormalize(pi: torch.Tensor) -> torch.Tensor:
    """Make the maximum exactly 1 (removes the rounding of the cumulative sums)."""
    return (pi / pi.amax(-1, keepdim=True)).clamp(0.0, 1.0)
