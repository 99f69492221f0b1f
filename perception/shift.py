"""Distribution shift for 28x28 images: corruptions, shift specifications, and two-head classifiers.

Corruptions (each at severity 1..5, vectorised over the batch with torch, seeded):

- ``clean``: identity;
- ``noise``: additive Gaussian noise;
- ``blur``: Gaussian blur;
- ``fog``: lowered contrast plus a smooth random haze (contrast/fog);
- ``snow``: bright flakes plus an occluding grey patch (occlusion/snow);
- ``brightness``: raised black level, compressed range;
- ``elastic``: smooth random displacement field (elastic distortion).

A *shift* is written as text: ``"noise:4"`` (one corruption), ``"noise:3+blur:2"`` (applied in
sequence to each image) and ``"noise:5|blur:5|fog:4"`` (a mixture: each image draws one of the
alternatives uniformly at random).

Classifiers: :class:`TwoHeadCNN` predicts a fine label and a coarse label (a label hierarchy over
the classes, :data:`HIERARCHIES`), trained with the sum of both cross-entropies.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CORRUPTIONS = ("clean", "noise", "blur", "fog", "snow", "brightness", "elastic")

_NOISE_SIGMA = (0.08, 0.12, 0.18, 0.26, 0.38)
_BLUR_SIGMA = (0.6, 0.9, 1.2, 1.6, 2.1)
_FOG_CONTRAST = (0.75, 0.6, 0.45, 0.35, 0.25)
_SNOW_DENSITY = (0.03, 0.05, 0.08, 0.11, 0.15)
_SNOW_PATCH = (4, 6, 8, 10, 12)
_BRIGHT_LEVEL = (0.15, 0.25, 0.35, 0.45, 0.55)
_ELASTIC_ALPHA = (0.04, 0.06, 0.08, 0.10, 0.13)

#: Label hierarchies: fine class names and the coarse class of each fine class.
HIERARCHIES: dict[str, dict[str, tuple]] = {
    "fashion": {
        "fine": ("tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"),
        "coarse": ("top", "fullbody", "footwear", "accessory"),
        "parent": (0, 1, 0, 1, 0, 2, 0, 2, 3, 2),
    },
    "mnist": {  # by stroke shape: closed loops, straight strokes, open curves
        "fine": tuple(f"d{i}" for i in range(10)),
        "coarse": ("loop", "straight", "curve"),
        "parent": (0, 1, 2, 2, 1, 2, 0, 1, 0, 0),
    },
}


class ShiftSpecError(ValueError):
    """A shift specification string or corruption name/severity is invalid."""


@dataclass(frozen=True)
class Shift:
    """A parsed shift: alternatives, each a sequence of (corruption, severity) steps."""

    text: str
    alternatives: tuple[tuple[tuple[str, int], ...], ...]

    @classmethod
    def parse(cls, text: str) -> Shift:
        """Parse ``"a:s+b:s|c:s"`` (see the module documentation).

        Raises:
            ShiftSpecError: unknown corruption, severity outside 1..5, or malformed text.
        """
        if not isinstance(text, str) or not text.strip():
            raise ShiftSpecError(f"shift must be a non-empty string, got {text!r}")
        alts = []
        for alt in text.split("|"):
            steps = []
            for step in alt.split("+"):
                step = step.strip()
                name, _, sev = step.partition(":")
                if name not in CORRUPTIONS:
                    raise ShiftSpecError(f"shift {text!r}: unknown corruption {name!r}; known: {CORRUPTIONS}")
                if name == "clean":
                    steps.append(("clean", 0))
                    continue
                try:
                    s = int(sev)
                except ValueError:
                    raise ShiftSpecError(
                        f"shift {text!r}: step {step!r} needs a severity 1..5 (e.g. noise:3)") from None
                if not 1 <= s <= 5:
                    raise ShiftSpecError(f"shift {text!r}: severity {s} of {name!r} is outside 1..5")
                steps.append((name, s))
            alts.append(tuple(steps))
        return cls(text.strip(), tuple(alts))

    def apply(self, x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Shift a batch; returns the images and the alternative drawn for each image."""
        images = _as_tensor(x)
        rng = np.random.default_rng(seed)
        which = rng.integers(0, len(self.alternatives), len(images))
        out = images.clone()
        for k, steps in enumerate(self.alternatives):
            idx = np.flatnonzero(which == k)
            if idx.size == 0:
                continue
            part = images[idx]
            for j, (name, sev) in enumerate(steps):
                part = corrupt(part, name, sev, seed=int(rng.integers(0, 2**31 - 1)) + 7919 * j)
            out[idx] = part
        return out.numpy(), which


