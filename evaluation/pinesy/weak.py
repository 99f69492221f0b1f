r"""Learning the digits from sums alone: possibilistic abduction by dynamic programming.

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

The abduced digits are the CNN's pseudo-labels: each mini-batch of examples is abduced under the
current CNN and the CNN takes one cross-entropy step on them (abduction is iterated at every step).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from symbolic.possibilistic import transforms
from symbolic.possibilistic.rulebases.learning import single_thread

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


@dataclass
class WeakTrainResult:
    """Outcome of weakly supervised training.

    Attributes:
        seconds: Training wall time.
        history: Per epoch: pseudo-label agreement with the hidden truth (diagnostic only, never used
            for training), mean loss, seconds.
    """

    seconds: float
    history: list[dict] = field(default_factory=list)


def train_from_sums(model: nn.Module, images: np.ndarray, index: np.ndarray, sums: np.ndarray, *,
                    transform: str = "antipignistic", epochs: int = 3, images_per_batch: int = 256,
                    lr: float = 1e-3, seed: int = 0, true_labels: np.ndarray | None = None,
                    time_budget: float | None = None, soft_epochs: int = 1) -> WeakTrainResult:
    """Train a digit CNN from sum labels only, by possibilistic abduction at every step.

    Args:
        model: CNN mapping (N, 28, 28) images to 10 logits.
        images: The split's images (N, 28, 28).
        index: Image indices of the examples, (n, 2, k), position 0 = units.
        sums: Sum digits (n, k+1), units first.
        transform: Probability → possibility transform used by the abduction.
        epochs: Passes over the examples.
        images_per_batch: Images per optimization step (whole examples; at least one example).
        lr: Adam learning rate.
        seed: Seeds initialization-independent randomness (example order, dropout).
        true_labels: Hidden digit labels of the split, used *only* to report pseudo-label agreement.
        time_budget: Stop after this many seconds (checked after every step).
        soft_epochs: For the first epochs, train towards the normalized possibility of each digit
            given the sum (:func:`max_marginals`: every value some consistent assignment allows, weighted
            by that assignment's possibility) instead of the single most possible assignment. From a
            random CNN every consistent digit is about equally possible, so this starts as learning
            from candidate sets and sharpens into the hard abduction as the CNN learns; hard
            pseudo-labels alone reinforce the random CNN's arbitrary first guesses.

    Each image's loss is weighted by how much the sum tells about it: 1 − entropy/log 10 of the soft
    target, or, for a hard pseudo-label, its relative necessity 1 − max_{v ≠ d} Π(v) / Π(d). Middle
    digits of long numbers are unconstrained while the CNN knows nothing (any digit fits some
    carries), so their near-uniform targets would otherwise pull the CNN towards uniform outputs
    while the units and leading positions, which the sum does constrain, teach it the digits.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    with single_thread():
        return _train(model, images, index, sums, transform, epochs, images_per_batch, lr, seed, true_labels,
                      time_budget, soft_epochs)


def _train(model, images, index, sums, transform, epochs, images_per_batch, lr, seed, true_labels, time_budget,
           soft_epochs) -> WeakTrainResult:
    index = np.asarray(index)
    if index.ndim != 3 or index.shape[1] != 2:
        raise ValueError(f"index must be (n, 2, k), got {index.shape}")
    n, _, k = index.shape
    sums_t = torch.as_tensor(np.asarray(sums), dtype=torch.long)
    if sums_t.shape != (n, k + 1):
        raise ValueError(f"sums must be (n, k+1) = ({n}, {k + 1}), got {tuple(sums_t.shape)}")
    x = torch.as_tensor(images, dtype=torch.float32)
    per = max(1, images_per_batch // (2 * k))
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    history = []
    idx_t = torch.as_tensor(index, dtype=torch.long)
    truth = None if true_labels is None else torch.as_tensor(np.asarray(true_labels), dtype=torch.long)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        soft = epoch < soft_epochs
        model.train()
        order = torch.randperm(n, generator=gen)
        agree, seen, total = 0, 0, 0.0
        stop = False
        for i in range(0, n, per):
            ex = order[i:i + per]
            img_idx = idx_t[ex]                                           # (m, 2, k)
            logits = model(x[img_idx.reshape(-1)])                        # (m*2k, 10)
            with torch.no_grad():
                logp = torch.log_softmax(logits.detach(), -1).view(len(ex), 2, k, 10)
                pi = transforms.to_possibility(logp.exp(), transform)
                a, b, _ = abduce(pi[:, 0], pi[:, 1], sums_t[ex], logp[:, 0], logp[:, 1])
                pseudo = torch.stack([a, b], 1).reshape(-1)
                ma, mb = max_marginals(pi[:, 0], pi[:, 1], sums_t[ex])
                poss = torch.stack([ma, mb], 1).reshape(-1, 10)             # Π(d_i = v | sum)
                if soft:
                    target = poss / poss.sum(-1, keepdim=True)
                    entropy = -(target * target.clamp_min(1e-12).log()).sum(-1)
                    weight = 1 - entropy / math.log(10)
                else:
                    # necessity of the abduced digit given the sum, relative to its possibility
                    top = poss.gather(1, pseudo.unsqueeze(1)).squeeze(1).clamp_min(1e-12)
                    other = poss.scatter(1, pseudo.unsqueeze(1), 0.0).amax(1)
                    weight = (1 - other / top).clamp_min(0)
            logq = torch.log_softmax(logits, -1)
            ce = -(target * logq).sum(-1) if soft else -logq.gather(1, pseudo.unsqueeze(1)).squeeze(1)
            loss = (weight * ce).sum() / weight.sum().clamp_min(1e-6)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(pseudo)
            seen += len(pseudo)
            if truth is not None:
                agree += int((pseudo == truth[img_idx.reshape(-1)]).sum())
            if time_budget is not None and time.perf_counter() - start > time_budget:
                stop = True
                break
        history.append({"epoch": epoch + 1, "loss": total / max(seen, 1),
                        "pseudo_label_agreement": agree / seen if truth is not None and seen else float("nan"),
                        "seconds": time.perf_counter() - t0})
        if stop:
            break
    model.eval()
    return WeakTrainResult(seconds=time.perf_counter() - start, history=history)
