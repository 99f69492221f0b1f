"""Possibilistic abduction of digits from sums (MNIST addition): exact DP against brute force."""

from __future__ import annotations

import itertools

import pytest
import torch

from symbolic.possibilistic import transforms
from symbolic.possibilistic.rulebases import sum_digits
from symbolic.possibilistic.sum_abduction import abduce, max_marginals


def _brute(pi, logp, sums, k):
    nums = torch.tensor(list(itertools.product(range(10), repeat=k)))
    A = nums.repeat_interleave(len(nums), 0)
    B = nums.repeat(len(nums), 1)
    S, _ = sum_digits(A, B)
    ok = (S == sums).all(1)
    poss = torch.minimum(pi[0].gather(1, A.T).T.amin(1), pi[1].gather(1, B.T).T.amin(1))
    lp = logp[0].gather(1, A.T).T.sum(1) + logp[1].gather(1, B.T).T.sum(1)
    return A, B, ok, poss, lp


@pytest.mark.parametrize("k", [1, 2])
def test_abduction_dp_equals_brute_force(k):
    g = torch.Generator().manual_seed(k)
    n = 12
    p = torch.softmax(torch.randn(n, 2, k, 10, generator=g) * 2, -1)
    pi = transforms.to_possibility(p, "minimum_specificity")
    sums, _ = sum_digits(torch.randint(0, 10, (n, k), generator=g), torch.randint(0, 10, (n, k), generator=g))
    a, b, value = abduce(pi[:, 0], pi[:, 1], sums, p[:, 0].log(), p[:, 1].log())
    ma, mb = max_marginals(pi[:, 0], pi[:, 1], sums)
    assert torch.equal(sum_digits(a, b)[0], sums)                 # always consistent with the sum
    for e in range(n):
        A, B, ok, poss, lp = _brute(pi[e], p[e].log(), sums[e], k)
        best = poss[ok].max()
        assert float(value[e]) == pytest.approx(float(best), abs=1e-7)
        tie_best = lp[ok & (poss >= best)].max()
        got = p[e, 0].log().gather(1, a[e].view(k, 1)).sum() + p[e, 1].log().gather(1, b[e].view(k, 1)).sum()
        assert float(got) == pytest.approx(float(tie_best), abs=1e-4)
        for pos, v in itertools.product(range(k), range(10)):
            sel = ok & (A[:, pos] == v)
            assert float(ma[e, pos, v]) == pytest.approx(float(poss[sel].max()) if sel.any() else 0.0, abs=1e-7)
            sel = ok & (B[:, pos] == v)
            assert float(mb[e, pos, v]) == pytest.approx(float(poss[sel].max()) if sel.any() else 0.0, abs=1e-7)


def test_abduction_rejects_bad_input():
    pi = torch.ones(2, 3, 10)
    with pytest.raises(ValueError, match=r"\(B, k\+1\)"):
        abduce(pi, pi, torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="leading digit"):
        abduce(pi, pi, torch.full((2, 4), 2))
    with pytest.raises(ValueError, match=r"\(B, k, 10\)"):
        abduce(pi[..., :9], pi[..., :9], torch.zeros(2, 4, dtype=torch.long))
