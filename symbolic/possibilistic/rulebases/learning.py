r"""Batched premise degrees, min–max inference and rule-parameter learning for one rule set.

Everything here works on many examples at once (tensors with a leading batch axis) and uses the
engine's kernels (:mod:`symbolic.possibilistic.kernels`) for ∇, Chebyshev approximations and
lowest approximate solutions.

For a rule set with n rules and output partition of K blocks (``inside`` is (K, n)):

- premise degrees λ_i = Π(P_i) = max_{u∈P_i} π(u), ρ_i = Π(¬P_i) = max_{u∉P_i} π(u);
- inference (the min–max product with Γ(n)): O_k = min_i [max(s_i, λ_i) if block k ⊆ Q_i else
  max(r_i, ρ_i)];
- learning system of one example: A has, per block and rule, the pair (λ_i, 1) inside Q_i and
  (1, ρ_i) outside; unknowns x = (s_1, r_1, …, s_n, r_n); target y = 1 on the true block, 0 elsewhere.

Learning from many examples follows Π-NeSy: per-example ∇ (exact, O(KM) each since y is 0/1),
keep the examples with ∇ < τ, replace their targets by their lowest Chebyshev approximations,
stack, compute the stacked system's row distances, ∇_NC = max of those below τ, and return the
lowest approximate solution with ∇_NC.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from symbolic.possibilistic import kernels

#: Relative tolerance of the ε-product (the Π-NeSy code's ``epsilon``).
EPS_TOL = 1e-3
#: Elements per temporary (B, K, 2n) tensor in chunked per-example computations.
CHUNK = 1 << 23


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch ops on one thread inside the block (restored after).

    The cascades issue many small tensor ops; on a shared 2-core machine, torch's intra-op thread
    pool then mostly waits for the other thread (measured 10× slower learning under load).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def threshold_grid(n: int = 30, exponent: float = 5.0, eps: float = EPS_TOL) -> np.ndarray:
    """Threshold candidates τ_i = (i/n)^exponent · (1 + eps), i = 1..n, ascending."""
    if n < 1 or exponent <= 0:
        raise ValueError(f"threshold grid needs n >= 1 and exponent > 0, got n={n}, exponent={exponent}")
    i = np.arange(1, n + 1, dtype=np.float64)
    return (i / n) ** exponent * (1 + eps)


def premise_degrees(pi: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """λ and ρ of rules whose premises are value sets of one attribute.

    Args:
        pi: Possibility distributions of the attribute, (..., D).
        mask: Boolean (n, D), row i = premise set P_i.

    Returns:
        (λ, ρ), each (..., n).
    """
    if mask.shape[0] == 1:
        inn, out = _single_index(mask)
        zero = torch.zeros(pi.shape[:-1] + (1,), dtype=pi.dtype)
        lam = pi[..., inn].amax(-1, keepdim=True) if len(inn) else zero
        rho = pi[..., out].amax(-1, keepdim=True) if len(out) else zero
        return lam, rho
    table = _equal_groups(mask)
    if table is not None:
        # Premises partition the domain into equal-size sets: one gather + max per premise, and
        # ρ_i = the largest λ of the other premises (read off the top two).
        lam = pi[..., table].amax(-1)
        top = torch.topk(lam, 2, dim=-1)
        rho = torch.where(torch.arange(mask.shape[0]) == top.indices[..., :1], top.values[..., 1:],
                          top.values[..., :1])
        return lam, rho
    if bool((mask.sum(0) <= 1).all()):
        return _disjoint_degrees(pi, mask)
    x = pi.unsqueeze(-2)
    zero = torch.zeros((), dtype=pi.dtype)
    lam = torch.where(mask, x, zero).amax(-1)
    rho = torch.where(~mask, x, zero).amax(-1)
    return lam, rho


_TABLES: dict[int, tuple] = {}


def _equal_groups(mask: torch.Tensor) -> torch.Tensor | None:
    hit = _TABLES.get(id(mask))
    if hit is None or hit[0] is not mask:
        counts = mask.sum(1)
        table = None
        if mask.shape[0] >= 2 and bool((mask.sum(0) == 1).all()) and bool((counts == counts[0]).all()):
            table = torch.stack([torch.nonzero(row).flatten() for row in mask])
        hit = (mask, table)
        _TABLES[id(mask)] = hit
    return hit[1]


_SINGLE: dict[int, tuple] = {}


def _single_index(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    hit = _SINGLE.get(id(mask))
    if hit is None or hit[0] is not mask:
        hit = (mask, torch.nonzero(mask[0]).flatten(), torch.nonzero(~mask[0]).flatten())
        _SINGLE[id(mask)] = hit
    return hit[1], hit[2]


def _disjoint_degrees(pi: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # Disjoint premises: one segment max per premise (plus one for the values in no premise), then
    # ρ_i = the largest segment max other than i's, read off the top two segment maxima.
    n, d = mask.shape
    group = torch.where(mask.any(0), mask.to(torch.int64).argmax(0), torch.full((d,), n))
    flat = pi.reshape(-1, d)
    g = torch.zeros(flat.shape[0], n + 1, dtype=pi.dtype)
    g.scatter_reduce_(1, group.expand_as(flat), flat, reduce="amax", include_self=True)
    top = torch.topk(g, 2, dim=1) if n + 1 >= 2 else None
    lam = g[:, :n]
    first, second = top.values[:, :1], top.values[:, 1:]
    rho = torch.where(torch.arange(n) == top.indices[:, :1], second, first)
    return lam.reshape(*pi.shape[:-1], n), rho.reshape(*pi.shape[:-1], n)


Groups = tuple[tuple[int, ...], ...] | None


def infer(lam: torch.Tensor, rho: torch.Tensor, s: torch.Tensor, r: torch.Tensor,
          inside: torch.Tensor, groups: Groups = None) -> torch.Tensor:
    """Min–max inference: possibility of each output block, (..., K), from λ, ρ (..., n).

    O_k = min_i [max(s_i, λ_i) if block k ⊆ Q_i else max(r_i, ρ_i)].

    Args:
        groups: Optional partition of the rules (column indices), e.g. by premise attribute. The
            min is taken per group over the group's distinct inside-patterns and then gathered to the
            blocks: for the pair tuples (10 patterns per digit group instead of 200 blocks) this is
            several times less work than the dense (K, n) product, with the same result.
    """
    pos = torch.maximum(s, lam)
    neg = torch.maximum(r, rho)
    if groups is None or len(groups) < 2:
        return torch.where(inside, pos.unsqueeze(-2), neg.unsqueeze(-2)).amin(-1)
    out = None
    for cols, patterns, block_pattern in _plan(inside, groups):
        f = torch.where(patterns, pos[..., cols].unsqueeze(-2), neg[..., cols].unsqueeze(-2)).amin(-1)
        f = f[..., block_pattern]
        out = f if out is None else torch.minimum(out, f)
    assert out is not None
    return out


_PLANS: dict[tuple, tuple] = {}


def _plan(inside: torch.Tensor, groups: tuple[tuple[int, ...], ...]):
    key = (id(inside), groups)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is inside:
        return hit[1]
    cover = sorted(i for g in groups for i in g)
    if cover != list(range(inside.shape[1])):
        raise ValueError(f"rule groups {groups} do not partition the {inside.shape[1]} rules")
    plan = []
    for g in groups:
        cols = torch.tensor(g, dtype=torch.long)
        patterns, block_pattern = torch.unique(inside[:, cols], dim=0, return_inverse=True)
        plan.append((cols, patterns, block_pattern))
    _PLANS[key] = (inside, plan)
    return plan


def learning_matrix(lam: torch.Tensor, rho: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    """Matrices A(λ, ρ) of the examples' equation systems, (B, K, 2n)."""
    one = torch.ones((), dtype=lam.dtype)
    a_s = torch.where(inside, lam.unsqueeze(-2), one)  # column s_i
    a_r = torch.where(inside, one, rho.unsqueeze(-2))  # column r_i
    return torch.stack([a_s, a_r], dim=-1).flatten(-2)


