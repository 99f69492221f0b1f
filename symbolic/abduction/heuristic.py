"""Heuristic solver: greedy search over per-sample options with a confidence tie-breaker.

The rate constraint ``q·I <= p·|E|`` is a budget: every accepted consistent atom adds ``p`` units of
*slack*, every inconsistent one costs ``q - p``. The search works in three vectorised steps:

1. **Base.** For each sample and each *anchor* label among its unflagged atoms, take the anchor plus
   every unflagged label that does not conflict with it (a consistent option, since in a label
   hierarchy those labels are pairwise compatible; options with an internal conflict are repaired
   by a small greedy pass). Keep the option with the most slack (coverage first, then atom count,
   then weight). Inconsistency stays 0, slack is maximal.
2. **Cover.** Samples left uncovered can be covered by one flagged covering atom, dropping the base
   labels that conflict with it; cost ``q - p + p · (dropped atoms)``. Options are taken cheapest
   first (ties: larger tie-break gain) while the slack lasts.
3. **Tie-break.** With the slack left, samples switch to their heaviest consistent option (the one
   the secondary objective prefers), best gain per slack first.

The result is always feasible (checked with :meth:`AbductionProblem.evaluate`) but optimality is
not proven; the status is ``feasible`` (``unknown`` when ``min_coverage`` is not reached).
"""

from __future__ import annotations

import time

import numpy as np

from symbolic.abduction.problem import AbductionProblem
from symbolic.abduction.result import AbductionResult


def _dense(problem: AbductionProblem, mask: np.ndarray, values: np.ndarray, how: str = "sum") -> np.ndarray:
    n_labels = len(problem.constraints.labels)
    out = np.zeros((problem.n_samples, n_labels), dtype=values.dtype if how == "max" else np.int64)
    if how == "max":
        out[:] = -1
        np.maximum.at(out, (problem.sample[mask], problem.label[mask]), values[mask])
    else:
        np.add.at(out, (problem.sample[mask], problem.label[mask]), values[mask])
    return out


def _repair(option: np.ndarray, anchor: int, order: np.ndarray, conflict: np.ndarray) -> np.ndarray:
    """Greedy consistent subset of ``option`` containing ``anchor`` (labels in ``order`` preference)."""
    keep = np.zeros_like(option)
    keep[anchor] = True
    for lab in order:
        if option[lab] and not keep[lab] and not (conflict[lab] & keep).any():
            keep[lab] = True
    return keep


