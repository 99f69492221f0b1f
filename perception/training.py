"""Training and inference loops for classifiers (seeded, checkpointed, with early stopping)."""

from __future__ import annotations

import copy
import hashlib
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) so a run can be repeated exactly."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        best_epoch: Epoch (1-based) whose weights were kept.
        best_valid_accuracy: Validation accuracy of the kept weights (NaN without validation data).
        history: Per-epoch dicts with ``epoch``, ``train_loss``, ``valid_accuracy``, ``seconds``.
        seconds: Total wall time.
        resumed: True when the weights came from an existing checkpoint.
    """

    best_epoch: int
    best_valid_accuracy: float
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    resumed: bool = False


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeRemainingColumn(), disable=not enabled,
                    transient=True)


class CheckpointMismatchError(ValueError):
    """A checkpoint file was trained with other settings than the ones asked for."""


def _fingerprint(arrays: tuple[np.ndarray | torch.Tensor, ...] | None) -> str | None:
    # Shapes plus a hash of the bytes: cheap (one pass) and changes with any other data set or subset.
    if arrays is None:
        return None
    digest = hashlib.sha256()
    for a in arrays:
        a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
        digest.update(str((a.shape, str(a.dtype))).encode())
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()[:16]


def _settings(model: nn.Module, train: tuple, valid: tuple | None, **hyper: Any) -> dict[str, Any]:
    weight = hyper.pop("sample_weight")
    return {"model": type(model).__name__, "parameters": sum(p.numel() for p in model.parameters()),
            "train": _fingerprint(tuple(train)), "valid": _fingerprint(tuple(valid) if valid is not None else None),
            "sample_weight": _fingerprint((weight,)) if weight is not None else None, **hyper}


def _check_settings(path: Path, saved: dict[str, Any] | None, wanted: dict[str, Any]) -> None:
    if saved is None:
        raise CheckpointMismatchError(
            f"checkpoint {path} does not record the settings it was trained with, so it cannot be reused "
            "safely; delete it (training starts again) or pass another checkpoint path")
    diffs = [f"{k}: checkpoint {saved.get(k)!r}, asked {wanted.get(k)!r}"
             for k in sorted(set(saved) | set(wanted)) if saved.get(k) != wanted.get(k)]
    if diffs:
        raise CheckpointMismatchError(
            f"checkpoint {path} was trained with other settings ({'; '.join(diffs)}); delete it to retrain, "
            "or pass another checkpoint path")


def random_affine(x: torch.Tensor, gen: torch.Generator, *, degrees: float = 10.0, scale: float = 0.1,
                  shift: float = 0.1) -> torch.Tensor:
    """Randomly rotate, zoom and shift a batch of images (N, 28, 28) or (N, 1, 28, 28), seeded by ``gen``.

    Each image gets its own rotation in ±``degrees``, zoom in 1 ± ``scale`` and shift in ±``shift``
    of the image size (bilinear, zero padding): the usual MNIST augmentation, one batched
    ``grid_sample`` call, so it costs little beside the CNN.
    """
    squeeze = x.dim() == 3
    img = x.unsqueeze(1) if squeeze else x
    n = img.shape[0]
    u = torch.rand(n, 4, generator=gen).to(img.device) * 2 - 1                   # uniform in [-1, 1]
    angle = u[:, 0] * degrees * torch.pi / 180
    zoom = 1 + u[:, 1] * scale
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # affine_grid maps output to input coordinates in [-1, 1]: a shift of s·size is 2s there.
    theta = torch.stack([torch.stack([cos, -sin, u[:, 2] * 2 * shift], 1),
                         torch.stack([sin, cos, u[:, 3] * 2 * shift], 1)], 1).to(img.dtype)
    grid = nn.functional.affine_grid(theta, list(img.shape), align_corners=False)
    out = nn.functional.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.squeeze(1) if squeeze else out


AUGMENTATIONS = {"affine": random_affine}


def _tensors(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor | None = None):
    xt = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=torch.float32)
    if y is None:
        return xt
    yt = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y, dtype=torch.long)
    if len(xt) != len(yt):
        raise ValueError(f"inputs and labels differ in length: {len(xt)} vs {len(yt)}")
    return xt, yt


@torch.no_grad()
def predict_logits(model: nn.Module, x: np.ndarray | torch.Tensor, batch_size: int = 1024,
                   device: torch.device | None = None) -> torch.Tensor:
    """Logits of ``model`` on ``x`` in evaluation mode, batched; returned on CPU."""
    device = device or next(model.parameters()).device
    model.eval()
    xt = _tensors(x)
    outs = [model(xt[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(xt), batch_size)]
    return torch.cat(outs) if outs else torch.empty(0)


def predict_proba(model: nn.Module, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Softmax probabilities of ``model`` on ``x`` as an (N, C) float32 array."""
    return torch.softmax(predict_logits(model, x, batch_size), dim=1).numpy()


def accuracy(model: nn.Module, x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor,
             batch_size: int = 1024) -> float:
    """Share of examples whose arg-max prediction equals the label."""
    logits = predict_logits(model, x, batch_size)
    return float((logits.argmax(1).numpy() == np.asarray(y)).mean()) if len(logits) else float("nan")


