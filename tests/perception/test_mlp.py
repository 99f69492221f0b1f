import numpy as np
import pytest
import torch
from torch import nn

from perception.mlp import (
    NonFiniteTrainingError,
    count_parameters,
    heavy_mlp,
    light_mlp,
    make_activation,
    parameter_efficiency,
    predict_proba_binary,
    train_binary,
)


@pytest.fixture(autouse=True)
def one_thread():
    # tiny networks: intra-op threads only add contention on a shared machine
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("d, light, heavy", [(28, 4161, 26601), (54, 5825, 31801), (57, 6017, 32401)])
def test_parameter_counts_match_the_paper(d, light, heavy):
    assert count_parameters(light_mlp(d)) == light
    assert count_parameters(heavy_mlp(d)) == heavy
    # the activation has no parameters, so a Hybrid has the Light count
    assert count_parameters(light_mlp(d, nn.SiLU())) == light


def test_architecture_and_activations():
    m = light_mlp(10, "gelu")
    kinds = [type(layer).__name__ for layer in m.net]
    assert kinds == ["Linear", "BatchNorm1d", "GELU", "Dropout", "Linear", "BatchNorm1d", "GELU", "Dropout", "Linear"]
    assert m.net[3].p == 0.3
    assert m(torch.zeros(4, 10)).shape == (4, 1)
    with pytest.raises(ValueError, match="unknown activation"):
        make_activation("swish2")


def test_training_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    torch.manual_seed(0)
    model = light_mlp(6)
    log = train_binary(model, X, y, epochs=15, batch_size=64, lr=1e-2, seed=0)
    assert log.losses[-1] < log.losses[0]
    p = predict_proba_binary(model, X)
    assert p.shape == (600,) and ((p > 0.5) == y).mean() > 0.9


def test_same_seed_same_model():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        m = light_mlp(4)
        train_binary(m, X, y, epochs=2, batch_size=32, seed=5)
        outs.append(predict_proba_binary(m, X))
    np.testing.assert_array_equal(outs[0], outs[1])


class _Poison(nn.Module):
    def forward(self, x):
        return x * torch.tensor(float("nan"))


def test_bad_input_never_trains_silently():
    X = np.ones((10, 3), dtype=np.float32)
    y = np.array([0, 1] * 5)
    X[4, 2] = np.nan
    with pytest.raises(ValueError, match="row 4"):
        train_binary(light_mlp(3), X, y)
    with pytest.raises(ValueError, match="labels"):
        train_binary(light_mlp(3), np.ones((4, 3)), np.array([0, 1, 2, 1]))
    with pytest.raises(NonFiniteTrainingError, match="epoch 1"):
        train_binary(light_mlp(3, _Poison()), np.random.randn(10, 3), y, batch_size=4)
    with pytest.raises(ValueError):
        parameter_efficiency(0.9, 1)
    assert parameter_efficiency(0.9, 1000) == pytest.approx(0.3)
