"""Shared helpers for the GP tests: random programs drawn from a seeded DEAP primitive set."""

from __future__ import annotations

import random

import pytest
from deap import gp

from symbolic.gp.primitives import PRIMITIVES, build_pset, tree_to_code


def random_code(seed: int, n_features: int | None = 3, functions=tuple(PRIMITIVES), max_depth: int = 4) -> tuple:
    """A random program (prefix code) over all primitives, reproducible from ``seed``."""
    state = random.getstate()
    random.seed(seed)
    try:
        pset = build_pset(n_features, functions, (-2.0, 2.0))
        return tree_to_code(gp.PrimitiveTree(gp.genHalfAndHalf(pset, 1, max_depth)))
    finally:
        random.setstate(state)


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(0)