class HeuristicSolver:
    """Greedy search with a tie-breaker; fast, not proven optimal."""

    name = "heuristic"

    def solve(self, problem: AbductionProblem) -> AbductionResult:
        t_start = time.perf_counter()
        p = problem
        conflict = p.constraints.conflict_matrix
        selfc = np.diag(conflict)
        n, n_labels = p.n_samples, len(p.constraints.labels)
        frac = p.theta_fraction
        pn, qd = frac.numerator, frac.denominator
        unf = ~p.flagged & ~selfc[p.label]
        ones = np.ones(p.n_atoms, dtype=np.int64)
        n_unf = _dense(p, unf, ones)                                   # (N, L) unflagged atoms
        w_unf = _dense(p, unf, p.weight)                               # (N, L) their weight
        cov_unf = _dense(p, unf & p.covers, ones) > 0                  # (N, L) an unflagged covering atom
        usable = n_unf > 0

        # ---- 1. anchors: (sample, label) with usable atoms; option = usable labels compatible with the anchor
        rows_s, rows_l = np.nonzero(usable)
        opt = usable[rows_s] & ~conflict[rows_l]                       # (R, L)
        internal = (opt & ((opt.astype(np.int64) @ conflict.astype(np.int64)) > 0)).any(1)
        for r in np.flatnonzero(internal):                             # rare outside plain hierarchies
            s = rows_s[r]
            order = np.lexsort((-w_unf[s], -n_unf[s], ~cov_unf[s]))
            opt[r] = _repair(opt[r], rows_l[r], order, conflict)
        o_cov = (opt & cov_unf[rows_s]).any(1)
        o_cnt = (opt * n_unf[rows_s]).sum(1)
        o_w = (opt * w_unf[rows_s]).sum(1)
        base_labels = np.zeros((n, n_labels), dtype=bool)
        alt_labels = np.zeros((n, n_labels), dtype=bool)
        base_cnt = np.zeros(n, dtype=np.int64)
        base_w = np.zeros(n, dtype=np.int64)
        alt_cnt = np.zeros(n, dtype=np.int64)
        alt_w = np.zeros(n, dtype=np.int64)
        base_cov = np.zeros(n, dtype=bool)
        alt_cov = np.zeros(n, dtype=bool)
        if rows_s.size:
            for labels_out, cnt_out, w_out, cov_out, keys in (
                    (base_labels, base_cnt, base_w, base_cov, (-o_w, -o_cnt, ~o_cov, rows_s)),
                    (alt_labels, alt_cnt, alt_w, alt_cov, (-o_cnt, -o_w, ~o_cov, rows_s))):
                order = np.lexsort(keys)
                first = order[np.r_[True, np.diff(rows_s[order]) != 0]]
                s = rows_s[first]
                labels_out[s] = opt[first]
                cnt_out[s], w_out[s], cov_out[s] = o_cnt[first], o_w[first], o_cov[first]
        slack = pn * int(base_cnt.sum())
        final_labels = base_labels.copy()

        # ---- 2. cover uncovered samples with one flagged covering atom each
        extra_atoms: list[np.ndarray] = []
        fl_cov = p.flagged & p.covers
        if p.constraints.hard:
            fl_cov &= ~selfc[p.label]
        uncovered = ~base_cov
        cand = fl_cov & uncovered[p.sample]
        if cand.any():
            idx = np.flatnonzero(cand)
            s, lab, w = p.sample[idx], p.label[idx], p.weight[idx]
            masked_n = base_labels * n_unf
            masked_w = base_labels * w_unf
            drop_n = (masked_n[s] * conflict[lab]).sum(1)
            drop_w = (masked_w[s] * conflict[lab]).sum(1)
            cost = (qd - pn) + pn * drop_n
            gain = w - drop_w - p.penalty
            # best option per sample: cheapest, then largest gain
            order = np.lexsort((-gain, cost, s))
            first = order[np.r_[True, np.diff(s[order]) != 0]]
            order2 = np.lexsort((-gain[first], cost[first]))
            pick = first[order2]
            fits = np.cumsum(cost[pick]) <= slack
            # costs are sorted ascending, so the items that fit form a prefix
            take = pick[fits]
            slack -= int(cost[take].sum())
            for a_pos in take.tolist():
                final_labels[s[a_pos]] &= ~conflict[lab[a_pos]]
            extra_atoms.append(idx[take])

        # ---- 3. tie-break: switch covered samples to their heaviest option while slack lasts
        if p.tie_break:
            switch = base_cov & alt_cov & (alt_w > base_w)
            cand_s = np.flatnonzero(switch)
            if cand_s.size:
                cost = pn * (base_cnt[cand_s] - alt_cnt[cand_s])
                gain = alt_w[cand_s] - base_w[cand_s]
                order = np.lexsort((-gain, cost))
                cand_s, cost = cand_s[order], cost[order]
                fits = np.cumsum(cost) <= slack
                take = cand_s[fits]
                final_labels[take] = alt_labels[take]

        chosen = final_labels[p.sample, p.label] & unf
        for arr in extra_atoms:
            chosen[arr] = True
        ev = p.evaluate(chosen)
        elapsed = time.perf_counter() - t_start
        status = "feasible" if ev.feasible else "unknown"
        stats = {"anchors": int(rows_s.size), "repaired": int(internal.sum()),
                 "covered_by_flagged": int(sum(a.size for a in extra_atoms))}
        if not ev.feasible:
            return AbductionResult(self.name, status, None, None, (), 0, False, elapsed, stats)
        return AbductionResult(self.name, status, ev.coverage, ev.secondary if p.tie_break else None,
                               tuple(np.flatnonzero(chosen).tolist()), ev.n_inconsistent, False, elapsed, stats)