def _chunks(b: int, k: int, n: int):
    step = max(1, CHUNK // max(1, k * 2 * n))
    for i in range(0, b, step):
        yield slice(i, min(b, i + step))


def example_distances(lam: torch.Tensor, rho: torch.Tensor, inside: torch.Tensor,
                      target: torch.Tensor, groups: Groups = None) -> torch.Tensor:
    """∇ of each example's system A(λ, ρ) □ x = onehot(target), (B,).

    With y one-hot on block t, ∇_t = 0 and, for k ≠ t, ∇_k = min_j max(a_kj, T_j) with
    T_j = min(1/2, 1 − a_tj) (the 0/1 case of the closed form). Column s_i has a_kj = λ_i inside Q_i
    and 1 outside; column r_i has 1 inside and ρ_i outside. So ∇_k is the min–max inference of
    block k with s_i := T(s_i) = [t ⊆ Q_i]·min(1/2, 1 − λ_i) and r_i := [t ⊄ Q_i]·min(1/2, 1 − ρ_i):
    O(Kn) per example instead of the (K, 2n) matrix. Tests check it against the engine's kernel.
    """
    k, n = inside.shape
    out = torch.empty(lam.shape[0], dtype=lam.dtype)
    half = torch.full((), 0.5, dtype=lam.dtype)
    zero = torch.zeros((), dtype=lam.dtype)
    for sl in _chunks(lam.shape[0], k, n // 2 + 1):
        la, rh, t = lam[sl], rho[sl], target[sl]
        in_t = inside[t]                                                  # (b, n)
        ts = torch.where(in_t, torch.minimum(half, 1 - la), zero)
        tr = torch.where(in_t, zero, torch.minimum(half, 1 - rh))
        rows = infer(la, rh, ts, tr, inside, groups)                      # (b, K)
        rows.scatter_(1, t.unsqueeze(1), 0.0)
        out[sl] = rows.amax(1)
    return out


def chebyshev_approximations(lam: torch.Tensor, rho: torch.Tensor, inside: torch.Tensor, target: torch.Tensor,
                             distances: torch.Tensor, groups: Groups = None) -> torch.Tensor:
    """Lowest Chebyshev approximation ŷ = A □ (Aᵀ □_ε (y − ∇)⁺) of each one-hot target, (B, K).

    (y − ∇)⁺ is 1 − ∇ on the true block t and 0 elsewhere, so x̌_{s_i} = (λ_i ε (1 − ∇)) when
    t ⊆ Q_i (else 0) and x̌_{r_i} = (ρ_i ε (1 − ∇)) when t ⊄ Q_i (else 0); then ŷ = inference with
    (s, r) = x̌. Tests check it against the engine's kernel.
    """
    k, n = inside.shape
    out = torch.empty(lam.shape[0], k, dtype=lam.dtype)
    for sl in _chunks(lam.shape[0], k, n // 2 + 1):
        la, rh, t = lam[sl], rho[sl], target[sl]
        z = (1 - distances[sl]).clamp_min(0).unsqueeze(1)                 # (b, 1)
        in_t = inside[t]
        xs = torch.where(in_t & _eps_less(la, z), z, 0.0)
        xr = torch.where(~in_t & _eps_less(rh, z), z, 0.0)
        out[sl] = infer(la, rh, xs, xr, inside, groups)
    return out


def _eps_less(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a < b and not within the relative tolerance of the ε-product (as in the engine's kernel)."""
    scale = (torch.maximum(a.abs(), b.abs()) * EPS_TOL).clamp_min(1e-9)
    return (a < b) & ((a - b).abs() > scale)


def min_threshold(distances: torch.Tensor, grid: np.ndarray) -> float:
    """Smallest grid threshold with at least one example whose ∇ lies strictly below it."""
    lowest = float(distances.min()) if distances.numel() else float("inf")
    above = grid[grid > lowest]
    if above.size == 0:
        raise ValueError(f"no threshold of the grid (max {grid.max():.4g}) keeps any example "
                         f"(smallest example distance {lowest:.4g})")
    return float(above[0])


@dataclass
class LearnedRuleSet:
    """Learned parameters of one rule set.

    Attributes:
        s: π(q|¬p) per rule, (n,).
        r: π(¬q|p) per rule, (n,).
        kept: Number of training examples kept (∇ < τ).
        threshold: The threshold τ used.
        nabla: ∇_NC of the stacked system.
    """

    s: torch.Tensor
    r: torch.Tensor
    kept: int
    threshold: float
    nabla: float


def learn_parameters(lam: torch.Tensor, rho: torch.Tensor, inside: torch.Tensor, target: torch.Tensor,
                     distances: torch.Tensor, threshold: float, groups: Groups = None) -> LearnedRuleSet:
    """Learn (s, r) of one rule set from many examples (Π-NeSy's ``RuleParametersLearning``).

    Args:
        lam, rho: Premise degrees of the training examples, (B, n).
        inside: Γ sign pattern, (K, n).
        target: Index of each example's true output block, (B,).
        distances: Each example's ∇ (from :func:`example_distances`), (B,).
        threshold: Keep the examples with ∇ < threshold.
        groups: Rule groups for the inference shortcut (see :func:`infer`).
    """
    k, n = inside.shape
    keep = distances < threshold
    kept = int(keep.sum())
    if kept == 0:
        raise ValueError(f"threshold {threshold:.4g} keeps no training example (smallest ∇ "
                         f"{float(distances.min()):.4g})")
    lam_k, rho_k, t_k, d_k = lam[keep], rho[keep], target[keep], distances[keep]
    A = learning_matrix(lam_k, rho_k, inside)                                  # (B', K, 2n)
    y_hat = chebyshev_approximations(lam_k, rho_k, inside, t_k, d_k, groups)          # consistent per example
    G, Y = A.reshape(-1, 2 * n), y_hat.reshape(-1)
    rows = kernels.chebyshev_rows(G, Y)
    below = rows < threshold
    nabla_nc = float(rows[below].max()) if bool(below.any()) else 0.0
    x = kernels.lowest_approximate_solution(G, Y, nabla_nc, tol=EPS_TOL)
    return LearnedRuleSet(s=x[0::2].clone(), r=x[1::2].clone(), kept=kept, threshold=float(threshold),
                          nabla=nabla_nc)


def certain_rules(n: int, dtype: torch.dtype = torch.float32) -> LearnedRuleSet:
    """Parameters s = r = 0 (every rule certain): the ablation without possibilistic learning."""
    z = torch.zeros(n, dtype=dtype)
    return LearnedRuleSet(s=z, r=z.clone(), kept=0, threshold=float("nan"), nabla=0.0)


def decide(poss: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Arg-max value and ambiguity (a tie at the maximum) of possibility distributions (..., D)."""
    top = poss.amax(-1, keepdim=True)
    ties = (poss == top).sum(-1)
    return poss.argmax(-1), ties > 1


def learn_parameters_batched(lam: torch.Tensor, rho: torch.Tensor, inside: torch.Tensor, target: torch.Tensor,
                             distances: torch.Tensor, thresholds: torch.Tensor,
                             groups: Groups = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`learn_parameters` for F rule sets of the same structure at once.

    The examples a rule set does not keep stay in its stacked system as neutral rows (a = 1, y = 0):
    such a row adds nothing to another row's ∇ (its (y_l − y_k)⁺ is 0), nothing to the lowest
    approximate solution (a ε 0 = 0), and is left out of NC. So one batched system per rule set gives
    the same (s, r) as stacking only the kept examples.

    Args:
        lam, rho: (F, B, n). target, distances: (F, B). thresholds: (F,).

    Returns:
        ``(s, r, kept)``: (F, n), (F, n), (F,).
    """
    f_count, b, n = lam.shape
    k = inside.shape[0]
    keep = distances < thresholds.unsqueeze(1)
    if not bool(keep.any(1).all()):
        raise ValueError("a threshold keeps no training example for some rule set")
    # Only kept examples matter: move them to the front and drop the columns no rule set needs.
    m = int(keep.sum(1).max())
    order = torch.argsort(keep.to(torch.int8), dim=1, descending=True, stable=True)[:, :m]
    keep = torch.gather(keep, 1, order)
    lam = torch.gather(lam, 1, order.unsqueeze(-1).expand(-1, -1, n))
    rho = torch.gather(rho, 1, order.unsqueeze(-1).expand(-1, -1, n))
    target, distances = torch.gather(target, 1, order), torch.gather(distances, 1, order)
    b = m
    A = learning_matrix(lam.reshape(-1, n), rho.reshape(-1, n), inside).reshape(f_count, b, k, 2 * n)
    y_hat = chebyshev_approximations(lam.reshape(-1, n), rho.reshape(-1, n), inside, target.reshape(-1),
                                     distances.reshape(-1), groups).reshape(f_count, b, k)
    A = torch.where(keep[..., None, None], A, torch.ones((), dtype=A.dtype))
    Y = torch.where(keep[..., None], y_hat, torch.zeros((), dtype=y_hat.dtype))
    G, Y = A.reshape(f_count, b * k, 2 * n), Y.reshape(f_count, b * k)
    rows = kernels.chebyshev_rows(G, Y, method="fast")
    real = keep.repeat_interleave(k, 1)
    below = (rows < thresholds.unsqueeze(1)) & real
    nabla = torch.where(below, rows, torch.zeros((), dtype=rows.dtype)).amax(1)
    x = kernels.lowest_approximate_solution(G, Y, nabla, tol=EPS_TOL)
    return x[:, 0::2].contiguous(), x[:, 1::2].contiguous(), keep.sum(1)
