"""Tie-break weights from held-out reliability, and the abduction problem of two-head predictions.

A prediction's *cell* is (source, flagged by its rules, predicted label, confidence band). The
held-out precision p of a cell says how often such predictions are right; the weights are

- ``reliability``: the smoothed precision ``(c + 2·p0) / (n + 2)`` (``p0``: the head's overall
  smoothed precision, also the value of cells never seen);
- ``logodds``: ``max(0, log((K-1) p / (1-p)))`` divided by its value at p = 0.995: the weights of
  the optimal weighted plurality vote of independent experts over K classes (Nitzan & Paroush),
  clipped at chance level and scaled to [0, 1].

:func:`two_head_problem` builds the :class:`~symbolic.abduction.problem.AbductionProblem` of fine and
coarse predictions (coarse labels follow the fine ones in the vocabulary; only fine labels cover),
weighted by such a table or by the raw confidences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from symbolic.abduction.conditions import CONF_EDGES, HeadPredictions
from symbolic.abduction.constraints import DomainConstraints
from symbolic.abduction.errors import AbductionInputError
from symbolic.abduction.problem import AbductionProblem

WEIGHT_KINDS = ("logodds", "reliability", "confidence")

#: source name -> {"keys": sorted cell codes, "values": weight per cell, "default": weight of unseen cells}
ReliabilityTable = dict[str, dict[str, Any]]


def prediction_cells(preds: HeadPredictions, flags: Mapping[str, np.ndarray], k: int,
                     head: str) -> tuple[np.ndarray, np.ndarray]:
    """Predictions of model ``k``'s ``head`` and their cell codes ``1000·flagged + 10·label + band``."""
    pred = preds.fine[k] if head == "fine" else preds.coarse[k]
    conf = preds.conf_f[k] if head == "fine" else preds.conf_c[k]
    band = np.clip(np.searchsorted(CONF_EDGES, conf, side="right") - 1, 0, len(CONF_EDGES) - 2)
    name = f"{preds.names[k]}.{head}"
    return pred, flags[name].astype(np.int64) * 1000 + pred * 10 + band


def _logodds(q: np.ndarray, n_cls: int) -> np.ndarray:
    q = np.clip(q, 1e-3, 0.995)
    return np.maximum(0.0, np.log((n_cls - 1) * q / (1 - q))) / np.log((n_cls - 1) * 0.995 / 0.005)


def reliability_weights(preds: HeadPredictions, flags: Mapping[str, np.ndarray], n_fine: int, n_coarse: int,
                        kind: str = "logodds") -> ReliabilityTable:
    """Weight per (source, flagged, predicted label, confidence band) cell from the precision on ``preds``.

    Args:
        preds: Held-out predictions with the truth.
        flags: Where each source's rules fire on ``preds`` (:func:`~symbolic.abduction.conditions.flag_heads`).
        n_fine, n_coarse: Classes of the two heads (K of the log-odds weights).
        kind: ``"logodds"`` or ``"reliability"`` (see the module docstring).

    Raises:
        AbductionInputError: an unknown ``kind``.
    """
    if kind not in ("logodds", "reliability"):
        raise AbductionInputError(f"kind must be 'logodds' or 'reliability', got {kind!r}")
    table: ReliabilityTable = {}
    for k, name in enumerate(preds.names):
        for head, truth in (("fine", preds.y), ("coarse", preds.yc)):
            pred, cell = prediction_cells(preds, flags, k, head)
            correct = pred == truth
            keys, inv = np.unique(cell, return_inverse=True)
            n = np.bincount(inv)
            c = np.bincount(inv, weights=correct)
            overall = (correct.sum() + 1) / (len(correct) + 2)
            values, default = (c + 2 * overall) / (n + 2), float(overall)
            if kind == "logodds":
                n_cls = n_fine if head == "fine" else n_coarse
                values, default = _logodds(values, n_cls), float(_logodds(np.array(default), n_cls))
            table[f"{name}.{head}"] = {"keys": keys, "values": values, "default": default}
    return table


def two_head_problem(preds: HeadPredictions, flags: Mapping[str, np.ndarray], constraints: DomainConstraints,
                     fine_names: Sequence[str], theta: float, n_models: int,
                     reliability: ReliabilityTable | None = None) -> AbductionProblem:
    """The abduction instance of the first ``n_models`` models' fine and coarse predictions.

    Args:
        preds: The predictions.
        flags: Rule flags per source (``"<name>.fine"``, ``"<name>.coarse"``).
        constraints: The label hierarchy; its vocabulary is the fine labels, then the coarse ones.
        fine_names: The fine labels (the covering labels).
        theta: Inconsistency-rate threshold.
        n_models: How many models (in ``preds.names`` order) take part.
        reliability: Weights by cell (:func:`reliability_weights`); None: the raw confidences.
    """
    n_fine = len(fine_names)
    names, conf = {}, {}
    for k, name in enumerate(preds.names[:n_models]):
        names[f"{name}.fine"] = preds.fine[k]
        names[f"{name}.coarse"] = preds.coarse[k] + n_fine
        if reliability is None:
            conf[f"{name}.fine"] = preds.conf_f[k]
            conf[f"{name}.coarse"] = preds.conf_c[k]
        else:
            for head in ("fine", "coarse"):
                tab = reliability[f"{name}.{head}"]
                _, cell = prediction_cells(preds, flags, k, head)
                pos = np.clip(np.searchsorted(tab["keys"], cell), 0, len(tab["keys"]) - 1)
                hit = tab["keys"][pos] == cell
                conf[f"{name}.{head}"] = np.where(hit, tab["values"][pos], tab["default"])
    return AbductionProblem.from_predictions(names, constraints, theta, flags={k: flags[k] for k in names},
                                             confidences=conf, covering_labels=fine_names)
