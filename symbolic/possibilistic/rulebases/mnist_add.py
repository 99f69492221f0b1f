r"""MNIST addition of two k-digit numbers: the Π-NeSy rule base as data, and its cascade.

Attribute names follow the paper: the first number's digits are a_1 … a_k (a_1 most significant),
the second's a_{k+1} … a_{2k}; position j = k is the units. Per position j there are three rule sets,
processed from the units upward (a cascade: each set's output distribution is the next one's input):

- **pair tuple** c_j ∈ {0..9}² (j = k) or {0..9}²×{0,1} (j < k, the third component is the incoming
  carry w_{j+1}): 20 rules "if a_j = d then c_j has first component d" and "if a_{k+j} = d then c_j has
  second component d", plus for j < k the rule "if w_{j+1} = 0 then the carry component is 0";
- **carry** w_j ∈ {0,1}: one rule "if c_j ∈ {tuples whose sum ≥ 10} then w_j = 1";
- **output digit** y_j ∈ {0..9}: 10 rules "if c_j ∈ {tuples whose sum mod 10 = d} then y_j = d";
  and the leading digit y_0 ∈ {0,1}: "if w_1 = 0 then y_0 = 0".

Each rule set has its own parameters (s, r), learned in sequence; the pair tuples, carries and output
digits each share one threshold τ (three families), chosen by the greedy search of the paper on
validation accuracy. :class:`AdditionCascade` is :class:`~symbolic.possibilistic.CascadeEstimator` on
this rule base with array inputs: digit probabilities (N, 2, k, 10), operand digits (N, 2, k), position
0 = units; predictions are the sum's digits (N, k+1), units first (the last is the leading 0/1 digit).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from symbolic.possibilistic._tensor import ArrayLike
from symbolic.possibilistic.errors import ShapeError
from symbolic.possibilistic.estimators import CascadeEstimator, Stage
from symbolic.possibilistic.explain import Explanation
from symbolic.possibilistic.rules import Condition, Rule, RuleSet

DIGITS = tuple(range(10))
PAIRS = tuple((x, y) for x in DIGITS for y in DIGITS)
TRIPLES = tuple((x, y, w) for x in DIGITS for y in DIGITS for w in (0, 1))
FAMILIES = ("pair_tuples", "carry", "output_digits")


def pair_tuple_rules(k: int, j: int) -> RuleSet:
    """Rule set c_j (pair tuples) of MNIST-Add-k at position j (1 ≤ j ≤ k)."""
    _check_position(k, j, low=1)
    first, second, out = f"a_{j}", f"a_{k + j}", f"c_{j}"
    dom = PAIRS if j == k else TRIPLES
    rules = []
    for d in DIGITS:
        rules.append(Rule(Condition(first, d), [t for t in dom if t[0] == d], name=f"{first}={d}"))
        rules.append(Rule(Condition(second, d), [t for t in dom if t[1] == d], name=f"{second}={d}"))
    domains: dict[str, tuple] = {out: dom, first: DIGITS, second: DIGITS}
    if j < k:
        carry_in = f"w_{j + 1}"
        domains[carry_in] = (0, 1)
        rules.append(Rule(Condition(carry_in, 0), [t for t in dom if t[2] == 0], name=f"{carry_in}=0"))
    return RuleSet(out, domains, rules, name=out)


def carry_rules(k: int, j: int) -> RuleSet:
    """Rule set w_j (carry out of position j): w_j = 1 iff the tuple's sum is ≥ 10."""
    _check_position(k, j, low=1)
    dom = PAIRS if j == k else TRIPLES
    c, w = f"c_{j}", f"w_{j}"
    rule = Rule(Condition(c, [t for t in dom if sum(t) >= 10]), 1, name=f"{c} sums to 10 or more")
    return RuleSet(w, {w: (0, 1), c: dom}, [rule], name=w)


def output_digit_rules(k: int, j: int) -> RuleSet:
    """Rule set y_j: y_j = (tuple sum) mod 10 for 1 ≤ j ≤ k; y_0 = w_1 (the leading digit)."""
    _check_position(k, j, low=0)
    if j == 0:
        return RuleSet("y_0", {"y_0": (0, 1), "w_1": (0, 1)}, [Rule(Condition("w_1", 0), 0, name="w_1=0")],
                       name="y_0")
    dom = PAIRS if j == k else TRIPLES
    c, y = f"c_{j}", f"y_{j}"
    rules = [Rule(Condition(c, [t for t in dom if sum(t) % 10 == d]), d, name=f"{c} sums to {d} mod 10")
             for d in DIGITS]
    return RuleSet(y, {y: DIGITS, c: dom}, rules, name=y)


