"""The FIND interpreter: probe a black box with chosen inputs, then describe it and write code for it.

Protocol (Schwettmann et al., 2023, "automated interpretability agent"): the model sees only what
the black box returns. Each round it either runs the function on a list of inputs
(``RUN(x1, x2, ...)``, answered with input-output pairs) or writes its answer (``[DESCRIPTION]``,
``[DOMAIN]`` for numeric functions, ``[CODE]``). After ``max_rounds`` rounds without an answer it is
asked for one (the reference just stops there and scores the empty answer; ``forced_final`` records
that it happened). Variants: *initialisation* (the box is first run on given exemplar inputs and
the pairs are in the first message) and *single round* (only the exemplar pairs, one reply).

With ``FindConfig.gp`` set (numeric functions only) the model has a second command, ``FIT()``: the
project's genetic programming (:mod:`agents.find.gp`) fits every pair seen so far and the reply is
the formula, its error on those pairs and its Python code, which the model may copy into ``[CODE]``.
``FIT(x1, x2, ...)`` first runs the box on those inputs (one run), then fits. A fit takes a round.

The agent talks to the world only through :class:`agents.world.ToolSet` (the ``run`` tool) and to
the model through :mod:`agents.llm`; each episode is one coroutine, so a benchmark runs hundreds at
once and the backend batches their requests (a fit runs in a worker thread, off the event loop).
"""

from __future__ import annotations

import ast
import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.find.gp import GPFit, GPSettings, fit_pairs
from agents.find.prompts import final_request, format_fit, format_pairs, nudge, task_prompt
from agents.llm import ContextLengthError
from agents.world import ToolError, ToolSet, code_blocks

#: What the box computes: numeric or string functions, or synthetic neurons (entity / relation).
KINDS: tuple[str, ...] = ("numeric", "strings", "entities", "relations")
_CMD = re.compile(r"\b(RUN|PYTHON)\s*\(", re.I)
_FIT = re.compile(r"\bFIT\s*\(", re.I)
_MARK = re.compile(r"\[(DESCRIPTION|DOMAIN|CODE)\]\s*:?", re.I)
_DESCRIPTION = re.compile(r"\[DESCRIPTION\]", re.I)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'|([^\s,\"']+)")


@dataclass(frozen=True)
class FindConfig:
    """How the interpreter runs.

    Attributes:
        kind: ``"numeric"``, ``"strings"``, ``"entities"`` or ``"relations"`` (neurons: words in; no
            ``[CODE]`` is asked for).
        max_rounds: Most model turns before the answer is requested (the paper's 20).
        max_tokens: Tokens per reply.
        temperature: Sampling temperature (0: greedy).
        max_inputs: Most inputs one ``RUN`` may carry (more are cut, and the model is told).
        exemplars: Inputs the box is run on before the first message (initialisation); also the only
            inputs in single-round mode.
        single_round: One reply from the exemplar pairs (a MILAN-style baseline).
        mlp: Tell the model the function is a neural network's approximation (the paper's MLP prompt).
        seed: Sampling seed passed to the model.
        gp: Settings of the ``FIT`` command's regressor; None: no ``FIT`` (numeric functions only).
    """

    kind: str = "numeric"
    max_rounds: int = 20
    max_tokens: int = 256
    temperature: float = 0.0
    max_inputs: int = 64
    exemplars: tuple[Any, ...] = ()
    single_round: bool = False
    mlp: bool = False
    seed: int | None = None
    gp: GPSettings | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.max_rounds < 1:
            raise ValueError(f"max_rounds must be >= 1, got {self.max_rounds}")
        if self.single_round and not self.exemplars:
            raise ValueError("single_round needs exemplars: the inputs the function is shown on")
        if self.gp is not None and self.kind != "numeric":
            raise ValueError("the FIT command fits numeric functions only")


@dataclass
class FindAnswer:
    """What the interpreter wrote: ``[DESCRIPTION]``, ``[DOMAIN]`` and ``[CODE]`` (None if missing)."""

    description: str | None = None
    domain: str | None = None
    code: str | None = None
    code_fenced: bool = False


@dataclass
class FindResult:
    """One episode.

    Attributes:
        answer: The parsed answer.
        rounds: Model turns used (the final one included).
        runs: Successful ``RUN`` commands (and runs of ``FIT(x1, ...)``).
        fits: ``FIT`` commands answered with a formula.
        inputs: How many inputs the box answered.
        forced_final: The answer had to be requested (rounds or context used up).
        stopped: ``"answered"``, ``"forced"``, ``"context"`` or ``"no_answer"``.
        prompt_tokens, completion_tokens, requests: Model usage.
        wall_s: Seconds the episode took.
        transcript: Every request, reply and tool call, in order.
    """

    answer: FindAnswer
    rounds: int = 0
    runs: int = 0
    fits: int = 0
    inputs: int = 0
    forced_final: bool = False
    stopped: str = "answered"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    wall_s: float = 0.0
    transcript: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------------------------ parsing

