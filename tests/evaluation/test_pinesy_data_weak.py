"""Π-NeSy benchmark data (addition examples, Sudoku puzzles) and learning digits from sums.

The abduction itself (``symbolic.possibilistic.sum_abduction``) is tested in
``tests/symbolic/possibilistic/test_poss_sum_abduction.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from evaluation.worlds.mnist_addition.tasks import make_addition_set
from evaluation.worlds.mnist_addition.weak import train_from_sums
from evaluation.worlds.sudoku.puzzles import is_valid, make_puzzles


def test_addition_set_uses_each_image_once_and_sums_right():
    labels = np.random.default_rng(0).integers(0, 10, 1000)
    ds = make_addition_set(labels, k=3, seed=5)
    assert len(ds) == 1000 // 6 and ds.index.shape == (166, 2, 3)
    assert len(np.unique(ds.index)) == ds.index.size
    a, b, s = ds.numbers()
    assert all(x + y == z for x, y, z in zip(a, b, s, strict=True))
    again = make_addition_set(labels, k=3, seed=5)
    assert np.array_equal(ds.index, again.index)
    assert len(make_addition_set(labels, k=1, seed=0, limit=7)) == 7
    with pytest.raises(ValueError, match="too small"):
        make_addition_set(labels[:5], k=3, seed=0)
    with pytest.raises(ValueError, match="positive integer"):
        make_addition_set(labels, k=0, seed=0)
    with pytest.raises(ValueError, match="digits"):
        make_addition_set(labels + 10, k=1, seed=0)


@pytest.mark.parametrize("size", [4, 9])
def test_puzzles_valid_invalid_and_images(size):
    labels = np.repeat(np.arange(10), 400)
    ps = make_puzzles(labels, size, 6, 6, seed=3)
    assert ps.cells.shape == (12, size, size) and ps.valid.sum() == 6
    for grid, ok in zip(ps.cells, ps.valid, strict=True):
        assert is_valid(grid) == bool(ok)
    assert np.array_equal(labels[ps.images], ps.cells)            # each cell shows its digit
    assert len(np.unique(ps.images)) == ps.images.size            # no image reused while images remain
    assert np.array_equal(make_puzzles(labels, size, 6, 6, seed=3).cells, ps.cells)
    with pytest.raises(ValueError, match="4 or 9"):
        make_puzzles(labels, 5, 1, 1, seed=0)
    with pytest.raises(ValueError, match="no images of digit"):
        make_puzzles(np.zeros(50, dtype=int), 4, 2, 2, seed=0)


@pytest.mark.slow
def test_train_from_sums_runs_and_is_seeded():
    """Control flow of weak training on a tiny model (a real CNN is trained by the benchmark)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 96)
    images = (np.eye(10, 784)[labels].reshape(-1, 28, 28) + rng.random((96, 28, 28)) * 0.1).astype(np.float32)
    ds = make_addition_set(labels, k=2, seed=0)

    def run():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        res = train_from_sums(model, images, ds.index, ds.sum_digits, epochs=2, images_per_batch=24,
                              true_labels=labels, lr=0.05)
        return model, res

    m1, r1 = run()
    m2, r2 = run()
    assert len(r1.history) == 2 and r1.seconds > 0
    assert r1.history[-1]["pseudo_label_agreement"] >= r1.history[0]["pseudo_label_agreement"] - 0.05
    assert all(torch.equal(x, y) for x, y in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True))
    with pytest.raises(ValueError, match="epochs"):
        train_from_sums(m1, images, ds.index, ds.sum_digits, epochs=0)