def train_classifier(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    epochs: int = 5,
    batch_size: int = 128,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    patience: int | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    device: torch.device | None = None,
    sample_weight: np.ndarray | None = None,
    augment: str | None = None,
    schedule: str | None = None,
    label_smoothing: float = 0.0,
) -> TrainResult:
    """Train ``model`` with Adam and cross-entropy; keep the weights of the best validation epoch.

    Args:
        model: Any module mapping a batch of inputs to logits.
        train: ``(x, y)`` training arrays.
        valid: Optional ``(x, y)`` validation arrays for model selection and early stopping.
        epochs: Maximum number of epochs.
        batch_size: Mini-batch size.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        seed: Seeds initialization-independent randomness (shuffling, dropout).
        patience: Stop after this many epochs without validation improvement (None: never).
        checkpoint: File to save the final weights to; if it exists already, the weights are loaded
            from it and no training happens (a resumed run costs nothing).
        progress: Show a progress bar.
        device: Where to train (default: CUDA if available).
        sample_weight: Optional per-example loss weights.
        augment: ``"affine"`` (:func:`random_affine` on every training batch, seeded) or None.
        schedule: ``"onecycle"`` (one-cycle learning rate per batch, peaking at ``lr`` after 25 % of
            the steps, then annealed to lr/10⁴: a few epochs then reach what a constant rate needs
            many for) or None (constant ``lr``).
        label_smoothing: Cross-entropy label smoothing.

    Returns:
        A :class:`TrainResult`; ``model`` holds the kept weights on return.
    """
    device = device or default_device()
    model.to(device)
    if augment is not None and augment not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {augment!r}; valid: {', '.join(AUGMENTATIONS)}")
    if schedule not in (None, "onecycle"):
        raise ValueError(f"unknown schedule {schedule!r}; valid: onecycle or None")
    # Only settings that differ from the defaults are recorded, so checkpoints written before these
    # options existed still match.
    extra = {k: v for k, v in (("augment", augment), ("schedule", schedule), ("label_smoothing", label_smoothing))
             if v not in (None, 0.0)}
    settings = _settings(model, train, valid, epochs=epochs, batch_size=batch_size, lr=lr,
                         weight_decay=weight_decay, seed=seed, patience=patience, sample_weight=sample_weight,
                         **extra)
    if checkpoint is not None and Path(checkpoint).is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        meta = state.get("meta", {})
        _check_settings(Path(checkpoint), meta.get("settings"), settings)
        model.load_state_dict(state["model"])
        return TrainResult(best_epoch=meta.get("best_epoch", 0),
                           best_valid_accuracy=meta.get("best_valid_accuracy", float("nan")),
                           history=meta.get("history", []), seconds=0.0, resumed=True)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    seed_everything(seed)
    xt, yt = _tensors(*train)
    wt = None if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss(reduction="none", label_smoothing=label_smoothing)
    aug_fn = AUGMENTATIONS[augment] if augment is not None else None
    aug_gen = torch.Generator().manual_seed(seed + 1)
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * ((len(xt) + batch_size - 1)
                                                                                         // batch_size))
             if schedule == "onecycle" else None)
    best_state, best_acc, best_epoch, stale = None, -1.0, 0, 0
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    n_batches = (len(xt) + batch_size - 1) // batch_size
    with _progress(progress) as bar:
        task = bar.add_task("training", total=epochs * n_batches, info="")
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            model.train()
            order = torch.randperm(len(xt), generator=gen)
            total = 0.0
            for b in range(n_batches):
                idx = order[b * batch_size:(b + 1) * batch_size]
                xb, yb = xt[idx].to(device), yt[idx].to(device)
                if aug_fn is not None:
                    xb = aug_fn(xb, aug_gen)
                losses = loss_fn(model(xb), yb)
                loss = (losses * wt[idx].to(device)).sum() / wt[idx].sum() if wt is not None else losses.mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                total += loss.item() * len(idx)
                bar.advance(task)
            train_loss = total / len(xt)
            valid_acc = accuracy(model, *valid) if valid is not None else float("nan")
            history.append({"epoch": epoch, "train_loss": train_loss, "valid_accuracy": valid_acc,
                            "seconds": time.perf_counter() - t0})
            bar.update(task, info=f"epoch {epoch} loss {train_loss:.4f} valid {valid_acc:.4f}")
            if progress and not bar.console.is_terminal:  # no visible bar (CI, a pipe): one line per epoch
                bar.console.print(f"training: epoch {epoch}/{epochs} loss {train_loss:.4f} valid {valid_acc:.4f} "
                                  f"({history[-1]['seconds']:.1f} s)", highlight=False)
            if valid is None or valid_acc > best_acc:
                best_acc, best_epoch, stale = valid_acc, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
                if patience is not None and stale >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    result = TrainResult(best_epoch=best_epoch, best_valid_accuracy=best_acc if valid is not None else float("nan"),
                         history=history, seconds=time.perf_counter() - start)
    if checkpoint is not None:
        Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(f"{checkpoint}.tmp")
        torch.save({"model": model.state_dict(), "meta": {"best_epoch": result.best_epoch,
                    "best_valid_accuracy": result.best_valid_accuracy, "history": history,
                    "settings": settings}}, tmp)
        tmp.replace(checkpoint)  # atomic: a killed run never leaves a half-written checkpoint
    return result
