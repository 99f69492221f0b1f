"""Learning the digits from sums alone: a CNN trained on possibilistically abduced pseudo-labels.

Each mini-batch of examples (two k-digit numbers shown as 2k images, labelled only with their sum)
is abduced under the current CNN (:func:`symbolic.possibilistic.sum_abduction.abduce`: the most
possible digits consistent with the sum) and the CNN takes one cross-entropy step on them
(abduction is iterated at every step).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from perception.training import AUGMENTATIONS
from symbolic.possibilistic import torch_threads, transforms
from symbolic.possibilistic.sum_abduction import abduce, max_marginals


@dataclass
class WeakTrainResult:
    """Outcome of weakly supervised training.

    Attributes:
        seconds: Training wall time.
        history: Per epoch: pseudo-label agreement with the hidden truth (diagnostic only, never used
            for training), mean loss, seconds.
    """

    seconds: float
    history: list[dict] = field(default_factory=list)


def train_from_sums(model: nn.Module, images: np.ndarray, index: np.ndarray, sums: np.ndarray, *,
                    transform: str = "antipignistic", epochs: int = 3, images_per_batch: int = 256,
                    lr: float = 1e-3, seed: int = 0, true_labels: np.ndarray | None = None,
                    time_budget: float | None = None, soft_epochs: int = 1, augment: str | None = None,
                    schedule: str | None = None) -> WeakTrainResult:
    """Train a digit CNN from sum labels only, by possibilistic abduction at every step.

    Args:
        model: CNN mapping (N, 28, 28) images to 10 logits.
        images: The split's images (N, 28, 28).
        index: Image indices of the examples, (n, 2, k), position 0 = units.
        sums: Sum digits (n, k+1), units first.
        transform: Probability → possibility transform used by the abduction.
        epochs: Passes over the examples.
        images_per_batch: Images per optimization step (whole examples; at least one example).
        lr: Adam learning rate.
        seed: Seeds initialization-independent randomness (example order, dropout).
        true_labels: Hidden digit labels of the split, used *only* to report pseudo-label agreement.
        time_budget: Stop after this many seconds (checked after every step).
        soft_epochs: For the first epochs, train towards the normalized possibility of each digit
            given the sum (:func:`max_marginals`: every value some consistent assignment allows, weighted
            by that assignment's possibility) instead of the single most possible assignment. From a
            random CNN every consistent digit is about equally possible, so this starts as learning
            from candidate sets and sharpens into the hard abduction as the CNN learns; hard
            pseudo-labels alone reinforce the random CNN's arbitrary first guesses.
        augment: ``"affine"``: every step sees randomly rotated, zoomed and shifted images
            (:func:`perception.training.random_affine`); the abduction reads the same forward pass.
        schedule: ``"onecycle"``: one-cycle learning rate peaking at ``lr`` (as the digit recipes).

    Each image's loss is weighted by how much the sum tells about it: 1 − entropy/log 10 of the soft
    target, or, for a hard pseudo-label, its relative necessity 1 − max_{v ≠ d} Π(v) / Π(d). Middle
    digits of long numbers are unconstrained while the CNN knows nothing (any digit fits some
    carries), so their near-uniform targets would otherwise pull the CNN towards uniform outputs
    while the units and leading positions, which the sum does constrain, teach it the digits.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    with torch_threads(1):
        return _train(model, images, index, sums, transform, epochs, images_per_batch, lr, seed, true_labels,
                      time_budget, soft_epochs, augment, schedule)


def _train(model, images, index, sums, transform, epochs, images_per_batch, lr, seed, true_labels, time_budget,
           soft_epochs, augment, schedule) -> WeakTrainResult:
    if augment is not None and augment not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {augment!r}; valid: {', '.join(AUGMENTATIONS)}")
    if schedule not in (None, "onecycle"):
        raise ValueError(f"unknown schedule {schedule!r}; valid: onecycle or None")
    index = np.asarray(index)
    if index.ndim != 3 or index.shape[1] != 2:
        raise ValueError(f"index must be (n, 2, k), got {index.shape}")
    n, _, k = index.shape
    sums_t = torch.as_tensor(np.asarray(sums), dtype=torch.long)
    if sums_t.shape != (n, k + 1):
        raise ValueError(f"sums must be (n, k+1) = ({n}, {k + 1}), got {tuple(sums_t.shape)}")
    x = torch.as_tensor(images, dtype=torch.float32)
    per = max(1, images_per_batch // (2 * k))
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    aug_fn = AUGMENTATIONS[augment] if augment is not None else None
    aug_gen = torch.Generator().manual_seed(seed + 1)
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * math.ceil(n / per))
             if schedule == "onecycle" else None)
    start = time.perf_counter()
    history = []
    idx_t = torch.as_tensor(index, dtype=torch.long)
    truth = None if true_labels is None else torch.as_tensor(np.asarray(true_labels), dtype=torch.long)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        soft = epoch < soft_epochs
        model.train()
        order = torch.randperm(n, generator=gen)
        agree, seen, total = 0, 0, 0.0
        stop = False
        for i in range(0, n, per):
            ex = order[i:i + per]
            img_idx = idx_t[ex]                                           # (m, 2, k)
            xb = x[img_idx.reshape(-1)]
            logits = model(aug_fn(xb, aug_gen) if aug_fn is not None else xb)  # (m*2k, 10)
            with torch.no_grad():
                logp = torch.log_softmax(logits.detach(), -1).view(len(ex), 2, k, 10)
                pi = transforms.to_possibility(logp.exp(), transform)
                a, b, _ = abduce(pi[:, 0], pi[:, 1], sums_t[ex], logp[:, 0], logp[:, 1])
                pseudo = torch.stack([a, b], 1).reshape(-1)
                ma, mb = max_marginals(pi[:, 0], pi[:, 1], sums_t[ex])
                poss = torch.stack([ma, mb], 1).reshape(-1, 10)             # Π(d_i = v | sum)
                if soft:
                    target = poss / poss.sum(-1, keepdim=True)
                    entropy = -(target * target.clamp_min(1e-12).log()).sum(-1)
                    weight = 1 - entropy / math.log(10)
                else:
                    # necessity of the abduced digit given the sum, relative to its possibility
                    top = poss.gather(1, pseudo.unsqueeze(1)).squeeze(1).clamp_min(1e-12)
                    other = poss.scatter(1, pseudo.unsqueeze(1), 0.0).amax(1)
                    weight = (1 - other / top).clamp_min(0)
            logq = torch.log_softmax(logits, -1)
            ce = -(target * logq).sum(-1) if soft else -logq.gather(1, pseudo.unsqueeze(1)).squeeze(1)
            loss = (weight * ce).sum() / weight.sum().clamp_min(1e-6)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            total += float(loss.detach()) * len(pseudo)
            seen += len(pseudo)
            if truth is not None:
                agree += int((pseudo == truth[img_idx.reshape(-1)]).sum())
            if time_budget is not None and time.perf_counter() - start > time_budget:
                stop = True
                break
        history.append({"epoch": epoch + 1, "loss": total / max(seen, 1),
                        "pseudo_label_agreement": agree / seen if truth is not None and seen else float("nan"),
                        "seconds": time.perf_counter() - t0})
        if stop:
            break
    model.eval()
    return WeakTrainResult(seconds=time.perf_counter() - start, history=history)
