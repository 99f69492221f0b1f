r"""Visual Sudoku classification: the Π-NeSy pairwise-difference rule base as data, and its cascade.

The constraint set F holds every unordered pair of cells f = (i, j, i', j') sharing a row, a column or
a box (56 pairs at 4×4, 810 at 9×9). Per pair, a first-level rule set with output b_f ∈ [size]² and
2·size rules "if a_{i,j} = d then b_f has first component d", "if a_{i',j'} = d then b_f has second
component d". One second-level rule with a conjunctive premise: "if every b_f ∈ {(x, y) : x ≠ y} then
c = 1" (λ = min_f Π_f(x ≠ y), ρ = max_f Π_f(x = y)). Every first-level set has its own (s, r); the
pair sets share the threshold family ``pairs``, the validity rule is family ``validity``. Cell digits
are 0..size−1. The pair rule sets have one structure, so the cascade learns them as one batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from symbolic.possibilistic._tensor import ArrayLike
from symbolic.possibilistic.errors import ShapeError
from symbolic.possibilistic.estimators import CascadeEstimator, Stage
from symbolic.possibilistic.explain import Explanation
from symbolic.possibilistic.rules import Condition, Rule, RuleSet

FAMILIES = ("pairs", "validity")


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


@lru_cache(maxsize=4)
def _pairs(size: int) -> tuple[tuple[int, int], ...]:
    return tuple((x, y) for x in range(size) for y in range(size))


@lru_cache(maxsize=4)
def _components(size: int) -> tuple[tuple[frozenset, frozenset], ...]:
    """Per digit d, the pairs with first component d and those with second component d (shared by all f)."""
    dom = _pairs(size)
    return tuple((frozenset(t for t in dom if t[0] == d), frozenset(t for t in dom if t[1] == d))
                 for d in range(size))


def pair_rules(size: int, f: tuple[int, int, int, int]) -> RuleSet:
    """First-level rule set of the pair f: b_f = (digit of cell (i, j), digit of cell (i', j'))."""
    i, j, ip, jp = f
    dom, digits = _pairs(size), tuple(range(size))
    first, second, out = f"a_{i}_{j}", f"a_{ip}_{jp}", f"b_{i}_{j}_{ip}_{jp}"
    rules = []
    for d, (with_first, with_second) in zip(digits, _components(size), strict=True):
        rules.append(Rule(Condition(first, d), with_first, name=f"{first}={d}"))
        rules.append(Rule(Condition(second, d), with_second, name=f"{second}={d}"))
    return RuleSet(out, {out: dom, first: digits, second: digits}, rules, name=out)


def validity_rules(size: int) -> RuleSet:
    """Second-level rule set: "if every constrained pair differs then c = 1"; c's domain is (1, 0)."""
    dom = _pairs(size)
    diff = [t for t in dom if t[0] != t[1]]
    outs = [f"b_{i}_{j}_{ip}_{jp}" for i, j, ip, jp in sudoku_constraints(size)]
    rule = Rule([Condition(b, diff) for b in outs], 1, name="every constrained pair of cells differs")
    return RuleSet("c", {"c": (1, 0), **dict.fromkeys(outs, dom)}, [rule], name="validity")


@lru_cache(maxsize=4)
def sudoku_rule_base(size: int) -> tuple[Stage, ...]:
    """The pair rule sets (family ``pairs``) then the validity rule set (family ``validity``)."""
    return tuple([Stage(pair_rules(size, f), FAMILIES[0]) for f in sudoku_constraints(size)]
                 + [Stage(validity_rules(size), FAMILIES[1])])


