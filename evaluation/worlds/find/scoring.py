"""FIND's scorers: numeric code (NMSE), string code (exact match), intervals, descriptions.

Numeric code (the paper's rule, ``ste-find-scoring.md`` items 9-12): the interpreter's code and the
served function run on x = -127.5, -126.5, ..., 127.5; points where the *ground truth* is nan or inf
are skipped; ``NMSE = sum |gt - c|^2 / sum |gt|^2`` (normalised by the mean square, not the
variance, so a constant can pass an offset line); the code passes when NMSE < 0.1. Noisy and
corrupted functions are compared with the served random function, fresh noise included. Anything
wrong with the candidate (no code, a syntax error, an exception, a timeout, a value that is not a
real number, nan or inf) fails with the reason recorded. ``nmse_variance`` (normalised by the
variance) is recorded beside it as the strict variant.

String code: the candidate's outputs on the 10 test inputs are compared with the function's; the
score is the fraction that match exactly (an input on which the candidate fails counts 0, as in the
reference). A non-string return value is compared by ``str(value)``.

Intervals (ours; the paper asks for ``[DOMAIN]`` but reports no number): the numbers in the
interpreter's domain text are read as the interval it flags and compared with the corrupted interval
by intersection over union on the probe range.

Descriptions: the paper's "unit tests": an evaluator model reads the description and three
input->output pairs and picks the one consistent with it (chance 1/3). The paper's evaluator is
GPT-4 or a fine-tuned Vicuna-13B; here it is any local chat model (the run's own by default) with
its answer constrained to "1", "2" or "3", so no external judge is needed. Its agreement with people
is unknown, and a 135M model is near chance: read these numbers as a pipeline check unless a strong
local evaluator is used.
"""

from __future__ import annotations

import ast
import asyncio
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The paper's scoring inputs: -127.5 ... 127.5, step 1 (256 points).
SCORE_XS: np.ndarray = np.arange(-127.5, 128.0, 1.0)
NMSE_THRESHOLD = 0.1
PROBE = (-128.0, 128.0)

# Runs the candidate on every input inside ONE sandboxed application, so a loop costs one timeout,
# not one per input, and each input's failure is recorded instead of ending the whole call.
_WRAPPER = '''

def __find_apply_all(__xs):
    __out = []
    for __x in __xs:
        try:
            __v = {fn}(__x)
        except BaseException as __e:  # the candidate's fault, whatever it is
            __out.append(("error", (type(__e).__name__ + ": " + str(__e))[:120]))
            continue
        __out.append(("ok", __convert(__v)))
    return __out


def __convert(__v):
    if {kind!r} == "strings":
        return __v if isinstance(__v, str) else str(__v)
    if isinstance(__v, bool):
        return ("bad", "a boolean")
    if isinstance(__v, complex):
        return ("bad", "a complex number")
    try:
        return float(__v)
    except BaseException:
        return ("bad", "not a number: " + repr(__v)[:40])
'''


def last_function_name(code: str) -> str | None:
    """Name of the last top-level ``def`` in ``code`` (the one the paper scores), or None.

    Raises:
        SyntaxError: the code does not parse.
    """
    tree = ast.parse(code)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return names[-1] if names else None


@dataclass
class CodeRun:
    """The candidate's outputs on a list of inputs.

    Attributes:
        values: Per input the value, or None where it failed.
        errors: Per input the failure (None where it ran).
        error: A failure of the whole program (no code, syntax, no function, timeout), else None.
    """

    values: list[Any] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    error: str | None = None


def run_candidate(code: str | None, inputs: Sequence[Any], kind: str, sandbox: Any,
                  timeout: float = 10.0) -> CodeRun:
    """Run the interpreter's code on ``inputs`` in the sandbox (one application for all inputs).

    Args:
        code: Python source; its last top-level ``def`` is the function.
        inputs: Plain values (floats or strings).
        kind: ``"numeric"`` (values become floats) or ``"strings"``.
        sandbox: An :class:`agents.sandbox.Sandbox`.
        timeout: Seconds for all inputs together.
    """
    n = len(inputs)
    if not code or not code.strip():
        return CodeRun([None] * n, ["no code"] * n, "no code")
    try:
        fn = last_function_name(code)
    except SyntaxError as exc:
        msg = f"syntax error at line {exc.lineno}: {exc.msg}"
        return CodeRun([None] * n, [msg] * n, msg)
    except (ValueError, RecursionError) as exc:  # null bytes, absurd nesting
        msg = f"unparsable code: {exc}"[:200]
        return CodeRun([None] * n, [msg] * n, msg)
    if fn is None:
        return CodeRun([None] * n, ["no function defined"] * n, "no function defined")
    program = code + _WRAPPER.format(fn=fn, kind=kind)
    res = sandbox.apply(program, "__find_apply_all", [list(inputs)], timeout=timeout)[0]
    if not res.ok:
        msg = f"{res.status}: {res.error or ''}".strip()[:200]
        return CodeRun([None] * n, [msg] * n, msg)
    rows = res.value
    if not isinstance(rows, list | tuple) or len(rows) != n:
        return CodeRun([None] * n, ["garbled output"] * n, "garbled output")
    run = CodeRun()
    for row in rows:
        status, value = row
        if status == "ok" and isinstance(value, tuple) and len(value) == 2 and value[0] == "bad":
            run.values.append(None)
            run.errors.append(f"returned {value[1]}")
        elif status == "ok":
            run.values.append(value)
            run.errors.append(None)
        else:
            run.values.append(None)
            run.errors.append(str(value))
    return run


