"""The estimator learns the same (s, r) as a loop-by-loop transcription of Π-NeSy's learning procedure.

The transcription below follows the published algorithm (per-sample ∇, τ_min on the grid, filtering,
lowest Chebyshev approximations with the relative ε = 1e-3 tolerance, stacking, ∇_NC, lowest
approximate solution) with plain Python loops and the closed form of ∇ evaluated literally.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbolic.possibilistic import Condition, Rule, RuleSet, RuleSetEstimator, antipignistic

EPS = 1e-3


def eps_product(a: float, b: float) -> float:
    if abs(a - b) <= max(EPS * max(abs(a), abs(b)), 1e-9):
        return 0.0
    return b if a < b else 0.0


def potential_min(A: list[list[float]], b: list[float]) -> list[float]:
    return [max(eps_product(A[i][j], b[i]) for i in range(len(A))) for j in range(len(A[0]))]


def minmax(A: list[list[float]], x: list[float]) -> list[float]:
    return [min(max(a, xj) for a, xj in zip(row, x, strict=True)) for row in A]


def nabla_rows(A: list[list[float]], b: list[float]) -> list[float]:
    out = []
    for i in range(len(A)):
        best = 1.0
        for j in range(len(A[0])):
            v = max(0.0, A[i][j] - b[i])
            for k in range(len(A)):
                v = max(v, min(max(0.0, b[k] - b[i]) / 2, max(0.0, b[k] - A[k][j])))
            best = min(best, v)
        out.append(best)
    return out


def reference_learning(signs: list[list[int]], inputs: list[list[float]], targets: list[list[float]],
                       threshold: float | None = None):
    grid = [(i / 30) ** 5 * (1 + EPS) for i in range(1, 31)]

    def matrix(vec: list[float]) -> list[list[float]]:
        lam, rho = vec[::2], vec[1::2]
        rows = []
        for block in signs:
            row: list[float] = []
            for el in block:
                row.extend([lam[el - 1], 1.0] if el > 0 else [1.0, rho[-el - 1]])
            rows.append(row)
        return rows

    dists = [max(nabla_rows(matrix(v), t)) for v, t in zip(inputs, targets, strict=True)]
    tau = min(g for g in grid if any(d < g for d in dists))
    if threshold is not None:
        tau = max(tau, threshold)
    G: list[list[float]] = []
    Y: list[float] = []
    for v, t, d in zip(inputs, targets, dists, strict=True):
        if d < tau:
            A = matrix(v)
            G += A
            Y += minmax(A, potential_min(A, [max(bi - d, 0.0) for bi in t]))
    rows = nabla_rows(G, Y)
    nc = [r for r in rows if r < tau]
    nabla_nc = max(nc) if nc else 0.0
    x = potential_min(G, [max(y - nabla_nc, 0.0) for y in Y])
    return np.array(x[0::2]), np.array(x[1::2]), tau, sum(d < tau for d in dists)


@pytest.mark.parametrize(("seed", "threshold"), [(11, None), (12, 0.3), (13, 0.6), (14, 1.01)])
def test_matches_transcribed_reference(seed: int, threshold: float | None) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    labels = rng.integers(0, 6, n)
    logits = rng.normal(0, 1, (n, 6))
    logits[np.arange(n), labels] += 1.0  # a poor classifier: inconsistent samples, non-zero parameters
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    # Overlapping premises and conclusions, and rules that do not fit the labels exactly.
    rules = [Rule(Condition("a", {0, 1, 2}), {"x", "y"}, name="r1"),
             Rule(Condition("a", {2, 3}), {"y", "z"}, name="r2"),
             Rule(Condition("a", {4, 5}), "z", name="r3"),
             Rule(Condition("a", {0, 5}), {"x", "z"}, name="r4")]
    rs = RuleSet("o", {"a": range(6), "o": ["x", "y", "z"]}, rules)
    out = np.array(list("xyyzzx"))[labels]

    est = RuleSetEstimator(rs, dtype="float64", threshold=threshold).fit({"a": probs}, out)

    pi = antipignistic(probs)
    masks = [np.isin(np.arange(6), list(r.premise[0].values)) for r in rules]
    inputs = [[v for m in masks for v in (pi[e][m].max(), pi[e][~m].max())] for e in range(n)]
    blocks = rs.partition.blocks
    targets = [[1.0 if out[e] in blk else 0.0 for blk in blocks] for e in range(n)]
    s, r, tau, kept = reference_learning(rs.partition.signs, inputs, targets, threshold)
    assert est.threshold_ == tau
    assert est.n_kept_ == kept
    assert est.learned_.nabla_nc > 0  # the stacked system is inconsistent: the test exercises ∇_NC
    np.testing.assert_allclose(est.s_, s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(est.r_, r, rtol=0, atol=1e-12)
