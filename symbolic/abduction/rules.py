"""Error-detection rules (EDCR) and their learner, DetRuleLearn with the ε recall budget.

A rule for label ``l`` of one model reads

    error(x) <- pred(x) = l  and  (c_1(x) or ... or c_k(x))

where the ``c_i`` are boolean *conditions* (other models' predictions, coarse-label detectors,
confidence bands, any user feature). DetRuleLearn (Xi et al. 2023, the PyEDCR ``DetRuleLearn``)
builds the disjunction greedily. On held-out predictions, for a set of conditions C:

- ``NEG_l(C)``: correct predictions of ``l`` satisfying some condition in C (wrongly flagged);
- ``POS_l(C)``: wrong predictions of ``l`` satisfying some condition in C (caught errors).

The budget ``q_l = ε · N_l · P_l / R_l`` bounds ``NEG_l``; since ``N_l · P_l / R_l`` is the number of
ground-truth examples of ``l``, the learner computes it as ``ε · #{y = l}`` (defined also when
``R_l = 0``), so the rule costs at most a fraction ε of the model's recall on ``l``. The greedy
loop adds the condition with the largest ``POS_l`` among those that keep ``NEG_l <= q_l`` and
stops when no admissible condition catches a further error (PyEDCR keeps adding conditions with
zero gain; those can only flag correct predictions at test time, so they are not added here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symbolic.abduction.errors import AbductionInputError, UnknownLabelError


@dataclass(frozen=True)
class ConditionSet:
    """Named boolean conditions evaluated on N samples.

    Attributes:
        names: One unique name per condition (K names).
        values: Boolean array (N, K); ``values[i, k]`` says whether condition k holds for sample i.
    """

    names: tuple[str, ...]
    values: np.ndarray

    def __post_init__(self) -> None:
        names = tuple(self.names)
        values = np.asarray(self.values)
        if values.ndim != 2:
            raise AbductionInputError(f"ConditionSet.values must be 2-D (N, K), got shape {values.shape}")
        if values.dtype != bool:
            if values.dtype.kind not in "biu" or not np.isin(values, (0, 1)).all():
                raise AbductionInputError("ConditionSet.values must be boolean (or 0/1 integers)")
            values = values.astype(bool)
        if values.shape[1] != len(names):
            raise AbductionInputError(f"ConditionSet has {len(names)} names but {values.shape[1]} columns")
        seen: set[str] = set()
        for n in names:
            if not isinstance(n, str) or not n:
                raise AbductionInputError(f"condition names must be non-empty strings, got {n!r}")
            if n in seen:
                raise AbductionInputError(f"duplicate condition name {n!r}")
            seen.add(n)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[bool] | np.ndarray]) -> ConditionSet:
        """Build from a mapping name -> boolean vector (all of one length)."""
        if not columns:
            raise AbductionInputError("ConditionSet.from_columns needs at least one column")
        arrays = {k: np.asarray(v) for k, v in columns.items()}
        lengths = {k: len(v) for k, v in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise AbductionInputError(f"condition columns differ in length: {lengths}")
        return cls(tuple(arrays), np.stack([a.astype(bool) for a in arrays.values()], axis=1))

    @classmethod
    def concat(cls, sets: Iterable[ConditionSet]) -> ConditionSet:
        """Join condition sets over the same samples side by side."""
        sets = list(sets)
        if not sets:
            raise AbductionInputError("ConditionSet.concat needs at least one set")
        n = {len(s) for s in sets}
        if len(n) != 1:
            raise AbductionInputError(f"condition sets cover different numbers of samples: {sorted(n)}")
        return cls(tuple(x for s in sets for x in s.names), np.concatenate([s.values for s in sets], axis=1))

    def take(self, index: np.ndarray | slice) -> ConditionSet:
        """The conditions of a subset of the samples."""
        return ConditionSet(self.names, self.values[index])

    def column(self, name: str) -> np.ndarray:
        """The boolean vector of one condition."""
        try:
            return self.values[:, self.names.index(name)]
        except ValueError:
            raise AbductionInputError(f"unknown condition {name!r}") from None


def prediction_conditions(source: str, predictions: np.ndarray, labels: Sequence[str]) -> ConditionSet:
    """One condition ``"{source}={label}"`` per label: the source predicts that label.

    Args:
        source: Name of the predicting model or head.
        predictions: Integer label indices (N,).
        labels: Label names, indexed by the predictions.
    """
    pred = np.asarray(predictions)
    if pred.ndim != 1 or pred.dtype.kind not in "iu":
        raise AbductionInputError(f"{source}: predictions must be a 1-D integer array")
    if pred.size and (pred.min() < 0 or pred.max() >= len(labels)):
        raise UnknownLabelError(f"{source}: prediction index outside [0, {len(labels)})")
    values = pred[:, None] == np.arange(len(labels))[None, :]
    return ConditionSet(tuple(f"{source}={lab}" for lab in labels), values)


def band_conditions(name: str, values: np.ndarray, edges: Sequence[float]) -> ConditionSet:
    """Interval conditions ``"{name} in [a,b)"`` for consecutive edges (the last band is closed).

    Args:
        name: Name of the quantity (e.g. ``"conf[noise]"``).
        values: Real values (N,).
        edges: Increasing band edges; values outside the outer edges fall in no band.
    """
    v = np.asarray(values, dtype=float)
    e = np.asarray(edges, dtype=float)
    if v.ndim != 1:
        raise AbductionInputError(f"{name}: values must be 1-D")
    if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
        raise AbductionInputError(f"{name}: edges must be a strictly increasing sequence of at least 2 values")
    cols, names = [], []
    for i in range(e.size - 1):
        lo, hi = e[i], e[i + 1]
        last = i == e.size - 2
        cols.append((v >= lo) & ((v <= hi) if last else (v < hi)))
        names.append(f"{name} in [{lo:.3g},{hi:.3g}{']' if last else ')'}")
    return ConditionSet(tuple(names), np.stack(cols, axis=1))


@dataclass(frozen=True)
class RuleSet:
    """Error-detection rules of one model (or one head): label -> disjunction of condition names.

    Attributes:
        source: Name of the model/head whose predictions the rules judge.
        labels: Label names; predictions are indices into them.
        rules: Map from label name to the condition names of its rule body (empty: no rule).
    """

    source: str
    labels: tuple[str, ...]
    rules: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        labels = tuple(self.labels)
        rules = {k: tuple(v) for k, v in self.rules.items()}
        for lab in rules:
            if lab not in labels:
                raise UnknownLabelError(f"rule set of {self.source!r} has a rule for unknown label {lab!r}; "
                                        f"known labels: {list(labels)}")
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "rules", rules)

    def _matrix(self, names: Sequence[str]) -> np.ndarray:
        index = {n: i for i, n in enumerate(names)}
        mat = np.zeros((len(self.labels), len(names)), dtype=bool)
        for lab, conds in self.rules.items():
            for c in conds:
                if c not in index:
                    raise AbductionInputError(f"rule for {self.source}={lab} uses condition {c!r}, "
                                              "which the condition set does not define")
                mat[self.labels.index(lab), index[c]] = True
        return mat

    def flag(self, predictions: np.ndarray, conditions: ConditionSet) -> np.ndarray:
        """Which predictions the rules mark as errors (bool (N,)).

        Raises:
            AbductionInputError: lengths differ, or a rule uses a condition that is not defined.
            UnknownLabelError: a prediction index is outside the label set.
        """
        pred = _check_pred(predictions, len(self.labels), f"{self.source}: predictions")
        if len(pred) != len(conditions):
            raise AbductionInputError(f"{self.source}: {len(pred)} predictions but conditions for "
                                      f"{len(conditions)} samples")
        mat = self._matrix(conditions.names)
        if not mat.any():
            return np.zeros(len(pred), dtype=bool)
        hits = conditions.values.astype(np.float32) @ mat.T.astype(np.float32)  # (N, L)
        return hits[np.arange(len(pred)), pred] > 0

    def report(self, predictions: np.ndarray, targets: np.ndarray, conditions: ConditionSet) -> dict[str, float]:
        """Error-detection quality on labelled data: precision, recall, F1 of the flags as error detector.

        Also reports ``recall_loss``: the fraction of the model's correct predictions that get flagged.
        """
        pred = _check_pred(predictions, len(self.labels), f"{self.source}: predictions")
        y = _check_pred(targets, len(self.labels), f"{self.source}: targets")
        if len(y) != len(pred):
            raise AbductionInputError(f"{self.source}: {len(pred)} predictions but {len(y)} targets")
        flagged = self.flag(pred, conditions)
        wrong = pred != y
        tp = int((flagged & wrong).sum())
        precision = tp / max(int(flagged.sum()), 1)
        recall = tp / max(int(wrong.sum()), 1)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "flagged": int(flagged.sum()),
                "errors": int(wrong.sum()),
                "recall_loss": float((flagged & ~wrong).sum() / max(int((~wrong).sum()), 1))}

    def to_dict(self) -> dict:
        """Plain-data form."""
        return {"source": self.source, "labels": list(self.labels),
                "rules": {k: list(v) for k, v in self.rules.items() if v}}


def _check_pred(values: np.ndarray, n_labels: int, where: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise AbductionInputError(f"{where} must be a 1-D integer array of label indices")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_labels):
        i = int(np.flatnonzero((arr < 0) | (arr >= n_labels))[0])
        raise UnknownLabelError(f"{where}[{i}] = {arr[i]} is outside the label indices [0, {n_labels})")
    return arr


class DetRuleLearner:
    """DetRuleLearn: greedy error-detection rules per predicted label under an ε recall budget.

    Args:
        epsilon: Recall budget ε in [0, 1]: a rule may flag at most ``ε · #{y = l}`` correct predictions.
        max_conditions: Upper bound on conditions per rule (None: no bound).
        min_gain: Stop when the best admissible condition catches fewer new errors than this.

    Fitted attributes:
        rule_set_: The learned :class:`RuleSet`.
        budget_: Budget ``q_l`` per label (dict label -> float).
        train_report_: :meth:`RuleSet.report` on the fitting data.

    Example:
        >>> import numpy as np
        >>> pred = np.array([0, 0, 1, 1]); y = np.array([0, 1, 1, 1])
        >>> cond = ConditionSet(("other=1",), np.array([[False], [True], [True], [False]]))
        >>> DetRuleLearner(epsilon=0.0).fit(pred, y, cond, labels=["a", "b"], source="m").rule_set_.rules
        {'a': ('other=1',), 'b': ()}
    """

    def __init__(self, epsilon: float = 0.1, max_conditions: int | None = None, min_gain: int = 1) -> None:
        self.epsilon = epsilon
        self.max_conditions = max_conditions
        self.min_gain = min_gain

    def _validate(self) -> None:
        if not (isinstance(self.epsilon, int | float) and 0.0 <= float(self.epsilon) <= 1.0):
            raise AbductionInputError(f"epsilon must be in [0, 1], got {self.epsilon!r}")
        if self.max_conditions is not None and self.max_conditions < 1:
            raise AbductionInputError(f"max_conditions must be >= 1 or None, got {self.max_conditions!r}")
        if self.min_gain < 1:
            raise AbductionInputError(f"min_gain must be >= 1, got {self.min_gain!r}")

    def fit(self, predictions: np.ndarray, targets: np.ndarray, conditions: ConditionSet, *,
            labels: Sequence[str], source: str = "model") -> DetRuleLearner:
        """Learn one rule per label from held-out predictions and their true labels.

        Args:
            predictions: Predicted label indices (N,).
            targets: True label indices (N,).
            conditions: Conditions on the same N samples.
            labels: Label names (indexed by predictions/targets).
            source: Name of the model/head (used in rules and messages).

        Raises:
            AbductionInputError: lengths differ or ε out of range.
            UnknownLabelError: an index is outside the label set.
        """
        self._validate()
        labels = tuple(labels)
        pred = _check_pred(predictions, len(labels), f"{source}: predictions")
        y = _check_pred(targets, len(labels), f"{source}: targets")
        if not (len(pred) == len(y) == len(conditions)):
            raise AbductionInputError(f"{source}: {len(pred)} predictions, {len(y)} targets and conditions for "
                                      f"{len(conditions)} samples; all must be equal")
        cond = conditions.values
        true_count = np.bincount(y, minlength=len(labels))
        rules: dict[str, tuple[str, ...]] = {}
        budget: dict[str, float] = {}
        for li, lab in enumerate(labels):
            q = float(self.epsilon) * float(true_count[li])
            budget[lab] = q
            rows = pred == li
            if not rows.any():
                rules[lab] = ()
                continue
            c = cond[rows]
            correct = y[rows] == li
            chosen = self._greedy(c, correct, q)
            rules[lab] = tuple(conditions.names[k] for k in chosen)
        self.rule_set_ = RuleSet(source, labels, rules)
        self.budget_ = budget
        self.train_report_ = self.rule_set_.report(pred, y, conditions)
        return self

    def _greedy(self, c: np.ndarray, correct: np.ndarray, q: float) -> list[int]:
        ci = c.astype(np.int32)
        neg_single = ci[correct].sum(0)
        available = neg_single <= q
        covered = np.zeros(len(c), dtype=bool)
        neg_cur = 0
        chosen: list[int] = []
        while available.any():
            if self.max_conditions is not None and len(chosen) >= self.max_conditions:
                break
            free = ~covered
            neg_new = neg_cur + ci[free & correct].sum(0)
            gain = ci[free & ~correct].sum(0)
            ok = available & (neg_new <= q)
            if not ok.any():
                break
            # largest gain; among equals the fewest wrongly flagged, then the lowest index
            score = np.where(ok, gain.astype(np.int64) * (len(c) + 1) - (neg_new - neg_cur), np.iinfo(np.int64).min)
            k = int(np.argmax(score))
            if gain[k] < self.min_gain:
                break
            chosen.append(k)
            covered |= c[:, k]
            neg_cur = int(neg_new[k])
            available[k] = False
        return chosen

    def flag(self, predictions: np.ndarray, conditions: ConditionSet) -> np.ndarray:
        """Flags of the fitted rules (see :meth:`RuleSet.flag`)."""
        if not hasattr(self, "rule_set_"):
            raise AbductionInputError("DetRuleLearner is not fitted; call fit() first")
        return self.rule_set_.flag(predictions, conditions)

    predict = flag