def nmse_score(gt: np.ndarray, cand: Sequence[float | None], errors: Sequence[str | None] | None = None,
               threshold: float = NMSE_THRESHOLD) -> dict[str, Any]:
    """The paper's pass/fail rule on aligned ground-truth and candidate values.

    Returns:
        ``{"pass": 0/1, "nmse": float|None, "nmse_variance": float|None, "reason": str|None,
        "points": int}``; ``nmse`` is None when the candidate failed before a number could be computed.
    """
    gt = np.asarray(gt, dtype=float)
    keep = np.isfinite(gt)
    if not keep.any():
        return {"pass": 0, "nmse": None, "nmse_variance": None, "reason": "ground truth has no finite point",
                "points": 0}
    for i in np.flatnonzero(keep):
        v = cand[i]
        if v is None or not math.isfinite(v):
            why = (errors[i] if errors is not None and errors[i] else None) or f"candidate gave {v!r}"
            return {"pass": 0, "nmse": None, "nmse_variance": None,
                    "reason": f"at x={SCORE_XS[i] if len(gt) == len(SCORE_XS) else i}: {why}"[:200],
                    "points": int(keep.sum())}
    g = gt[keep]
    c = np.asarray([cand[i] for i in np.flatnonzero(keep)], dtype=float)
    with np.errstate(all="ignore"):
        err = float(np.sum((g - c) ** 2))
        scale = float(np.sum(g ** 2))
        var = float(np.sum((g - g.mean()) ** 2))
    # An all-zero ground truth makes the reference's ratio 0/0 (a fail); an exact match passes here.
    nmse = err / scale if scale > 0 else (0.0 if err == 0 else math.inf)
    nmse_var = err / var if var > 0 else (0.0 if err == 0 else math.inf)
    ok = math.isfinite(nmse) and nmse < threshold
    return {"pass": int(ok), "nmse": nmse if math.isfinite(nmse) else None,
            "nmse_variance": nmse_var if math.isfinite(nmse_var) else None,
            "reason": None if ok else f"NMSE {nmse:.3g} >= {threshold}", "points": int(keep.sum())}


def score_numeric_code(code: str | None, served: Callable[[np.ndarray], np.ndarray], sandbox: Any,
                       timeout: float = 10.0) -> dict[str, Any]:
    """Score the interpreter's numeric code against the served function on :data:`SCORE_XS`.

    Args:
        code: The interpreter's ``[CODE]`` (None when it gave none).
        served: The served function on an array (fresh noise per call for noisy/corrupted functions).
        sandbox: Where the candidate runs.
        timeout: Seconds for the candidate on all 256 points.
    """
    run = run_candidate(code, [float(x) for x in SCORE_XS], "numeric", sandbox, timeout)
    if run.error is not None:
        return {"pass": 0, "nmse": None, "nmse_variance": None, "reason": run.error, "points": 0}
    return nmse_score(np.asarray(served(SCORE_XS), dtype=float), run.values, run.errors)


def score_string_code(code: str | None, fn: Callable[[str], str], inputs: Sequence[str], sandbox: Any,
                      timeout: float = 10.0) -> dict[str, Any]:
    """Exact-match rate of the interpreter's string code on the test inputs."""
    run = run_candidate(code, list(inputs), "strings", sandbox, timeout)
    hits = [v is not None and v == fn(x) for x, v in zip(inputs, run.values, strict=True)]
    reason = run.error or next((e for e in run.errors if e), None)
    return {"exact_match": sum(hits) / len(hits) if hits else 0.0, "hits": [int(h) for h in hits], "reason": reason}


