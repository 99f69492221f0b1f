"""Digit CNNs: LeNet-5, the CNN of the Π-NeSy paper and a slightly wider all-convolutional one."""

from __future__ import annotations

import torch
from torch import nn


def _as_images(x: torch.Tensor) -> torch.Tensor:
    # Accept (N, 28, 28) as well as (N, 1, 28, 28) so callers can pass loader arrays directly.
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4 or x.shape[1] != 1 or x.shape[-2:] != (28, 28):
        raise ValueError(f"expected images of shape (N, 28, 28) or (N, 1, 28, 28), got {tuple(x.shape)}")
    return x


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling; 28×28 input padded to 32×32.

    Args:
        num_classes: Number of output logits.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits of shape (N, num_classes)."""
        return self.classifier(self.features(_as_images(x)))


class PiNeSyCNN(nn.Module):
    """The digit CNN of Π-NeSy: 4 conv layers (32-32-64-64) with BatchNorm, dropout, FC 256-128-84.

    Args:
        num_classes: Number of output logits.
        dropout: Dropout probability after each pooling stage and in the dense layers.
    """

    def __init__(self, num_classes: int = 10, dropout: float = 0.25) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(
            *block(1, 32), *block(32, 32), nn.MaxPool2d(2), nn.Dropout(dropout),
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2), nn.Dropout(dropout),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 84), nn.ReLU(), nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits of shape (N, num_classes)."""
        return self.classifier(self.features(_as_images(x)))


class WideDigitCNN(nn.Module):
    """A slightly wider all-convolutional digit CNN (about 99.6 % on MNIST with augmentation).

    Three stages 32-32-32 / 64-64-64 / 128, each 3×3, 3×3 then a strided 5×5 convolution instead of
    pooling, with BatchNorm and dropout, and a 4×4 convolution to a 128-vector (no large dense layer):
    the design of the best single Kaggle MNIST models (Deotte 2018), about 15 M multiply-adds per
    image, fewer than :class:`PiNeSyCNN`'s 19 M.

    Args:
        num_classes: Number of output logits.
        dropout: Dropout probability after each stage.
    """

    def __init__(self, num_classes: int = 10, dropout: float = 0.4) -> None:
        super().__init__()

        def conv(cin: int, cout: int, k: int, stride: int = 1, padding: int = 0) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU()]

        self.features = nn.Sequential(
            *conv(1, 32, 3), *conv(32, 32, 3), *conv(32, 32, 5, 2, 2), nn.Dropout(dropout),      # 28→26→24→12
            *conv(32, 64, 3), *conv(64, 64, 3), *conv(64, 64, 5, 2, 2), nn.Dropout(dropout),     # 12→10→8→4
            *conv(64, 128, 4), nn.Flatten(), nn.Dropout(dropout),                                 # 4→1
        )
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits of shape (N, num_classes)."""
        return self.classifier(self.features(_as_images(x)))


ARCHITECTURES = {"lenet5": LeNet5, "pinesy": PiNeSyCNN, "wide": WideDigitCNN}


def build_cnn(name: str, num_classes: int = 10) -> nn.Module:
    """Build a digit CNN by name (``lenet5``, ``pinesy`` or ``wide``)."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown CNN '{name}'; choose one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name](num_classes=num_classes)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
