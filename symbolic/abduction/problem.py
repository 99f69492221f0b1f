"""The consistency-based abduction problem over the predictions of several models.

Formulation (our reconstruction of Leiva et al. 2025; see docs/abduction.md)
--------------------------------------------------------------------------
*Atoms.* Each model (or model head) ``m`` asserts at most one label per sample ``x``: the atom
``pred(m, x, l)``; the constructor checks this and names the source and sample that break it.
Every atom carries three given facts: ``flagged`` (an error-detection rule of ``m`` fires on it),
``covers`` (it counts for coverage; e.g. fine labels cover, coarse ones only support) and an
integer tie-break weight ``w >= 0`` (e.g. the confidence, scaled to 0..100).

*Decision.* A subset ``E`` of the atoms (the accepted predictions).

*Inconsistency.* An accepted atom ``a = pred(m, x, l)`` is inconsistent in ``E`` when it is flagged,
or when ``E`` accepts for the same sample a label conflicting with ``l`` (the conflict relation of
:class:`~symbolic.abduction.constraints.DomainConstraints`: exclusion, hierarchy, nogoods). With
``hard`` constraints conflicting atoms may not be accepted together at all, and an atom of a
*self-conflicting* label (one that implies two exclusive labels, see
:meth:`~symbolic.abduction.constraints.DomainConstraints.unsatisfiable`) may not be accepted even
alone: it conflicts with itself. With soft constraints such an atom may be accepted and always
counts as inconsistent.

*Constraint.* ``I(E) <= θ · |E|`` where ``I(E)`` counts inconsistent accepted atoms, i.e. the
inconsistency rate ``I/|E|`` is at most θ (the empty set is consistent). θ is used as the exact
rational ``p/q`` with ``q <= 1000`` (``theta_fraction``) so every solver checks the same integer
inequality ``q·I <= p·|E|``. Optional: coverage at least ``min_coverage`` (may make it infeasible).

*Objective (lexicographic).*
1. maximise coverage: the number of samples with at least one accepted covering atom;
2. tie-break (optional): maximise ``sum_{a in E} w_a - P · I(E)`` with ``P = 1 + max_x sum_{a at x} w_a``.
   Among maximum-coverage explanations this prefers fewer inconsistencies first (no single
   sample's weight can pay for one) and then the heaviest support, i.e. a confidence-weighted
   vote among the predictions that survive the rules and the constraints.

The final label of a sample (:meth:`AbductionProblem.decide`) is the accepted covering label of
largest accepted weight; ties go to the label with more accepted atoms, then to the label that comes
first in ``constraints.labels``. So the decision is a function of the acceptance alone (never of
source order), also when two covering labels that do not conflict carry equal weight.

The exports of an instance belong to the encoders: :func:`symbolic.abduction.ip.to_lp_text` (CPLEX
LP) and :func:`symbolic.abduction.asp.to_asp_program` (clingo). The dominance facts behind the
option presolve are proved in docs/abduction.md (summary in :mod:`symbolic.abduction.options`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from symbolic.abduction.constraints import DomainConstraints
from symbolic.abduction.errors import AbductionInputError, UnknownLabelError

THETA_MAX_DENOMINATOR = 1000


def theta_fraction(theta: float) -> Fraction:
    """θ as the rational every solver uses (closest fraction with denominator <= 1000).

    Raises:
        AbductionInputError: θ is not a finite number in [0, 1].
    """
    if isinstance(theta, bool) or not isinstance(theta, int | float | Fraction) or not math.isfinite(float(theta)):
        raise AbductionInputError(f"theta must be a finite number in [0, 1], got {theta!r}")
    if not 0.0 <= float(theta) <= 1.0:
        raise AbductionInputError(f"theta must be in [0, 1], got {theta!r}")
    return Fraction(theta).limit_denominator(THETA_MAX_DENOMINATOR)


@dataclass(frozen=True)
class Evaluation:
    """Value of one candidate explanation (see :meth:`AbductionProblem.evaluate`)."""

    coverage: int
    n_chosen: int
    n_inconsistent: int
    weight: int
    secondary: int
    feasible: bool
    violates_hard: bool

    @property
    def inconsistency_rate(self) -> float:
        return self.n_inconsistent / self.n_chosen if self.n_chosen else 0.0


@dataclass(frozen=True, eq=False)
class AbductionProblem:
    """Atoms, rule flags, constraints and θ of one abduction instance (arrays of equal length A).

    Build it with :meth:`from_predictions` unless you already have atom arrays.

    Attributes:
        n_samples: Number of samples N (atoms refer to samples 0..N-1).
        sample: Sample index of each atom (int, A).
        label: Label index of each atom into ``constraints.labels`` (int, A).
        source: Source (model/head) index of each atom into ``sources`` (int, A).
        sources: Source names.
        flagged: Whether an error-detection rule fires on the atom (bool, A).
        covers: Whether the atom counts for coverage (bool, A).
        weight: Integer tie-break weight >= 0 (int, A).
        constraints: The domain constraints.
        theta: Inconsistency-rate threshold in [0, 1].
        tie_break: Whether the secondary objective is optimised.
        min_coverage: Hard lower bound on coverage (0: none).

    Raises:
        AbductionInputError: malformed arrays (kind, shape, length, range), negative weights, θ outside
            [0, 1], or a source asserting two labels for one sample (the message names both).
        UnknownLabelError: a label index outside the vocabulary.
    """

    n_samples: int
    sample: np.ndarray
    label: np.ndarray
    source: np.ndarray
    sources: tuple[str, ...]
    flagged: np.ndarray
    covers: np.ndarray
    weight: np.ndarray
    constraints: DomainConstraints
    theta: float
    tie_break: bool = True
    min_coverage: int = 0
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.constraints, DomainConstraints):
            raise AbductionInputError("constraints must be a DomainConstraints")
        if isinstance(self.n_samples, bool) or not isinstance(self.n_samples, int | np.integer) or self.n_samples < 0:
            raise AbductionInputError(f"n_samples must be a non-negative integer, got {self.n_samples!r}")
        arrays = {}
        for name, kind in (("sample", "iu"), ("label", "iu"), ("source", "iu"), ("weight", "iu"),
                           ("flagged", "b"), ("covers", "b")):
            arr = np.asarray(getattr(self, name))
            if arr.ndim != 1:
                raise AbductionInputError(f"{name} must be 1-D, got shape {arr.shape}")
            if arr.size and arr.dtype.kind not in kind:
                raise AbductionInputError(f"{name} must be of kind {'integer' if kind == 'iu' else 'bool'}, "
                                          f"got dtype {arr.dtype}")
            arrays[name] = arr.astype(bool if kind == "b" else np.int64)
        lengths = {k: len(v) for k, v in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise AbductionInputError(f"atom arrays differ in length: {lengths}")
        n_labels = len(self.constraints.labels)
        for name, bound, what in (("sample", int(self.n_samples), "n_samples"), ("label", n_labels, "labels"),
                                  ("source", len(self.sources), "sources")):
            arr = arrays[name]
            bad = np.flatnonzero((arr < 0) | (arr >= bound))
            if bad.size:
                err = UnknownLabelError if name == "label" else AbductionInputError
                raise err(f"atom {bad[0]}: {name} = {arr[bad[0]]} is outside [0, {bound}) ({what})")
        # the formulation (and the presolve's per-sample options) assume one assertion per source and sample
        pair = arrays["source"] * max(int(self.n_samples), 1) + arrays["sample"]
        uniq, first, count = np.unique(pair, return_index=True, return_counts=True)
        if uniq.size and count.max() > 1:
            dup = first[np.argmax(count > 1)]
            src, smp = int(arrays["source"][dup]), int(arrays["sample"][dup])
            raise AbductionInputError(f"source {self.sources[src]!r} asserts {int(count.max())} labels for sample "
                                      f"{smp}; each source may assert at most one label per sample")
        if arrays["weight"].size and arrays["weight"].min() < 0:
            raise AbductionInputError("tie-break weights must be >= 0")
        frac = theta_fraction(self.theta)
        if isinstance(self.min_coverage, bool) or not isinstance(self.min_coverage, int | np.integer) \
                or self.min_coverage < 0:
            raise AbductionInputError(f"min_coverage must be a non-negative integer, got {self.min_coverage!r}")
        for name, arr in arrays.items():
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "n_samples", int(self.n_samples))
        object.__setattr__(self, "theta", float(self.theta))
        object.__setattr__(self, "min_coverage", int(self.min_coverage))
        object.__setattr__(self, "theta_fraction", frac)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_predictions(
        cls,
        predictions: Mapping[str, Sequence[str] | np.ndarray],
        constraints: DomainConstraints,
        theta: float,
        *,
        flags: Mapping[str, np.ndarray] | None = None,
        confidences: Mapping[str, np.ndarray] | None = None,
        covering_labels: Sequence[str] | None = None,
        weight_scale: int = 100,
        tie_break: bool = True,
        min_coverage: int = 0,
    ) -> AbductionProblem:
        """Build the problem from one prediction vector per source.

        Args:
            predictions: Source name -> predicted labels (N,), as label names or indices into
                ``constraints.labels``; ``None``/``-1`` means the source makes no prediction there.
            constraints: Label vocabulary and constraints.
            theta: Inconsistency-rate threshold in [0, 1].
            flags: Source name -> bool (N,): the source's error-detection rules fire (default: none).
            confidences: Source name -> confidence in [0, 1] (N,), the tie-break weight before scaling
                (default: 1 for every atom).
            covering_labels: Labels whose atoms count for coverage (default: all labels).
            weight_scale: Confidences are mapped to integer weights ``round(scale · confidence)``.
            tie_break: Optimise the secondary objective.
            min_coverage: Hard lower bound on coverage.

        Raises:
            AbductionInputError: no sources, length mismatches (named), unknown sources in flags/confidences,
                confidences outside [0, 1], θ outside [0, 1].
            UnknownLabelError: a prediction or covering label is not in the vocabulary.
        """
        if not predictions:
            raise AbductionInputError("predictions: need at least one source")
        flags = dict(flags or {})
        confidences = dict(confidences or {})
        for what, mapping in (("flags", flags), ("confidences", confidences)):
            extra = sorted(set(mapping) - set(predictions))
            if extra:
                raise AbductionInputError(f"{what} names sources without predictions: {extra}; "
                                          f"sources: {sorted(predictions)}")
        if isinstance(weight_scale, bool) or not isinstance(weight_scale, int) or weight_scale < 0:
            raise AbductionInputError(f"weight_scale must be a non-negative integer, got {weight_scale!r}")
        sources = tuple(predictions)
        n = None
        parts = {k: [] for k in ("sample", "label", "source", "flagged", "weight")}
        for si, name in enumerate(sources):
            raw = np.asarray(predictions[name], dtype=object if not _is_int_array(predictions[name]) else None)
            if raw.ndim != 1:
                raise AbductionInputError(f"predictions[{name!r}] must be 1-D, got shape {raw.shape}")
            if n is None:
                n = len(raw)
            elif len(raw) != n:
                raise AbductionInputError(f"predictions[{name!r}] has {len(raw)} entries, but "
                                          f"predictions[{sources[0]!r}] has {n}")
            if raw.dtype.kind in "iu":
                present = raw >= 0
                lab = constraints.encode(raw[present], where=f"predictions[{name!r}]")
            else:
                present = np.array([v is not None for v in raw], dtype=bool)
                lab = constraints.encode(np.asarray(raw[present].tolist(), dtype=object)
                                         if present.any() else np.zeros(0, dtype=np.int64),
                                         where=f"predictions[{name!r}]")
            idx = np.flatnonzero(present)
            fl = np.zeros(n, dtype=bool)
            if name in flags:
                fl = np.asarray(flags[name])
                if fl.shape != (n,) or fl.dtype != bool:
                    raise AbductionInputError(f"flags[{name!r}] must be a bool array of length {n}, "
                                              f"got {fl.dtype} {fl.shape}")
            conf = np.ones(n)
            if name in confidences:
                conf = np.asarray(confidences[name], dtype=float)
                if conf.shape != (n,):
                    raise AbductionInputError(f"confidences[{name!r}] has shape {conf.shape}, expected ({n},)")
                if not np.all(np.isfinite(conf)) or conf.min(initial=0) < 0 or conf.max(initial=0) > 1:
                    raise AbductionInputError(f"confidences[{name!r}] must lie in [0, 1]")
            parts["sample"].append(idx)
            parts["label"].append(lab)
            parts["source"].append(np.full(idx.size, si))
            parts["flagged"].append(fl[idx])
            parts["weight"].append(np.rint(conf[idx] * weight_scale).astype(np.int64))
        cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        if covering_labels is None:
            covers = np.ones(len(cat["label"]), dtype=bool)
        else:
            cov_idx = constraints.encode(np.asarray(list(covering_labels), dtype=object), where="covering_labels")
            covers = np.isin(cat["label"], cov_idx)
        return cls(n_samples=int(n), sample=cat["sample"].astype(np.int64), label=cat["label"].astype(np.int64),
                   source=cat["source"].astype(np.int64), sources=sources, flagged=cat["flagged"].astype(bool),
                   covers=covers, weight=cat["weight"].astype(np.int64), constraints=constraints,
                   theta=theta, tie_break=tie_break, min_coverage=min_coverage)

    def with_theta(self, theta: float) -> AbductionProblem:
        """The same instance with another θ."""
        return AbductionProblem(self.n_samples, self.sample, self.label, self.source, self.sources, self.flagged,
                                self.covers, self.weight, self.constraints, theta, self.tie_break,
                                self.min_coverage)

    # ------------------------------------------------------------------ derived structure
    @property
    def n_atoms(self) -> int:
        return int(self.sample.size)

    @property
    def penalty(self) -> int:
        """P in the secondary objective: 1 + the largest total weight of one sample."""
        if "penalty" not in self._cache:
            per = np.bincount(self.sample, weights=self.weight, minlength=self.n_samples)
            self._cache["penalty"] = int(per.max(initial=0)) + 1
        return self._cache["penalty"]

    def groups(self) -> dict[str, np.ndarray]:
        """(sample, label) groups and the conflicting pairs among groups of the same sample.

        Returns a dict with ``atom_group`` (A,), ``g_sample``, ``g_label`` (G,), ``self_conflict`` (G,) and
        ``pairs`` (P, 2): ordered pairs (g, h), g != h, same sample, conflicting labels (both orders).
        """
        if "groups" in self._cache:
            return self._cache["groups"]
        n_labels = len(self.constraints.labels)
        key = self.sample * n_labels + self.label
        uniq, atom_group = np.unique(key, return_inverse=True)
        g_sample, g_label = uniq // n_labels, uniq % n_labels
        conflict = self.constraints.conflict_matrix
        pairs = []
        # groups are sorted by sample; partners of a group lie within the next L-1 positions
        for d in range(1, n_labels):
            a = np.arange(max(len(uniq) - d, 0))
            b = a + d
            same = g_sample[a] == g_sample[b]
            a, b = a[same], b[same]
            hit = conflict[g_label[a], g_label[b]]
            pairs.append(np.stack([a[hit], b[hit]], axis=1))
        half = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
        both = np.concatenate([half, half[:, ::-1]]).astype(np.int64)
        out = {"atom_group": atom_group.astype(np.int64), "g_sample": g_sample.astype(np.int64),
               "g_label": g_label.astype(np.int64), "self_conflict": np.diag(conflict)[g_label],
               "pairs": both}
        self._cache["groups"] = out
        return out

    # ------------------------------------------------------------------ evaluation
    def _mask(self, chosen: np.ndarray | Sequence[int]) -> np.ndarray:
        arr = np.asarray(chosen)
        if arr.dtype == bool:
            if arr.shape != (self.n_atoms,):
                raise AbductionInputError(f"chosen mask must have shape ({self.n_atoms},), got {arr.shape}")
            return arr
        mask = np.zeros(self.n_atoms, dtype=bool)
        if arr.size:
            idx = arr.astype(np.int64)
            if idx.min() < 0 or idx.max() >= self.n_atoms:
                raise AbductionInputError(f"chosen atom index outside [0, {self.n_atoms})")
            mask[idx] = True
        return mask

    def inconsistent(self, chosen: np.ndarray | Sequence[int]) -> np.ndarray:
        """Which atoms are accepted and inconsistent under the acceptance ``chosen`` (bool, A)."""
        mask = self._mask(chosen)
        g = self.groups()
        asserted = np.bincount(g["atom_group"], weights=mask, minlength=len(g["g_label"])) > 0
        pairs = g["pairs"]
        conflicted = g["self_conflict"].copy()
        if len(pairs):
            conflicted |= np.bincount(pairs[:, 0], weights=asserted[pairs[:, 1]], minlength=len(asserted)) > 0
        return mask & (self.flagged | conflicted[g["atom_group"]])

    def evaluate(self, chosen: np.ndarray | Sequence[int]) -> Evaluation:
        """Coverage, inconsistency and objective values of an acceptance (mask or atom indices)."""
        mask = self._mask(chosen)
        inc = self.inconsistent(mask)
        coverage = int(np.unique(self.sample[mask & self.covers]).size)
        n_chosen, n_inc = int(mask.sum()), int(inc.sum())
        weight = int(self.weight[mask].sum())
        secondary = weight - self.penalty * n_inc
        g = self.groups()
        violates = False
        if self.constraints.hard:
            asserted = np.bincount(g["atom_group"], weights=mask, minlength=len(g["g_label"])) > 0
            pairs = g["pairs"]
            violates = bool((asserted & g["self_conflict"]).any()
                            or (len(pairs) and (asserted[pairs[:, 0]] & asserted[pairs[:, 1]]).any()))
        f = self.theta_fraction
        feasible = (f.denominator * n_inc <= f.numerator * n_chosen) and coverage >= self.min_coverage \
            and not violates
        return Evaluation(coverage, n_chosen, n_inc, weight, secondary, bool(feasible), violates)

    def decide(self, chosen: np.ndarray | Sequence[int], label_subset: Sequence[str] | None = None) -> np.ndarray:
        """Final label index per sample (int, N): the accepted covering label of largest accepted weight.

        Ties (equal accepted weight, e.g. two covering labels that do not conflict) go to the label
        with more accepted atoms, then to the label first in ``constraints.labels``.

        Args:
            chosen: The acceptance (mask or atom indices), e.g. ``result.chosen``.
            label_subset: Restrict decisions to these labels (default: covering atoms' labels).

        Returns:
            Label indices into ``constraints.labels``; -1 where the sample is not covered.
        """
        mask = self._mask(chosen)
        sel = mask & self.covers
        if label_subset is not None:
            sel &= np.isin(self.label, self.constraints.encode(np.asarray(list(label_subset), dtype=object)))
        n_labels = len(self.constraints.labels)
        score = np.zeros((self.n_samples, n_labels))
        # weight first; one extra unit per atom breaks ties between equal weights by count (exact in
        # float64 up to 2**53); argmax then takes the first label of the vocabulary among equals
        np.add.at(score, (self.sample[sel], self.label[sel]), self.weight[sel] * (self.n_atoms + 1.0) + 1.0)
        out = score.argmax(1)
        out[score.max(1, initial=0) <= 0] = -1
        return out

    def summary(self) -> dict:
        """Plain-data size and setting of the instance."""
        return {"n_samples": self.n_samples, "n_atoms": self.n_atoms, "n_sources": len(self.sources),
                "n_flagged": int(self.flagged.sum()), "theta": self.theta,
                "theta_fraction": str(self.theta_fraction), "tie_break": self.tie_break,
                "min_coverage": self.min_coverage, "hard": self.constraints.hard}


def _is_int_array(values) -> bool:
    arr = np.asarray(values)
    return arr.dtype.kind in "iu"
