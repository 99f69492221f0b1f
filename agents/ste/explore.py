"""Exploration by simulated trial and error (STE, Wang et al. 2024, section 2.1).

For each API the explorer runs ``episodes`` episodes. An episode is one continuing conversation of
``queries_per_episode`` trials; a trial is:

1. *imagination*: the model invents a natural, specific user request the API can fulfil, without naming it;
2. *trial and error*: it answers in ReAct format; each call is executed by the tool world and the result (or
   the error) comes back as the observation, for at most ``max_turns`` model turns or until a final answer;
3. *self-reflection*: the model says whether it fulfilled the request (Yes/No): the trial's label.

Memory: later trials of an episode see the earlier ones in the conversation (short-term memory), and every
imagination prompt lists all earlier requests for the API with their labels (long-term memory), asking for
new ground. Episodes of one API run in order (the long-term memory needs the earlier ones); different APIs
run concurrently, so each step's model calls of all live episodes reach the backend together and are
decoded in one batch.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agents.llm import ChatModel, ContextLengthError
from agents.ste import prompts
from agents.ste.react import error_observation, execute, parse_step
from agents.world import ToolSet


@dataclass
class ExploreConfig:
    """Settings of exploration (the paper's values as defaults).

    Attributes:
        episodes: Episodes per API (paper: 15).
        queries_per_episode: Trials per episode, i.e. short-term memory slots (paper: 4).
        max_turns: Model turns per trial (paper: 4).
        temperature: Sampling temperature of imagination and trials (paper: 1.0).
        max_tokens: Tokens per ReAct turn.
        query_max_tokens: Tokens of an imagined request.
        observation_chars: Longest observation shown (longer ones are cut).
        ltm_items: Most earlier requests listed in the long-term memory (the most recent ones).
        short_term_memory: Ablation switch: False starts a fresh conversation for every trial.
        long_term_memory: Ablation switch: False leaves the earlier requests out.
        reflection: Ablation switch: False labels a trial by "final answer after a successful call".
        seed: Base seed of the sampled requests (each request gets its own, derived).
    """

    episodes: int = 15
    queries_per_episode: int = 4
    max_turns: int = 4
    temperature: float = 1.0
    max_tokens: int = 160
    query_max_tokens: int = 60
    observation_chars: int = 1000
    ltm_items: int = 40
    short_term_memory: bool = True
    long_term_memory: bool = True
    reflection: bool = True
    seed: int = 0


@dataclass
class Call:
    """One executed call of a trial."""

    action: str
    action_input: str
    arguments: dict[str, Any] | None
    observation: str
    ok: bool


@dataclass
class Trial:
    """One explored request and what came of it.

    Attributes:
        api: The API explored.
        episode: Episode index.
        slot: Position in the episode.
        query: The imagined request.
        turns: The model's turns, verbatim.
        calls: The executed calls, in order.
        final_answer: The final answer, or ``None`` when the turns ran out.
        success: The self-reflection label.
        error: Why the trial stopped early (a model error such as a full context), else ``""``.
    """

    api: str
    episode: int
    slot: int
    query: str
    turns: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    final_answer: str | None = None
    success: bool = False
    error: str = ""

    def last_ok_call(self) -> Call | None:
        """The last call that returned a result (the call a training example is made of)."""
        return next((c for c in reversed(self.calls) if c.ok and c.action == self.api), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for run folders)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Trial:
        """The inverse of :meth:`to_dict`."""
        data = dict(d)
        data["calls"] = [Call(**c) for c in data.get("calls", [])]
        return cls(**data)


def api_text(name: str, tools: ToolSet) -> str:
    """How an API is shown when the caller has no STE description: name, description, JSON schema."""
    spec = next(s for s in tools.describe() if s.name == name)
    return (f"API_name: {name}\nDescription: {spec.description}\n"
            f"Input JSON schema: {json.dumps(spec.parameters.get('properties', {}), ensure_ascii=False)}")


def _imagined(text: str) -> str:
    """The request out of an imagination reply ("User Query: ..." or the first non-empty line)."""
    if "User Query:" in text:
        text = text.split("User Query:", 1)[1]
    lines = [ln.strip().strip('"') for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


class Explorer:
    """Explores APIs of a tool world by simulated trial and error.

    Args:
        model: The explorer model.
        tools: The tool world that executes calls.
        api_texts: API name -> how it is described in the prompt (default: :func:`api_text`).
        config: Exploration settings.
    """

    def __init__(self, model: ChatModel, tools: ToolSet, api_texts: Mapping[str, str] | None = None,
                 config: ExploreConfig | None = None) -> None:
        self.model = model
        self.tools = tools
        self.api_texts = dict(api_texts or {})
        self.config = config or ExploreConfig()
        self.requests = 0

    async def _chat(self, messages: list[dict[str, str]], **kw: Any) -> str:
        self.requests += 1
        [reply] = await self.model.chat(messages, **kw)
        return reply.text

    def _memory(self, earlier: Sequence[Trial]) -> str:
        if not self.config.long_term_memory or not earlier:
            return ""
        items = "\n".join(f"- {t.query} ({'Yes' if t.success else 'No'})"
                          for t in earlier[-self.config.ltm_items:])
        return prompts.LONG_TERM_MEMORY.format(items=items)

    async def run_trial(self, api: str, messages: list[dict[str, str]], earlier: Sequence[Trial],
                        episode: int, slot: int) -> Trial:
        """One trial appended to the conversation ``messages`` (modified in place)."""
        cfg = self.config
        seed = cfg.seed * 1_000_003 + episode * 1009 + slot
        template = prompts.IMAGINE_NEXT if slot and cfg.short_term_memory else prompts.IMAGINE_FIRST
        ask = {"role": "user", "content": template.format(memory=self._memory(earlier))}
        text = await self._chat([*messages, ask], temperature=cfg.temperature, max_tokens=cfg.query_max_tokens,
                                seed=seed)
        trial = Trial(api=api, episode=episode, slot=slot, query=_imagined(text))
        messages += [ask, {"role": "assistant", "content": f"User Query: {trial.query}"},
                     {"role": "user", "content": prompts.SOLVE.format(query=trial.query)}]
        for turn in range(cfg.max_turns):
            reply = await self._chat(messages, temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                                     stop=["Observation:"], seed=seed + 7919 * (turn + 1))
            step = parse_step(reply)
            trial.turns.append(step.text)
            messages.append({"role": "assistant", "content": step.text})
            if step.final_answer is not None:
                trial.final_answer = step.final_answer
                break
            if step.is_call:
                obs, ok = execute(self.tools, step, cfg.observation_chars)
                trial.calls.append(Call(step.action or "", step.action_input, step.arguments, obs, ok))
            else:
                obs = error_observation("no Action found: write 'Action:' and 'Action Input:', or a 'Final Answer:'")
            messages.append({"role": "user", "content": prompts.CONTINUE.format(observation=obs)})
        if cfg.reflection:
            ask = {"role": "user", "content": prompts.REFLECT}
            verdict = await self._chat([*messages, ask], temperature=0.0, max_tokens=2, constraint=["Yes", "No"])
            trial.success = verdict.strip().startswith("Yes")
            messages += [ask, {"role": "assistant", "content": "Yes" if trial.success else "No"}]
        else:
            trial.success = trial.final_answer is not None and trial.last_ok_call() is not None
        return trial

    async def explore_api(self, api: str, memory: Sequence[Trial] = ()) -> list[Trial]:
        """All episodes of one API; ``memory``: trials of an earlier exploration to continue from."""
        cfg = self.config
        system = {"role": "system", "content": prompts.EXPLORE_SYSTEM.format(
            api=self.api_texts.get(api) or api_text(api, self.tools))}
        trials: list[Trial] = list(memory)
        for episode in range(cfg.episodes):
            messages = [system]
            for slot in range(cfg.queries_per_episode):
                if not cfg.short_term_memory:
                    messages = [system]
                try:
                    trials.append(await self.run_trial(api, messages, trials, episode, slot))
                except ContextLengthError as exc:
                    # A full context (long observations, small models) ends the episode, not the run.
                    trials.append(Trial(api=api, episode=episode, slot=slot, query="", error=str(exc)))
                    break
        return trials[len(memory):]

    async def explore(self, apis: Sequence[str]) -> dict[str, list[Trial]]:
        """Explore several APIs concurrently; returns API -> its trials."""
        results = await asyncio.gather(*(self.explore_api(a) for a in apis))
        return dict(zip(apis, results, strict=True))


def exploration_stats(trials: Sequence[Trial]) -> dict[str, float]:
    """Queries, success labels, valid calls and coverage of one API's exploration.

    ``coverage`` is the share of distinct requests among the explored ones, and ``argument_coverage`` the
    share of distinct argument sets among successful calls: the long-term memory is meant to raise both.
    """
    done = [t for t in trials if t.query]
    calls = [c for t in done for c in t.calls]
    ok_sets = {json.dumps(c.arguments, sort_keys=True) for c in calls if c.ok}
    n_ok = sum(c.ok for c in calls)
    return {
        "queries": float(len(done)),
        "success_rate": sum(t.success for t in done) / len(done) if done else 0.0,
        "calls": float(len(calls)),
        "valid_call_rate": n_ok / len(calls) if calls else 0.0,
        "final_answer_rate": sum(t.final_answer is not None for t in done) / len(done) if done else 0.0,
        "coverage": len({t.query.lower() for t in done}) / len(done) if done else 0.0,
        "argument_coverage": len(ok_sets) / n_ok if n_ok else 0.0,
        "errors": float(sum(bool(t.error) for t in trials)),
    }
