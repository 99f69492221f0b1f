"""Heavy and Light MLPs of Hajbi (2026) for tabular binary classification, and their training.

- Heavy: Linear(d, 200) -> BN -> ReLU -> Dropout(0.3) -> Linear(200, 100) -> BN -> ReLU -> Dropout
  -> Linear(100, 1).
- Light: the same with 64 and 32 units and a choice of activation: ReLU, GELU, SiLU, or any
  elementwise module such as a discovered one (then called "Hybrid").

The networks return logits (the paper ends with a Sigmoid and BCE; logits with
``BCEWithLogitsLoss`` are the same model, numerically safer, and have the same parameter count).
For d = 54: Light 5,825 and Heavy 31,801 parameters, as in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

HEAVY_HIDDEN = (200, 100)
LIGHT_HIDDEN = (64, 32)
ACTIVATIONS = ("relu", "gelu", "silu", "tanh")


class NonFiniteTrainingError(ValueError):
    """Training produced a NaN/infinite loss; the message names the epoch and the activation."""


def make_activation(activation: str | nn.Module) -> nn.Module:
    """An activation module from a name (relu, gelu, silu, tanh) or a module (returned as is)."""
    if isinstance(activation, nn.Module):
        return activation
    table = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}
    if activation not in table:
        raise ValueError(f"unknown activation {activation!r}; use one of {ACTIVATIONS} or a torch module")
    return table[activation]()


class TabularMLP(nn.Module):
    """Linear -> BatchNorm -> activation -> Dropout per hidden layer, then a linear output.

    Args:
        in_features: Number of input columns.
        hidden: Widths of the hidden layers.
        activation: Name or module (the same stateless module is used in every layer).
        dropout: Dropout probability after each activation.
        out_features: 1 for binary classification (a logit).
    """

    def __init__(self, in_features: int, hidden: Sequence[int] = LIGHT_HIDDEN, activation: str | nn.Module = "relu",
                 dropout: float = 0.3, out_features: int = 1) -> None:
        super().__init__()
        if in_features < 1 or any(h < 1 for h in hidden):
            raise ValueError(f"layer sizes must be positive: in_features={in_features}, hidden={tuple(hidden)}")
        act = make_activation(activation)
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.BatchNorm1d(h), act, nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*layers)
        self.activation_name = getattr(act, "formula", type(act).__name__)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def heavy_mlp(in_features: int, out_features: int = 1) -> TabularMLP:
    """The paper's Heavy network (200-100, ReLU)."""
    return TabularMLP(in_features, HEAVY_HIDDEN, "relu", out_features=out_features)


def light_mlp(in_features: int, activation: str | nn.Module = "relu", out_features: int = 1) -> TabularMLP:
    """The paper's Light network (64-32); with a discovered activation module it is the Hybrid."""
    return TabularMLP(in_features, LIGHT_HIDDEN, activation, out_features=out_features)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (BatchNorm running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass
class TrainLog:
    """Mean training loss per epoch and wall time."""

    losses: list[float] = field(default_factory=list)
    time_s: float = 0.0


def _check_finite(name: str, X: np.ndarray) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        r = int(np.argwhere(bad)[0][0])
        raise ValueError(f"{name} holds {int(bad.sum())} NaN/infinite value(s), first in row {r}; clean the data first")


def train_binary(model: nn.Module, X: np.ndarray, y: np.ndarray, *, epochs: int = 15, batch_size: int = 1024,
                 lr: float = 1e-3, seed: int = 0) -> TrainLog:
    """Train with Adam and binary cross-entropy on logits (the paper's recipe: lr 1e-3, batch 1024).

    Raises:
        ValueError: NaN/infinite inputs or labels outside {0, 1}.
        NonFiniteTrainingError: when a batch loss becomes NaN/infinite (e.g. an activation that
            overflows); nothing non-finite is ever stepped into the weights.
    """
    import time

    X = np.asarray(X, dtype=np.float32)
    _check_finite("X", X)
    y = np.asarray(y)
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValueError("train_binary needs labels in {0, 1}")
    if epochs < 1 or batch_size < 2:
        raise ValueError(f"epochs must be >= 1 and batch_size >= 2, got {epochs}, {batch_size}")
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    log = TrainLog()
    n = len(xt)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            if len(idx) < 2:  # BatchNorm cannot normalise a single row
                continue
            loss = loss_fn(model(xt[idx]).squeeze(1), yt[idx])
            if not torch.isfinite(loss):
                act = getattr(model, "activation_name", "?")
                raise NonFiniteTrainingError(f"non-finite training loss at epoch {epoch + 1}, batch {i // batch_size} "
                                             f"(activation {act})")
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            count += len(idx)
        log.losses.append(total / max(count, 1))
    log.time_s = time.perf_counter() - t0
    return log


@torch.no_grad()
def predict_proba_binary(model: nn.Module, X: np.ndarray, batch_size: int = 8192) -> np.ndarray:
    """P(y = 1) for each row, shape (n,). Non-finite logits raise instead of becoming NaN."""
    X = np.asarray(X, dtype=np.float32)
    _check_finite("X", X)
    model.eval()
    out = []
    for i in range(0, len(X), batch_size):
        logits = model(torch.from_numpy(X[i:i + batch_size])).squeeze(1)
        if not torch.isfinite(logits).all():
            raise NonFiniteTrainingError(f"non-finite logits for rows {i}..{i + len(logits) - 1}")
        out.append(torch.sigmoid(logits).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def parameter_efficiency(auc: float, params: int) -> float:
    """The paper's Parameter Efficiency Score, AUC / log10(parameters)."""
    if params <= 1:
        raise ValueError(f"parameter count must be > 1, got {params}")
    return auc / math.log10(params)