# ------------------------------------------------------------------------------------ intervals

_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_BELOW = re.compile(r"(below|less than|smaller than|under|<|up to|before)", re.I)
_ABOVE = re.compile(r"(above|greater than|larger than|more than|over|>|beyond|after)", re.I)


def parse_interval(text: str | None) -> tuple[float, float] | None:
    """The interval an interpreter's ``[DOMAIN]`` text flags, on the probe range, or None.

    Two or more numbers: the span of the first two. One number: the side named by words such as
    "below"/"above" (the nearer one, if both appear). None when no number is given.
    """
    if not text:
        return None
    nums = [float(m) for m in _NUM.findall(text)]
    nums = [v for v in nums if math.isfinite(v)]
    if not nums:
        return None
    if len(nums) >= 2:
        lo, hi = sorted(nums[:2])
        return (max(lo, PROBE[0]), min(hi, PROBE[1])) if lo < hi else None
    a = nums[0]
    below, above = _BELOW.search(text), _ABOVE.search(text)
    if below and (not above or below.start() < above.start()):
        return (PROBE[0], min(a, PROBE[1]))
    if above:
        return (max(a, PROBE[0]), PROBE[1])
    return None


def interval_iou(pred: tuple[float, float] | None, true: tuple[float, float]) -> float:
    """Intersection over union of two intervals, both clipped to the probe range (0 if none)."""
    if pred is None:
        return 0.0
    t = (max(true[0], PROBE[0]), min(true[1], PROBE[1]))
    p = (max(pred[0], PROBE[0]), min(pred[1], PROBE[1]))
    inter = max(0.0, min(p[1], t[1]) - max(p[0], t[0]))
    union = max(p[1], t[1]) - min(p[0], t[0])
    return inter / union if union > 0 else 0.0


# ------------------------------------------------------------------------------------ descriptions

def unit_test_prompt(description: str, candidates: Sequence[Sequence[Any]]) -> str:
    """The evaluator's prompt: a description and three input->output pairs."""
    lines = [f"Here is a description of a function:\n{description.strip()}\n",
             "Which of these input -> output pairs was produced by the function described?"]
    for k, (x, y) in enumerate(candidates, start=1):
        lines.append(f"{k}. {x!r} -> {y!r}")
    lines.append("Answer with the number of the pair (1, 2 or 3) only.")
    return "\n".join(lines)


def entity_unit_test_prompt(description: str, candidates: Sequence[Any]) -> str:
    """The evaluator's prompt for an entity neuron: a description and three input words."""
    lines = [f"Here is a description of a neuron:\n{description.strip()}\n",
             "Which of these inputs makes the neuron described respond most?"]
    for k, x in enumerate(candidates, start=1):
        lines.append(f"{k}. {x!r}")
    lines.append("Answer with the number of the input (1, 2 or 3) only.")
    return "\n".join(lines)


async def unit_test_accuracy(evaluator: Any, description: str | None, tests: Sequence[dict[str, Any]],
                             prompt: Callable[[str, Sequence[Any]], str] = unit_test_prompt) -> dict[str, Any]:
    """Fraction of description unit tests the evaluator answers right (chance 1/3).

    Args:
        evaluator: An ``agents.llm.ChatModel`` (greedy, answer constrained to "1"/"2"/"3").
        description: The interpreter's ``[DESCRIPTION]``; an empty one scores 0 without a model call.
        tests: ``{"candidates": [three candidates], "answer": index}`` items.
        prompt: Builds the question from the description and the candidates: :func:`unit_test_prompt`
            (input->output pairs: strings, relation neurons) or :func:`entity_unit_test_prompt` (inputs).
    """
    if not description or not description.strip() or not tests:
        return {"unit_test_accuracy": 0.0, "answers": [], "tokens": 0}
    replies = await asyncio.gather(*(
        evaluator.chat([{"role": "user", "content": prompt(description, t["candidates"])}],
                       max_tokens=2, temperature=0.0, constraint=["1", "2", "3"]) for t in tests))
    answers, hits, tokens = [], 0, 0
    for t, rep in zip(tests, replies, strict=True):
        c = rep[0]
        tokens += c.prompt_tokens + c.completion_tokens
        text = (c.parsed if isinstance(c.parsed, str) else c.text or "").strip()
        answers.append(text)
        # The reference counts a hit when the right index appears in the reply; with a constrained
        # single-digit answer that is the same as equality.
        hits += text == str(t["answer"] + 1)
    return {"unit_test_accuracy": hits / len(tests), "answers": answers, "tokens": tokens}
