r"""Visual Sudoku classification: the Π-NeSy pairwise-difference rule base and its learned cascade.

The constraint set F holds every unordered pair of cells f = (i, j, i', j') sharing a row, a column or
a box (56 pairs at 4×4, 810 at 9×9). Per pair, a first-level rule set with output b_f ∈ [size]² and
2·size rules "if a_{i,j} = d then b_f has first component d", "if a_{i',j'} = d then b_f has second
component d". One second-level rule with a conjunctive premise: "if every b_f ∈ {(x, y) : x ≠ y} then
c = 1" (λ = min_f Π_f(x ≠ y), ρ = max_f Π_f(x = y)). Every first-level set has its own (s, r).
Cell digits are 0..size−1.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

from symbolic.possibilistic import transforms
from symbolic.possibilistic.rulebases.learning import (
    certain_rules,
    decide,
    example_distances,
    infer,
    learn_parameters,
    learn_parameters_batched,
    min_threshold,
    single_thread,
    threshold_grid,
)
from symbolic.possibilistic.rulebases.spec import Rule, RuleSetSpec


def sudoku_constraints(size: int) -> list[tuple[int, int, int, int]]:
    """Unordered cell pairs (i, j, i', j') in the same row, column or box, (i, j) < (i', j')."""
    if size not in (4, 9):
        raise ValueError(f"Sudoku size must be 4 or 9, got {size!r}")
    box = math.isqrt(size)
    cells = [(i, j) for i in range(size) for j in range(size)]
    out = []
    for x, (i, j) in enumerate(cells):
        for (ip, jp) in cells[x + 1:]:
            if i == ip or j == jp or (i // box == ip // box and j // box == jp // box):
                out.append((i, j, ip, jp))
    return out


def pair_rules(size: int, f: tuple[int, int, int, int]) -> RuleSetSpec:
    """First-level rule set of the pair f: b_f = (digit of cell (i, j), digit of cell (i', j'))."""
    i, j, ip, jp = f
    dom = tuple((x, y) for x in range(size) for y in range(size))
    digits = tuple(range(size))
    first, second, out = f"a_{i}_{j}", f"a_{ip}_{jp}", f"b_{i}_{j}_{ip}_{jp}"
    rules = []
    for d in digits:
        rules.append(Rule(first, (d,), out, tuple(t for t in dom if t[0] == d)))
        rules.append(Rule(second, (d,), out, tuple(t for t in dom if t[1] == d)))
    return RuleSetSpec(out, "pairs", dom, {first: digits, second: digits}, tuple(rules))


def validity_rule(size: int) -> RuleSetSpec:
    """Second-level rule set, shown with one b_f premise (the conjunction over F is taken in code)."""
    dom = tuple((x, y) for x in range(size) for y in range(size))
    diff = tuple(t for t in dom if t[0] != t[1])
    return RuleSetSpec("c", "validity", (1, 0), {"b_f": dom}, (Rule("b_f", diff, "c", (1,)),))


@dataclass
class SudokuFitReport:
    """What :meth:`SudokuCascade.fit` did (thresholds, validation accuracy, kept examples, time)."""

    thresholds: dict[str, float]
    min_thresholds: dict[str, float]
    valid_accuracy: float
    search: list[dict] = field(default_factory=list)
    kept_pairs_min: int = 0
    kept_pairs_max: int = 0
    kept_validity: int = 0
    seconds: float = 0.0


class SudokuCascade:
    """The Π-NeSy cascade for visual Sudoku classification, batched over puzzles and pairs.

    Args:
        size: 4 or 9.
        transform: ``antipignistic`` or ``minimum_specificity``.
        learn: Learn the rule parameters (False: certain rules).
        search: Greedy threshold search on validation puzzles.
        grid_size, grid_exponent, min_improvement, stagnation: As in :class:`AdditionCascade`.

    Inputs: cell probabilities (N, size, size, size) (last axis: digits 0..size−1).
    """

    def __init__(self, size: int, transform: str = "antipignistic", *, learn: bool = True, search: bool = True,
                 grid_size: int = 30, grid_exponent: float = 5.0, min_improvement: float = 1e-4,
                 stagnation: int = 1, pair_chunk: int = 64) -> None:
        self.size = size
        self.constraints = sudoku_constraints(size)
        if transform not in transforms.TRANSFORMS:
            raise ValueError(f"unknown transform {transform!r}; valid: {', '.join(transforms.TRANSFORMS)}")
        self.transform, self.learn, self.search = transform, learn, search
        self.grid = threshold_grid(grid_size, grid_exponent)
        self.min_improvement, self.stagnation, self.pair_chunk = min_improvement, stagnation, pair_chunk
        spec = pair_rules(size, self.constraints[0])
        part = spec.partition()
        self._inside = torch.as_tensor(part.inside)
        self._value_block = torch.as_tensor(part.value_block)
        self._groups = (tuple(range(0, 2 * size, 2)), tuple(range(1, 2 * size, 2)))
        cells = torch.tensor([(i * size + j, ip * size + jp) for i, j, ip, jp in self.constraints])
        self._cell1, self._cell2 = cells[:, 0], cells[:, 1]
        d = torch.arange(size)
        self._diff = (d.view(-1, 1) != d.view(1, -1)).reshape(-1)        # over values (x, y)
        self._vinside = torch.tensor([[True], [False]])                   # blocks {1}, {0}

    # ------------------------------------------------------------------ helpers

    def _poss(self, probs) -> torch.Tensor:
        t = torch.as_tensor(probs, dtype=torch.float32)
        s = self.size
        if t.dim() != 4 or t.shape[1:] != (s, s, s):
            raise ValueError(f"cell probabilities must have shape (N, {s}, {s}, {s}), got {tuple(t.shape)}")
        return transforms.to_possibility(t.reshape(t.shape[0], s * s, s), self.transform)

    def _pair_degrees(self, pi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """λ, ρ of the 2·size rules of every pair: (N, F, 2·size), rules ordered a-d, b-d, …"""
        top2 = torch.topk(pi, 2, dim=-1)
        arg = top2.indices[..., :1]
        rho_cell = torch.where(torch.arange(self.size) == arg, top2.values[..., 1:], top2.values[..., :1])
        l1, l2 = pi[:, self._cell1], pi[:, self._cell2]
        r1, r2 = rho_cell[:, self._cell1], rho_cell[:, self._cell2]
        lam = torch.stack([l1, l2], -1).flatten(-2)
        rho = torch.stack([r1, r2], -1).flatten(-2)
        return lam, rho

    def _targets(self, cells) -> torch.Tensor:
        c = torch.as_tensor(cells, dtype=torch.long).reshape(len(cells), -1)
        vals = c[:, self._cell1] * self.size + c[:, self._cell2]         # (N, F) value index of (x, y)
        return self._value_block[vals]

    def _validity_degrees(self, out_pairs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        vals = out_pairs[..., self._value_block]                          # (N, F, size²) over values
        zero = torch.zeros((), dtype=vals.dtype)
        lam_f = torch.where(self._diff, vals, zero).amax(-1)
        rho_f = torch.where(~self._diff, vals, zero).amax(-1)
        return lam_f.amin(-1, keepdim=True), rho_f.amax(-1, keepdim=True)  # conjunction over F

    def _pair_outputs(self, lam, rho, s, r) -> torch.Tensor:
        return infer(lam, rho, s, r, self._inside, self._groups)        # (N, F, K)

    # ------------------------------------------------------------------ learning

    def _learn_pairs(self, lam, rho, target, tau: float) -> tuple[torch.Tensor, torch.Tensor, list[int], float]:
        """Learn every pair's (s, r) at threshold τ (each pair falls back to its own minimum)."""
        f_count = lam.shape[1]
        s_all = torch.zeros(f_count, lam.shape[2])
        r_all = torch.zeros_like(s_all)
        kept: list[int] = []
        mins = torch.tensor([min_threshold(self._dists[:, f], self.grid) for f in range(f_count)])
        thr = torch.clamp(mins, min=tau).to(lam.dtype)
        for f0 in range(0, f_count, self.pair_chunk):
            f1 = min(f_count, f0 + self.pair_chunk)
            s, r, k = learn_parameters_batched(lam[:, f0:f1].transpose(0, 1), rho[:, f0:f1].transpose(0, 1),
                                               self._inside, target[:, f0:f1].T, self._dists[:, f0:f1].T,
                                               thr[f0:f1], self._groups)
            s_all[f0:f1], r_all[f0:f1] = s, r
            kept += k.tolist()
        return s_all, r_all, kept, float(mins.max())

    def fit(self, probs, cells, labels, valid: tuple | None = None) -> SudokuCascade:
        """Learn the rule parameters.

        Args:
            probs: Cell probabilities (N, size, size, size).
            cells: True cell digits (N, size, size) (targets of the first-level rule sets).
            labels: 1 valid / 0 invalid per puzzle (N,).
            valid: ``(probs, labels)`` of validation puzzles for the threshold search.
        """
        with single_thread():
            return self._fit(probs, cells, labels, valid)

    def _fit(self, probs, cells, labels, valid: tuple | None = None) -> SudokuCascade:
        start = time.perf_counter()
        pi = self._poss(probs)
        lab = torch.as_tensor(labels, dtype=torch.long)
        if lab.shape != (pi.shape[0],) or bool(((lab != 0) & (lab != 1)).any()):
            raise ValueError(f"labels must be 0/1 of shape ({pi.shape[0]},), got shape {tuple(lab.shape)}")
        lam, rho = self._pair_degrees(pi)
        target = self._targets(cells)
        n_rules = lam.shape[2]
        self._dists = example_distances(lam.reshape(-1, n_rules), rho.reshape(-1, n_rules), self._inside,
                                        target.reshape(-1), self._groups).reshape(target.shape)   # (N, F)
        v_target = torch.where(lab == 1, 0, 1)                            # block 0 = {1}, block 1 = {0}
        cache: dict[float, tuple] = {}

        def fit_pairs(tau: float):
            if tau not in cache:
                cache[tau] = self._learn_pairs(lam, rho, target, tau) if self.learn else None
            return cache[tau]

        def fit_with(th: tuple[float, float]):
            if not self.learn:
                n = 2 * self.size
                self.s_ = torch.zeros(len(self.constraints), n)
                self.r_ = torch.zeros_like(self.s_)
                self.v_ = certain_rules(1)
                return [0], 0.0, 0.0
            s, r, kept, mins1 = fit_pairs(th[0])
            out = self._pair_outputs(lam, rho, s, r)
            lv, rv = self._validity_degrees(out)
            dv = example_distances(lv, rv, self._vinside, v_target)
            mins2 = min_threshold(dv, self.grid)
            self.s_, self.r_ = s, r
            self.v_ = learn_parameters(lv, rv, self._vinside, v_target, dv, max(th[1], mins2))
            return kept, mins1, mins2

        # The pairs' minimal thresholds come from their distances alone; the validity rule's needs the
        # pairs learned at the family minimum (where the search starts anyway).
        m1 = max(min_threshold(self._dists[:, f], self.grid) for f in range(self._dists.shape[1]))
        kept, _, m2 = fit_with((m1, 0.0))
        mins = [m1, m2]
        best = (m1, m2)
        log = []
        acc = float("nan")
        if self.learn and valid is not None:
            fit_with(best)
            acc = self.score(*valid)
            log.append({"thresholds": list(best), "valid_accuracy": acc, "accepted": True})
            if self.search:
                for fam in range(2):
                    stale = 0
                    for tau in self.grid[self.grid > mins[fam]]:
                        if stale >= self.stagnation:
                            break
                        trial = list(best)
                        trial[fam] = float(tau)
                        fit_with((trial[0], trial[1]))
                        a = self.score(*valid)
                        ok = a > acc + self.min_improvement
                        log.append({"thresholds": trial, "valid_accuracy": a, "accepted": ok})
                        if ok:
                            best, acc, stale = (trial[0], trial[1]), a, 0
                        else:
                            stale += 1
        elif valid is not None:
            acc = self.score(*valid)
        kept, _, _ = fit_with(best)
        self.report_ = SudokuFitReport(thresholds={"pairs": best[0], "validity": best[1]},
                                       min_thresholds={"pairs": mins[0], "validity": mins[1]},
                                       valid_accuracy=acc, search=log, kept_pairs_min=min(kept),
                                       kept_pairs_max=max(kept), kept_validity=self.v_.kept,
                                       seconds=time.perf_counter() - start)
        del self._dists
        return self

    # ------------------------------------------------------------------ inference

    def predict_possibility(self, probs) -> torch.Tensor:
        """Possibility of (valid, invalid) per puzzle, (N, 2)."""
        if not hasattr(self, "v_"):
            raise AttributeError("SudokuCascade is not fitted; call fit() first")
        pi = self._poss(probs)
        lam, rho = self._pair_degrees(pi)
        outs = []
        for f0 in range(0, lam.shape[1], self.pair_chunk):
            f1 = f0 + self.pair_chunk
            outs.append(self._validity_degrees(self._pair_outputs(lam[:, f0:f1], rho[:, f0:f1],
                                                                  self.s_[f0:f1], self.r_[f0:f1])))
        lv = torch.stack([o[0] for o in outs]).amin(0)
        rv = torch.stack([o[1] for o in outs]).amax(0)
        return infer(lv, rv, self.v_.s, self.v_.r, self._vinside)        # (N, 2): blocks {1}, {0}

    def predict(self, probs) -> tuple[torch.Tensor, torch.Tensor]:
        """Predicted validity (1 valid / 0 invalid) and ambiguity per puzzle."""
        with single_thread():
            poss = self.predict_possibility(probs)
        idx, amb = decide(poss)
        return 1 - idx, amb

    def decision_scores(self, probs) -> torch.Tensor:
        """π(valid) − π(invalid): a ranking score for ROC-AUC."""
        poss = self.predict_possibility(probs)
        return poss[:, 0] - poss[:, 1]

    def score(self, probs, labels) -> float:
        """Accuracy; an ambiguous prediction counts as wrong."""
        pred, amb = self.predict(probs)
        lab = torch.as_tensor(labels, dtype=torch.long)
        return float(((pred == lab) & ~amb).float().mean())


__all__ = ["SudokuCascade", "pair_rules", "sudoku_constraints", "validity_rule"]
