"""The digit model of the Π-NeSy benchmarks: the ``wide`` CNN, its augmentation and recipe, and the metrics."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from evaluation.benchmarks.mnist_add import DEEPPROOFLOG, MnistAdd
from evaluation.worlds.digits import RECIPES, default_epochs
from perception.cnn import build_cnn, count_parameters
from perception.training import random_affine, train_classifier


def test_wide_cnn_shapes_and_size() -> None:
    model = build_cnn("wide").eval()
    assert model(torch.rand(3, 28, 28)).shape == (3, 10)
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    # wider convolutions, but no 3136×256 dense layer: fewer parameters than the paper's CNN
    assert count_parameters(build_cnn("lenet5")) < count_parameters(model) < count_parameters(build_cnn("pinesy"))


def test_random_affine_is_seeded_and_keeps_shapes() -> None:
    x = torch.zeros(4, 28, 28)
    x[:, 10:18, 12:16] = 1.0
    a = random_affine(x, torch.Generator().manual_seed(3))
    b = random_affine(x, torch.Generator().manual_seed(3))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, x) and float(a.sum()) == pytest.approx(float(x.sum()), rel=0.35)
    assert random_affine(x.unsqueeze(1), torch.Generator().manual_seed(3)).shape == (4, 1, 28, 28)
    # no transformation at all when every range is 0
    assert torch.allclose(random_affine(x, torch.Generator(), degrees=0, scale=0, shift=0), x, atol=1e-6)


def test_recipe_training_runs_and_rejects_unknown_options(tmp_path) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 64)
    x = (np.eye(10, 784)[y].reshape(-1, 28, 28) + rng.random((64, 28, 28)) * 0.1).astype(np.float32)
    model = build_cnn("wide")
    res = train_classifier(model, (x, y), (x, y), epochs=2, batch_size=16, progress=False,
                           checkpoint=tmp_path / "m.pt", **RECIPES["wide"]["train"])
    assert len(res.history) == 2
    # the checkpoint records the recipe: asking for the plain recipe does not silently reuse it
    with pytest.raises(ValueError, match="other settings"):
        train_classifier(build_cnn("wide"), (x, y), (x, y), epochs=2, batch_size=16, progress=False,
                         checkpoint=tmp_path / "m.pt")
    with pytest.raises(ValueError, match="unknown augmentation"):
        train_classifier(model, (x, y), epochs=1, augment="mixup", progress=False)
    with pytest.raises(ValueError, match="unknown schedule"):
        train_classifier(model, (x, y), epochs=1, schedule="cosine", progress=False)
    assert default_epochs("wide") == 10 and default_epochs("pinesy") == 3
    with pytest.raises(ValueError, match="unknown digit CNN"):
        default_epochs("vgg")


def test_published_figures_are_a_table_not_metrics() -> None:
    bench = MnistAdd()
    for k in (2, 4):
        ctx = SimpleNamespace(params={"k": k, "supervision": "sum"}, extra={"kept": {"c_1": 3}})
        tables = bench.tables([], ctx)
        assert tables["kept_samples"] == [{"rule_set": "c_1", "kept": 3}]
        if k in DEEPPROOFLOG:
            (row,) = tables["published"]
            assert row["source"].startswith("published") and row["accuracy"] == 0.94 and row["train_minutes"] == 25.4
        else:
            assert "published" not in tables
    out = [{"n": 10, "correct": 9, "ambiguous": 0, "all_digits_right": 9, "agree_with_all_digits_right": 10,
            "infer_s": 0.01}]
    ctx = SimpleNamespace(params={"k": 4, "supervision": "sum"},
                          extra={"cnn_test_digit_accuracy": 0.99, "weak_train_seconds": 120.0})
    metrics = bench.aggregate([{"outputs": o} for o in out], ctx)
    assert metrics["digit_accuracy"] == 0.99 and metrics["cnn_train_minutes"] == 2.0
    assert not [key for key in metrics if "deepprooflog" in key or "published" in key]
