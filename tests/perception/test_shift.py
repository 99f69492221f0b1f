"""Corruptions, shift specifications and two-head classifiers (perception.shift)."""

import numpy as np
import pytest
import torch

from perception.shift import (
    CORRUPTIONS,
    Shift,
    ShiftSpecError,
    TwoHeadCNN,
    TwoHeadMLP,
    build_two_head,
    corrupt,
    hierarchy,
    image_statistics,
    predict_two_head,
    train_two_head,
)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    x = np.zeros((64, 28, 28), np.float32)
    x[:, 6:22, 8:20] = rng.uniform(0.6, 1.0, (64, 16, 12))   # a bright object on a dark background
    return x


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_corruptions_keep_shape_range_and_are_seeded(images, name):
    for sev in (1, 3, 5):
        a = corrupt(images, name, sev, seed=1).numpy()
        b = corrupt(images, name, sev, seed=1).numpy()
        assert a.shape == images.shape and a.dtype == np.float32
        assert a.min() >= 0.0 and a.max() <= 1.0
        np.testing.assert_array_equal(a, b)
        if name == "clean":
            np.testing.assert_array_equal(a, images)
        else:
            assert np.abs(a - images).mean() > 1e-3, (name, sev)


@pytest.mark.parametrize("name", [c for c in CORRUPTIONS if c != "clean"])
def test_severity_increases_the_change(images, name):
    diffs = [np.abs(corrupt(images, name, s, seed=2).numpy() - images).mean() for s in (1, 5)]
    assert diffs[1] > diffs[0], name


def test_corruptions_are_recognisable_by_statistics(images):
    base = image_statistics(images)
    assert image_statistics(corrupt(images, "noise", 4).numpy())["hf"].mean() > base["hf"].mean()
    assert image_statistics(corrupt(images, "blur", 4).numpy())["hf"].mean() < base["hf"].mean()
    assert image_statistics(corrupt(images, "brightness", 4).numpy())["dark"].mean() > base["dark"].mean() + 0.3
    assert image_statistics(corrupt(images, "fog", 4).numpy())["std"].mean() < base["std"].mean()


def test_shift_parsing_and_mixtures(images):
    s = Shift.parse("noise:4+blur:2|clean|fog:5")
    assert s.alternatives == ((("noise", 4), ("blur", 2)), (("clean", 0),), (("fog", 5),))
    x = np.repeat(images, 8, axis=0)
    out, which = s.apply(x, seed=3)
    assert out.shape == x.shape
    counts = np.bincount(which, minlength=3)
    assert counts.min() > len(x) / 3 * 0.7
    np.testing.assert_array_equal(out[which == 1], x[which == 1])     # the clean alternative is untouched
    comp = Shift.parse("noise:4+blur:2").apply(images, seed=3)[0]
    assert not np.allclose(comp, Shift.parse("noise:4").apply(images, seed=3)[0])
    again, _ = s.apply(x, seed=3)
    np.testing.assert_array_equal(out, again)


@pytest.mark.parametrize("text, match", [
    ("rain:3", "unknown corruption 'rain'"),
    ("noise:7", "severity 7"),
    ("noise", "needs a severity"),
    ("", "non-empty"),
])
def test_bad_shift_specs(text, match):
    with pytest.raises(ShiftSpecError, match=match):
        Shift.parse(text)


def test_bad_corruption_calls(images):
    with pytest.raises(ShiftSpecError, match="severity"):
        corrupt(images, "blur", 0)
    with pytest.raises(ShiftSpecError, match="shape"):
        corrupt(np.zeros((3, 32, 32)), "blur", 1)


def test_hierarchies_are_consistent():
    for ds in ("fashion", "mnist"):
        fine, coarse, parent = hierarchy(ds)
        assert len(fine) == 10 and parent.shape == (10,)
        assert set(parent.tolist()) == set(range(len(coarse)))
        assert not set(fine) & set(coarse)
    with pytest.raises(ShiftSpecError, match="no label hierarchy"):
        hierarchy("cifar")


@pytest.mark.parametrize("arch, cls", [("mlp", TwoHeadMLP), ("cnn", TwoHeadCNN)])
def test_two_head_classifiers_learn(images, arch, cls):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, len(images))
    x = images.copy()
    for c in range(4):                                   # make the label visible in the image
        x[y == c, 2 + 5 * c: 5 + 5 * c, 1:4] = 1.0
    model = build_two_head(arch, 4, 2)
    assert isinstance(model, cls)
    hist = train_two_head(model, x, y, y // 2, epochs=25, batch_size=16, lr=5e-3, seed=0, num_threads=1)
    assert hist[-1]["loss"] < hist[0]["loss"]
    pf, pc = predict_two_head(model, x, num_threads=1)
    assert pf.shape == (len(x), 4) and pc.shape == (len(x), 2)
    np.testing.assert_allclose(pf.sum(1), 1.0, atol=1e-5)
    assert (pf.argmax(1) == y).mean() > 0.8
    with pytest.raises(ValueError, match="labels"):
        train_two_head(model, x, y[:-1], y // 2, epochs=1)
    with pytest.raises(ValueError, match="unknown architecture"):
        build_two_head("resnet", 4, 2)
