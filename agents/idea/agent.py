"""IDEA (He et al.): abduction → deduction → induction for rule learning in interactive worlds.

The agent plays one episode of an :class:`agents.world.Environment` whose observations carry a numbered
menu of actions:

- **Abduction**: once the first observations are in (perceptual actions are free in the world), the
  model states a falsifiable hypothesis about the hidden rule and a plan. One call, no step.
- **Deduction**: every action choice is conditioned on the current hypothesis and plan (the paper merged
  the separate deduction prompt into the abduction/induction call "to save tokens"; so do we).
- **Induction**: the menu gets one more entry, "Modify previous hypothesis and make a new plan". Taking
  it shows the model the hypothesis and the observations since, and asks whether it still holds or how
  to revise it. No step; not twice in a row unless ``repeat_induction`` (the paper allows it only in
  the Reactor). More than ``max_hypothesis_calls`` abduction + induction calls end the episode.

``checker="program"`` (not in the paper; :mod:`agents.idea.checker`): abduction and induction also write
the hypothesis as a Python function, which is run in the sandbox on the past observations the world lists
in ``Observation.info["program"]``; a hypothesis that contradicts them (or has no readable function) is
sent back with the failing cases, at most ``max_revisions`` times, each revision one more hypothesis call
toward ``max_hypothesis_calls``. The last reply is kept whatever its verdict.

``method="baseline"`` is the same loop without hypotheses (the paper's ReAct-style baseline). Choosing an
action is one call (reason briefly, then the index in square brackets); an action with arguments gets a
second call for its input (a string inside ``['...']``, or materials in parentheses). With
``structured=True`` (not in the paper) both calls are decoded under constraints: the index from the
menu's numbers, the input from a regex built from the action's JSON schema.

A reply that names no valid action, an input that cannot be parsed, and an action the world refuses
(:class:`~agents.world.ActionError`) each cost a step and count as a format failure; none ends the
episode early.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from agents.idea import prompts as P
from agents.idea.checker import Verdict, check_hypothesis, failures_text
from agents.llm import ChatModel, Completion, ContextLengthError
from agents.world import Action, ActionError, Environment, Observation

METHODS = ("idea", "baseline")
CHECKERS = ("none", "program")


@dataclass
class IdeaConfig:
    """How the agent plays.

    Attributes:
        method: ``"idea"`` (abduction, deduction, induction) or ``"baseline"`` (no hypotheses).
        budget: Steps per episode (the solving action is free, as in the reference).
        structured: Constrained decoding of action indices and inputs.
        max_tokens: Tokens of an action-choice reply (free-form reasoning plus ``[index]``).
        input_max_tokens: Tokens of an input reply.
        hypothesis_max_tokens: Tokens of an abduction or induction reply.
        max_hypothesis_calls: Abduction + induction calls allowed (the paper: 16; one more ends the run).
        repeat_induction: Allow "modify hypothesis" twice in a row (the paper: only in the Reactor).
        hint: An extra sentence for abduction/induction (the paper asks the Reactor agent which two
            materials to test next).
        temperature: Sampling temperature (the paper: 0.001, i.e. greedy).
        memory_chars: Most characters of memory shown per prompt (the first observation is always kept,
            then the most recent ones) so prompts fit small context windows.
        name: The agent's name in the prompt (the paper's runs: "Kevin").
        checker: ``"none"`` (the paper) or ``"program"``: hypotheses are also Python functions checked
            against the world's past observations (IDEA only; the world must describe them).
        max_revisions: Revision requests per hypothesis when its program contradicts the observations.
        program_max_tokens: Tokens of a hypothesis reply with ``checker="program"`` (words and code).
        sandbox: The :class:`agents.sandbox.Sandbox` that runs hypothesis programs (default: shared).
    """

    method: str = "idea"
    budget: int = 15
    structured: bool = False
    max_tokens: int = 160
    input_max_tokens: int = 24
    hypothesis_max_tokens: int = 160
    max_hypothesis_calls: int = 16
    repeat_induction: bool = False
    hint: str = ""
    temperature: float = 0.0
    memory_chars: int = 3000
    name: str = "Kevin"
    checker: str = "none"
    max_revisions: int = 2
    program_max_tokens: int = 400
    sandbox: Any = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.checker not in CHECKERS:
            raise ValueError(f"checker must be one of {', '.join(CHECKERS)}, not {self.checker!r}")
        if self.max_revisions < 0:
            raise ValueError(f"max_revisions must be >= 0, not {self.max_revisions}")


@dataclass
class EpisodeResult:
    """What happened in one episode (the world's own record of success is authoritative).

    Attributes:
        done: The world ended the episode (solved or failed) before the agent ran out of steps.
        last_observation: The world's last observation.
        steps: Steps the agent spent (world actions, format failures), the solving action excluded.
        format_failures: Replies naming no valid action, unparsable inputs and refused actions.
        actions: ``(name, arguments)`` of every action the world carried out, in order.
        hypotheses: Every hypothesis and plan held, in order.
        hypothesis_calls: Abduction + induction calls made.
        stopped: Why the loop ended: ``done``, ``budget`` or ``hypothesis_limit``.
        transcript: Every request and reply.
        program_checks: Hypothesis programs checked against past observations (``checker="program"``).
        program_rejections: Checks that found a contradiction (or no readable program).
    """

    done: bool
    last_observation: Observation
    steps: int
    format_failures: int
    actions: list[tuple[str, dict[str, Any]]]
    hypotheses: list[str]
    hypothesis_calls: int
    stopped: str
    transcript: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    wall_s: float = 0.0
    program_checks: int = 0
    program_rejections: int = 0


_INDEX = re.compile(r"\[\s*(\d+)\s*\]")
_STRING = re.compile(r"\[\s*['\"]([^'\"\]]*)['\"]\s*\]")
_PAIR = re.compile(r"\(([^()]*)\)")


def parse_index(text: str, n: int) -> int | None:
    """The chosen option (1..n) of a reply: the last ``[k]`` in it, or the whole reply if it is a number."""
    found = _INDEX.findall(text)
    raw = found[-1] if found else text.strip().rstrip(".")
    if not raw.isdigit():
        return None
    k = int(raw)
    return k if 1 <= k <= n else None


def parse_string(text: str) -> str | None:
    """The value inside ``['...']`` (the reference's input format)."""
    m = _STRING.search(text)
    return m.group(1).strip() if m else None


def parse_pair(text: str) -> list[str] | None:
    """One or two materials from ``(A, B)`` or ``(AB)``."""
    m = _PAIR.search(text)
    if not m:
        return None
    items = [s.strip().strip("'\"") for s in re.split(r"[,;]| and ", m.group(1)) if s.strip()]
    return items if 1 <= len(items) <= 2 else None


def _input_field(action: Action) -> tuple[str, dict[str, Any]] | None:
    props = (action.parameters or {}).get("properties") or {}
    if not props:
        return None
    name = next(iter(props))
    return name, props[name]


class IdeaAgent:
    """Plays episodes of an environment with a chat model (IDEA or the baseline).

    Args:
        model: An :class:`agents.llm.ChatModel` (all episodes may share it; calls batch).
        config: How to play.
    """

    def __init__(self, model: ChatModel, config: IdeaConfig | None = None) -> None:
        self.model = model
        self.config = config or IdeaConfig()

    async def run(self, env: Environment, seed: int | None = None) -> EpisodeResult:
        """Play one episode of ``env`` from ``env.reset(seed)``."""
        return await _Episode(self.model, self.config, env).play(seed)


class _Episode:
    """The state of one episode (memory stream, hypothesis, counters)."""

    def __init__(self, model: ChatModel, config: IdeaConfig, env: Environment) -> None:
        self.model, self.cfg, self.env = model, config, env
        self.memory: list[str] = []
        self.buffer: list[str] = []
        self.hypothesis: str | None = None
        self.hypotheses: list[str] = []
        self.calls = 0
        self.steps = 0
        self.failures = 0
        self.actions: list[tuple[str, dict[str, Any]]] = []
        self.transcript: list[dict[str, Any]] = []
        self.tokens = [0, 0, 0]
        self.memory_chars = config.memory_chars
        self.checks = [0, 0]  # programs checked, programs rejected

    # ------------------------------------------------------------------------------------ the loop

    async def play(self, seed: int | None) -> EpisodeResult:
        started = time.perf_counter()
        obs = self.env.reset(seed)
        self.memory.append(obs.text)
        idea = self.cfg.method == "idea"
        stopped = "budget"
        if idea and not obs.done:
            await self._hypothesise(abduction=True, obs=obs)
        last_was_induction = False
        while not obs.done and self.steps < self.cfg.budget:
            if idea and self.calls > self.cfg.max_hypothesis_calls:
                stopped = "hypothesis_limit"
                break
            menu = list(obs.actions)
            options = [a.description or a.name for a in menu]
            can_modify = idea and (self.cfg.repeat_induction or not last_was_induction)
            if can_modify:
                options.append(P.MODIFY)
            if len(options) == 1:
                choice: int | None = 1  # the reference takes a lone action without asking
            else:
                choice = await self._choose(options)
            if choice is None:
                self._fail("your reply named no action from the menu")
                last_was_induction = False
                continue
            if can_modify and choice == len(options):
                await self._hypothesise(abduction=False, obs=obs)
                last_was_induction = True
                continue
            last_was_induction = False
            action = menu[choice - 1]
            arguments = await self._arguments(action)
            if arguments is None:
                self._fail(f"your input for '{action.description}' could not be read")
                continue
            try:
                obs = self.env.step(action.name, arguments)
            except ActionError as exc:
                self._fail(f"'{action.description}' was refused: {exc}")
                continue
            self.actions.append((action.name, arguments))
            shown = f" with input {_show(arguments)}" if arguments else ""
            entry = f"Step {self.steps + 1}: you chose '{action.description}'{shown}. {obs.text}"
            self.memory.append(entry)
            self.buffer.append(entry)
            if not (obs.done and obs.info.get("solved")):
                self.steps += 1  # the solving action is free (the reference's count)
        if obs.done:
            stopped = "done"
        return EpisodeResult(done=obs.done, last_observation=obs, steps=self.steps, format_failures=self.failures,
                             actions=self.actions, hypotheses=self.hypotheses, hypothesis_calls=self.calls,
                             stopped=stopped, transcript=self.transcript, prompt_tokens=self.tokens[0],
                             completion_tokens=self.tokens[1], requests=self.tokens[2],
                             wall_s=time.perf_counter() - started, program_checks=self.checks[0],
                             program_rejections=self.checks[1])

    # ---------------------------------------------------------------------------------- the calls

    async def _choose(self, options: list[str]) -> int | None:
        structured = self.cfg.structured
        user = P.CHOOSE.format(memory=self._memory(), hypothesis=P.hypothesis_block(self.hypothesis),
                               steps=self.steps, budget=self.cfg.budget, menu=P.menu_text(options),
                               instruction=P.CHOOSE_STRUCTURED if structured else P.CHOOSE_FREE)
        constraint = [str(i) for i in range(1, len(options) + 1)] if structured else None
        reply = await self._ask("choose", user, self.cfg.input_max_tokens if structured else self.cfg.max_tokens,
                                constraint)
        if reply is None or not reply.valid:
            return None
        return parse_index(reply.text, len(options))

    async def _arguments(self, action: Action) -> dict[str, Any] | None:
        spec = _input_field(action)
        if spec is None:
            return {}
        name, schema = spec
        hyp = P.hypothesis_block(self.hypothesis)
        what = schema.get("description") or name
        if schema.get("type") == "array":
            choices = list((schema.get("items") or {}).get("enum") or [])
            a, b = (choices + ["A", "B"])[:2]
            user = P.INPUT_PAIR.format(memory=self._memory(), hypothesis=hyp, action=action.description,
                                       what=what, a=a, b=b)
            constraint = None
            if self.cfg.structured and choices:
                alt = "(" + "|".join(re.escape(c) for c in sorted(choices, key=len, reverse=True)) + ")"
                constraint = rf"\({alt}(, {alt})?\)"
            reply = await self._ask("input", user, self.cfg.input_max_tokens, constraint)
            items = parse_pair(reply.text) if reply is not None and reply.valid else None
            return {name: items} if items else None
        pattern = schema.get("pattern")
        example = "3" if not pattern or "pi" in pattern else "1" * _digits(pattern)
        user = P.INPUT_STRING.format(memory=self._memory(), hypothesis=hyp, action=action.description,
                                     what=what, example=example)
        inner = pattern or "[^']{1,16}"
        constraint = r"\['(" + inner + r")'\]" if self.cfg.structured else None
        reply = await self._ask("input", user, self.cfg.input_max_tokens, constraint)
        value = parse_string(reply.text) if reply is not None and reply.valid else None
        return {name: value} if value else None

    async def _hypothesise(self, abduction: bool, obs: Observation) -> None:
        self.calls += 1
        if self.calls > self.cfg.max_hypothesis_calls:
            return  # the loop ends the episode (the paper's 17th call fails the puzzle)
        spec = obs.info.get("program") if self.cfg.checker == "program" else None
        program = P.PROGRAM.format(**spec) if spec else ""
        max_tokens = self.cfg.program_max_tokens if spec else self.cfg.hypothesis_max_tokens
        hint = f" {self.cfg.hint}" if self.cfg.hint else ""
        if abduction:
            menu = P.menu_text([a.description or a.name for a in obs.actions])
            user = P.ABDUCTION.format(memory=self._memory(), menu=menu, hint=hint + program)
        else:
            buffer = "\n".join(self.buffer) or "(none)"
            user = P.INDUCTION.format(memory=self._memory(), hypothesis=self.hypothesis or "(none)",
                                      buffer=buffer, hint=hint + program)
        reply = await self._ask("abduction" if abduction else "induction", user, max_tokens, None)
        text = (reply.text.strip() if reply is not None else "") or (self.hypothesis or "")
        if spec and text:
            text = await self._revise(text, spec, program, max_tokens)
        self.hypothesis = text or None
        self.hypotheses.append(text)
        self.buffer = []
        if text:
            self.memory.append(("Your hypothesis and plan: " if abduction else "You revised your hypothesis: ")
                               + text)

    async def _revise(self, text: str, spec: dict[str, Any], program: str, max_tokens: int) -> str:
        """Check the hypothesis program; send a contradicted one back (bounded) and return the last reply."""
        for revision in range(self.cfg.max_revisions + 1):
            verdict: Verdict = await check_hypothesis(text, spec, self.cfg.sandbox)
            self.checks[0] += 1
            self.transcript.append({"type": "program_check", "consistent": verdict.consistent,
                                    "checked": verdict.checked, "failures": verdict.failures})
            if verdict.consistent:
                return text
            self.checks[1] += 1
            # A revision is one more hypothesis call: it counts toward the paper's limit of 16.
            if revision == self.cfg.max_revisions or self.calls >= self.cfg.max_hypothesis_calls:
                return text
            self.calls += 1
            user = P.REVISE.format(memory=self._memory(), hypothesis=text, failures=failures_text(verdict),
                                   program=program)
            reply = await self._ask("revision", user, max_tokens, None)
            text = (reply.text.strip() if reply is not None else "") or text
        return text

    async def _ask(self, kind: str, user: str, max_tokens: int, constraint: Any) -> Completion | None:
        messages = [{"role": "system", "content": P.SYSTEM.format(name=self.cfg.name, budget=self.cfg.budget)},
                    {"role": "user", "content": user}]
        try:
            [reply] = await self.model.chat(messages, temperature=self.cfg.temperature, max_tokens=max_tokens,
                                            constraint=constraint)
        except ContextLengthError as exc:
            # Too long for the model: show less memory from now on; this call counts as failed.
            self.memory_chars = max(400, self.memory_chars // 2)
            self.transcript.append({"type": kind, "messages": messages, "error": str(exc)})
            return None
        self.tokens[0] += reply.prompt_tokens
        self.tokens[1] += reply.completion_tokens
        self.tokens[2] += 1
        self.transcript.append({"type": kind, "messages": messages, "reply": reply.text,
                                "finish_reason": reply.finish_reason, "error": reply.error})
        return reply

    # ------------------------------------------------------------------------------------- helpers

    def _fail(self, why: str) -> None:
        self.failures += 1
        self.steps += 1
        entry = f"Step {self.steps}: {why}; the step is lost."
        self.memory.append(entry)
        self.buffer.append(entry)
        self.transcript.append({"type": "format_failure", "why": why})

    def _memory(self) -> str:
        """The first observation, then as many of the latest entries as fit ``memory_chars``."""
        first, rest = self.memory[0], self.memory[1:]
        budget = self.memory_chars - len(first)
        kept: list[str] = []
        for entry in reversed(rest):
            if budget - len(entry) < 0:
                break
            kept.append(entry)
            budget -= len(entry)
        skipped = len(rest) - len(kept)
        gap = [f"({skipped} earlier entries not shown)"] if skipped else []
        return "What you observed:\n" + "\n".join([first, *gap, *reversed(kept)])


def _digits(pattern: str) -> int:
    m = re.search(r"\{(\d+)\}", pattern)
    return int(m.group(1)) if m else 3


def _show(arguments: dict[str, Any]) -> str:
    values = [", ".join(v) if isinstance(v, list) else str(v) for v in arguments.values()]
    return "; ".join(values)