class SudokuCascade(CascadeEstimator):
    """The Π-NeSy cascade for visual Sudoku: :class:`CascadeEstimator` on :func:`sudoku_rule_base`.

    Args:
        size: 4 or 9.
        transform, ties, inputs, threshold, learn, search, grid_size, grid_exponent, epsilon, tol,
        min_improvement, stagnation, dtype, device, n_threads: As in :class:`CascadeEstimator`
            (``min_improvement`` defaults to 1e-4).

    Inputs: ``X`` cell probabilities (N, size, size, size) (last axis: digits 0..size−1); ``y`` puzzle
    validity (N,), 1 valid / 0 invalid; :meth:`fit` also needs the cells' digits (the pair rule sets'
    targets).
    """

    targets = None  # the validity c

    def __init__(self, size: int = 4, *, transform: str = "antipignistic", ties: str = "order",
                 inputs: str = "probabilities", threshold: float | dict[str, float] | None = None,
                 learn: bool = True, search: bool = True, grid_size: int = 30, grid_exponent: float = 5.0,
                 epsilon: float = 1e-3, tol: float = 1e-3, min_improvement: float = 1e-4, stagnation: int = 1,
                 dtype: str = "float32", device: str = "cpu", n_threads: int | None = 1):
        self.size = size
        self.transform = transform
        self.ties = ties
        self.inputs = inputs
        self.threshold = threshold
        self.learn = learn
        self.search = search
        self.grid_size = grid_size
        self.grid_exponent = grid_exponent
        self.epsilon = epsilon
        self.tol = tol
        self.min_improvement = min_improvement
        self.stagnation = stagnation
        self.dtype = dtype
        self.device = device
        self.n_threads = n_threads

    def _stage_list(self) -> tuple[Stage, ...]:
        return sudoku_rule_base(self.size)

    def _inputs_of(self, X: ArrayLike) -> dict[str, ArrayLike]:
        s = self.size
        shape = tuple(getattr(X, "shape", np.shape(X)))
        if len(shape) != 4 or shape[1:] != (s, s, s):
            raise ShapeError(f"X must have shape (n_samples, {s}, {s}, {s}), got {shape}")
        return {f"a_{i}_{j}": X[:, i, j] for i in range(s) for j in range(s)}

    def _labels_of(self, y: ArrayLike, cells: ArrayLike | None, n: int) -> dict[str, list]:
        v = np.asarray(y).reshape(-1)
        if v.shape != (n,) or not np.isin(v, (0, 1)).all():
            raise ShapeError(f"y must be 0/1 validity labels of shape ({n},), got shape {v.shape}")
        labels: dict[str, list] = {"c": v.tolist()}
        if cells is not None:
            c = np.asarray(cells)
            if c.shape != (n, self.size, self.size):
                raise ShapeError(f"cells must have shape ({n}, {self.size}, {self.size}), got {c.shape}")
            for i, j, ip, jp in sudoku_constraints(self.size):
                labels[f"b_{i}_{j}_{ip}_{jp}"] = list(zip(c[:, i, j].tolist(), c[:, ip, jp].tolist(), strict=True))
        return labels

    def fit(self, X: ArrayLike, y: ArrayLike, X_valid: ArrayLike | None = None,  # type: ignore[override]
            y_valid: ArrayLike | None = None, *, cells: ArrayLike) -> SudokuCascade:
        """Learn the rule parameters; with validation data, search the two family thresholds.

        Args:
            X: Cell probabilities (N, size, size, size).
            y: Validity (N,), 1 valid / 0 invalid.
            X_valid, y_valid: Validation puzzles (threshold search).
            cells: The training cells' digits (N, size, size).

        Returns:
            self.
        """
        valid = (None, None) if X_valid is None or y_valid is None else (
            self._inputs_of(X_valid), self._labels_of(y_valid, None, len(X_valid)))
        super().fit(self._inputs_of(X), self._labels_of(y, cells, len(X)), *valid)
        return self

    def predict_possibility(self, X: ArrayLike) -> np.ndarray:  # type: ignore[override]
        """Possibility of (valid, invalid) per puzzle, (N, 2)."""
        return self._forward(self._inputs_of(X))["poss"]["c"].cpu().numpy()

    def predict(self, X: ArrayLike, *, return_ambiguous: bool = False  # type: ignore[override]
                ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predicted validity (1 / 0) per puzzle; with ``return_ambiguous`` also the ties (N,)."""
        idx, amb = self._decide(self._forward(self._inputs_of(X))["poss"]["c"])
        pred = (1 - idx).cpu().numpy()  # c's domain is (1, 0)
        return (pred, amb.cpu().numpy()) if return_ambiguous else pred

    def ambiguous(self, X: ArrayLike) -> np.ndarray:  # type: ignore[override]
        """Whether π(valid) = π(invalid) (scored as an error), (N,)."""
        return self.predict(X, return_ambiguous=True)[1]

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """π(valid) − π(invalid): a ranking score (ROC-AUC)."""
        poss = self.predict_possibility(X)
        return poss[:, 0] - poss[:, 1]

    def score(self, X: ArrayLike, y: ArrayLike) -> float:  # type: ignore[override]
        """Accuracy; an ambiguous prediction counts as wrong."""
        pred, amb = self.predict(X, return_ambiguous=True)
        return float(((pred == np.asarray(y)) & ~amb).mean())

    def explain(self, X: ArrayLike,  # type: ignore[override]
                indices: Sequence[int] | int | None = None) -> list[dict[str, Explanation]]:
        """Per puzzle, output attribute (b_f, c) → :class:`Explanation` (see CascadeEstimator)."""
        return super().explain(self._inputs_of(X), indices)


__all__ = ["FAMILIES", "SudokuCascade", "pair_rules", "sudoku_constraints", "sudoku_rule_base", "validity_rules"]
