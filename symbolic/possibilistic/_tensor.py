"""Conversions between NumPy arrays and torch tensors used by every public function.

Public functions accept either; they compute in torch and hand back the kind they were given
(a NumPy array in, a NumPy array out), so callers never need to know about torch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from symbolic.possibilistic.errors import RangeError, ShapeError

ArrayLike = Any  # np.ndarray | torch.Tensor | nested sequences


def as_tensor(value: ArrayLike, name: str, *, dtype: torch.dtype | None = None,
              device: torch.device | str | None = None, min_dim: int = 0) -> torch.Tensor:
    """Convert ``value`` to a floating tensor, naming ``name`` in any error.

    Integer and boolean inputs become ``torch.get_default_dtype()`` (or ``dtype``).
    """
    if isinstance(value, torch.Tensor):
        t = value
    else:
        try:
            t = torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError) as exc:
            raise ShapeError(f"{name}: cannot be read as a numeric array ({exc})") from exc
    if dtype is not None:
        t = t.to(dtype)
    elif not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    if device is not None:
        t = t.to(device)
    if t.dim() < min_dim:
        raise ShapeError(f"{name}: expected at least {min_dim} dimensions, got shape {tuple(t.shape)}")
    return t


def check_unit(t: torch.Tensor, name: str) -> None:
    """Raise :class:`RangeError` when ``t`` holds NaN or a value outside [0, 1], naming where.

    One pass over the tensor; the kernels call it on their inputs unless told ``check=False`` (hot
    loops whose inputs are already known to be degrees).
    """
    bad = torch.isnan(t) | (t < 0) | (t > 1)
    if bool(bad.any()):
        idx = tuple(int(i) for i in torch.nonzero(bad)[0])
        value = float(t[idx])
        raise RangeError(f"{name}{list(idx)} = {value!r}: degrees must lie in [0, 1] (NaN is not a degree)")


def check_nonempty(t: torch.Tensor, name: str) -> None:
    """Raise :class:`ShapeError` for a system without rows or columns (nothing to solve)."""
    if t.numel() == 0:
        raise ShapeError(f"{name} is empty (shape {tuple(t.shape)}): a min–max system needs rows and columns")


def like_input(result: torch.Tensor, *inputs: ArrayLike) -> Any:
    """Return ``result`` as a NumPy array when the first input was not a tensor."""
    if inputs and not isinstance(inputs[0], torch.Tensor):
        return result.detach().cpu().numpy()
    return result


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch ops on ``n`` intra-op threads inside the block (restored after); None changes nothing.

    The cascades issue many small tensor ops; on a shared 2-core machine torch's thread pool then
    mostly waits for the other thread (measured 10x slower learning under load), hence one thread.
    """
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
