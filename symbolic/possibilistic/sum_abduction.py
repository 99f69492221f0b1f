r"""Possibilistic abduction of digits from sums, by dynamic programming (MNIST addition).

For an example (two k-digit numbers shown as 2k images, labelled only with their sum), the CNN's
class probabilities are turned into possibility distributions π_i (the benchmark's transform).
The *most possible* digit assignment consistent with the sum maximizes min_i π_i(d_i) (the joint
possibility under min-conjunction) subject to a + b = sum; among the assignments reaching that
maximum, ties are broken by the largest Σ_i log p_i(d_i). Both optimizations decompose over digit
positions with the carry as the only state, so they are solved exactly by dynamic programming:

    f_{p+1}(c') = max_{c ∈ {0,1}} combine(f_p(c), best_p(c, c')),
    best_p(c, c') = max over digit pairs (a, b) with a + b + c = s_p + 10 c' of value_p(a, b),

with combine = min for the max–min pass and + for the max–sum pass (run on the digits whose
possibility is at least the optimal value of the first pass). The answer is f_k(s_k) (the sum's
leading digit is the last carry), and backtracking yields the digits. Everything is vectorized in
torch over the batch; the only Python loop is over the k positions. O(k · 2 · 2 · 100) per example.
"""

from __future__ import annotations

import torch

__all__ = ["abduce", "max_marginals"]

_NEG = float("-inf")


def _allowed() -> torch.Tensor:
    """allowed[c_in, c_out, s, a, b] = (a + b + c_in == s + 10 c_out)."""
    a = torch.arange(10).view(1, 1, 1, 10, 1)
    b = torch.arange(10).view(1, 1, 1, 1, 10)
    c_in = torch.arange(2).view(2, 1, 1, 1, 1)
    c_out = torch.arange(2).view(1, 2, 1, 1, 1)
    s = torch.arange(10).view(1, 1, 10, 1, 1)
    return (a + b + c_in) == (s + 10 * c_out)


_ALLOWED = _allowed().permute(2, 0, 1, 3, 4).contiguous()   # (s, c_in, c_out, a, b)


def _check(values_a: torch.Tensor, values_b: torch.Tensor, sums: torch.Tensor) -> None:
    if values_a.dim() != 3 or values_a.shape[-1] != 10 or values_a.shape != values_b.shape:
        raise ValueError(f"digit scores must both be (B, k, 10); got {tuple(values_a.shape)} and "
                         f"{tuple(values_b.shape)}")
    bsz, k, _ = values_a.shape
    if sums.shape != (bsz, k + 1):
        raise ValueError(f"sum digits must be (B, k+1) = ({bsz}, {k + 1}) units first, got {tuple(sums.shape)}")
    if bool(((sums[:, :k] < 0) | (sums[:, :k] > 9)).any()) or bool(((sums[:, k] < 0) | (sums[:, k] > 1)).any()):
        raise ValueError("sum digits must be 0..9, and the leading digit (last column) 0 or 1")


def _dp(va: torch.Tensor, vb: torch.Tensor, sums: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor,
                                                                                    torch.Tensor]:
    """One exact DP pass. mode 'min': maximize min of values; 'sum': maximize the sum of values."""
    bsz, k, _ = va.shape
    if mode == "min":
        pair = torch.minimum(va.unsqueeze(-1), vb.unsqueeze(-2))          # (B, k, 10, 10)
        start = float("inf")
    else:
        pair = va.unsqueeze(-1) + vb.unsqueeze(-2)
        start = 0.0
    f = torch.tensor([start, _NEG], dtype=va.dtype).expand(bsz, 2).clone()   # carry into position 0 is 0
    back_pair = torch.empty(bsz, k, 2, dtype=torch.long)                  # best pair index per c_out
    back_cin = torch.empty(bsz, k, 2, dtype=torch.long)
    neg = torch.full((), _NEG, dtype=va.dtype)
    for p in range(k):
        mask = _ALLOWED[sums[:, p]]                                       # (B, 2, 2, 10, 10)
        v = torch.where(mask, pair[:, p].unsqueeze(1).unsqueeze(1), neg).flatten(-2)   # (B, c_in, c_out, 100)
        best, arg = v.max(-1)                                             # (B, 2, 2)
        if mode == "min":
            cand = torch.minimum(f.unsqueeze(-1), best)                  # (B, c_in, c_out)
        else:
            cand = f.unsqueeze(-1) + best
        cand = torch.where(best == _NEG, neg, cand)
        f, cin = cand.max(1)                                              # (B, c_out)
        back_cin[:, p] = cin
        back_pair[:, p] = torch.gather(arg, 1, cin.unsqueeze(1)).squeeze(1)
    lead = sums[:, k]
    value = torch.gather(f, 1, lead.unsqueeze(1)).squeeze(1)
    a = torch.empty(bsz, k, dtype=torch.long)
    b = torch.empty(bsz, k, dtype=torch.long)
    c_out = lead.clone()
    rows = torch.arange(bsz)
    for p in range(k - 1, -1, -1):
        pidx = back_pair[rows, p, c_out]
        a[:, p], b[:, p] = pidx // 10, pidx % 10
        c_out = back_cin[rows, p, c_out]
    return value, a, b