def _check_position(k: int, j: int, low: int) -> None:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"MNIST-Add: k must be a positive integer, got {k!r}")
    if not low <= j <= k:
        raise ValueError(f"MNIST-Add-{k}: position j must be in [{low}, {k}], got {j}")


@lru_cache(maxsize=8)
def mnist_add_rule_base(k: int) -> tuple[Stage, ...]:
    """All rule sets of MNIST-Add-k in learning order, as cascade stages with their families.

    Order: c_k, w_k, c_{k−1}, w_{k−1}, …, c_1, w_1, then y_k, …, y_1, y_0. Cached: rule sets are
    immutable, and reusing them reuses their partitions and masks.
    """
    _check_position(k, k, low=1)
    stages: list[Stage] = []
    for j in range(k, 0, -1):
        stages += [Stage(pair_tuple_rules(k, j), FAMILIES[0]), Stage(carry_rules(k, j), FAMILIES[1])]
    stages += [Stage(output_digit_rules(k, j), FAMILIES[2]) for j in range(k, -1, -1)]
    return tuple(stages)


def sum_digits(a: ArrayLike, b: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits of a + b and the carries, for digit arrays (N, k) indexed from the units.

    Returns:
        ``(digits, carries)``: digits (N, k+1) units first (the last is the leading 0/1 digit);
        carries (N, k), carries[:, p] = carry out of position p.
    """
    a, b = torch.as_tensor(np.asarray(a), dtype=torch.long), torch.as_tensor(np.asarray(b), dtype=torch.long)
    if a.shape != b.shape or a.dim() != 2:
        raise ValueError(f"digit arrays must both be (N, k); got {tuple(a.shape)} and {tuple(b.shape)}")
    n, k = a.shape
    digits = torch.empty(n, k + 1, dtype=torch.long)
    carries = torch.empty(n, k, dtype=torch.long)
    c = torch.zeros(n, dtype=torch.long)
    for p in range(k):  # a loop over positions; every sample at once
        s = a[:, p] + b[:, p] + c
        digits[:, p], c = s % 10, s // 10
        carries[:, p] = c
    digits[:, k] = c
    return digits, carries


class AdditionCascade(CascadeEstimator):
    """The Π-NeSy cascade for MNIST-Add-k: :class:`CascadeEstimator` on :func:`mnist_add_rule_base`.

    Args:
        k: Digits per operand.
        transform, ties, inputs, threshold, learn, search, grid_size, grid_exponent, epsilon, tol,
        min_improvement, stagnation, dtype, device, n_threads: As in :class:`CascadeEstimator`
            (``threshold`` families: ``pair_tuples``, ``carry``, ``output_digits``; ``min_improvement``
            defaults to 1e-4, a fraction of validation accuracy).

    Inputs: ``X`` digit probabilities (or possibilities) (N, 2, k, 10): [:, 0] the first operand,
    [:, 1] the second, position 0 = units. ``y``: the operands' digits (N, 2, k) (true labels or
    pseudo-labels); the cascade learns every stage from them (pair tuples, carries, sum digits).

    Example:
        >>> est = AdditionCascade(k=2).fit(X, digits, X_valid, digits_valid)   # doctest: +SKIP
        >>> est.predict(X_test)                      # sum digits (N, 3), units first  # doctest: +SKIP
    """

    targets = None  # the sum's digits: the outputs no stage reads

    def __init__(self, k: int = 1, *, transform: str = "antipignistic", ties: str = "order",
                 inputs: str = "probabilities", threshold: float | dict[str, float] | None = None,
                 learn: bool = True, search: bool = True, grid_size: int = 30, grid_exponent: float = 5.0,
                 epsilon: float = 1e-3, tol: float = 1e-3, min_improvement: float = 1e-4, stagnation: int = 1,
                 dtype: str = "float32", device: str = "cpu", n_threads: int | None = 1):
        self.k = k
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
        return mnist_add_rule_base(self.k)

    # ------------------------------------------------------------------ array ↔ attribute mappings
    def _inputs_of(self, X: ArrayLike) -> dict[str, ArrayLike]:
        k = self.k
        shape = tuple(getattr(X, "shape", np.shape(X)))
        if len(shape) != 4 or shape[1:] != (2, k, 10):
            raise ShapeError(f"X must have shape (n_samples, 2, k={k}, 10), got {shape}")
        out: dict[str, ArrayLike] = {}
        for j in range(1, k + 1):
            out[f"a_{j}"], out[f"a_{k + j}"] = X[:, 0, k - j], X[:, 1, k - j]
        return out

    def _labels_of(self, y: ArrayLike, n: int) -> dict[str, list]:
        k = self.k
        d = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)
        if d.shape != (n, 2, k):
            raise ShapeError(f"y must hold the operands' digits, shape (n_samples={n}, 2, k={k}); got {d.shape}")
        if d.size and (d.min() < 0 or d.max() > 9):
            raise ShapeError("y: digit labels must lie in 0..9")
        digits, carries = (t.numpy() for t in sum_digits(d[:, 0], d[:, 1]))
        labels: dict[str, list] = {}
        for p in range(k):
            j = k - p
            a, b = d[:, 0, p].tolist(), d[:, 1, p].tolist()
            labels[f"c_{j}"] = list(zip(a, b, strict=True)) if p == 0 else list(
                zip(a, b, carries[:, p - 1].tolist(), strict=True))
            labels[f"w_{j}"] = carries[:, p].tolist()
            labels[f"y_{j}"] = digits[:, p].tolist()
        labels["y_0"] = digits[:, k].tolist()
        return labels

    def fit(self, X: ArrayLike, y: ArrayLike, X_valid: ArrayLike | None = None,  # type: ignore[override]
            y_valid: ArrayLike | None = None) -> AdditionCascade:
        """Learn every rule set's (s, r); with validation data, search the three family thresholds.

        Args:
            X: Digit probabilities (N, 2, k, 10).
            y: The operands' digits (N, 2, k).
            X_valid, y_valid: Validation data of the same kinds (threshold search).

        Returns:
            self.
        """
        valid = (None, None) if X_valid is None or y_valid is None else (
            self._inputs_of(X_valid), self._labels_of(y_valid, len(X_valid)))
        super().fit(self._inputs_of(X), self._labels_of(y, len(X)), *valid)
        return self

    def predict_possibility(self, X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[override]
        """Possibility distributions of the sum's digits: (N, k, 10) units first, and the leading (N, 2)."""
        poss = self._forward(self._inputs_of(X))["poss"]
        k = self.k
        digits = torch.stack([poss[f"y_{k - p}"] for p in range(k)], 1)
        return digits.cpu().numpy(), poss["y_0"].cpu().numpy()

    def predict(self, X: ArrayLike, *, return_ambiguous: bool = False  # type: ignore[override]
                ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """The sum's digits (N, k+1), units first; with ``return_ambiguous`` also whether any is tied (N,)."""
        poss = self._forward(self._inputs_of(X))["poss"]
        k = self.k
        decided = [self._decide(poss[f"y_{k - p}"]) for p in range(k)] + [self._decide(poss["y_0"])]
        pred = torch.stack([v for v, _ in decided], 1).cpu().numpy()  # the domains' index is the digit
        if not return_ambiguous:
            return pred
        amb = torch.stack([a for _, a in decided], 1).any(1).cpu().numpy()
        return pred, amb

    def ambiguous(self, X: ArrayLike) -> np.ndarray:  # type: ignore[override]
        """Whether some digit of the predicted sum is tied (scored as an error), (N,)."""
        return self.predict(X, return_ambiguous=True)[1]

    def score(self, X: ArrayLike, y: ArrayLike) -> float:  # type: ignore[override]
        """Share of examples whose whole sum is predicted right and unambiguously (y: operand digits)."""
        pred, amb = self.predict(X, return_ambiguous=True)
        d = np.asarray(y)
        truth = sum_digits(d[:, 0], d[:, 1])[0].numpy()
        return float(((pred == truth).all(1) & ~amb).mean())

    def explain(self, X: ArrayLike,  # type: ignore[override]
                indices: Sequence[int] | int | None = None) -> list[dict[str, Explanation]]:
        """Per sample, output attribute (c_j, w_j, y_j) → :class:`Explanation` (see CascadeEstimator)."""
        return super().explain(self._inputs_of(X), indices)


__all__ = ["FAMILIES", "AdditionCascade", "carry_rules", "mnist_add_rule_base", "output_digit_rules",
           "pair_tuple_rules", "sum_digits"]
