"""FIND (Schwettmann et al., NeurIPS 2023): an LLM interprets black-box functions by probing them.

Benchmark ``find`` runs :class:`agents.find.FindInterpreter` on the numeric or the string functions of
:mod:`evaluation.worlds.find` (every function of the run at once; the backend batches across them)
and scores its answer with the paper's rules.

Metrics (means with standard errors over functions):

- numeric: ``code_pass_rate`` (NMSE < 0.1 on x = -127.5 ... 127.5) overall and per variant
  (``code_pass_rate_clean``, ``_noisy``, ``_corrupted``, ``_mlp``), ``nmse_log10`` (where the code ran),
  ``interval_iou`` and ``interval_detected`` (IoU >= 0.5) on corrupted functions;
- strings: ``exact_match`` (on 10 test inputs), per simple/composite function, and
  ``unit_test_accuracy`` of the description (chance 1/3) judged by the run's own model
  (``evaluator=model``; the paper used GPT-4 or a fine-tuned Vicuna) or skipped (``evaluator=none``);
- neurons (``family=entities``: 200 entity neurons, ``relations``: 75 relation neurons, computed by the
  run's own model, see :mod:`evaluation.worlds.find.neurons`): ``unit_test_accuracy`` of the
  description (entities: which of three words the neuron responds to; relations: which of three
  pairs it produces), ``description_present`` and, on corrupted relations, ``corruption_named``
  (the ``[DOMAIN]`` names the corrupted sub-domain); no code is asked for;
- all: ``code_present`` (a ``[CODE]`` that was found), ``rounds``, ``runs``, ``inputs``,
  ``forced_final``, tokens and requests. The ``by_variant`` table is the paper's layout.

``-p fit_tool=true`` gives the interpreter a second command, ``FIT``, that fits the pairs seen so far
with the project's genetic programming (:mod:`agents.find.gp`) and answers with the formula and its
code (``fits`` counts the calls).

Benchmark ``find-gp`` is the symbolic baseline the paper lacks, and needs no model: each numeric
function is probed with :func:`agents.find.gp.probe_design` (``max_rounds`` calls of the box, the
interpreter's budget), fitted once by GP, and the program is scored by the same NMSE < 0.1 rule in
the sandbox. Metrics as above (``code_pass_rate`` per variant) plus ``gp_s`` (seconds of the search)
and ``train_nmse_log10``; ``timing.samples_per_s`` in ``results.json`` is functions per second.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, ClassVar

import numpy as np

from agents.find import FindConfig, FindInterpreter
from agents.find.gp import EXEMPLARS, GPSettings, fit_pairs, probe_design
from agents.world import shared_sandbox
from evaluation.harness.benchmark import Benchmark, RunContext, Sample, mean_and_stderr, register
from evaluation.harness.errors import ParamError
from evaluation.harness.params import Param
from evaluation.worlds.find import FunctionBox, generate_numeric, generate_strings
from evaluation.worlds.find.mlp import mlp_outputs, mlp_weights
from evaluation.worlds.find.neurons import (
    EntityNeuron,
    NeuronBox,
    RelationNeuron,
    corruption_named,
    generate_entities,
    generate_relations,
)
from evaluation.worlds.find.numeric import NumericFunction
from evaluation.worlds.find.scoring import (
    entity_unit_test_prompt,
    interval_iou,
    parse_interval,
    score_numeric_code,
    score_string_code,
    unit_test_accuracy,
    unit_test_prompt,
)
from evaluation.worlds.find.strings import StringFunction

#: Inputs the box is run on first with ``initialisation=true`` (numeric: powers of two both ways).
NUMERIC_EXEMPLARS: tuple[float, ...] = EXEMPLARS  # the GP baseline probes the same ones first
STRING_EXEMPLARS: tuple[str, ...] = ("apple", "Hello", "code42", "hello world", "racecar", "MIT")


class _FindFunctions(Benchmark):
    """What both FIND benchmarks share: the function set, the MLP weights, samples and the table."""

    def __init__(self) -> None:
        # Numeric or string functions, or entity / relation neurons (one family per run).
        self._functions: list[Any] | None = None
        self._weights: dict[str, dict[str, np.ndarray]] = {}

    def _load(self, ctx: RunContext) -> list[Any]:
        p = ctx.params
        if p["family"] in ("entities", "relations"):
            if p["variant"] != "all":
                raise ParamError("variant applies to numeric functions only; use variant=all with neurons")
            gen = generate_entities if p["family"] == "entities" else generate_relations
            return list(gen(min(p["n_functions"], 200 if p["family"] == "entities" else 75), seed=p["gen_seed"]))
        if p["family"] == "strings":
            if p["variant"] != "all":
                raise ParamError("variant applies to numeric functions only; use variant=all with family=strings")
            return list(generate_strings(p["n_functions"], seed=p["gen_seed"]))
        fns = generate_numeric(p["n_functions"], seed=p["gen_seed"])
        return [f for f in fns if p["variant"] in ("all", f.variant)]

    def check(self, ctx: RunContext) -> None:
        self._functions = self._load(ctx)

    def setup(self, ctx: RunContext) -> None:
        if self._functions is None:
            self._functions = self._load(ctx)
        # Train the MLPs of the functions this run will use, all in one batch (cached on disk).
        todo = [f for f in self._functions[: ctx.limit] if isinstance(f, NumericFunction) and f.variant == "mlp"]
        if todo:
            self._weights.update(mlp_weights(todo, steps=ctx.params["mlp_steps"]))

    def samples(self, ctx: RunContext):
        if self._functions is None:
            self.setup(ctx)
        assert self._functions is not None
        for f in self._functions:
            info = f.to_dict()
            if isinstance(f, StringFunction):
                info.pop("unit_tests")  # 10 triplets a function: kept out of samples.jsonl, in sample.data
            yield Sample(id=f.id, inputs=info, data=f)

    def _served(self, f: NumericFunction, ctx: RunContext):
        if f.variant == "mlp":
            if f.id not in self._weights:
                self._weights.update(mlp_weights([f], steps=ctx.params["mlp_steps"]))
            w = self._weights[f.id]
            return lambda xs, rng=None: mlp_outputs(w, xs)
        return f

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        metrics: dict[str, Any] = mean_and_stderr(records)
        metrics["n_functions"] = len(records)
        return metrics

    def tables(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
        """``by_variant``: the paper's layout, one row per sub-family with its score and standard error."""
        key = {"numeric": "code_pass_rate", "strings": "exact_match"}.get(ctx.params["family"], "unit_test_accuracy")
        groups: dict[str, list[float]] = {}
        for r in records:
            sc, inp = r.get("score") or {}, r.get("inputs") or {}
            if key not in sc:
                continue
            g = inp.get("variant") or ("simple" if len(inp.get("ops", ())) == 1 else "composite")
            groups.setdefault(g, []).append(sc[key])
            groups.setdefault("all", []).append(sc[key])
        rows = []
        for g in ("clean", "noisy", "corrupted", "mlp", "simple", "composite", "one concept", "two concepts", "all"):
            vals = groups.get(g)
            if not vals:
                continue
            n = len(vals)
            mean = sum(vals) / n
            se = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1) / n) if n > 1 else 0.0
            rows.append({"subset": g, "n": n, key: mean, f"{key}_stderr": se})
        return {"by_variant": rows}


