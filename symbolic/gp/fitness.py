"""Fitness tasks: picklable objects that score a batch of programs on whole arrays.

A task is sent once to each worker (process pool or Ray actor) and then only program codes
(tuples of names and floats) travel, never DEAP objects. Lower fitness is better everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from symbolic.gp.primitives import ARITY, NUMPY_FUNCS, Code, argument_names, evaluate_code

#: gplearn's probability clip in its log loss; the loss of one sample is at most -log(EPS) ~ 34.5.
EPS = 1e-15
_LOSS_MIN = -math.log1p(-EPS)
_LOSS_MAX = -math.log(EPS)
#: Fitness of a program whose output is not finite on the data (overflow, inf - inf).
INVALID = math.inf


def check_xy(X, y=None, *, name: str = "X") -> tuple[np.ndarray, np.ndarray | None]:
    """Validate training arrays: 2-D, numeric, finite, matching lengths.

    Raises:
        ValueError: with the position of the first NaN / infinite value, or the shape problem.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows, features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    bad = ~np.isfinite(X)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(f"{name} contains {int(bad.sum())} NaN/infinite value(s), first at row {r}, column {c}; "
                         "impute or drop them before the search")
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be 1-D with {len(X)} entries, got shape {y.shape}")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError(f"y contains NaN/infinite values at rows {np.flatnonzero(~np.isfinite(y))[:5].tolist()}")
    return X, y


class ArrayTask:
    """Base of the tasks that evaluate programs on a feature matrix.

    Args:
        X, y: Training data (validated: finite, matching lengths).
        subtree_cache_mb: Memory for memoised subtree outputs. Offspring share most subtrees with
            their parents (crossover swaps one subtree), and ``sin(X3)``-like leaves recur across the
            population, so each program costs only the array operations on its new path. 0 disables.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, subtree_cache_mb: float = 64.0) -> None:
        X, y = check_xy(X, y)
        self.n = len(X)
        # Contiguous columns: one gather per program would dominate for narrow programs.
        self._columns = {name: np.ascontiguousarray(X[:, i]) for i, name in enumerate(argument_names(X.shape[1]))}
        self.y = np.asarray(y, dtype=np.float64)
        self._cache_limit = int(subtree_cache_mb * 2**20 / (8 * self.n + 200))
        self._cache: dict[Code, object] = {}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_cache"] = {}  # workers build their own
        return state

    def outputs(self, code: Code) -> np.ndarray:
        """The program's raw output on every row (one array operation per node not already cached)."""
        if self._cache_limit <= 0:
            return evaluate_code(code, self._columns, self.n)
        n_tok = len(code)
        ends = [0] * n_tok
        stack: list[int] = []
        for i in range(n_tok - 1, -1, -1):  # subtree end of every node, in one reverse pass
            tok = code[i]
            end = i + 1
            if tok.__class__ is str:
                for _ in range(ARITY.get(tok, 0)):
                    end = stack.pop()
            ends[i] = end
            stack.append(end)
        cache, cols, funcs = self._cache, self._columns, NUMPY_FUNCS

        def ev(i: int):
            tok = code[i]
            if tok.__class__ is float:
                return tok
            arity = ARITY.get(tok)
            if arity is None:
                return cols[tok]
            key = code[i:ends[i]]
            value = cache.get(key)
            if value is None:
                if arity == 1:
                    value = funcs[tok](ev(i + 1))
                else:
                    value = funcs[tok](ev(i + 1), ev(ends[i + 1]))
                cache[key] = value
            return value

        out = ev(0)
        if len(cache) > self._cache_limit:  # drop the older half (dicts keep insertion order)
            for key in list(cache)[: len(cache) // 2]:
                del cache[key]
        if np.ndim(out) == 0:
            out = np.full(self.n, float(out))
        return out

    def loss(self, z: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, code: Code) -> float:
        with np.errstate(all="ignore"):
            z = self.outputs(code)
            if not np.isfinite(z).all():
                return INVALID
            value = self.loss(z)
        return value if math.isfinite(value) else INVALID

    def evaluate_batch(self, codes: Sequence[Code]) -> list[float]:
        """Fitness of many programs (one NumPy error-state switch for the whole batch)."""
        out = []
        with np.errstate(all="ignore"):
            for code in codes:
                z = self.outputs(code)
                if not np.isfinite(z).all():
                    out.append(INVALID)
                    continue
                value = self.loss(z)
                out.append(value if math.isfinite(value) else INVALID)
        return out


class LogLossTask(ArrayTask):
    """Binary classification as in gplearn's SymbolicClassifier: mean log loss of sigmoid(program).

    Computed as ``softplus(-s*z)`` with ``s = 2y - 1`` (one stable expression instead of a sigmoid,
    two clips and two logs), then clipped exactly where gplearn clips probabilities at 1e-15.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, subtree_cache_mb: float = 64.0) -> None:
        y = np.asarray(y)
        values = np.unique(y)
        if not set(values.tolist()) <= {0, 1}:
            raise ValueError(f"LogLossTask needs labels in {{0, 1}}, got {values[:10].tolist()}")
        super().__init__(X, y, subtree_cache_mb)
        self._neg_sign = -(2.0 * self.y - 1.0)

    def loss(self, z: np.ndarray) -> float:
        # softplus(m) = max(m, 0) + log1p(exp(-|m|)): 3x faster than np.logaddexp, and stable.
        m = self._neg_sign * z
        per = np.exp(-np.abs(m))
        np.log1p(per, out=per)
        per += np.maximum(m, 0.0)
        np.clip(per, _LOSS_MIN, _LOSS_MAX, out=per)
        return float(np.add.reduce(per)) / self.n


class RegressionTask(ArrayTask):
    """Symbolic regression: mean squared error, root mean squared error or mean absolute error."""

    METRICS = ("mse", "rmse", "mae")

    def __init__(self, X: np.ndarray, y: np.ndarray, metric: str = "mse", subtree_cache_mb: float = 64.0) -> None:
        if metric not in self.METRICS:
            raise ValueError(f"metric {metric!r} is not one of {self.METRICS}")
        super().__init__(X, y, subtree_cache_mb)
        self.metric = metric

    def loss(self, z: np.ndarray) -> float:
        d = z - self.y
        if self.metric == "mae":
            return float(np.abs(d).mean())
        mse = float(np.dot(d, d)) / self.n
        return math.sqrt(mse) if self.metric == "rmse" else mse


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out