def _command_args(text: str, pattern: re.Pattern[str] = _CMD) -> str | None:
    """The argument text of the first ``RUN(...)``/``PYTHON(...)`` (or ``pattern``), up to its closing
    parenthesis."""
    m = pattern.search(text)
    if m is None:
        return None
    i, depth, quote = m.end(), 1, ""
    start = i
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return text[start:]  # unclosed: take the rest (a small model may stop before the parenthesis)


def parse_command(text: str, kind: str) -> list[Any] | None:
    """The inputs of the first ``RUN(...)`` in ``text`` (None when there is no command).

    Numbers for numeric functions; quoted or bare strings for string functions. A leading path token
    (the paper's ``PYTHON(./temp/function.py 1 2 3)``) is dropped.
    """
    args = _command_args(text)
    if args is None:
        return None
    args = re.sub(r"^\s*\S*(?:function|\.py)\S*[\s,]*", "", args)
    if kind == "numeric":
        out: list[Any] = []
        for tok in _NUMBER.findall(args):
            try:
                v = float(tok)
            except ValueError:  # pragma: no cover - the regex admits only floats
                continue
            out.append(int(v) if v.is_integer() and "." not in tok and "e" not in tok.lower() else v)
        return out
    words = []
    for dq, sq, bare in _TOKEN.findall(args):
        words.append(dq if dq or (not sq and not bare) else sq if sq else bare)
    return [w for w in words if w != ""] or ([] if not args.strip() else [args.strip()])


def parse_fit(text: str) -> list[float] | None:
    """The inputs of the first ``FIT(...)`` in ``text``: ``[]`` for ``FIT()``, None when there is none.

    Only a ``FIT`` that comes before any ``RUN`` counts (the first command of a reply is the one run).
    """
    fit = _FIT.search(text)
    if fit is None:
        return None
    run = _CMD.search(text)
    if run is not None and run.start() < fit.start():
        return None
    args = _command_args(text, _FIT) or ""
    return [float(v) for v in _NUMBER.findall(args)]


def parse_answer(text: str) -> FindAnswer:
    """Read ``[DESCRIPTION]``, ``[DOMAIN]`` and ``[CODE]`` out of a reply.

    The code is the last fenced block after the last ``[CODE]`` marker (the reference's rule); a
    reply with no fence there but Python that parses after the marker is taken too, with
    ``code_fenced=False`` recorded (small models often skip the fence).
    """
    parts: dict[str, str] = {}
    marks = list(_MARK.finditer(text))
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        parts[m.group(1).upper()] = text[m.end():end].strip()  # the last of each marker wins
    ans = FindAnswer(description=parts.get("DESCRIPTION") or None, domain=parts.get("DOMAIN") or None)
    if "CODE" in parts:
        after = text[[m for m in marks if m.group(1).upper() == "CODE"][-1].end():]
        blocks = [b for lang, b in code_blocks(after) if lang in ("", "python", "py", "python3")]
        if blocks:
            ans.code, ans.code_fenced = blocks[-1].strip() + "\n", True
        else:
            src = after.strip()
            start = re.search(r"^(?:import |from \S+ import|def )", src, re.M)
            if start:
                src = src[start.start():]
                try:
                    ast.parse(src)
                    ans.code = src + "\n"
                except SyntaxError:
                    pass
    if ans.description is not None:
        # A description that swallowed a code block (no [CODE] marker) keeps only its prose.
        ans.description = ans.description.split("```")[0].strip() or None
    return ans


# ------------------------------------------------------------------------------------ the agent

