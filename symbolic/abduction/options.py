"""Exact presolve: the abduction problem as a choice of one *option* per sample.

Three dominance facts hold for the problem of :mod:`symbolic.abduction.problem` (proofs in
docs/abduction.md); each turns any optimal explanation into one at least as good on both objective
levels (coverage, then ``sum w - P·I``) and the budget slack ``S = p·|E| - q·I``:

A. *No conflicts.* Keeping a maximal consistent subset (with a covering atom, if any) of a sample's
   accepted atoms only drops inconsistent atoms (each drop raises S by q - p >= 0 and frees the
   atoms it conflicted with, +q each) and raises the tie-break value (one inconsistency costs P,
   more than a sample's whole weight). So an optimum exists without conflicting pairs.
B. *Maximal usable sets.* A *usable* atom is unflagged and of a satisfiable label. Adding a usable
   atom whose label is compatible with every accepted label of its sample keeps it consistent and
   adds p >= 0 to S and w >= 0 to the tie-break value. So the accepted usable labels of a sample
   form a maximal independent set (MIS) of the conflict graph on the sample's usable labels
   (restricted to labels compatible with an accepted flagged atom, if there is one).
C. *At most one flagged atom, only to cover.* A flagged (or self-conflicting) atom is always
   inconsistent: it lowers S by q - p and the tie-break value by P - w > 0, so it is accepted only
   when it is the sample's only covering atom, and one is enough.

Hence each sample chooses among: a MIS of its usable labels, or one unusable covering atom ``f``
plus a MIS of the usable labels compatible with ``f``. Options dominated within their sample (no
better in coverage, slack and tie-break value) are dropped; samples left with one option are fixed.
What remains is a multiple-choice knapsack with one budget row, which the exact solvers solve
(``reduced=True``, the default). The direct atom-level models stay available (``reduced=False``) and
the tests check both against brute force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbolic.abduction.problem import AbductionProblem


@dataclass(frozen=True)
class OptionModel:
    """Per-sample options after dominance pruning (arrays over options O).

    Attributes:
        sample: Sample of each option.
        labels: Accepted usable labels of each option (bool, O x L).
        bad_atom: The accepted flagged/self-conflicting atom, or -1.
        cover, slack, secondary: Coverage (0/1), budget slack ``p·n - q·i``, tie-break value ``W - P·i``.
        fixed: Options of samples with a single option (always taken).
        decision_samples: Samples with two or more options.
    """

    sample: np.ndarray
    labels: np.ndarray
    bad_atom: np.ndarray
    cover: np.ndarray
    slack: np.ndarray
    secondary: np.ndarray
    fixed: np.ndarray
    decision_samples: np.ndarray

    @property
    def n_options(self) -> int:
        return int(self.sample.size)

    def fixed_totals(self) -> tuple[int, int, int]:
        """(coverage, slack, secondary) of the fixed options together."""
        f = self.fixed
        return int(self.cover[f].sum()), int(self.slack[f].sum()), int(self.secondary[f].sum())

    def atoms(self, problem: AbductionProblem, picked: np.ndarray) -> np.ndarray:
        """Accepted atoms (bool, A) of the picked options (bool or index array over options)."""
        picked = np.asarray(picked)
        if picked.dtype != bool:
            m = np.zeros(self.n_options, dtype=bool)
            m[picked] = True
            picked = m
        final = np.zeros((problem.n_samples, self.labels.shape[1]), dtype=bool)
        final[self.sample[picked]] = self.labels[picked]
        usable = _usable(problem)
        chosen = final[problem.sample, problem.label] & usable
        bad = self.bad_atom[picked]
        chosen[bad[bad >= 0]] = True
        return chosen


def _usable(problem: AbductionProblem) -> np.ndarray:
    selfc = np.diag(problem.constraints.conflict_matrix)
    return ~problem.flagged & ~selfc[problem.label]


def _all_mis(candidates: np.ndarray, required: int | None, conflict: np.ndarray) -> list[np.ndarray]:
    """Every maximal independent set of the conflict graph on ``candidates`` (containing ``required``)."""
    cand = [int(i) for i in np.flatnonzero(candidates)]
    out: list[np.ndarray] = []

    def extend(chosen: list[int], rest: list[int], excluded: list[int]) -> None:
        if not rest:
            if not any(not conflict[e, chosen].any() for e in excluded):  # maximal
                mask = np.zeros(len(candidates), dtype=bool)
                mask[chosen] = True
                out.append(mask)
            return
        head, tail = rest[0], rest[1:]
        if not conflict[head, chosen].any():
            extend(chosen + [head], tail, excluded)
        extend(chosen, tail, excluded + [head])

    start = [] if required is None else [required]
    extend(start, [c for c in cand if c != required], [])
    return out


def build_options(problem: AbductionProblem) -> OptionModel:
    """Enumerate, score and prune the per-sample options of ``problem`` (vectorised; a Python pass only
    for samples whose compatible labels still conflict among themselves)."""
    p = problem
    conflict = p.constraints.conflict_matrix
    selfc = np.diag(conflict)
    n, n_labels = p.n_samples, len(p.constraints.labels)
    frac = p.theta_fraction
    pn, qd = frac.numerator, frac.denominator
    usable = _usable(p)
    n_unf = np.zeros((n, n_labels), dtype=np.int64)
    w_unf = np.zeros((n, n_labels), dtype=np.int64)
    cov_unf = np.zeros((n, n_labels), dtype=bool)
    np.add.at(n_unf, (p.sample[usable], p.label[usable]), 1)
    np.add.at(w_unf, (p.sample[usable], p.label[usable]), p.weight[usable])
    cov_unf[p.sample[usable & p.covers], p.label[usable & p.covers]] = True
    present = n_unf > 0

    # rows to expand: (sample, required usable label or -1, bad atom or -1, candidate label mask)
    a_s, a_l = np.nonzero(present)
    rows_s = [a_s]
    rows_bad = [np.full(a_s.size, -1)]
    rows_mask = [present[a_s] & ~conflict[a_l]]
    rows_req = [a_l]
    empty = np.flatnonzero(~present.any(1))                   # samples with no usable atom: empty base option
    rows_s.append(empty)
    rows_bad.append(np.full(empty.size, -1))
    rows_mask.append(np.zeros((empty.size, n_labels), dtype=bool))
    rows_req.append(np.full(empty.size, -1))
    bad = ~usable & p.covers
    if p.constraints.hard:
        bad &= ~selfc[p.label]
    b_idx = np.flatnonzero(bad)
    rows_s.append(p.sample[b_idx])
    rows_bad.append(b_idx)
    rows_mask.append(present[p.sample[b_idx]] & ~conflict[p.label[b_idx]])
    rows_req.append(np.full(b_idx.size, -1))
    s = np.concatenate(rows_s)
    badv = np.concatenate(rows_bad)
    mask = np.concatenate(rows_mask)
    req = np.concatenate(rows_req)
    internal = (mask & ((mask.astype(np.int64) @ conflict.astype(np.int64)) > 0)).any(1)
    if internal.any():
        keep = ~internal
        extra_s, extra_bad, extra_mask = [], [], []
        for r in np.flatnonzero(internal).tolist():
            for m in _all_mis(mask[r], int(req[r]) if req[r] >= 0 else None, conflict):
                extra_s.append(s[r])
                extra_bad.append(badv[r])
                extra_mask.append(m)
        s = np.concatenate([s[keep], np.asarray(extra_s, dtype=np.int64)])
        badv = np.concatenate([badv[keep], np.asarray(extra_bad, dtype=np.int64)])
        mask = np.concatenate([mask[keep], np.asarray(extra_mask, dtype=bool).reshape(-1, n_labels)])
    # deduplicate (sample, bad atom, label set)
    key = np.concatenate([s[:, None], badv[:, None], np.packbits(mask, axis=1).astype(np.int64)], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    first.sort()
    s, badv, mask = s[first], badv[first], mask[first]
    has_bad = badv >= 0
    # gather the bad atoms' weights only where there is one: an instance may have no atoms at all
    bad_weight = np.zeros(s.size, dtype=np.int64)
    bad_weight[has_bad] = p.weight[badv[has_bad]]
    count = (mask * n_unf[s]).sum(1) + has_bad
    weight = (mask * w_unf[s]).sum(1) + bad_weight
    cover = ((mask & cov_unf[s]).any(1) | has_bad).astype(np.int64)
    slack = pn * count - qd * has_bad
    secondary = weight - p.penalty * has_bad
    # dominance pruning within each sample
    order = np.lexsort((-secondary, -slack, -cover, s))
    s, badv, mask, cover, slack, secondary = (a[order] for a in (s, badv, mask, cover, slack, secondary))
    dominated = np.zeros(s.size, dtype=bool)
    counts = np.bincount(s, minlength=n)
    for d in range(1, int(counts.max(initial=1))):
        k = np.arange(d, s.size)
        j = k - d
        same = s[j] == s[k]
        dom = same & (cover[j] >= cover[k]) & (slack[j] >= slack[k]) & (secondary[j] >= secondary[k])
        dominated[k[dom]] = True
    keep = ~dominated
    s, badv, mask, cover, slack, secondary = (a[keep] for a in (s, badv, mask, cover, slack, secondary))
    per = np.bincount(s, minlength=n)
    fixed = per[s] == 1
    return OptionModel(sample=s, labels=mask, bad_atom=badv, cover=cover, slack=slack, secondary=secondary,
                       fixed=fixed, decision_samples=np.flatnonzero(per > 1))
