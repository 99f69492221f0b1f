"""Iterative hypothesis refinement (Qiu et al., ICLR 2024) and its baselines.

``refine``: propose N rules in one request (n=N, temperature t), have a symbolic interpreter score each
on the seen examples, keep the best (ties to the first), and while it fails some seen example, feed
every failure (input, expected, actual) back in the same conversation and ask again; at most T rounds,
stopping at a rule that fits every seen example. Baselines with the same model: ``io`` (t=0), ``sc``
(self-consistency: n=5, t=0.7, majority vote) and ``sr`` (self-refine: natural-language rules with the
model itself as interpreter). After ``refine``, the model can apply its own final rule to the unseen
inputs (the rule-application gap).

Model output that is not a usable rule is a failed hypothesis with the reason recorded, never a crash;
a request the backend refuses (e.g. the prompt outgrows the context) ends the episode, recorded too.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.llm.errors import LLMError
from agents.refinement import prompts
from agents.world import (
    CheckResult,
    Domain,
    Example,
    Outcome,
    OutputParseError,
    RuleForm,
    RuleParseError,
    parse_python_rule,
)

METHODS = ("io", "sc", "sr", "refine")
RULE_FORMS = ("auto", "nl", "python", "formal", "dict", "grammar", "asp")


@dataclass
class RefinementConfig:
    """Settings of one run (the paper's main setting: refine, T=3, N=5, t=0.7, domain rule form).

    Attributes:
        method: ``io``, ``sc``, ``sr`` or ``refine``.
        rule_form: ``auto`` (the domain's formal language if it has one, else ``nl``), ``nl`` (natural
            language translated to Python by the model at t=0), ``python``, ``formal``, or a form name.
        iterations: T, the most propose/refine rounds.
        n: N, hypotheses per round (one request with ``n=N``).
        temperature: Sampling temperature of proposals (0 with N=1 is the paper's T=1, N=1 setting).
        sc_samples: Votes per input for ``sc`` (at ``sc_temperature``).
        max_tokens: Tokens per rule (default: the rule form's).
        output_max_tokens: Tokens per predicted output (default: the domain's).
        translate_max_tokens: Tokens for translating a natural-language rule into Python.
        gap: After ``refine``, also let the model apply its final rule to the unseen inputs.
        seed: Base seed of sampled requests (``None``: unseeded).
    """

    method: str = "refine"
    rule_form: str = "auto"
    iterations: int = 3
    n: int = 5
    temperature: float = 0.7
    sc_samples: int = 5
    sc_temperature: float = 0.7
    max_tokens: int | None = None
    output_max_tokens: int | None = None
    translate_max_tokens: int = 320
    gap: bool = True
    constrained: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.rule_form not in RULE_FORMS:
            raise ValueError(f"rule_form must be one of {', '.join(RULE_FORMS)}, got {self.rule_form!r}")
        for name in ("iterations", "n", "sc_samples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")


@dataclass
class Hypothesis:
    """One candidate rule and how it fared on the seen examples."""

    text: str
    rule_text: str = ""
    code: str | None = None
    rule: Any = None
    error: str | None = None
    check: CheckResult | None = None

    @property
    def accuracy(self) -> float:
        """Seen-example accuracy; -1 for a hypothesis that is not a usable rule (ranks below any rule)."""
        return -1.0 if self.error is not None or self.check is None else self.check.accuracy

    def summary(self) -> dict[str, Any]:
        return {"text": self.text, "rule": self.rule_text, "code": self.code, "error": self.error,
                "seen_accuracy": None if self.check is None else self.check.accuracy,
                "seen_correct": None if self.check is None else self.check.correct}


@dataclass
class RefinementResult:
    """What one episode produced (the benchmark scores it against the unseen outputs).

    Attributes:
        predictions: One output per unseen input (``None`` where there is none).
        prediction_errors: Why a prediction is missing (``None`` where there is one).
        iteration_predictions: ``refine``/``sr``: predictions of the rule held after each round.
        lm_predictions: The model applying its own final rule (``refine`` with ``gap``), else ``None``.
        final_rule: The final rule's text (``io``/``sc``: ``None``).
        seen_accuracy: Of the final rule on the seen examples.
        iterations: Rounds run.
        transcript: Every chat request and reply and every interpreter call, in order.
    """

    predictions: list[Any]
    prediction_errors: list[str | None]
    iteration_predictions: list[list[Any]] = field(default_factory=list)
    lm_predictions: list[Any] | None = None
    final_rule: str | None = None
    final_code: str | None = None
    seen_accuracy: float | None = None
    iterations: int = 0
    stopped: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    wall_s: float = 0.0
    transcript: list[dict[str, Any]] = field(default_factory=list)


class _Episode:
    """Bookkeeping of one task: the transcript and token counts around every model call."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.transcript: list[dict[str, Any]] = []
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.requests = 0
        self.rule_constraint: str | None = None
        self.out_constraint: str | None = None

    async def chat(self, purpose: str, messages: list[dict[str, str]], **kw: Any) -> list[str] | None:
        """Replies' texts, or ``None`` when the backend refused the request (recorded)."""
        entry: dict[str, Any] = {"type": "chat", "purpose": purpose, "messages": [dict(m) for m in messages],
                                 "params": {k: v for k, v in kw.items() if v is not None}}
        self.transcript.append(entry)
        self.requests += 1
        try:
            replies = await self.model.chat(messages, **kw)
        except LLMError as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
            return None
        if replies:
            self.prompt_tokens += replies[0].prompt_tokens
        self.completion_tokens += sum(r.completion_tokens for r in replies)
        entry["replies"] = [r.text for r in replies]
        entry["finish_reasons"] = [r.finish_reason for r in replies]
        entry["tokens"] = {"prompt": replies[0].prompt_tokens if replies else 0,
                           "completion": sum(r.completion_tokens for r in replies)}
        return [r.text for r in replies]

    def note(self, kind: str, **data: Any) -> None:
        self.transcript.append({"type": kind, **data})


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


class RefinementAgent:
    """Runs one method of Qiu et al. on tasks of one domain.

    Args:
        model: An :class:`agents.llm.ChatModel` (anything with the async ``chat`` contract).
        domain: The world's :class:`~agents.world.domain.Domain`.
        config: The method and its settings.

    Example::

        agent = RefinementAgent(load_model("default"), acre_domain(), RefinementConfig(method="refine"))
        result = await agent.run(task.train, [e.input for e in task.test])
    """

    def __init__(self, model: Any, domain: Domain, config: RefinementConfig | None = None) -> None:
        self.model = model
        self.domain = domain
        self.config = config or RefinementConfig()
        form = self.config.rule_form
        if form == "auto":
            form = "formal" if domain.formal else "nl"
        self.rule_form = form
        if self.config.method == "refine":
            self.form: RuleForm | None = domain.form("python" if form == "nl" else form)
        else:
            self.form = None

    # ---------------------------------------------------------------------------------------- public

    async def run(self, seen: Sequence[Example], unseen_inputs: Sequence[Any], *,
                  seed: int | None = None) -> RefinementResult:
        """Run the configured method on one task.

        Args:
            seen: The examples the agent may learn from.
            unseen_inputs: Inputs to predict (their outputs stay with the caller).
            seed: Overrides ``config.seed`` for this task (sampled requests use seed, seed+1, ...).
        """
        if not seen:
            raise ValueError("a task needs at least one seen example")
        ep = _Episode(self.model)
        ep.rule_constraint, ep.out_constraint = self._constraints(seen)
        start = time.perf_counter()
        base_seed = self.config.seed if seed is None else seed
        method = self.config.method
        if method in ("io", "sc"):
            result = await self._io(ep, seen, unseen_inputs, base_seed)
        else:
            result = await self._refine(ep, seen, unseen_inputs, base_seed, lm_interpreter=method == "sr")
        result.prompt_tokens, result.completion_tokens = ep.prompt_tokens, ep.completion_tokens
        result.requests = ep.requests
        result.transcript = ep.transcript
        result.wall_s = time.perf_counter() - start
        return result

    # ------------------------------------------------------------------------------------ baselines

    def _out_tokens(self) -> int:
        return self.config.output_max_tokens or self.domain.output_max_tokens

    def _constraints(self, seen: Sequence[Example]) -> tuple[str | None, str | None]:
        """(rule, output) regexes for constrained decoding of this task, or ``None``s."""
        if not self.config.constrained:
            return None, None
        out = self.domain.output_constraint
        rule = None
        if self.config.method == "refine" and self.rule_form != "nl":
            assert self.form is not None
            rule = self.form.constraint
        return (rule(seen) if callable(rule) else rule), (out(seen) if callable(out) else out)

    def _parse_output(self, text: str) -> tuple[Any, str | None]:
        try:
            return self.domain.parse_output(text), None
        except OutputParseError as exc:
            return None, str(exc)
        except Exception as exc:  # a domain parser bug must not end the run; keep the reason
            return None, f"{type(exc).__name__}: {exc}"

    async def _io(self, ep: _Episode, seen: Sequence[Example], inputs: Sequence[Any],
                  seed: int | None) -> RefinementResult:
        sc = self.config.method == "sc"

        async def one(i: int, x: Any) -> tuple[Any, str | None]:
            msgs = [{"role": "system", "content": prompts.SYSTEM},
                    {"role": "user", "content": prompts.io(self.domain, seen, x)}]
            if sc:
                texts = await ep.chat("sc", msgs, n=self.config.sc_samples,
                                      temperature=self.config.sc_temperature, max_tokens=self._out_tokens(),
                                      seed=None if seed is None else seed + i, constraint=ep.out_constraint)
            else:
                texts = await ep.chat("io", msgs, n=1, temperature=0.0, max_tokens=self._out_tokens(),
                                      constraint=ep.out_constraint)
            if texts is None:
                return None, "the model refused the request"
            parsed = [self._parse_output(t) for t in texts]
            votes = Counter(_hashable(p) for p, err in parsed if err is None)
            if not votes:
                return None, parsed[0][1]
            best, _ = votes.most_common(1)[0]  # most_common keeps first-seen order among ties
            value = next(p for p, err in parsed if err is None and _hashable(p) == best)
            ep.note("vote", input_index=i, votes=len(votes), chosen=value,
                    parse_errors=[e for _, e in parsed if e is not None])
            return value, None

        got = await asyncio.gather(*(one(i, x) for i, x in enumerate(inputs)))
        return RefinementResult(predictions=[p for p, _ in got], prediction_errors=[e for _, e in got],
                                stopped="done")

    # --------------------------------------------------------------------------------- refinement

    def _instructions(self) -> str:
        if self.config.method == "sr" or self.rule_form == "nl":
            return prompts.NL_INSTRUCTIONS
        assert self.form is not None
        return self.form.instructions

    def _rule_tokens(self) -> int:
        if self.config.max_tokens:
            return self.config.max_tokens
        if self.config.method == "sr" or self.rule_form == "nl":
            return 120
        assert self.form is not None
        return self.form.max_tokens

    async def _make_hypothesis(self, ep: _Episode, text: str, seen: Sequence[Example]) -> Hypothesis:
        """Parse (or translate) one proposal and check it on the seen examples with the interpreter."""
        h = Hypothesis(text=text, rule_text=text.strip())
        assert self.form is not None
        try:
            if not h.rule_text:
                raise RuleParseError("empty reply")
            if self.rule_form == "nl":
                msgs = [{"role": "user", "content": prompts.translate(self.domain, h.rule_text)}]
                texts = await ep.chat("translate", msgs, n=1, temperature=0.0,
                                      max_tokens=self.config.translate_max_tokens)
                if texts is None:
                    raise RuleParseError("the model refused the translation request")
                h.code = parse_python_rule(texts[0])
                h.rule = h.code
            else:
                h.rule = self.form.parse(text)
                if self.form.name == "python":
                    h.code = h.rule
                else:
                    h.rule_text = self.form.render(h.rule)
        except RuleParseError as exc:
            h.error = str(exc)
            return h
        except Exception as exc:  # a parser bug must not end the episode; keep the reason
            h.error = f"{type(exc).__name__}: {exc}"
            return h
        try:
            h.check = await self.form.interpreter.acheck(h.rule, seen)
        except Exception as exc:  # interpreters contain rule errors; this guards their own bugs
            h.error = f"interpreter failed: {type(exc).__name__}: {exc}"
        return h

    async def _lm_hypothesis(self, ep: _Episode, text: str, seen: Sequence[Example]) -> Hypothesis:
        """Self-refine: the model applies the rule to each seen input and is scored on its own outputs."""
        h = Hypothesis(text=text, rule_text=text.strip())
        if not h.rule_text:
            h.error = "empty reply"
            return h
        outs = await self._lm_apply(ep, h.rule_text, [e.input for e in seen], "sr-apply")
        correct = [o.ok and self.domain.equal(o.output, e.output) for o, e in zip(outs, seen, strict=True)]
        h.check = CheckResult(outcomes=outs, correct=correct)
        return h

    async def _lm_apply(self, ep: _Episode, rule_text: str, inputs: Sequence[Any], purpose: str
                        ) -> list[Outcome]:
        async def one(x: Any) -> Outcome:
            msgs = [{"role": "system", "content": prompts.SYSTEM},
                    {"role": "user", "content": prompts.apply_rule(self.domain, rule_text, x)}]
            texts = await ep.chat(purpose, msgs, n=1, temperature=0.0, max_tokens=self._out_tokens(),
                                  constraint=ep.out_constraint)
            if texts is None:
                return Outcome(error="the model refused the request")
            value, err = self._parse_output(texts[0])
            return Outcome(value, err)

        return list(await asyncio.gather(*(one(x) for x in inputs)))

    async def _predict(self, ep: _Episode, h: Hypothesis | None, inputs: Sequence[Any], lm: bool,
                       cache: dict[int, tuple[Hypothesis, list[Outcome]]]) -> list[Outcome]:
        if h is None or h.error is not None:
            why = "no usable rule" if h is None else f"no usable rule: {h.error}"
            return [Outcome(error=why) for _ in inputs]
        key = id(h)
        if key not in cache or cache[key][0] is not h:  # the entry keeps h alive, so ids are not reused
            if lm:
                outs = await self._lm_apply(ep, h.rule_text, inputs, "sr-predict")
            else:
                assert self.form is not None
                try:
                    outs = await self.form.interpreter.aapply(h.rule, list(inputs))
                except Exception as exc:
                    outs = [Outcome(error=f"interpreter failed: {exc}") for _ in inputs]
                ep.note("apply", rule=h.rule_text, code=h.code, outputs=[o.output if o.ok else None for o in outs],
                        errors=[o.error for o in outs])
            cache[key] = (h, outs)
        return cache[key][1]

    async def _refine(self, ep: _Episode, seen: Sequence[Example], inputs: Sequence[Any], seed: int | None,
                      lm_interpreter: bool) -> RefinementResult:
        cfg = self.config
        instructions = self._instructions()
        messages = [{"role": "system", "content": prompts.SYSTEM},
                    {"role": "user", "content": prompts.propose(self.domain, seen, instructions)}]
        held: Hypothesis | None = None
        per_iteration: list[list[Any]] = []
        cache: dict[int, tuple[Hypothesis, list[Outcome]]] = {}
        stopped = "max_iterations"
        rounds = 0
        for it in range(cfg.iterations):
            texts = await ep.chat("propose" if it == 0 else "refine", messages, n=cfg.n,
                                  temperature=cfg.temperature, max_tokens=self._rule_tokens(),
                                  seed=None if seed is None else seed + 1000 * it,
                                  constraint=ep.rule_constraint)
            if texts is None:
                stopped = "model_error"
                break
            rounds += 1
            make = self._lm_hypothesis if lm_interpreter else self._make_hypothesis
            hyps = await asyncio.gather(*(make(ep, t, seen) for t in texts))
            best = max(hyps, key=lambda h: h.accuracy)  # max() keeps the first of equal keys
            ep.note("select", iteration=it, candidates=[h.summary() for h in hyps],
                    chosen=hyps.index(best), seen_accuracy=best.accuracy)
            if held is None or best.accuracy >= held.accuracy:  # ties go to the newer, refined rule
                held = best
            outs = await self._predict(ep, held, inputs, lm_interpreter, cache)
            per_iteration.append([o.output if o.ok else None for o in outs])
            if best.check is not None and best.check.perfect:
                stopped = "perfect"
                break
            if it == cfg.iterations - 1:
                break
            failures = ([] if best.check is None else
                        [(e, o) for e, o, ok in zip(seen, best.check.outcomes, best.check.correct, strict=True)
                         if not ok])
            messages = messages + [
                {"role": "assistant", "content": best.text},
                {"role": "user", "content": prompts.feedback(self.domain, best.rule_text, failures, instructions,
                                                             parse_error=best.error)},
            ]
        final = await self._predict(ep, held, inputs, lm_interpreter, cache)
        result = RefinementResult(
            predictions=[o.output if o.ok else None for o in final],
            prediction_errors=[o.error for o in final], iteration_predictions=per_iteration,
            final_rule=None if held is None else held.rule_text,
            final_code=None if held is None else held.code,
            seen_accuracy=None if held is None or held.check is None else held.check.accuracy,
            iterations=rounds, stopped=stopped,
        )
        if cfg.gap and not lm_interpreter and held is not None and held.error is None:
            lm = await self._lm_apply(ep, held.rule_text, inputs, "gap-apply")
            result.lm_predictions = [o.output if o.ok else None for o in lm]
        return result
