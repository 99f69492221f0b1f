"""Shared test configuration: GPU tests are skipped without CUDA; CPU threads are capped."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests explore new examples on every developer run; CI replays a fixed, derandomized set so a
# submission's result does not depend on the draw (failures found locally go into the example database).
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Keep each test process to the machine's cores; CI has 2.
os.environ.setdefault("OMP_NUM_THREADS", "2")


def _has_cuda() -> bool:
    try:
        import torch
        return torch.cuda.is_available()
    except ImportError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _has_cuda():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
