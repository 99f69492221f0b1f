"""Rule conditions over the predictions of several two-head (fine + coarse) classifiers.

The EDCR rules of :mod:`symbolic.abduction.rules` fire on *conditions*: boolean columns computed from
the same samples the rules judge. For classifiers that predict a fine label and a coarse label of a
label hierarchy, the conditions used in the shift experiments (Leiva et al. 2025, on images) are,
for every model: its fine and coarse prediction, its fine-coarse incoherence, its confidence band;
for the samples: bands of image statistics; and, per judged model, how many other models agree with
its fine prediction. :class:`HeadPredictions` holds such predictions (plain arrays), and
:func:`fit_head_rules` / :func:`flag_heads` learn and apply one rule set per model and head.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from symbolic.abduction.rules import ConditionSet, DetRuleLearner, RuleSet, band_conditions, prediction_conditions

#: Confidence bands of the conditions and of the reliability cells.
CONF_EDGES = (0.0, 0.5, 0.7, 0.9, 1.0)
#: Agreement conditions ``agree<=j`` for j below this.
AGREE_LEVELS = 3


class HeadPredictions:
    """Fine and coarse predictions of several models on the same samples, with the truth.

    Args:
        names: Model names (source ``f"{name}.fine"`` / ``f"{name}.coarse"`` in rules and problems).
        probs: Per model, (fine probabilities (N, F), coarse probabilities (N, C)).
        stats: Per-sample statistics (name -> (N,)), e.g. image brightness; banded into conditions.
        y: True fine labels (N,).
        parent: Coarse label of each fine label (F,).

    Attributes:
        pf, pc: The probabilities; fine, coarse: arg-max labels; conf_f, conf_c: their probabilities.
        yc: True coarse labels.
    """

    def __init__(self, names: Sequence[str], probs: Sequence[tuple[np.ndarray, np.ndarray]],
                 stats: Mapping[str, np.ndarray], y: np.ndarray, parent: np.ndarray) -> None:
        self.names = tuple(names)[:len(probs)]
        self.pf = [p[0] for p in probs]
        self.pc = [p[1] for p in probs]
        self.fine = [p.argmax(1) for p in self.pf]
        self.coarse = [p.argmax(1) for p in self.pc]
        self.conf_f = [p.max(1) for p in self.pf]
        self.conf_c = [p.max(1) for p in self.pc]
        self.stats = dict(stats)
        self.y = y
        self.yc = parent[y]
        self.parent = parent

    def take(self, idx: np.ndarray) -> HeadPredictions:
        """The same predictions restricted to (or resampled at) the sample indices ``idx``."""
        out = object.__new__(HeadPredictions)
        for k in ("pf", "pc", "fine", "coarse", "conf_f", "conf_c"):
            setattr(out, k, [a[idx] for a in getattr(self, k)])
        out.names = self.names
        out.stats = {k: v[idx] for k, v in self.stats.items()}
        out.y, out.yc, out.parent = self.y[idx], self.yc[idx], self.parent
        return out

    def __len__(self) -> int:
        return len(self.y)

    @property
    def n_models(self) -> int:
        return len(self.fine)

    def conditions(self, fine_names: Sequence[str], coarse_names: Sequence[str],
                   stat_edges: Mapping[str, np.ndarray]) -> tuple[ConditionSet, list[np.ndarray]]:
        """Conditions shared by every judged model, and per model the count of others agreeing with it."""
        parts = []
        for k, name in enumerate(self.names):
            parts.append(prediction_conditions(f"{name}.f", self.fine[k], fine_names))
            parts.append(prediction_conditions(f"{name}.c", self.coarse[k], coarse_names))
            parts.append(ConditionSet((f"{name}.incoherent",), (self.parent[self.fine[k]] != self.coarse[k])[:, None]))
            parts.append(band_conditions(f"{name}.conf", self.conf_f[k], CONF_EDGES))
        for key, edges in stat_edges.items():
            parts.append(band_conditions(f"img.{key}", np.clip(self.stats[key], edges[0], edges[-1]), edges))
        shared = ConditionSet.concat(parts)
        fine = np.stack(self.fine, 1)
        agree = [(fine == fine[:, [k]]).sum(1) - 1 for k in range(fine.shape[1])]
        return shared, agree


def quantile_edges(stats: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Quartile band edges of each statistic (statistics with a single distinct value are left out)."""
    edges = {}
    for key, v in stats.items():
        q = np.unique(np.quantile(v, [0.0, 0.25, 0.5, 0.75, 1.0]))
        if q.size >= 2:
            edges[key] = q
    return edges


def agreement_conditions(agree: np.ndarray) -> ConditionSet:
    """``agree<=j``: at most j other models predict the same fine label."""
    return ConditionSet.from_columns({f"agree<={j}": agree <= j for j in range(AGREE_LEVELS)})


def model_conditions(preds: HeadPredictions, k: int, shared: ConditionSet, agree: list[np.ndarray]) -> ConditionSet:
    """The conditions the rules of model ``k`` see: the shared ones plus its agreement conditions."""
    return ConditionSet.concat([shared, agreement_conditions(agree[k])])


def fit_head_rules(preds: HeadPredictions, epsilon: float, stat_edges: Mapping[str, np.ndarray],
                   fine_names: Sequence[str], coarse_names: Sequence[str]) -> dict[str, RuleSet]:
    """One EDCR rule set per model and head (``"<name>.fine"``, ``"<name>.coarse"``), learned on ``preds``.

    Args:
        preds: Predictions with the truth the rules learn from.
        epsilon: Recall budget of :class:`DetRuleLearner`.
        stat_edges: Band edges of the statistics (:func:`quantile_edges` of the same data).
        fine_names, coarse_names: Label names of the two heads.
    """
    shared, agree = preds.conditions(fine_names, coarse_names, stat_edges)
    rules = {}
    for k, name in enumerate(preds.names):
        conds = model_conditions(preds, k, shared, agree)
        rules[f"{name}.fine"] = DetRuleLearner(epsilon=epsilon).fit(
            preds.fine[k], preds.y, conds, labels=fine_names, source=f"{name}.fine").rule_set_
        rules[f"{name}.coarse"] = DetRuleLearner(epsilon=epsilon).fit(
            preds.coarse[k], preds.yc, conds, labels=coarse_names, source=f"{name}.coarse").rule_set_
    return rules


def flag_heads(preds: HeadPredictions, rules: Mapping[str, RuleSet], stat_edges: Mapping[str, np.ndarray],
               fine_names: Sequence[str], coarse_names: Sequence[str],
               n_models: int | None = None) -> dict[str, np.ndarray]:
    """Where each head's rules fire on ``preds`` (source name -> bool (N,)), for the first ``n_models``."""
    shared, agree = preds.conditions(fine_names, coarse_names, stat_edges)
    flags = {}
    for k, name in enumerate(preds.names[:n_models]):
        conds = model_conditions(preds, k, shared, agree)
        flags[f"{name}.fine"] = rules[f"{name}.fine"].flag(preds.fine[k], conds)
        flags[f"{name}.coarse"] = rules[f"{name}.coarse"].flag(preds.coarse[k], conds)
    return flags
