import pytest

from evaluation.harness.runner import run_benchmark


@pytest.mark.slow
def test_mnist_digits_small_run_is_reproducible(tmp_path):
    params = {"epochs": 1, "train_size": 3000, "batch_size": 32, "arch": "lenet5"}
    a = run_benchmark("mnist-digits", params, seed=5, limit=2, out=tmp_path / "a", progress=False)
    b = run_benchmark("mnist-digits", params, seed=5, limit=2, out=tmp_path / "b", progress=False)
    m = a["metrics"]
    assert m["test_images"] == 2000 and 0.7 < m["accuracy"] <= 1.0
    assert m["accuracy"] == b["metrics"]["accuracy"]
    assert m["images_per_second"] > 0 and m["parameters"] == 61706
    assert (tmp_path / "a" / "artifacts" / "model.pt").exists()
    assert (tmp_path / "a" / "artifacts" / "training-curve.png").exists()
    # resuming reuses the checkpoint: no retraining, same accuracy
    c = run_benchmark("mnist-digits", params, seed=5, out=tmp_path / "a", progress=False)
    assert c["timing"]["n_samples"] == 10 and c["metrics"]["test_images"] == 10000
