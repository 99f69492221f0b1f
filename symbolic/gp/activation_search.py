"""Univariate activation search: fitness = validation loss of a small network using the candidate.

This is the second search mode (in the spirit of Ramachandran et al., "Searching for Activation
Functions"): programs of one variable ``x`` are evolved, and each candidate is scored by training
a small MLP that uses it as its activation and measuring the validation log loss. The paper's
mode (a classifier program collapsed into one variable) is :func:`symbolic.gp.export.collapse_univariate`.

Candidates that are constant or not finite on [-6, 6] are rejected before any training, and a
training run whose loss becomes non-finite scores as invalid instead of leaking NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from symbolic.gp.engine import GPConfig, GPResult, run_gp
from symbolic.gp.export import DegenerateProgramError, to_sympy, torch_activation
from symbolic.gp.fitness import INVALID, check_xy
from symbolic.gp.primitives import PAPER_FUNCTIONS, Code

DEFAULT_SEARCH_CONFIG = dict(population_size=24, generations=4, tournament_size=3, init_depth=(1, 3),
                             function_set=PAPER_FUNCTIONS + ("tanh",), hall_of_fame=5)


class NetworkActivationTask:
    """Scores an activation program by training a small binary MLP with it (picklable).

    Args:
        X_train, y_train, X_valid, y_valid: Standardised features and 0/1 labels.
        hidden: Hidden layer widths; each layer is Linear -> BatchNorm -> activation.
        epochs, batch_size, lr: Adam training settings.
        seed: Initialisation and shuffling seed, the same for every candidate (a fair comparison).
    """

    def __init__(self, X_train, y_train, X_valid, y_valid, *, hidden: tuple[int, ...] = (32, 16),
                 epochs: int = 5, batch_size: int = 256, lr: float = 3e-3, seed: int = 0) -> None:
        X_train, y_train = check_xy(X_train, y_train, name="X_train")
        X_valid, y_valid = check_xy(X_valid, y_valid, name="X_valid")
        for name, y in (("y_train", y_train), ("y_valid", y_valid)):
            if not set(np.unique(y).tolist()) <= {0, 1}:
                raise ValueError(f"{name} must hold 0/1 labels")
        self.data = (X_train.astype(np.float32), y_train.astype(np.float32),
                     X_valid.astype(np.float32), y_valid.astype(np.float32))
        self.hidden, self.epochs, self.batch_size, self.lr, self.seed = tuple(hidden), epochs, batch_size, lr, seed

    def setup_worker(self) -> None:
        """One torch thread per worker: the pool already uses the cores."""
        import torch
        torch.set_num_threads(1)

    def __call__(self, code: Code) -> float:
        import torch
        from torch import nn

        try:
            act = torch_activation(code)
        except DegenerateProgramError:
            return INVALID
        xtr, ytr, xva, yva = (torch.from_numpy(a) for a in self.data)
        gen = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        layers: list[nn.Module] = []
        width = xtr.shape[1]
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.BatchNorm1d(h), act]
            width = h
        model = nn.Sequential(*layers, nn.Linear(width, 1))
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        loss_fn = nn.BCEWithLogitsLoss()
        n = len(xtr)
        for _ in range(self.epochs):
            model.train()
            order = torch.randperm(n, generator=gen)
            for i in range(0, n - 1, self.batch_size):
                idx = order[i:i + self.batch_size]
                if len(idx) < 2:  # BatchNorm needs two rows
                    continue
                loss = loss_fn(model(xtr[idx]).squeeze(1), ytr[idx])
                if not torch.isfinite(loss):
                    return INVALID
                opt.zero_grad()
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            value = float(loss_fn(model(xva).squeeze(1), yva))
        return value if math.isfinite(value) else INVALID

    def evaluate_batch(self, codes: list[Code]) -> list[float]:
        """Score several candidates in turn."""
        return [self(c) for c in codes]


@dataclass
class ActivationSearchResult:
    """Best activation found, its validation loss, and the search record."""

    program: str
    code: Code
    formula: str
    valid_loss: float
    result: GPResult


def search_activation(X_train, y_train, X_valid, y_valid, *, config: GPConfig | None = None,
                      seed: int = 0, **task_kwargs: Any) -> ActivationSearchResult:
    """Evolve a univariate activation scored by a small network's validation log loss.

    Args:
        X_train, y_train, X_valid, y_valid: Standardised features, 0/1 labels.
        config: Search settings; default :data:`DEFAULT_SEARCH_CONFIG` (24 programs x 4 generations).
        seed: Seed of the search and of every candidate's network.
        **task_kwargs: Passed to :class:`NetworkActivationTask` (hidden, epochs, batch_size, lr).

    Raises:
        RuntimeError: when no candidate trained to a finite loss.
    """
    config = config or GPConfig(**DEFAULT_SEARCH_CONFIG, seed=seed)
    if config.seed is None:
        config.seed = seed
    task = NetworkActivationTask(X_train, y_train, X_valid, y_valid, seed=seed, **task_kwargs)
    result = run_gp(task, config, None)
    if not math.isfinite(result.best.fitness):
        raise RuntimeError("activation search: no candidate trained to a finite validation loss")
    expr = to_sympy(result.best.code, univariate=True)
    return ActivationSearchResult(program=result.best.text, code=result.best.code, formula=str(expr),
                                  valid_loss=result.best.fitness, result=result)
