"""The black box an interpreter may probe: a :class:`agents.world.ToolSet` with one tool, ``run``.

The agent never sees the function, its code or its family; it calls ``run`` with a list of inputs
and gets ``[input, output]`` pairs back, exactly the paper's ``PYTHON(path x1 x2 ...)`` command. The
box counts calls and inputs so the benchmark can report rounds, and refuses malformed inputs with a
:class:`~agents.world.ToolError` the model can read (a non-number for a numeric function, too many
inputs at once), never with a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from agents.world import ToolError, ToolSpec, check_arguments

#: Most inputs one call may carry (keeps replies inside a small model's context).
MAX_INPUTS = 64


def _fmt(y: float) -> float | str:
    """Outputs rounded to 4 decimals as numbers; nan/inf as strings (JSON has no such numbers)."""
    if not math.isfinite(y):
        return "nan" if math.isnan(y) else ("inf" if y > 0 else "-inf")
    return round(float(y), 4)


class FunctionBox:
    """A numeric or string function behind the ``run`` tool.

    Args:
        kind: ``"numeric"`` or ``"strings"``.
        fn: For numeric, a vectorised ``(np.ndarray, rng) -> np.ndarray``; for strings, ``str -> str``.
        seed: Seeds the noise of noisy and corrupted numeric functions (fresh draws per input).
        max_inputs: Most inputs per call.

    Attributes:
        calls: How many successful ``run`` calls were made.
        inputs_seen: Every input the box answered, in order.
    """

    def __init__(self, kind: str, fn: Callable[..., Any], seed: int = 0, max_inputs: int = MAX_INPUTS) -> None:
        if kind not in ("numeric", "strings"):
            raise ValueError(f"kind must be 'numeric' or 'strings', got {kind!r}")
        self.kind = kind
        self._fn = fn
        self._rng = np.random.default_rng(seed)
        self.max_inputs = max_inputs
        self.calls = 0
        self.inputs_seen: list[Any] = []
        item = {"type": "number"} if kind == "numeric" else {"type": "string"}
        self._spec = ToolSpec(
            "run", "Run the hidden function on a list of inputs; returns [input, output] pairs.",
            {"type": "object", "properties": {"inputs": {"type": "array", "items": item, "minItems": 1,
                                                         "maxItems": max_inputs}},
             "required": ["inputs"], "additionalProperties": False})

    def describe(self) -> list[ToolSpec]:
        """The one tool, ``run``."""
        return [self._spec]

    def call(self, name: str, arguments: Mapping[str, Any]) -> list[list[Any]]:
        """Run the function on ``arguments["inputs"]``.

        Raises:
            ToolError: unknown tool or inputs that are not a list of numbers (numeric) / strings.
        """
        if name != "run":
            raise ToolError(name, f"unknown tool '{name}'; the only tool is 'run'", kind="unknown_tool")
        if self.kind == "numeric" and isinstance(arguments.get("inputs"), list):
            # JSON schema's "number" accepts booleans in Python; refuse them like any non-number.
            if any(isinstance(v, bool) for v in arguments["inputs"]):
                raise ToolError("run", "bad arguments for run at inputs: booleans are not numbers",
                                kind="bad_arguments")
        check_arguments(self._spec, arguments)
        xs = list(arguments["inputs"])
        self.calls += 1
        self.inputs_seen.extend(xs)
        if self.kind == "numeric":
            ys = np.asarray(self._fn(np.asarray(xs, dtype=float), self._rng), dtype=float)
            return [[x, _fmt(float(y))] for x, y in zip(xs, ys, strict=True)]
        return [[x, self._fn(x)] for x in xs]