def _as_tensor(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not isinstance(x, torch.Tensor) else x.float()
    if t.ndim != 3 or t.shape[1:] != (28, 28):
        raise ShiftSpecError(f"images must have shape (N, 28, 28), got {tuple(t.shape)}")
    return t


def _gauss_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(3 * sigma))
    xs = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(xs**2) / (2 * sigma**2))
    return k / k.sum()


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, 1, H, W) with reflect padding."""
    k = _gauss_kernel(sigma)
    r = (len(k) - 1) // 2
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))


def corrupt(x: np.ndarray | torch.Tensor, name: str, severity: int, seed: int = 0) -> torch.Tensor:
    """Apply one corruption to a batch (N, 28, 28) in [0, 1]; returns a float tensor in [0, 1].

    Raises:
        ShiftSpecError: unknown corruption or severity outside 1..5.
    """
    t = _as_tensor(x)
    if name not in CORRUPTIONS:
        raise ShiftSpecError(f"unknown corruption {name!r}; known: {CORRUPTIONS}")
    if name == "clean":
        return t.clone()
    if not (isinstance(severity, int | np.integer) and 1 <= severity <= 5):
        raise ShiftSpecError(f"severity of {name!r} must be an integer in 1..5, got {severity!r}")
    s = int(severity) - 1
    g = torch.Generator().manual_seed(int(seed))
    n = t.shape[0]
    img = t.unsqueeze(1)
    if name == "noise":
        img = img + _NOISE_SIGMA[s] * torch.randn(img.shape, generator=g)
    elif name == "blur":
        img = _blur(img, _BLUR_SIGMA[s])
    elif name == "fog":
        field = torch.rand((n, 1, 4, 4), generator=g)
        field = F.interpolate(field, size=(28, 28), mode="bicubic", align_corners=False).clamp(0, 1)
        c = _FOG_CONTRAST[s]
        img = c * img + (1 - c) * (0.25 + 0.5 * field)
    elif name == "snow":
        flakes = (torch.rand(img.shape, generator=g) < _SNOW_DENSITY[s]).float()
        flakes = (_blur(flakes, 0.5) * 2.5).clamp(0, 1)
        img = torch.maximum(img, 0.9 * flakes)
        size = _SNOW_PATCH[s]
        ys = torch.randint(0, 28 - size + 1, (n,), generator=g)
        xs = torch.randint(0, 28 - size + 1, (n,), generator=g)
        grid = torch.arange(28)
        rows = (grid[None, :] >= ys[:, None]) & (grid[None, :] < ys[:, None] + size)
        cols = (grid[None, :] >= xs[:, None]) & (grid[None, :] < xs[:, None] + size)
        patch = (rows[:, :, None] & cols[:, None, :]).unsqueeze(1)
        img = torch.where(patch, torch.full_like(img, 0.5), img)
    elif name == "brightness":
        b = _BRIGHT_LEVEL[s]
        img = b + (1 - b) * img
    elif name == "elastic":
        disp = torch.randn((n, 2, 5, 5), generator=g) * _ELASTIC_ALPHA[s]
        disp = F.interpolate(disp, size=(28, 28), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)
        theta = torch.eye(2, 3).unsqueeze(0).expand(n, 2, 3)
        base = F.affine_grid(theta, (n, 1, 28, 28), align_corners=False)
        img = F.grid_sample(img, base + disp, mode="bilinear", padding_mode="zeros", align_corners=False)
    return img.clamp(0.0, 1.0).squeeze(1)


def hierarchy(dataset: str) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """(fine names, coarse names, parent index of each fine class) of ``"fashion"`` or ``"mnist"``."""
    if dataset not in HIERARCHIES:
        raise ShiftSpecError(f"no label hierarchy for data set {dataset!r}; known: {sorted(HIERARCHIES)}")
    h = HIERARCHIES[dataset]
    return h["fine"], h["coarse"], np.asarray(h["parent"], dtype=np.int64)


class TwoHeadCNN(nn.Module):
    """A small strided CNN (two conv layers, one hidden layer) with a fine head and a coarse head.

    Input (N, 1, 28, 28) or (N, 28, 28); ``forward`` returns ``(fine_logits, coarse_logits)``.
    """

    def __init__(self, n_fine: int = 10, n_coarse: int = 4, width: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(2 * width * 49, hidden), nn.ReLU(),
        )
        self.fine = nn.Linear(hidden, n_fine)
        self.coarse = nn.Linear(hidden, n_coarse)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.ndim == 3:
            x = x.unsqueeze(1)
        h = self.features(x)
        return self.fine(h), self.coarse(h)


class TwoHeadMLP(nn.Module):
    """A multilayer perceptron with a fine head and a coarse head (the cheapest option on CPUs)."""

    def __init__(self, n_fine: int = 10, n_coarse: int = 4, hidden: tuple[int, ...] = (256, 128)) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = 28 * 28
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.features = nn.Sequential(*layers)
        self.fine = nn.Linear(width, n_fine)
        self.coarse = nn.Linear(width, n_coarse)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.fine(h), self.coarse(h)


ARCHITECTURES = ("mlp", "cnn")


def build_two_head(arch: str, n_fine: int, n_coarse: int) -> nn.Module:
    """A two-head classifier: ``"mlp"`` (:class:`TwoHeadMLP`) or ``"cnn"`` (:class:`TwoHeadCNN`)."""
    if arch == "mlp":
        return TwoHeadMLP(n_fine, n_coarse)
    if arch == "cnn":
        return TwoHeadCNN(n_fine, n_coarse)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {ARCHITECTURES}")


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` intra-op torch threads (None: unchanged), restoring the setting after.

    On a shared, oversubscribed CPU one thread is often many times faster than several (the
    extra threads spin while waiting for a core).
    """
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train_two_head(model: nn.Module, x: np.ndarray, y_fine: np.ndarray, y_coarse: np.ndarray, *,
                   epochs: int = 3, batch_size: int = 128, lr: float = 2e-3, seed: int = 0,
                   num_threads: int | None = None) -> list[dict]:
    """Train both heads with Adam on the sum of the two cross-entropies; returns per-epoch history.

    ``num_threads`` sets torch's intra-op threads for the call (None: leave as is).

    Raises:
        ValueError: inputs of different lengths or non-positive epochs/batch size.
    """
    if not (len(x) == len(y_fine) == len(y_coarse)):
        raise ValueError(f"train_two_head: {len(x)} images, {len(y_fine)} fine and {len(y_coarse)} coarse labels")
    if epochs < 1 or batch_size < 1:
        raise ValueError("train_two_head: epochs and batch_size must be >= 1")
    with torch_threads(num_threads):
        return _train(model, x, y_fine, y_coarse, epochs, batch_size, lr, seed)


