"""Explanations of min–max inference decisions, as plain data and as text.

Each rule i bounds the possibility of every output value u by its term
t_i(u) = max(s_i, λ_i) if u ∈ Q_i else max(r_i, ρ_i), and π(u) = min_i t_i(u). For a prediction u*
with closest alternative v (the next most possible value):

- rules **for** u*: t_i(u*) > t_i(v), they lower the alternative more than the prediction;
- rules **against** u*: t_i(u*) < 1, they lower the prediction (the smallest terms set π(u*)).

The necessity of the prediction is N(u*) = 1 − max_{u ≠ u*} π(u).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


def _fmt(v: Any) -> str:
    return repr(v)


@dataclass(frozen=True)
class RuleEvidence:
    """One rule's part in a decision.

    Attributes:
        index: Position of the rule in its rule set.
        rule: The rule's label (name or text).
        lam: Premise degree λ = Π(P).
        rho: Premise degree ρ = Π(¬P).
        s: Parameter s = π(q | ¬p).
        r: Parameter r = π(¬q | p).
        concludes_prediction: Whether the prediction lies in the rule's conclusion Q.
        bound_prediction: t_i(prediction), the bound this rule puts on the prediction's possibility.
        bound_alternative: t_i(alternative), or None without an alternative.
    """

    index: int
    rule: str
    lam: float
    rho: float
    s: float
    r: float
    concludes_prediction: bool
    bound_prediction: float
    bound_alternative: float | None

    def text(self, attribute: str, prediction: Any, alternative: Any) -> str:
        """One line: the rule, its degrees and the bounds it sets."""
        bounds = f"π({attribute}={_fmt(prediction)}) ≤ {self.bound_prediction:.3f}"
        if self.bound_alternative is not None:
            bounds += f", π({attribute}={_fmt(alternative)}) ≤ {self.bound_alternative:.3f}"
        return (f"{self.rule}  [λ={self.lam:.3f}, ρ={self.rho:.3f}, s={self.s:.3f}, r={self.r:.3f}]: {bounds}")


@dataclass
class Explanation:
    """Why a rule set predicted a value for one sample.

    Attributes:
        rule_set: Name of the rule set.
        attribute: Output attribute.
        prediction: Most possible value (the first in domain order when tied).
        possibility: π(prediction).
        necessity: 1 − the largest possibility of another value.
        ambiguous: Another value is exactly as possible as the prediction.
        alternative: The next most possible value (None if the domain has one value).
        alternative_possibility: Its possibility.
        ranking: The most possible values with their possibilities, descending (at most 5).
        supporting: Rules for the prediction, most discriminating first.
        opposing: Rules against the prediction, strongest first.
    """

    rule_set: str
    attribute: str
    prediction: Any
    possibility: float
    necessity: float
    ambiguous: bool
    alternative: Any
    alternative_possibility: float | None
    ranking: list[tuple[Any, float]]
    supporting: list[RuleEvidence] = field(default_factory=list)
    opposing: list[RuleEvidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serializable when the domain values are)."""
        return asdict(self)

    def text(self, max_rules: int = 5) -> str:
        """Readable multi-line explanation."""
        head = (f"[{self.rule_set}] {self.attribute} = {_fmt(self.prediction)}: possibility "
                f"{self.possibility:.3f}, necessity {self.necessity:.3f}")
        if self.ambiguous:
            head += f" — AMBIGUOUS (tied with {_fmt(self.alternative)})"
        elif self.alternative is not None:
            head += f" (next: {_fmt(self.alternative)} at {self.alternative_possibility:.3f})"
        lines = [head]
        if self.supporting:
            lines.append("  for:")
            lines += ["    " + e.text(self.attribute, self.prediction, self.alternative)
                      for e in self.supporting[:max_rules]]
        if self.opposing:
            lines.append("  against:")
            lines += ["    " + e.text(self.attribute, self.prediction, self.alternative)
                      for e in self.opposing[:max_rules]]
        if not self.supporting and not self.opposing:
            lines.append("  no rule distinguishes the prediction from the alternatives")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def explain_decision(*, rule_set_name: str, attribute: str, domain: tuple, labels: list[str],
                     inside: np.ndarray, value_block: np.ndarray, possibilities: np.ndarray,
                     lam: np.ndarray, rho: np.ndarray, s: np.ndarray, r: np.ndarray) -> Explanation:
    """Build the explanation of one sample (all arrays for that sample; see module docstring).

    Args:
        inside: (K, n) block-in-conclusion matrix of the partition.
        value_block: (|D|,) block of each value.
        possibilities: (|D|,) output possibilities.
        lam, rho: (n,) premise degrees.
        s, r: (n,) parameters.
    """
    pos = np.asarray(possibilities, dtype=float)
    order = np.argsort(-pos, kind="stable")
    pred = int(order[0])
    alt = int(order[1]) if pos.size > 1 else None
    top = pos[pred]
    alt_p = float(pos[alt]) if alt is not None else None
    necessity = 1.0 - (alt_p if alt_p is not None else 0.0)
    t_in, t_out = np.maximum(s, lam), np.maximum(r, rho)

    def terms(value: int) -> np.ndarray:
        return np.where(inside[value_block[value]], t_in, t_out)

    tp = terms(pred)
    ta = terms(alt) if alt is not None else None
    evidences = [RuleEvidence(index=i, rule=labels[i], lam=float(lam[i]), rho=float(rho[i]), s=float(s[i]),
                              r=float(r[i]), concludes_prediction=bool(inside[value_block[pred], i]),
                              bound_prediction=float(tp[i]),
                              bound_alternative=None if ta is None else float(ta[i]))
                 for i in range(len(labels))]
    supporting = [e for e in evidences if e.bound_alternative is not None
                  and e.bound_prediction > e.bound_alternative]
    supporting.sort(key=lambda e: (-(e.bound_prediction - (e.bound_alternative or 0.0)), e.index))
    opposing = [e for e in evidences if e.bound_prediction < 1.0]
    opposing.sort(key=lambda e: (e.bound_prediction, e.index))
    return Explanation(
        rule_set=rule_set_name, attribute=attribute, prediction=domain[pred], possibility=float(top),
        necessity=float(necessity), ambiguous=bool(alt is not None and pos[alt] == top),
        alternative=None if alt is None else domain[alt], alternative_possibility=alt_p,
        ranking=[(domain[int(i)], float(pos[int(i)])) for i in order[:5]],
        supporting=supporting, opposing=opposing)
