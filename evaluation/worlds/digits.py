"""The digit CNN of the Π-NeSy benchmarks, trained once and cached.

The CNN is trained on the MNIST digit labels (as in the paper) and the class probabilities of every
image of the three splits are stored beside the weights, so repeated runs, other ``k`` values and the
smoke suite only pay for loading a few megabytes.

Cache folder: ``$NESY_CACHE_DIR`` if set, else ``~/.cache/nesykit``; entries live under
``pinesy-cnn/<key>/`` where the key names the architecture, epochs, training-set size and seed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.harness.cache import cache_root
from perception.datasets import Splits, load_mnist


def cache_dir() -> Path:
    """Root of the shared nesykit cache (``$NESY_CACHE_DIR`` or ``~/.cache/nesykit``)."""
    return cache_root()


@dataclass
class DigitProbabilities:
    """Class probabilities of a trained digit CNN on the three MNIST splits.

    Attributes:
        train, valid, test: float32 arrays (N, 10), rows summing to 1.
        accuracy: Digit accuracy per split.
        train_seconds: Time spent training (0 when loaded from the cache).
        key: Cache key of the model.
        cached: True when loaded from the cache.
    """

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    accuracy: dict[str, float]
    train_seconds: float
    key: str
    cached: bool


def _key(arch: str, epochs: int, n_train: int | None, seed: int) -> str:
    return f"{arch}-e{epochs}-n{n_train if n_train is not None else 'all'}-s{seed}"


def digit_probabilities(arch: str = "pinesy", epochs: int = 3, n_train: int | None = None, seed: int = 0,
                        splits: Splits | None = None, progress: bool = False) -> DigitProbabilities:
    """Train (or load from the cache) a digit CNN and return its probabilities on every split.

    Args:
        arch: ``pinesy`` (the paper's CNN) or ``lenet5``.
        epochs: Training epochs (Adam, lr 1e-3, batch 128; best validation epoch kept).
        n_train: Train on the first ``n_train`` training images only (None: all 50,000).
        seed: Training seed.
        splits: MNIST splits (loaded when None).
        progress: Show a progress bar while training.

    Raises:
        ValueError: for a bad ``epochs``/``n_train`` or an unknown architecture.
    """
    import torch

    from perception.cnn import build_cnn
    from perception.training import predict_proba, train_classifier

    if epochs < 1:
        raise ValueError(f"digit CNN: epochs must be >= 1, got {epochs}")
    if n_train is not None and n_train < 10:
        raise ValueError(f"digit CNN: n_train must be >= 10 or None, got {n_train}")
    key = _key(arch, epochs, n_train, seed)
    folder = cache_dir() / "pinesy-cnn" / key
    probs_file, meta_file = folder / "probs.npz", folder / "meta.json"
    if probs_file.is_file() and meta_file.is_file():
        with np.load(probs_file) as z:
            meta = json.loads(meta_file.read_text())
            return DigitProbabilities(z["train"], z["valid"], z["test"], meta["accuracy"], 0.0, key, True)
    splits = splits or load_mnist()
    x_train, y_train = splits.train
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    torch.manual_seed(seed)
    model = build_cnn(arch, num_classes=10)
    start = time.perf_counter()
    train_classifier(model, (x_train, y_train), splits.valid, epochs=epochs, seed=seed,
                     progress=progress, checkpoint=folder / "model.pt", device=torch.device("cpu"))
    seconds = time.perf_counter() - start
    probs = {name: predict_proba(model, getattr(splits, name)[0]).astype(np.float32)
             for name in ("train", "valid", "test")}
    acc = {name: float((probs[name].argmax(1) == getattr(splits, name)[1]).mean()) for name in probs}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "probs.tmp.npz"
    np.savez_compressed(tmp, **probs)
    tmp.replace(probs_file)
    meta_file.write_text(json.dumps({"accuracy": acc, "train_seconds": seconds, "arch": arch,
                                     "epochs": epochs, "n_train": n_train, "seed": seed}))
    return DigitProbabilities(probs["train"], probs["valid"], probs["test"], acc, seconds, key, False)