def abduce(pi_a: torch.Tensor, pi_b: torch.Tensor, sums: torch.Tensor, logp_a: torch.Tensor | None = None,
           logp_b: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Most possible digits consistent with each sum (exact, batched).

    Args:
        pi_a, pi_b: Possibility distributions of the operands' digits, (B, k, 10), units first.
        sums: The sums' digits, (B, k+1), units first.
        logp_a, logp_b: Optional log-probabilities (B, k, 10) breaking ties among the most possible
            assignments (largest total log-probability wins).

    Returns:
        ``(a, b, possibility)``: digits (B, k) each, and the joint possibility min_i π_i(d_i) (B,).
    """
    sums = torch.as_tensor(sums, dtype=torch.long)
    _check(pi_a, pi_b, sums)
    value, a, b = _dp(pi_a, pi_b, sums, "min")
    if logp_a is None or logp_b is None:
        return a, b, value
    _check(logp_a, logp_b, sums)
    # Keep only digits at least as possible as the optimum; the max-sum pass then picks, among the
    # most possible assignments, the most probable one (it exists: the max-min argmax survives).
    thr = value.view(-1, 1, 1)
    la = torch.where(pi_a >= thr, logp_a, torch.full((), _NEG, dtype=logp_a.dtype))
    lb = torch.where(pi_b >= thr, logp_b, torch.full((), _NEG, dtype=logp_b.dtype))
    _, a2, b2 = _dp(la, lb, sums, "sum")
    return a2, b2, value


def max_marginals(pi_a: torch.Tensor, pi_b: torch.Tensor, sums: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Possibility of each digit value given the sum: Π(d_i = v | sum), exact, batched.

    Π(d_i = v | sum) = max over the assignments consistent with the sum that give digit i the value v
    of min_j π_j(d_j) (0 when none is consistent). Forward and backward max–min passes over the carry
    chain; their maximum over v is the possibility of the most possible assignment.

    Returns:
        ``(ma, mb)``, each (B, k, 10).
    """
    sums = torch.as_tensor(sums, dtype=torch.long)
    _check(pi_a, pi_b, sums)
    bsz, k, _ = pi_a.shape
    dt = pi_a.dtype
    zero = torch.zeros((), dtype=dt)
    pair = torch.minimum(pi_a.unsqueeze(-1), pi_b.unsqueeze(-2))                  # (B, k, 10, 10)
    masks = _ALLOWED[sums[:, :k]]                                                 # (B, k, c_in, c_out, 10, 10)
    best = torch.where(masks, pair.unsqueeze(2).unsqueeze(2), zero).amax((-1, -2))   # (B, k, 2, 2)
    fwd = torch.empty(bsz, k + 1, 2, dtype=dt)                                    # possibility of carry into p
    fwd[:, 0] = torch.tensor([1.0, 0.0], dtype=dt)
    for p in range(k):
        fwd[:, p + 1] = torch.minimum(fwd[:, p].unsqueeze(-1), best[:, p]).amax(1)
    bwd = torch.empty(bsz, k + 1, 2, dtype=dt)                                    # possibility of the rest
    bwd[:, k] = torch.nn.functional.one_hot(sums[:, k], 2).to(dt)
    for p in range(k - 1, -1, -1):
        bwd[:, p] = torch.minimum(best[:, p], bwd[:, p + 1].unsqueeze(1)).amax(2)
    ctx = torch.minimum(fwd[:, :k].unsqueeze(-1), bwd[:, 1:].unsqueeze(-2))      # (B, k, c_in, c_out)
    full = torch.where(masks, torch.minimum(pair.unsqueeze(2).unsqueeze(2), ctx[..., None, None]), zero)
    full = full.amax((2, 3))                                                      # (B, k, 10, 10)
    return full.amax(-1), full.amax(-2)
