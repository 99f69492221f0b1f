"""The shift world: six condition-specific two-head classifiers and the shifted sets they predict on.

- six classifiers (fine + coarse label), each trained on one condition of Fashion-MNIST (or MNIST):
  clean, noise, blur, fog, snow, elastic (severities 2-3), cached under ``$NESY_CACHE_DIR`` (default
  ``~/.cache/nesykit``)/shift_abduction;
- 15 shifted test sets (:data:`TEST_SHIFTS`: single conditions at severity 4-5, an unseen
  corruption, compositions, mixtures), none identical to a training condition; each shift is
  applied to validation images and to test images;
- every set comes back as :class:`~symbolic.abduction.conditions.HeadPredictions` of all six models.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evaluation.harness.cache import cache_root
from perception.datasets import load_fashion_mnist, load_mnist
from perception.shift import Shift, build_two_head, hierarchy, image_statistics, predict_two_head, train_two_head
from symbolic.abduction import DomainConstraints
from symbolic.abduction.conditions import HeadPredictions

TRAIN_CONDITIONS = ("clean", "noise:2|noise:3", "blur:2|blur:3", "fog:2|fog:3", "snow:2|snow:3",
                    "elastic:2|elastic:3")
MODEL_NAMES = ("clean", "noise", "blur", "fog", "snow", "elastic")
TEST_SHIFTS = (
    "noise:5", "blur:5", "fog:5", "snow:5", "elastic:5", "brightness:4",
    "noise:4+blur:2", "fog:4+snow:3", "brightness:3+noise:3", "elastic:4+blur:3",
    "noise:4|blur:4|fog:4", "snow:4|elastic:4|brightness:4", "clean|noise:5|blur:5|fog:5|snow:5|elastic:5",
    "noise:3+fog:3|blur:3+snow:3", "noise:1|blur:1|fog:1|snow:1|elastic:1",
)
#: Bump when the training recipe changes: cached classifiers of other versions are ignored.
CACHE_VERSION = "1"


def cache_dir() -> Path:
    """Where trained classifiers are kept (``$NESY_CACHE_DIR`` or ``~/.cache/nesykit``)."""
    return cache_root("shift_abduction")


class ShiftWorld:
    """Data, label hierarchy and the six trained classifiers of one dataset and training recipe.

    Args:
        dataset: ``"fashion"`` or ``"mnist"``.
        arch: Classifier architecture (``perception.shift.ARCHITECTURES``).
        train_size, epochs, lr: Training recipe of every classifier.
        seed: Run seed (training images' corruption, initialisation, batches).

    Call :meth:`load` before anything else; it trains the classifiers or loads them from the cache.
    """

    def __init__(self, dataset: str, arch: str, train_size: int, epochs: int, lr: float, seed: int) -> None:
        self.dataset, self.arch = dataset, arch
        self.train_size, self.epochs, self.lr, self.seed = train_size, epochs, lr, seed
        self.fine_names, self.coarse_names, self.parent = hierarchy(dataset)
        self.constraints = DomainConstraints.hierarchy(
            {f: self.coarse_names[self.parent[i]] for i, f in enumerate(self.fine_names)})
        self.models: list[torch.nn.Module] = []
        self.info: list[dict[str, Any]] = []

    @classmethod
    def from_params(cls, params: Mapping[str, Any], seed: int) -> ShiftWorld:
        """The world a benchmark's parameters describe (keys dataset, arch, train_size, epochs, lr)."""
        return cls(params["dataset"], params["arch"], params["train_size"], params["epochs"], params["lr"], seed)

    def load(self) -> float:
        """Load the images and train (or load) the six classifiers; returns the seconds it took."""
        self.data = load_fashion_mnist() if self.dataset == "fashion" else load_mnist()
        self.models, self.info = [], []
        t0 = time.perf_counter()
        for k, cond in enumerate(TRAIN_CONDITIONS):
            model, hist, cached = self._classifier(k, cond)
            self.models.append(model)
            self.info.append({"model": MODEL_NAMES[k], "condition": cond, "cached": cached,
                              "train_seconds": sum(h["seconds"] for h in hist),
                              "train_accuracy": hist[-1]["train_accuracy"] if hist else None})
        return time.perf_counter() - t0

    def cache_key(self, cond: str) -> str:
        """The cache key of the classifier trained on ``cond`` (kept stable across releases)."""
        return json.dumps({"v": CACHE_VERSION, "dataset": self.dataset, "arch": self.arch, "cond": cond,
                           "train_size": self.train_size, "epochs": self.epochs, "lr": self.lr, "seed": self.seed},
                          sort_keys=True)

    def _classifier(self, k: int, cond: str) -> tuple[torch.nn.Module, list[dict], bool]:
        key = self.cache_key(cond)
        path = cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.pt"
        n_fine, n_coarse = len(self.fine_names), len(self.coarse_names)
        model = build_two_head(self.arch, n_fine, n_coarse)
        if path.exists():
            blob = torch.load(path, map_location="cpu", weights_only=False)
            model.load_state_dict(blob["state"])
            model.eval()
            return model, blob["history"], True
        x, y = self.data.train
        x, y = x[:self.train_size], y[:self.train_size]
        xs, _ = Shift.parse(cond).apply(x, seed=self.seed * 1000 + k)
        # a fresh model after seeding: the cached and the trained path must start from the same weights
        torch.manual_seed(self.seed * 1000 + k)
        model = build_two_head(self.arch, n_fine, n_coarse)
        hist = train_two_head(model, xs, y, self.parent[y], epochs=self.epochs, lr=self.lr, seed=self.seed + k)
        tmp = path.with_suffix(".tmp")
        torch.save({"state": model.state_dict(), "history": hist, "key": key}, tmp)
        os.replace(tmp, path)
        return model, hist, False

    def predict(self, x: np.ndarray, y: np.ndarray, shift: Shift, seed: int) -> HeadPredictions:
        """All six models' predictions on the images ``x`` under ``shift`` (corruption seeded by ``seed``)."""
        xs, _ = shift.apply(x, seed)
        probs = [predict_two_head(m, xs) for m in self.models]
        return HeadPredictions(MODEL_NAMES, probs, image_statistics(xs), y, self.parent)

    def test_set(self, shift: Shift, seed: int, valid_size: int,
                 test_size: int) -> tuple[HeadPredictions, HeadPredictions]:
        """Validation and test predictions of one shifted test set (random images drawn with ``seed``)."""
        xv, yv = self.data.valid
        xt, yt = self.data.test
        rng = np.random.default_rng(seed)
        vi = rng.permutation(len(yv))[:valid_size]
        ti = rng.permutation(len(yt))[:test_size]
        return self.predict(xv[vi], yv[vi], shift, seed + 1), self.predict(xt[ti], yt[ti], shift, seed + 2)

    def pooled_set(self, n_test_sets: int, seed: int) -> tuple[HeadPredictions, HeadPredictions]:
        """Validation (3000) and test (5000) predictions under the mixture of the first test shifts
        (the pool the scaling study bootstraps its instances from)."""
        shifts = Shift.parse("|".join(TEST_SHIFTS[:n_test_sets]))
        xv, yv = self.data.valid
        xt, yt = self.data.test
        n = min(5000, len(yt))
        valid = self.predict(xv[:min(3000, len(yv))], yv[:min(3000, len(yv))], shifts, seed + 11)
        test = self.predict(xt[:n], yt[:n], shifts, seed + 12)
        return valid, test