def _numeric_scores(sample: Sample, code_score: dict[str, Any], outputs: dict[str, Any]) -> dict[str, float]:
    """The numeric code's pass (overall and for the function's variant), its NMSE and the interval IoU."""
    variant = sample.inputs["variant"]
    s = {"code_pass_rate": float(code_score["pass"]), f"code_pass_rate_{variant}": float(code_score["pass"])}
    if code_score.get("nmse") is not None:
        s["nmse_log10"] = math.log10(max(code_score["nmse"], 1e-12))
    if "interval_iou" in outputs:
        s["interval_iou"] = outputs["interval_iou"]
        s["interval_detected"] = float(outputs["interval_iou"] >= 0.5)
    return s


@register
class Find(_FindFunctions):
    name = "find"
    description = "FIND function interpretation (Schwettmann et al. 2023): probe a black box, describe it, code it."
    params = (
        Param("family", str, "numeric", "which functions (entities/relations: synthetic neurons computed by the "
              "run's model)", choices=("numeric", "strings", "entities", "relations")),
        Param("variant", str, "all", "numeric only: which variant", choices=("all", "clean", "noisy", "corrupted",
                                                                             "mlp")),
        Param("n_functions", int, 1000, "functions in the set (a prefix of the 1,000; of the 200 entity or 75 "
              "relation neurons)", min=1, max=1000),
        Param("gen_seed", int, 0, "seed of the function generator (the function set, not the run)"),
        Param("max_rounds", int, 20, "most model turns before the answer is requested", min=1, max=50),
        Param("max_tokens", int, 256, "tokens per model reply", min=16),
        Param("temperature", float, 0.0, "sampling temperature of the interpreter", min=0.0, max=2.0),
        Param("initialisation", bool, False, "run the box on fixed exemplar inputs before the first turn"),
        Param("single_round", bool, False, "one reply from the exemplar pairs only (MILAN-style baseline; "
              "implies initialisation)"),
        Param("evaluator", str, "model", "strings: who judges description unit tests (the run's model, or none)",
              choices=("model", "none")),
        Param("code_timeout", float, 10.0, "seconds the interpreter's code may take on all scoring inputs",
              min=0.1),
        Param("mlp_steps", int, 2000, "Adam steps training each MLP-approximated function", min=10),
        Param("fit_tool", bool, False, "numeric: the interpreter may also write FIT(...) to fit the pairs seen "
              "with genetic programming"),
        Param("gp_population", int, 400, "GP programs per generation (FIT tool)", min=10),
        Param("gp_generations", int, 20, "GP generations (FIT tool)", min=1),
    )
    uses_model = True
    parallel = False
    # About a minute on 2 busy cores with SmolLM2-135M: one clean numeric function, two short rounds.
    smoke_params: ClassVar[dict[str, Any]] = {"family": "numeric", "variant": "clean", "max_rounds": 2,
                                              "max_tokens": 64, "initialisation": True}
    smoke_limit: ClassVar[int | None] = 1
    smoke_model_options: ClassVar[dict[str, Any]] = {"n_threads": 1}

    def check(self, ctx: RunContext) -> None:
        if ctx.params["fit_tool"] and ctx.params["family"] != "numeric":
            raise ParamError("fit_tool fits numeric functions only; use it with family=numeric")
        super().check(ctx)

    async def arun_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        p = ctx.params
        f = sample.data
        seed = ctx.sample_seed(sample.id)
        kind = p["family"]
        box: Any
        if isinstance(f, NumericFunction):
            served = await asyncio.to_thread(self._served, f, ctx) if f.variant == "mlp" else self._served(f, ctx)
            box = FunctionBox("numeric", served, seed=seed)
            exemplars: tuple[Any, ...] = NUMERIC_EXEMPLARS
        elif isinstance(f, EntityNeuron | RelationNeuron):
            box = NeuronBox(f, ctx.llm)
            exemplars = f.exemplars  # the neuron's own exemplar words (the paper's initial.json)
        else:
            served = f
            box = FunctionBox("strings", f, seed=seed)
            exemplars = STRING_EXEMPLARS
        if not (p["initialisation"] or p["single_round"]):
            exemplars = ()
        cfg = FindConfig(kind=kind, max_rounds=p["max_rounds"], max_tokens=p["max_tokens"],
                         temperature=p["temperature"], exemplars=exemplars,
                         single_round=p["single_round"], mlp=getattr(f, "variant", "") == "mlp",
                         seed=seed if p["temperature"] > 0 else None,
                         gp=GPSettings(population_size=p["gp_population"], generations=p["gp_generations"])
                         if p["fit_tool"] else None)
        res = await FindInterpreter(ctx.llm, cfg).run(box)
        ans = res.answer
        out: dict[str, Any] = {
            "description": ans.description, "domain": ans.domain, "code": ans.code, "code_fenced": ans.code_fenced,
            "rounds": res.rounds, "runs": res.runs, "inputs": res.inputs, "forced_final": res.forced_final,
            "stopped": res.stopped, "prompt_tokens": res.prompt_tokens, "completion_tokens": res.completion_tokens,
            "requests": res.requests, "wall_s": res.wall_s, "fits": res.fits, "transcript": res.transcript,
        }
        sandbox = shared_sandbox()
        if isinstance(f, NumericFunction):
            # Fresh noise for scoring, as the reference scores against the served random function.
            rng = np.random.default_rng(seed + 1)
            out["code_score"] = await asyncio.to_thread(score_numeric_code, ans.code, lambda xs: served(xs, rng),
                                                        sandbox, p["code_timeout"])
            if f.corruption is not None:
                pred = parse_interval(ans.domain)
                out["interval"] = list(pred) if pred else None
                out["interval_iou"] = interval_iou(pred, f.corruption.interval())
        elif isinstance(f, StringFunction):
            out["code_score"] = await asyncio.to_thread(score_string_code, ans.code, f, f.test_inputs, sandbox,
                                                        p["code_timeout"])
            if p["evaluator"] == "model":
                ut = await unit_test_accuracy(ctx.llm, ans.description, f.unit_tests)
                out["unit_tests"] = ut
        else:
            # Neurons: no code; the description is what is scored (and the named sub-domain of a relation).
            if isinstance(f, RelationNeuron):
                out["corruption_named"] = corruption_named(f, ans.domain)
            if p["evaluator"] == "model":
                prompt = entity_unit_test_prompt if isinstance(f, EntityNeuron) else unit_test_prompt
                out["unit_tests"] = await unit_test_accuracy(ctx.llm, ans.description, f.unit_tests, prompt=prompt)
        return out

    # ---------------------------------------------------------------------------------- scores

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        s: dict[str, float] = {
            "code_present": float(outputs["code"] is not None), "rounds": outputs["rounds"],
            "runs": outputs["runs"], "inputs": outputs["inputs"], "forced_final": float(outputs["forced_final"]),
            "tokens": outputs["prompt_tokens"] + outputs["completion_tokens"],
            "prompt_tokens": outputs["prompt_tokens"], "completion_tokens": outputs["completion_tokens"],
            "requests": outputs["requests"], "wall_s": outputs["wall_s"],
        }
        fam = ctx.params["family"]
        if fam in ("entities", "relations"):
            s.pop("code_present")
            s["description_present"] = float(outputs["description"] is not None)
            if "corruption_named" in outputs and sample.inputs.get("corruption"):
                s["corruption_named"] = outputs["corruption_named"]
            if "unit_tests" in outputs:
                s["unit_test_accuracy"] = outputs["unit_tests"]["unit_test_accuracy"]
                s["tokens_evaluator"] = outputs["unit_tests"]["tokens"]
            return s
        cs = outputs["code_score"]
        if fam == "numeric":
            s.update(_numeric_scores(sample, cs, outputs))
            if ctx.params["fit_tool"]:
                s["fits"] = outputs.get("fits", 0)
        else:
            kind = "simple" if len(sample.inputs["ops"]) == 1 else "composite"
            s["exact_match"] = cs["exact_match"]
            s[f"exact_match_{kind}"] = cs["exact_match"]
            if "unit_tests" in outputs:
                s["unit_test_accuracy"] = outputs["unit_tests"]["unit_test_accuracy"]
                s["tokens_evaluator"] = outputs["unit_tests"]["tokens"]
        return s


