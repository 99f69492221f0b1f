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
from dataclasses import dataclass, field
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
        meta: What training recorded (``train_seconds``, ``train_cpu_seconds``, per-epoch ``history``...),
            also when loaded from the cache.
    """

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    accuracy: dict[str, float]
    train_seconds: float
    key: str
    cached: bool
    meta: dict = field(default_factory=dict)


#: Training recipe per architecture (beyond Adam, batch 128, best validation epoch kept) and its
#: default number of epochs. ``wide`` reaches 99.6 % test accuracy in 10 epochs of about 80 s of one
#: CPU core each: random affine augmentation and a one-cycle learning rate peaking at 3e-3.
RECIPES: dict[str, dict] = {
    "lenet5": {"epochs": 3, "train": {}},
    "pinesy": {"epochs": 3, "train": {}},
    "wide": {"epochs": 10, "train": {"augment": "affine", "schedule": "onecycle", "lr": 3e-3}},
}


def default_epochs(arch: str) -> int:
    """The recipe's number of epochs for ``arch``."""
    if arch not in RECIPES:
        raise ValueError(f"unknown digit CNN {arch!r}; choose one of {', '.join(RECIPES)}")
    return RECIPES[arch]["epochs"]


def _key(arch: str, epochs: int, n_train: int | None, seed: int) -> str:
    return f"{arch}-e{epochs}-n{n_train if n_train is not None else 'all'}-s{seed}"


def digit_probabilities(arch: str = "pinesy", epochs: int = 3, n_train: int | None = None, seed: int = 0,
                        splits: Splits | None = None, progress: bool = False) -> DigitProbabilities:
    """Train (or load from the cache) a digit CNN and return its probabilities on every split.

    Args:
        arch: ``pinesy`` (the paper's CNN), ``lenet5`` or ``wide`` (see :data:`RECIPES`).
        epochs: Training epochs (Adam, batch 128, the architecture's :data:`RECIPES`; best validation epoch kept).
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
            return DigitProbabilities(z["train"], z["valid"], z["test"], meta["accuracy"], 0.0, key, True, meta)
    splits = splits or load_mnist()
    x_train, y_train = splits.train
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    torch.manual_seed(seed)
    model = build_cnn(arch, num_classes=10)
    start, cpu0 = time.perf_counter(), time.process_time()
    result = train_classifier(model, (x_train, y_train), splits.valid, epochs=epochs, seed=seed,
                              progress=progress, checkpoint=folder / "model.pt", device=torch.device("cpu"),
                              **RECIPES.get(arch, {"train": {}})["train"])
    # Wall time depends on what else runs on the machine; the CPU time (all threads) does much less.
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu0
    probs = {name: predict_proba(model, getattr(splits, name)[0]).astype(np.float32)
             for name in ("train", "valid", "test")}
    acc = {name: float((probs[name].argmax(1) == getattr(splits, name)[1]).mean()) for name in probs}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "probs.tmp.npz"
    np.savez_compressed(tmp, **probs)
    tmp.replace(probs_file)
    meta = {"accuracy": acc, "train_seconds": seconds, "train_cpu_seconds": cpu_seconds,
            "torch_threads": torch.get_num_threads(), "history": result.history, "best_epoch": result.best_epoch,
            "arch": arch, "epochs": epochs, "n_train": n_train, "seed": seed}
    meta_file.write_text(json.dumps(meta))
    return DigitProbabilities(probs["train"], probs["valid"], probs["test"], acc, seconds, key, False, meta)
