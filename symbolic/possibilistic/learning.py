"""Learning rule parameters (s, r) from many samples by min–max equation systems.

For each training sample e, the rule set gives a system A^(e) x = y^(e) (A from the premise degrees,
y = 1 on the block of the true label, 0 elsewhere; unknowns x = [s_1, r_1, …, s_n, r_n]). Then:

1. ∇^(e), the Chebyshev distance of each sample's system (:func:`sample_distances`, batched).
2. A threshold τ from the grid τ_i = (i/n)^p (1 + ε), i = 1..n (:func:`threshold_grid`; Π-NeSy uses
   n = 30, p = 5, ε = 1e-3). τ_min is the smallest grid value with at least one ∇^(e) < τ.
3. Keep the samples with ∇^(e) < τ and replace each kept y^(e) by its lowest Chebyshev approximation,
   so that every kept block is consistent on its own.
4. Stack the kept systems into one system Γ x = Y, compute its row terms ∇_i (the fast kernel makes
   this O(NM log N); when the stacked system is consistent, which an O(NM) test detects, all are 0),
   NC = {i : ∇_i < τ} and ∇_NC = max_{i∈NC} ∇_i.
5. The parameters are the lowest approximate solution Γᵀ □_ε (Y − ∇_NC)⁺, split into s and r.

:func:`learn_parameters` does steps 3–5 (for one rule set, or for many of the same shape at once);
:func:`greedy_threshold_search` is Π-NeSy's search of one threshold per family on validation accuracy,
which the estimators drive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from symbolic.possibilistic._tensor import ArrayLike, as_tensor
from symbolic.possibilistic.errors import PossibilisticError, ShapeError
from symbolic.possibilistic.kernels import Method, _eps_product, _minmax, chebyshev_rows

#: Π-NeSy's default grid: 30 points, exponent 5, ε = 1e-3.
DEFAULT_GRID = (30, 5.0, 1e-3)


def threshold_grid(n: int = 30, exponent: float = 5.0, epsilon: float = 1e-3) -> np.ndarray:
    """Candidate thresholds τ_i = (i/n)^exponent · (1 + epsilon), i = 1..n, ascending.

    Raises:
        ValueError: n < 1, exponent ≤ 0 or epsilon < 0.
    """
    if n < 1 or exponent <= 0 or epsilon < 0:
        raise ValueError(f"threshold_grid needs n >= 1, exponent > 0, epsilon >= 0; got {n}, {exponent}, {epsilon}")
    i = np.arange(1, n + 1, dtype=np.float64)
    return (i / n) ** exponent * (1.0 + epsilon)


def sample_distances(A: ArrayLike, Y: ArrayLike, *, method: Method = "auto") -> torch.Tensor:
    """Chebyshev distance ∇^(e) of each sample's system, shape (B,).

    Args:
        A: Learning matrices (B, K, M).
        Y: Targets (B, K).
        method: ∇ kernel (``"auto"`` uses the O(KM) path for 0/1 targets).
    """
    At = as_tensor(A, "A", min_dim=3)
    Yt = as_tensor(Y, "Y", dtype=At.dtype, device=At.device)
    return chebyshev_rows(At, Yt, method=method, check=False).amax(-1)


def minimal_threshold(distances: ArrayLike, grid: ArrayLike) -> float:
    """τ_min: the smallest grid value with at least one distance strictly below it.

    Raises:
        PossibilisticError: no distance is below the largest grid value.
    """
    d = np.asarray(torch.as_tensor(distances).detach().cpu().numpy() if isinstance(distances, torch.Tensor)
                   else distances, dtype=np.float64)
    g = np.sort(np.asarray(grid, dtype=np.float64))
    if d.size == 0:
        raise PossibilisticError("minimal_threshold: no samples")
    ok = g > d.min()
    if not ok.any():
        raise PossibilisticError(f"minimal_threshold: the smallest Chebyshev distance {d.min():.6g} is not "
                                 f"below the largest threshold {g[-1]:.6g}; widen the grid")
    return float(g[ok][0])


@dataclass
class LearnedParameters:
    """Result of :func:`learn_parameters`.

    Attributes:
        s: Learned s_i, shape (n,).
        r: Learned r_i, shape (n,).
        threshold: The τ used.
        kept: Indices of the kept samples (∇^(e) < τ).
        nabla_nc: ∇_NC, the distance used for the lowest approximate solution.
        stacked_shape: (rows, columns) of the stacked system.
        seconds: Wall time of the call.
    """

    s: np.ndarray
    r: np.ndarray
    threshold: float
    kept: np.ndarray
    nabla_nc: float
    stacked_shape: tuple[int, int]
    seconds: float
    extra: dict = field(default_factory=dict)

    @property
    def n_kept(self) -> int:
        """Number of kept samples."""
        return int(self.kept.size)


def learn_parameters(A: ArrayLike, Y: ArrayLike, threshold: float | ArrayLike, *,
                     distances: ArrayLike | None = None, tol: float = 1e-3,
                     method: Method = "auto") -> LearnedParameters | list[LearnedParameters]:
    """Learn (s, r) from the samples whose ∇^(e) < threshold (steps 3–5 of the module docstring).

    One rule set: ``A`` (B, K, 2n), ``Y`` (B, K), a float threshold. F rule sets of the same shape at
    once (e.g. the pair rule sets of every Sudoku constraint): ``A`` (F, B, K, 2n), ``Y`` (F, B, K),
    thresholds (F,) or a float; the samples a rule set does not keep enter its stacked system as neutral
    rows (a = 1, y = 0), which change no ε-product and no other row's ∇, so padding with dropped
    samples is harmless.

    Args:
        A: Learning matrices (see :meth:`RuleSet.learning_matrix`).
        Y: Targets (see :meth:`RuleSet.block_targets`).
        threshold: τ; samples with ∇^(e) < τ are kept.
        distances: Precomputed ∇^(e) ((B,) or (F, B)), else computed here.
        tol: ε-product tolerance of the Chebyshev approximations and of the solution (Π-NeSy uses 1e-3:
            values that close, relatively, count as equal); 0 gives the exact lowest solutions.
        method: ∇ kernel for the stacked system (``"auto"`` → fast).

    Returns:
        A :class:`LearnedParameters`, or a list of F of them for batched input.

    Raises:
        ShapeError: A and Y do not match or A has an odd number of columns.
        PossibilisticError: no sample is below the threshold (of some rule set).
    """
    t0 = time.perf_counter()
    At = as_tensor(A, "A", min_dim=3)
    Yt = as_tensor(Y, "Y", dtype=At.dtype, device=At.device)
    if Yt.shape != At.shape[:-1]:
        raise ShapeError(f"Y has shape {tuple(Yt.shape)} but A has shape {tuple(At.shape)}; expected Y of "
                         f"shape {tuple(At.shape[:-1])}")
    if At.shape[-1] % 2:
        raise ShapeError(f"A has {At.shape[-1]} columns; a learning system has 2 per rule (s_i, r_i)")
    if At.dim() > 4:
        raise ShapeError(f"A has shape {tuple(At.shape)}; expected (B, K, 2n) or (F, B, K, 2n)")
    single = At.dim() == 3
    if single:
        At, Yt = At.unsqueeze(0), Yt.unsqueeze(0)
    f_count = At.shape[0]
    if distances is None:
        d = sample_distances(At, Yt)
    else:
        d = as_tensor(distances, "distances", dtype=At.dtype, device=At.device)
        if d.shape != (At.shape[1],) * single + At.shape[:2] * (not single):
            raise ShapeError(f"distances has shape {tuple(d.shape)}; expected "
                             f"{(At.shape[1],) if single else tuple(At.shape[:2])}")
        d = d.reshape(At.shape[:2])
    thr = torch.as_tensor(threshold, dtype=torch.float64).reshape(-1).expand(f_count)
    keep = d < thr.to(d.dtype).unsqueeze(1)
    counts = keep.sum(1)
    if bool((counts == 0).any()):
        f = int(torch.nonzero(counts == 0)[0])
        raise PossibilisticError(f"no sample has a Chebyshev distance below the threshold {float(thr[f]):.6g} "
                                 f"(smallest is {float(d[f].min()):.6g}); use a larger threshold")
    if single:
        # Only the kept samples (no padding).
        kept_idx = torch.nonzero(keep[0]).reshape(-1)
        Ak, Yk, dk, real = At[:, kept_idx], Yt[:, kept_idx], d[:, kept_idx], None
    else:
        Ak, Yk, dk, real = At, Yt, d, keep
    # Lowest Chebyshev approximation of each kept sample. Π-NeSy applies its ε tolerance here too; with
    # tol > 0 an approximation may miss consistency slightly, which the stacked ∇ below absorbs.
    Yhat = _minmax(Ak, _eps_product(Ak, (Yk - dk.unsqueeze(-1)).clamp_min(0), tol))
    if real is not None:
        Ak = torch.where(real[..., None, None], Ak, torch.ones((), dtype=Ak.dtype, device=Ak.device))
        Yhat = torch.where(real[..., None], Yhat, torch.zeros((), dtype=Yhat.dtype, device=Yhat.device))
    G = Ak.reshape(f_count, -1, Ak.shape[-1])
    Ys = Yhat.reshape(f_count, -1)
    if single and bool((_minmax(G, _eps_product(G, Ys, 0.0)) == Ys).all()):
        # A consistent stacked system (the usual case for one rule set): every ∇_i is 0, no need for the
        # O(NM log N) kernel. Batches of many rule sets rarely are all consistent: no test there.
        nabla = torch.zeros(f_count, dtype=G.dtype, device=G.device)
    else:
        rows = chebyshev_rows(G, Ys, method="fast" if method == "auto" else method, check=False)
        nc = rows < thr.to(rows.dtype).unsqueeze(1)
        if real is not None:
            nc &= real.repeat_interleave(Ak.shape[2], 1)
        nabla = torch.where(nc, rows, torch.zeros((), dtype=rows.dtype, device=rows.device)).amax(1)
    x = _eps_product(G, (Ys - nabla.unsqueeze(1)).clamp_min(0), tol)
    x_np = x.detach().cpu().numpy().astype(np.float64)
    seconds = time.perf_counter() - t0
    out = []
    for f in range(f_count):
        kept = (kept_idx if single else torch.nonzero(keep[f]).reshape(-1)).cpu().numpy()
        out.append(LearnedParameters(
            s=x_np[f, 0::2].copy(), r=x_np[f, 1::2].copy(), threshold=float(thr[f]), kept=kept,
            nabla_nc=float(nabla[f]), stacked_shape=(int(G.shape[1]), int(G.shape[2])), seconds=seconds))
    return out[0] if single else out


SearchHistory = list[tuple[dict[str, float], float]]


def greedy_threshold_search(evaluate: Callable[[dict[str, float]], float], start: Mapping[str, float],
                            grid: ArrayLike, *, min_improvement: float = 0.01,
                            stagnation: int = 1) -> tuple[dict[str, float], float, SearchHistory]:
    """Π-NeSy's greedy threshold search over families of rule sets.

    Start from ``start`` (each family's τ_min); for each family in turn try the larger grid values in
    ascending order, accepting a move only when the score grows by more than ``min_improvement``,
    and move to the next family after ``stagnation`` non-improving tries.

    Args:
        evaluate: Thresholds (family → τ) → validation score (higher is better).
        start: Family → starting threshold, in search order.
        grid: Candidate thresholds (see :func:`threshold_grid`).
        min_improvement: Score gain needed to accept a move.
        stagnation: Non-improving tries before the next family.

    Returns:
        ``(best thresholds, best score, history)``; history lists every configuration tried with its
        score, the start first.
    """
    best = dict(start)
    best_score = evaluate(dict(best))
    history = [(dict(best), best_score)]
    for fam in list(best):
        misses = 0
        for tau in (float(g) for g in np.asarray(grid) if g > start[fam]):
            if misses >= stagnation:
                break
            trial = dict(best)
            trial[fam] = tau
            score = evaluate(dict(trial))
            history.append((dict(trial), score))
            if score > best_score + min_improvement:
                best, best_score, misses = trial, score, 0
            else:
                misses += 1
    return best, best_score, history