@register
class FindGP(_FindFunctions):
    """The symbolic baseline: probe each numeric function with a fixed design, fit it by GP, score the program."""

    name = "find-gp"
    description = ("FIND numeric functions fitted by the project's genetic programming from the interpreter's "
                   "query budget (no model)")
    params = (
        Param("family", str, "numeric", "which functions (GP fits numeric ones)", choices=("numeric",)),
        Param("variant", str, "all", "which variant", choices=("all", "clean", "noisy", "corrupted", "mlp")),
        Param("n_functions", int, 1000, "functions in the set (a prefix of the 1,000)", min=1, max=1000),
        Param("gen_seed", int, 0, "seed of the function generator (the function set, not the run)"),
        Param("max_rounds", int, 20, "calls of the box (the interpreter's rounds)", min=1, max=50),
        Param("inputs_per_round", int, 10, "integers probed per call after the 17 exemplars of the first",
              min=1, max=64),
        Param("gp_population", int, 400, "GP programs per generation", min=10),
        Param("gp_generations", int, 20, "GP generations (the random first one included)", min=1),
        Param("code_timeout", float, 10.0, "seconds the program may take on all scoring inputs", min=0.1),
        Param("mlp_steps", int, 2000, "Adam steps training each MLP-approximated function", min=10),
    )
    parallel = False  # the MLP weights and the sandbox live in the parent
    default_threads = 1
    # A few seconds: three functions, a small search.
    smoke_params: ClassVar[dict[str, Any]] = {"variant": "clean", "gp_population": 100, "gp_generations": 5}
    smoke_limit: ClassVar[int | None] = 3

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        p = ctx.params
        f: NumericFunction = sample.data
        seed = ctx.sample_seed(sample.id)
        served = self._served(f, ctx)
        box = FunctionBox("numeric", served, seed=seed)
        xs: list[float] = []
        ys: list[Any] = []
        for row in probe_design(p["max_rounds"], p["inputs_per_round"]):
            for x, y in box.call("run", {"inputs": row}):
                xs.append(x)
                ys.append(y)
        settings = GPSettings(population_size=p["gp_population"], generations=p["gp_generations"])
        fit = fit_pairs(xs, ys, settings, seed=seed)
        rng = np.random.default_rng(seed + 1)  # fresh noise for scoring, as for the interpreter
        score = score_numeric_code(fit.code, lambda v: served(v, rng), shared_sandbox(), p["code_timeout"])
        return {"code": fit.code, "expression": fit.expression, "program": fit.program,
                "train_nmse": fit.train_nmse, "fit_error": fit.error, "pairs": fit.pairs, "runs": box.calls,
                "inputs": len(box.inputs_seen), "gp_s": fit.time_s, "code_score": score}

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        s = {"code_present": float(outputs["code"] is not None), "runs": outputs["runs"],
             "inputs": outputs["inputs"], "pairs": outputs["pairs"], "gp_s": outputs["gp_s"]}
        if outputs["train_nmse"] is not None:
            s["train_nmse_log10"] = math.log10(max(outputs["train_nmse"], 1e-12))
        s.update(_numeric_scores(sample, outputs["code_score"], outputs))
        return s
