"""FIND's MLP-approximated numeric functions: a 1->64->1 ReLU network stands in for the formula.

The reference trains each network for 10,000 full-batch Adam epochs on raw inputs. Here all the
networks a run needs are trained *together* (one batched tensor program, ``torch.bmm``) on inputs
scaled to [-1, 1] and targets standardised per function, which converges in a couple of thousand
steps; the scalings are then folded into the first and last layers, so what is served and cached is
still a plain 1->64->1 ReLU network on raw ``x``. Weights are cached by the formula's content hash
and the training settings under ``$NESY_CACHE_DIR/find/mlp``, so a function is trained once per
machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evaluation.worlds.find.numeric import PROBE_RANGE, NumericFunction

HIDDEN = 64
STEPS = 2000
POINTS = 500
LR = 0.01


def _settings_tag(steps: int, points: int) -> str:
    return hashlib.sha256(f"{HIDDEN}:{steps}:{points}:{LR}:v1".encode()).hexdigest()[:8]


def _cache_dir(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        return cache_dir
    from evaluation.harness.cache import cache_root

    return cache_root("find", "mlp")


def train_mlps(functions: Sequence[NumericFunction], *, steps: int = STEPS, points: int = POINTS,
               seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Train one 1->64->1 ReLU network per function, all at once, on the finite points of its formula.

    Args:
        functions: The functions whose formulas the networks approximate.
        steps: Full-batch Adam steps (learning rate 0.01).
        points: Training inputs, evenly spaced over the probe range clipped to the function's domain.
        seed: Initialisation seed.

    Returns:
        Per function the weights ``w1 (64,), b1 (64,), w2 (64,), b2 ()`` of ``y = w2 . relu(w1 x + b1) + b2``.
    """
    import torch

    if not functions:
        return []
    k = len(functions)
    # One thread: on a small shared machine torch's default pool is several times slower, not faster.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(functions, k, steps, points, seed)
    finally:
        torch.set_num_threads(threads)


def _train(functions: Sequence[NumericFunction], k: int, steps: int, points: int,
           seed: int) -> list[dict[str, np.ndarray]]:
    import torch

    xs = np.empty((k, points))
    ys = np.empty((k, points))
    mask = np.empty((k, points))
    for i, f in enumerate(functions):
        lo, hi = max(f.domain[0], PROBE_RANGE[0]), min(f.domain[1], PROBE_RANGE[1])
        x = np.linspace(lo, hi, points)
        y = f.formula(x)
        ok = np.isfinite(y)
        xs[i], ys[i], mask[i] = x, np.where(ok, y, 0.0), ok
    sx = np.maximum(np.abs(xs).max(axis=1), 1e-6)
    my = np.array([ys[i][mask[i] > 0].mean() if mask[i].any() else 0.0 for i in range(k)])
    sy = np.array([max(ys[i][mask[i] > 0].std(), 1e-6) if mask[i].any() else 1.0 for i in range(k)])
    g = torch.Generator().manual_seed(seed)
    tx = torch.tensor(xs / sx[:, None], dtype=torch.float32).unsqueeze(-1)           # (k, N, 1)
    ty = torch.tensor((ys - my[:, None]) / sy[:, None], dtype=torch.float32)          # (k, N)
    tm = torch.tensor(mask, dtype=torch.float32)
    # Kaiming-style init on the scaled input; biases spread the kinks over [-1, 1].
    w1 = (torch.randn(k, 1, HIDDEN, generator=g) * 1.5).requires_grad_()
    b1 = (torch.rand(k, 1, HIDDEN, generator=g) * 2 - 1).requires_grad_()
    w2 = (torch.randn(k, HIDDEN, 1, generator=g) / HIDDEN ** 0.5).requires_grad_()
    b2 = torch.zeros(k, 1, 1).requires_grad_()
    opt = torch.optim.Adam([w1, b1, w2, b2], lr=LR)
    denom = tm.sum(dim=1).clamp(min=1.0)
    for _ in range(steps):
        opt.zero_grad()
        pred = (torch.relu(torch.bmm(tx, w1) + b1) @ w2 + b2).squeeze(-1)
        loss = (((pred - ty) ** 2 * tm).sum(dim=1) / denom).sum()
        loss.backward()
        opt.step()
    out = []
    with torch.no_grad():
        for i in range(k):
            # Fold the input and output scalings into the layers: the served net takes raw x.
            out.append({"w1": (w1[i, 0] / sx[i]).double().numpy(), "b1": b1[i, 0].double().numpy(),
                        "w2": (w2[i, :, 0] * sy[i]).double().numpy(),
                        "b2": np.array(float(b2[i, 0, 0]) * sy[i] + my[i])})
    return out


def mlp_weights(functions: Sequence[NumericFunction], *, cache_dir: Path | None = None, steps: int = STEPS,
                points: int = POINTS) -> dict[str, dict[str, np.ndarray]]:
    """Weights for every MLP function in ``functions`` (id -> weights), trained once and cached."""
    root = _cache_dir(cache_dir)
    tag = _settings_tag(steps, points)
    found: dict[str, dict[str, np.ndarray]] = {}
    missing: list[NumericFunction] = []
    for f in functions:
        if f.variant != "mlp":
            continue
        path = root / f"{f.key()}-{tag}.npz"
        if path.exists():
            with np.load(path) as z:
                found[f.id] = {name: z[name] for name in ("w1", "b1", "w2", "b2")}
        else:
            missing.append(f)
    if missing:
        for f, w in zip(missing, train_mlps(missing, steps=steps, points=points), strict=True):
            path = root / f"{f.key()}-{tag}.npz"
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, **w)
            tmp.replace(path)  # atomic: a concurrent reader never sees half a file
            found[f.id] = w
    return found


def mlp_outputs(weights: dict[str, np.ndarray], x: np.ndarray | float) -> np.ndarray:
    """The network on ``x`` (vectorised)."""
    xs = np.asarray(x, dtype=float)
    h = np.maximum(xs[..., None] * weights["w1"] + weights["b1"], 0.0)
    return h @ weights["w2"] + weights["b2"]


def mlp_code(weights: dict[str, np.ndarray]) -> str:
    """Self-contained Python source of the served network (``def f(x)``), weights inlined."""
    def arr(a: np.ndarray) -> str:
        return "[" + ", ".join(repr(float(v)) for v in np.ravel(a)) + "]"

    return ("import numpy as np\n\nW1 = np.array(" + arr(weights["w1"]) + ")\nB1 = np.array(" + arr(weights["b1"])
            + ")\nW2 = np.array(" + arr(weights["w2"]) + f")\nB2 = {float(weights['b2'])!r}\n\n\n"
            "def f(x):\n    return float(np.maximum(x * W1 + B1, 0.0) @ W2 + B2)\n")
