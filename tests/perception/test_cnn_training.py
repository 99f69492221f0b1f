import numpy as np
import pytest
import torch

from perception.cnn import LeNet5, PiNeSyCNN, build_cnn, count_parameters
from perception.datasets import load_mnist
from perception.training import accuracy, predict_proba, train_classifier


@pytest.mark.parametrize("cls", [LeNet5, PiNeSyCNN])
def test_shapes(cls):
    model = cls().eval()
    assert model(torch.zeros(3, 28, 28)).shape == (3, 10)
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    with pytest.raises(ValueError, match="expected images"):
        model(torch.zeros(3, 32, 32))


def test_parameter_counts_and_factory():
    assert count_parameters(LeNet5()) == 61706
    assert count_parameters(build_cnn("pinesy")) > count_parameters(build_cnn("lenet5"))
    with pytest.raises(ValueError, match="lenet5, pinesy"):
        build_cnn("vgg")


def _subset(n=1500):
    data = load_mnist()
    return (data.train[0][:n], data.train[1][:n]), (data.valid[0][:500], data.valid[1][:500])


def test_training_learns_is_seeded_and_resumes_from_checkpoint(tmp_path):
    train, valid = _subset()
    ckpt = tmp_path / "m.pt"
    torch.manual_seed(0)
    a = LeNet5()
    res = train_classifier(a, train, valid, epochs=2, batch_size=32, seed=0, checkpoint=ckpt, progress=False)
    assert res.best_valid_accuracy > 0.75 and len(res.history) == 2 and ckpt.exists()
    torch.manual_seed(0)
    b = LeNet5()
    train_classifier(b, train, valid, epochs=2, batch_size=32, seed=0, progress=False)
    pa, pb = predict_proba(a, valid[0][:50]), predict_proba(b, valid[0][:50])
    assert np.allclose(pa, pb, atol=1e-6)  # same seed, same weights
    assert np.allclose(pa.sum(1), 1.0, atol=1e-5)
    c = LeNet5()
    again = train_classifier(c, train, valid, epochs=2, batch_size=32, seed=0, checkpoint=ckpt, progress=False)
    assert again.resumed and accuracy(c, *valid) == pytest.approx(res.best_valid_accuracy)


def test_training_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        train_classifier(LeNet5(), (np.zeros((4, 28, 28)), np.zeros(3)), epochs=1, progress=False)
