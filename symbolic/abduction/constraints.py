"""Domain constraints as data: mutually exclusive labels, a label hierarchy, user nogoods.

All constraints are compiled into one symmetric *conflict relation* over the label vocabulary:
two labels conflict when they cannot both hold for one sample. With ``up(a)`` the reflexive,
transitive closure of the implications (``a`` implies ``b``: a fine label implies its coarse label),

    conflict(a, c)  iff  some a' in up(a) and c' in up(c) are exclusive (same group, a' != c')
                         or form a user nogood.

``conflict(a, a)`` holds when a label implies two exclusive labels; such a label can never be
consistent, and the engine treats every prediction of it as inconsistent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from symbolic.abduction.errors import AbductionInputError, UnknownLabelError


def _names(values: Iterable[str], what: str) -> tuple[str, ...]:
    out = tuple(values)
    for v in out:
        if not isinstance(v, str) or not v:
            raise AbductionInputError(f"{what}: labels must be non-empty strings, got {v!r}")
    return out


@dataclass(frozen=True)
class DomainConstraints:
    """Label vocabulary plus the constraints that relate labels of one sample.

    Args:
        labels: The label vocabulary (fine and coarse labels together), unique non-empty strings.
        exclusive: Groups of mutually exclusive labels (at most one label of a group per sample).
        implies: Pairs ``(a, b)``: a sample with label ``a`` also has label ``b`` (hierarchy edges).
        nogoods: User constraints: pairs ``(a, b)`` that never hold together for one sample.
        hard: If True, conflicting labels may never be accepted together for one sample (a hard
            constraint of the abduction problem); if False (the default) conflicts are allowed but
            every prediction involved counts as inconsistent in the inconsistency rate.

    Raises:
        UnknownLabelError: a constraint names a label not in ``labels`` (the message says which).
        AbductionInputError: duplicate labels or malformed groups/pairs.

    Example:
        >>> dc = DomainConstraints.hierarchy({"cat": "animal", "dog": "animal", "car": "vehicle"})
        >>> dc.conflicts("cat", "vehicle"), dc.conflicts("cat", "animal")
        (True, False)
    """

    labels: tuple[str, ...]
    exclusive: tuple[tuple[str, ...], ...] = ()
    implies: tuple[tuple[str, str], ...] = ()
    nogoods: tuple[tuple[str, str], ...] = ()
    hard: bool = False
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    _conflict: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        labels = _names(self.labels, "DomainConstraints.labels")
        if not labels:
            raise AbductionInputError("DomainConstraints.labels is empty")
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise AbductionInputError(f"DomainConstraints.labels has duplicates: {dup}")
        index = {name: i for i, name in enumerate(labels)}

        def check(name: str, where: str) -> int:
            if name not in index:
                raise UnknownLabelError(f"{where} names unknown label {name!r}; known labels: {list(labels)}")
            return index[name]

        exclusive = tuple(tuple(g) for g in self.exclusive)
        implies = tuple(tuple(p) for p in self.implies)
        nogoods = tuple(tuple(p) for p in self.nogoods)
        n = len(labels)
        base = np.zeros((n, n), dtype=bool)
        for gi, group in enumerate(exclusive):
            idx = [check(x, f"exclusive group {gi}") for x in group]
            for a in idx:
                for b in idx:
                    if a != b:
                        base[a, b] = True
        for pi, pair in enumerate(nogoods):
            if len(pair) != 2:
                raise AbductionInputError(f"nogood {pi} must be a pair of labels, got {pair!r}")
            a, b = check(pair[0], f"nogood {pi}"), check(pair[1], f"nogood {pi}")
            base[a, b] = base[b, a] = True
        up = np.eye(n, dtype=bool)
        for pi, pair in enumerate(implies):
            if len(pair) != 2:
                raise AbductionInputError(f"implication {pi} must be a pair (a, b), got {pair!r}")
            a, b = check(pair[0], f"implication {pi}"), check(pair[1], f"implication {pi}")
            up[a, b] = True
        # transitive closure (Warshall on a boolean matrix; the vocabulary is small)
        for k in range(n):
            up |= up[:, [k]] & up[[k], :]
        # conflict(a, c) = exists a' in up(a), c' in up(c) with base(a', c')
        conflict = (up.astype(np.int64) @ base.astype(np.int64) @ up.T.astype(np.int64)) > 0
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "exclusive", exclusive)
        object.__setattr__(self, "implies", implies)
        object.__setattr__(self, "nogoods", nogoods)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_conflict", conflict)

    @classmethod
    def hierarchy(cls, fine_to_coarse: Mapping[str, str], *, extra_nogoods: Sequence[tuple[str, str]] = (),
                  hard: bool = False) -> DomainConstraints:
        """Constraints of a two-level label hierarchy.

        Fine labels are mutually exclusive, coarse labels are mutually exclusive, and each fine label
        implies its coarse label.

        Args:
            fine_to_coarse: Map from every fine label to its coarse label.
            extra_nogoods: User nogoods added to the hierarchy.
            hard: See the class documentation.
        """
        fine = tuple(fine_to_coarse)
        coarse = tuple(dict.fromkeys(fine_to_coarse.values()))
        clash = sorted(set(fine) & set(coarse))
        if clash:
            raise AbductionInputError(f"labels used both as fine and coarse labels: {clash}")
        return cls(labels=fine + coarse, exclusive=(fine, coarse),
                   implies=tuple(fine_to_coarse.items()), nogoods=tuple(extra_nogoods), hard=hard)

    def index(self, label: str) -> int:
        """Position of ``label`` in the vocabulary.

        Raises:
            UnknownLabelError: the label is not in the vocabulary.
        """
        try:
            return self._index[label]
        except KeyError:
            raise UnknownLabelError(f"unknown label {label!r}; known labels: {list(self.labels)}") from None

    def encode(self, labels: Sequence[str] | np.ndarray, where: str = "labels") -> np.ndarray:
        """Map label names to vocabulary indices (int64), naming the first unknown label and its position."""
        arr = np.asarray(labels)
        if arr.dtype.kind in "iu":
            bad = np.flatnonzero((arr < 0) | (arr >= len(self.labels)))
            if bad.size:
                raise UnknownLabelError(f"{where}[{bad[0]}] = {arr[bad[0]]} is not a label index in "
                                        f"[0, {len(self.labels)})")
            return arr.astype(np.int64)
        out = np.empty(arr.shape, dtype=np.int64)
        for i, name in enumerate(arr.ravel().tolist()):
            j = self._index.get(name)
            if j is None:
                raise UnknownLabelError(f"{where}[{i}] = {name!r} is not a known label; known labels: "
                                        f"{list(self.labels)}")
            out.flat[i] = j
        return out

    @property
    def conflict_matrix(self) -> np.ndarray:
        """Symmetric boolean matrix (L, L): entry (a, b) is True when labels a and b conflict."""
        return self._conflict.copy()

    def conflicts(self, a: str, b: str) -> bool:
        """Whether labels ``a`` and ``b`` cannot both hold for one sample."""
        return bool(self._conflict[self.index(a), self.index(b)])

    def unsatisfiable(self) -> list[str]:
        """Labels that conflict with themselves (they imply two exclusive labels)."""
        return [self.labels[i] for i in np.flatnonzero(np.diag(self._conflict))]

    def to_dict(self) -> dict:
        """Plain-data form (JSON-serializable)."""
        return {"labels": list(self.labels), "exclusive": [list(g) for g in self.exclusive],
                "implies": [list(p) for p in self.implies], "nogoods": [list(p) for p in self.nogoods],
                "hard": self.hard}
