"""RULEARN (He et al., IDEA): learn a puzzle world's hidden rule by acting in it, within 15 steps.

Benchmark ``rulearn`` plays the puzzles of one round (20 per world; ``round=0``: all five) of the
Function Operator, the Escape Room and the Reactor (``evaluation/worlds/rulearn``) with
:class:`agents.idea.IdeaAgent`, every puzzle in flight at once so the model batches their calls.

Conditions (the paper's three): ``oracle`` (Level 1, the rule stated; the baseline agent), ``baseline``
(Level 2, ReAct-style: choose an action, then its input) and ``idea`` (Level 2 with abduction,
deduction and induction). ``structured=true`` (not in the paper) decodes action indices and inputs
under constraints and is reported as its own condition; so is ``checker=program`` (not in the paper;
IDEA only): every hypothesis is also a Python function, run in the sandbox on the past observations the
world lists, and sent back with the failing cases when it contradicts them (at most ``revisions`` times,
each a hypothesis call toward the limit of 16).

Metrics: ``success_rate`` (solved within the budget; the world says whether it was solved, and the
world's steps plus the agent's format failures must stay under the budget) overall and per world
(``success_rate_<world>``), ``steps`` (the reference's count: the solving action is free),
``repeated_actions`` (actions carried out that repeat an earlier one, per puzzle), ``format_failures``
(replies naming no valid action, unreadable inputs, refused actions: each costs a step),
``hypothesis_calls``, ``program_checks`` and ``program_rejections`` (``checker=program``), tokens,
requests, ``wall_s`` per puzzle and ``puzzles_per_minute`` for the run.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from agents.idea import CHECKERS, IdeaAgent, IdeaConfig
from evaluation.harness.benchmark import Benchmark, RunContext, Sample, episodes_per_second, mean_and_stderr, register
from evaluation.harness.params import Param
from evaluation.worlds.rulearn import STEP_BUDGET, WORLDS, load_puzzles, make_world
from evaluation.worlds.rulearn.puzzles import ROUNDS, Puzzle

CONDITIONS = ("oracle", "baseline", "idea")

#: The paper asks its Reactor agent which two materials to test next, and lets it revise twice in a row.
_REACTOR_HINT = "Also say which two materials to put into the Reactor next."


def repeated_actions(actions: list[list[Any]] | list[tuple[str, dict[str, Any]]]) -> int:
    """How many actions repeat an earlier one exactly (name and arguments)."""
    keys = [json.dumps(list(a), sort_keys=True) for a in actions]
    return len(keys) - len(set(keys))


@register
class Rulearn(Benchmark):
    """The RULEARN grid cell for one world (or all), one condition and one round."""

    name = "rulearn"
    description = "IDEA / RULEARN (He et al.): Function Operator, Escape Room, Reactor; oracle, baseline, idea."
    params = (
        Param("world", str, "all", "which world's puzzles (all: the three, interleaved)", choices=("all", *WORLDS)),
        Param("condition", str, "idea", "oracle (Level 1, baseline agent), baseline (Level 2), idea (Level 2)",
              choices=CONDITIONS),
        Param("structured", bool, False, "structured decoding of action indices and inputs (not in the paper)"),
        Param("checker", str, "none", "none, or program: hypotheses as Python functions checked against past "
              "observations (idea only)", choices=CHECKERS),
        Param("revisions", int, 2, "revision requests per contradicted hypothesis program", min=0, max=10),
        Param("round", int, 1, "puzzle round (0: all five)", min=0, max=ROUNDS),
        Param("budget", int, STEP_BUDGET, "steps per puzzle (the paper: 15)", min=1, max=100),
        Param("max_tokens", int, 160, "tokens of an action-choice or hypothesis reply", min=8),
        Param("quirks", bool, True, "the Escape Room's reference quirks (decoy action, failing 12th entry)"),
        Param("puzzles", str, "", "folder with <world>.json puzzle files (default: the committed ones)"),
    )
    uses_model = True
    parallel = False
    # About a minute on 2 busy cores with SmolLM2-135M: one Function Operator puzzle, 4 steps, constrained.
    smoke_params: ClassVar[dict[str, Any]] = {"world": "function_operator", "condition": "idea",
                                              "structured": True, "budget": 4, "max_tokens": 48}
    smoke_limit: ClassVar[int | None] = 1
    smoke_model_options: ClassVar[dict[str, Any]] = {"n_threads": 1}

    def samples(self, ctx: RunContext):
        p = ctx.params
        worlds = WORLDS if p["world"] == "all" else (p["world"],)
        folder = p["puzzles"] or None
        per_world = [load_puzzles(w, p["round"] or None, f"{folder}/{w}.json" if folder else None) for w in worlds]
        # Interleaved (one of each world in turn) so that --limit takes a mix of worlds.
        for i in range(max(map(len, per_world))):
            for w, puzzles in zip(worlds, per_world, strict=True):
                if i < len(puzzles):
                    puzzle: Puzzle = puzzles[i]
                    yield Sample(id=puzzle.id, inputs={"world": w, "puzzle": puzzle.to_dict()}, data=puzzle)

    def config(self, ctx: RunContext, world: str) -> IdeaConfig:
        p = ctx.params
        return IdeaConfig(method="idea" if p["condition"] == "idea" else "baseline", budget=p["budget"],
                          structured=p["structured"], max_tokens=p["max_tokens"],
                          hypothesis_max_tokens=p["max_tokens"], repeat_induction=world == "reactor",
                          hint=_REACTOR_HINT if world == "reactor" else "", checker=p["checker"],
                          max_revisions=p["revisions"], program_max_tokens=max(400, p["max_tokens"]))

    async def arun_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        world_name = sample.inputs["world"]
        puzzle = sample.data if sample.data is not None else None
        if puzzle is None:
            puzzle = next(q for q in load_puzzles(world_name) if q.id == sample.id)
        level = 1 if ctx.params["condition"] == "oracle" else 2
        world = make_world(puzzle, level, quirks=ctx.params["quirks"])
        seed = ctx.sample_seed(sample.id)
        started = time.time()
        res = await IdeaAgent(ctx.llm, self.config(ctx, world_name)).run(world, seed=seed)
        episode = world.episode
        return {
            "world": world_name, "level": level, "solved": episode.solved,
            "world_steps": episode.steps, "steps": episode.steps + res.format_failures,
            "format_failures": res.format_failures, "actions": [list(a) for a in res.actions],
            "hypotheses": res.hypotheses, "hypothesis_calls": res.hypothesis_calls, "stopped": res.stopped,
            "last_observation": res.last_observation.text, "prompt_tokens": res.prompt_tokens,
            "completion_tokens": res.completion_tokens, "requests": res.requests, "wall_s": res.wall_s,
            "program_checks": res.program_checks, "program_rejections": res.program_rejections,
            "started": started, "finished": time.time(), "transcript": res.transcript,
        }

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        # The world's record decides; the agent's lost steps are added to its count of world steps.
        success = float(outputs["solved"] and outputs["steps"] < ctx.params["budget"])
        return {"success_rate": success, f"success_rate_{outputs['world']}": success,
                "steps": outputs["steps"], "repeated_actions": repeated_actions(outputs["actions"]),
                "format_failures": outputs["format_failures"], "hypothesis_calls": outputs["hypothesis_calls"],
                "prompt_tokens": outputs["prompt_tokens"], "completion_tokens": outputs["completion_tokens"],
                "requests": outputs["requests"], "wall_s": outputs["wall_s"],
                "program_checks": outputs.get("program_checks", 0),
                "program_rejections": outputs.get("program_rejections", 0)}

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        metrics: dict[str, Any] = mean_and_stderr(records)
        rate = episodes_per_second(records)
        if rate is not None:
            metrics["puzzles_per_minute"] = 60.0 * rate
        metrics["n_puzzles"] = len(records)
        return metrics

    def tables(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
        rows = []
        for w in WORLDS:
            mine = [r for r in records if (r.get("outputs") or {}).get("world") == w]
            if mine:
                m = mean_and_stderr(mine)
                rows.append({"world": w, "n": len(mine), "success_rate": m["success_rate"],
                             "success_rate_stderr": m["success_rate_stderr"], "steps": m["steps"],
                             "format_failures": m["format_failures"]})
        return {"per_world": rows}