def _train(model, x, y_fine, y_coarse, epochs, batch_size, lr, seed) -> list[dict]:
    gen = torch.Generator().manual_seed(seed)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32)).unsqueeze(1)
    yf = torch.as_tensor(np.asarray(y_fine, dtype=np.int64))
    yc = torch.as_tensor(np.asarray(y_coarse, dtype=np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    model.train()
    for epoch in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xt), generator=gen)
        total, correct = 0.0, 0
        for start in range(0, len(xt), batch_size):
            idx = perm[start:start + batch_size]
            fine, coarse = model(xt[idx])
            loss = F.cross_entropy(fine, yf[idx]) + F.cross_entropy(coarse, yc[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((fine.argmax(1) == yf[idx]).sum())
        history.append({"epoch": epoch + 1, "loss": total / len(xt), "train_accuracy": correct / len(xt),
                        "seconds": time.perf_counter() - t0})
    model.eval()
    return history


@torch.no_grad()
def predict_two_head(model: nn.Module, x: np.ndarray, batch_size: int = 2048,
                     num_threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities of both heads: ``(fine (N, F), coarse (N, C))``."""
    with torch_threads(num_threads):
        return _predict(model, x, batch_size)


def _predict(model: nn.Module, x: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    fines, coarses = [], []
    for start in range(0, len(xt), batch_size):
        f, c = model(xt[start:start + batch_size])
        fines.append(F.softmax(f, 1))
        coarses.append(F.softmax(c, 1))
    if not fines:
        return np.zeros((0, model.fine.out_features), np.float32), np.zeros((0, model.coarse.out_features), np.float32)
    return torch.cat(fines).numpy(), torch.cat(coarses).numpy()


def image_statistics(x: np.ndarray) -> dict[str, np.ndarray]:
    """Cheap per-image statistics that reveal the condition (for user-supplied rule conditions).

    Returns ``mean`` (brightness), ``std`` (contrast), ``dark`` (black level: 10th percentile),
    ``hf`` (high-frequency energy: mean |Laplacian|) and ``edge`` (mean gradient magnitude).
    """
    t = _as_tensor(x).unsqueeze(1)
    lap = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)
    hf = F.conv2d(F.pad(t, (1, 1, 1, 1), mode="replicate"), lap).abs().mean((1, 2, 3))
    gx = (t[..., :, 1:] - t[..., :, :-1]).abs().mean((1, 2, 3))
    gy = (t[..., 1:, :] - t[..., :-1, :]).abs().mean((1, 2, 3))
    flat = t.flatten(1)
    return {"mean": flat.mean(1).numpy(), "std": flat.std(1).numpy(),
            "dark": torch.quantile(flat, 0.1, dim=1).numpy(), "hf": hf.numpy(), "edge": (gx + gy).numpy()}
