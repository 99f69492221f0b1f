"""A checkpoint is reused only for the settings it was trained with."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from perception.training import CheckpointMismatchError, train_classifier


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 2, n)


def _net():
    torch.manual_seed(0)
    return nn.Linear(4, 2)


def test_same_settings_resume_other_settings_are_refused(tmp_path):
    ckpt = tmp_path / "m.pt"
    train = _data()
    train_classifier(_net(), train, epochs=1, checkpoint=ckpt, progress=False, device=torch.device("cpu"))
    again = train_classifier(_net(), train, epochs=1, checkpoint=ckpt, progress=False, device=torch.device("cpu"))
    assert again.resumed
    with pytest.raises(CheckpointMismatchError, match="epochs: checkpoint 1, asked 2"):
        train_classifier(_net(), train, epochs=2, checkpoint=ckpt, progress=False, device=torch.device("cpu"))
    with pytest.raises(CheckpointMismatchError, match="train: checkpoint"):
        train_classifier(_net(), _data(seed=1), epochs=1, checkpoint=ckpt, progress=False,
                         device=torch.device("cpu"))


def test_a_checkpoint_without_settings_is_not_trusted(tmp_path):
    ckpt = tmp_path / "old.pt"
    torch.save({"model": _net().state_dict(), "meta": {"best_epoch": 1}}, ckpt)
    with pytest.raises(CheckpointMismatchError, match="does not record the settings"):
        train_classifier(_net(), _data(), epochs=1, checkpoint=ckpt, progress=False, device=torch.device("cpu"))