class FindInterpreter:
    """The interpreter agent.

    Args:
        model: An ``agents.llm.ChatModel``.
        config: How it runs.

    Example::

        box = FunctionBox("numeric", fn)                       # any agents.world.ToolSet with "run"
        result = await FindInterpreter(model, FindConfig()).run(box)
        result.answer.code
    """

    def __init__(self, model: Any, config: FindConfig | None = None) -> None:
        self.model = model
        self.config = config or FindConfig()

    async def _run_tool(self, tools: ToolSet, inputs: Sequence[Any], res: FindResult,
                        seen: list[tuple[Any, Any]] | None = None) -> str:
        cfg = self.config
        note = ""
        if len(inputs) > cfg.max_inputs:
            note = f" (only the first {cfg.max_inputs} inputs were run)"
            inputs = list(inputs)[: cfg.max_inputs]
        if not inputs:
            res.transcript.append({"type": "run", "inputs": [], "error": "no inputs"})
            return "Error: the command had no inputs. " + nudge(cfg.kind)
        try:
            # A box computed by a model (a synthetic neuron) is asynchronous: awaited, so other episodes'
            # requests batch with its own.
            acall = getattr(tools, "acall", None)
            pairs = (await acall("run", {"inputs": list(inputs)}) if acall is not None
                     else tools.call("run", {"inputs": list(inputs)}))
        except ToolError as exc:
            res.transcript.append({"type": "run", "inputs": list(inputs), "error": str(exc)})
            return f"Error: {exc}"
        res.runs += 1
        res.inputs += len(pairs)
        if seen is not None:
            seen.extend((p[0], p[1]) for p in pairs)
        res.transcript.append({"type": "run", "inputs": list(inputs), "outputs": [p[1] for p in pairs]})
        return format_pairs(pairs, cfg.kind) + note

    async def _fit(self, tools: ToolSet, inputs: list[float], pairs: list[tuple[Any, Any]], res: FindResult) -> str:
        """``FIT(...)``: run the box on ``inputs`` (if any), then fit every pair seen so far."""
        cfg = self.config
        assert cfg.gp is not None
        prefix = ""
        if inputs:
            prefix = await self._run_tool(tools, inputs, res, seen=pairs) + "\n"
            if prefix.startswith("Error"):
                return prefix.strip()
        if len(pairs) < 2:
            res.transcript.append({"type": "fit", "pairs": len(pairs), "error": "too few pairs"})
            return prefix + "Error: FIT needs at least 2 input-output pairs; run the function first. " + nudge(
                cfg.kind, fit=True)
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        fit: GPFit = await asyncio.to_thread(fit_pairs, xs, ys, cfg.gp, res.fits)
        res.transcript.append({"type": "fit", "pairs": fit.pairs, "expression": fit.expression,
                               "train_nmse": fit.train_nmse, "error": fit.error, "time_s": fit.time_s})
        if fit.code is None:
            return prefix + f"Error: nothing to fit ({fit.error}). " + nudge(cfg.kind, fit=True)
        res.fits += 1
        return prefix + format_fit(fit.expression or "", fit.train_nmse or 0.0, fit.pairs, fit.code)

    async def _chat(self, messages: list[dict[str, str]], res: FindResult) -> str:
        cfg = self.config
        reply = (await self.model.chat(messages, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                                       seed=cfg.seed, stop=["Response:"]))[0]
        res.requests += 1
        res.rounds += 1
        res.prompt_tokens += reply.prompt_tokens
        res.completion_tokens += reply.completion_tokens
        res.transcript.append({"type": "chat", "request": messages[-1]["content"], "reply": reply.text,
                               "finish_reason": reply.finish_reason})
        return reply.text

    async def run(self, tools: ToolSet) -> FindResult:
        """Interpret the function behind ``tools`` (a :class:`~agents.world.ToolSet` with ``run``)."""
        cfg = self.config
        started = time.monotonic()
        res = FindResult(answer=FindAnswer())
        prompt = task_prompt(cfg.kind, cfg.max_rounds, cfg.max_inputs, mlp=cfg.mlp, single_round=cfg.single_round,
                             fit_tool=cfg.gp is not None)
        pairs: list[tuple[Any, Any]] = []  # every pair the box answered (what FIT fits)
        if cfg.exemplars:
            prompt += "\n\n" + await self._run_tool(tools, list(cfg.exemplars), res, seen=pairs)
        messages = [{"role": "user", "content": prompt}]
        observed = [prompt]  # for a compacted restart when the context is full
        try:
            while True:
                text = await self._chat(messages, res)
                messages.append({"role": "assistant", "content": text})
                # The paper ends the conversation at the first [DESCRIPTION], whatever else the reply holds.
                if cfg.single_round or _DESCRIPTION.search(text):
                    res.answer = parse_answer(text)
                    res.stopped = "answered"
                    break
                if res.rounds >= cfg.max_rounds:
                    res.forced_final = True
                    res.stopped = "forced"
                    ask = final_request(cfg.kind, "You have used all your rounds.")
                    messages.append({"role": "user", "content": ask})
                    res.answer = parse_answer(await self._chat(messages, res))
                    break
                fit_inputs = parse_fit(text) if cfg.gp is not None else None
                inputs = parse_command(text, cfg.kind) if fit_inputs is None else None
                if fit_inputs is not None:
                    reply = await self._fit(tools, fit_inputs, pairs, res)
                    observed.append(reply)
                elif inputs is not None:
                    reply = await self._run_tool(tools, inputs, res, seen=pairs)
                    observed.append(reply)
                else:
                    reply = nudge(cfg.kind, fit=cfg.gp is not None)
                messages.append({"role": "user", "content": reply})
        except ContextLengthError:
            # Out of context: restart from the task and everything the box answered, and ask for the answer.
            res.forced_final = True
            res.stopped = "context"
            res.transcript.append({"type": "context_full", "messages": len(messages)})
            compact = "\n\n".join(observed[:1] + observed[1:][-6:])
            messages = [{"role": "user", "content": compact + "\n\n" + final_request(cfg.kind, "")}]
            try:
                res.answer = parse_answer(await self._chat(messages, res))
            except ContextLengthError:
                res.stopped = "no_answer"
        if res.answer.description is None and res.answer.code is None and res.stopped == "answered":
            res.stopped = "no_answer"
        res.wall_s = time.monotonic() - started
        return res
