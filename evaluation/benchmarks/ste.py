"""STE (Wang et al., ACL 2024): tool learning through simulated trial and error, scored as in the paper.

Benchmark ``ste``, by ``phase``:

- ``base``: the model writes the first call of each test query (``tool_test.json``: 50 APIs x 15), given
  the candidate APIs (the paper's 15 "oracle retriever" neighbours, or all 50, or the gold one alone).
- ``icl``: the same, with the 8 nearest examples of our own exploration data as demonstrations. The paper's
  STE data is not public in full, so the simulable APIs are explored first (once per run folder, kept under
  ``artifacts/``) and ICL is scored on the APIs the exploration covers; ``demo_apis`` explores only some
  APIs and scores ``apis`` with their demonstrations (a query whose candidates have none is asked as in base).
- ``explore``: one sample per API: its exploration (trials, labels, calls) and statistics.
- ``finetune``: explore, filter, paraphrase, LoRA fine-tune the transformers form of ``--model``, then score
  the fine-tuned model on the explored APIs' test queries.
- ``continual``: the batches of ``CL_batches.json`` (their simulable APIs) learned round by round, with
  ``replay`` of earlier rounds' data (0: none); every round is scored on all APIs seen so far.

``train_data=scripted`` replaces the model's exploration by :mod:`evaluation.worlds.ste.scripted`: templated
requests of a few simulable APIs whose calls the tool world executed (for models too small to explore; the
examples are in ``artifacts/examples_*.jsonl``). ``stop_after_call`` ends each reply at its first complete
``Action Input`` (see :data:`agents.ste.exploit.FIRST_CALL_STOP`): fewer tokens to decode on a CPU.

Scores (see :mod:`evaluation.worlds.ste.scoring`): ``wellformed`` and ``correct`` over all queries,
``api_match`` over well-formed ones, each with its standard error; the same over the simulable APIs
(``*_simulable``); a table per API; ``queries_per_s``. ``judge=string`` applies the per-key string rule to
all 50 APIs (no judge model); ``judge=model`` lets the run's model judge the 19 free-text APIs with the
paper's reading (correct unless the verdict contains "No.").
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any, ClassVar

from agents.ste import (
    DemoRetriever,
    ExploreConfig,
    Explorer,
    FinetuneConfig,
    SteAgent,
    ToolExample,
    Trial,
    example_of,
    exploration_stats,
    judge_trials,
    paraphrase,
    replay_plan,
    tool_messages,
    usable,
)
from evaluation.harness.benchmark import Benchmark, RunContext, Sample, episodes_per_second, mean_and_stderr, register
from evaluation.harness.errors import ParamError
from evaluation.harness.params import Param
from evaluation.worlds.ste import SteData, SteTools, TestQuery, load_ste, prompt_block, simulable_names
from evaluation.worlds.ste.scoring import JUDGE_APIS, judge_messages, score_reply
from evaluation.worlds.ste.scripted import SCRIPTED

PHASES = ("base", "icl", "explore", "finetune", "continual")

#: The paper's table (wellformed / API match / correct, %), for scripts/ste_grid.py and the README.
PAPER: dict[str, dict[str, tuple[float, float, float]]] = {
    "Llama-2-7B-chat": {"base": (34.5, 40.2, 10.7), "icl": (58.3, 86.7, 41.7), "finetune": (99.2, 94.9, 73.3)},
    "Llama-2-13B-chat": {"base": (79.3, 53.6, 32.7), "icl": (87.5, 86.6, 62.9), "finetune": (98.9, 95.1, 74.3)},
    "Mistral-7B-Instruct": {"base": (61.7, 69.3, 30.1), "icl": (69.9, 88.4, 47.9), "finetune": (99.1, 95.8, 76.8)},
    "GPT-3.5-turbo-16k": {"base": (96.9, 77.6, 60.5), "icl": (97.6, 90.8, 75.6)},
    "GPT-4": {"base": (96.1, 78.1, 60.8), "icl": (97.7, 92.8, 76.3)},
}


def _api_list(text: str, data: SteData, phase: str) -> list[str]:
    """``apis``: ``auto`` (all 50 for base, the simulable ones otherwise), ``all``, ``simulable``,
    ``batchN`` or a list of names separated by ``;``."""
    sim = [a for a in data.apis if a in set(simulable_names())]
    if text in ("", "auto"):
        return list(data.apis) if phase == "base" else sim
    if text == "all":
        return list(data.apis)
    if text == "simulable":
        return sim
    if text.startswith("batch") and text[5:].isdigit() and int(text[5:]) < len(data.cl_batches):
        return list(data.cl_batches[int(text[5:])])
    names = [n.strip() for n in text.split(";") if n.strip()]
    unknown = [n for n in names if n not in data.apis]
    if unknown:
        raise ParamError(f"parameter 'apis': unknown API(s) {unknown}; use auto, all, simulable, batch0..3 or "
                         "names separated by ';'")
    return names


def _finetune_base(spec: str | None) -> Path:
    """The local model the LoRA adapter is trained on: the transformers form of ``--model``."""
    from agents.llm import default_gguf_path, parse_spec

    backend, target = parse_spec(spec or "default")
    if backend in ("llamacpp", "transformers"):
        return default_gguf_path() if target == "default" else Path(target)
    if backend == "vllm" and Path(target).exists():
        # On a GPU: the adapter is trained (and served) by transformers on vLLM's local model directory.
        return Path(target)
    raise ParamError(f"phase finetune/continual trains a LoRA adapter on a local model: --model must be default, "
                     f"llamacpp/<file.gguf>, transformers/<dir|file.gguf> or vllm/<local model dir>, not {spec!r}")


@register
class Ste(Benchmark):
    name = "ste"
    description = ("STE tool learning (Wang et al. 2024): first-call scoring of the 750 test queries (base, ICL "
                   "with our exploration data, LoRA fine-tuning, continual learning) and exploration of 33 "
                   "offline APIs")
    params = (
        Param("phase", str, "base", "base, icl, explore, finetune, continual", choices=PHASES),
        Param("apis", str, "auto", "auto (base: all 50; else the simulable ones), all, simulable, batch0..3, or "
                                   "names separated by ';'"),
        Param("demo_apis", str, "auto", "icl: the APIs explored for demonstrations (auto: those of apis; same "
                                        "syntax as apis), e.g. all 50 APIs scored with a few explored"),
        Param("per_api", int, 15, "test queries per API", min=1, max=15),
        Param("candidates", str, "neighbors", "APIs in the prompt: neighbors (the paper's 15), all (50), gold",
              choices=("neighbors", "all", "gold")),
        Param("judge", str, "string", "string: per-key rule for all APIs; model: the run's model judges the 19 "
                                      "free-text APIs", choices=("string", "model")),
        Param("reference", bool, True, "the reference parser's rules (name grounding, JSON extraction)"),
        Param("description_chars", int, 0, "cut each API description in prompts (0: whole)", min=0),
        Param("max_tokens", int, 96, "tokens of the first-call reply", min=8),
        Param("stop_after_call", bool, False, "stop a reply at the end of its first Action Input (also at "
                                              "'Final Answer:'), not only at 'Observation:': fewer tokens to "
                                              "decode, the same score unless a second Action follows the call"),
        Param("episodes", int, 15, "exploration episodes per API", min=1),
        Param("queries_per_episode", int, 4, "trials per episode (short-term memory)", min=1),
        Param("max_turns", int, 4, "model turns per trial", min=1),
        Param("demos", int, 8, "ICL demonstrations per query", min=0),
        Param("train_data", str, "explore", "where demonstrations and fine-tuning examples come from: explore "
                                            "(the model's own exploration, judged and paraphrased) or scripted "
                                            "(templated requests whose calls the tool world executed; a few APIs)",
              choices=("explore", "scripted")),
        Param("scripted_per_api", int, 150, "train_data=scripted: examples per API", min=1),
        Param("filter", bool, True, "keep only trials the judge finds informative, faithful and well used"),
        Param("paraphrases", int, 6, "paraphrases per kept request", min=0),
        Param("ft_epochs", float, 2.0, "fine-tuning epochs", min=0.01),
        Param("ft_steps", int, 0, "fine-tuning steps (0: from ft_epochs)", min=0),
        Param("ft_lr", float, 3e-4, "LoRA learning rate", min=0.0),
        Param("ft_batch", int, 8, "fine-tuning batch size", min=1),
        Param("lora_rank", int, 8, "LoRA rank", min=1),
        Param("replay", float, 0.1, "continual: share of each earlier batch replayed (0: no replay)", min=0.0,
              max=1.0),
        Param("data", str, "", "folder with the STE files (default: see `nesy data list`)"),
    )
    uses_model = True
    parallel = False
    smoke_params: ClassVar[dict[str, Any]] = {"phase": "base", "candidates": "gold", "max_tokens": 48}
    smoke_limit: ClassVar[int | None] = 2
    smoke_model_options: ClassVar[dict[str, Any]] = {"n_threads": 1}

    def __init__(self) -> None:
        self._data: SteData | None = None
        self._lock: asyncio.Lock | None = None
        self._prepared: dict[str, Any] | None = None
        self._models: list[Any] = []

    # ------------------------------------------------------------------------------ harness hooks

    def check(self, ctx: RunContext) -> None:
        self._data = load_ste(ctx.params["data"] or None)
        _api_list(ctx.params["apis"], self._data, ctx.params["phase"])
        if ctx.params["demo_apis"] not in ("", "auto"):
            _api_list(ctx.params["demo_apis"], self._data, "icl")
        if ctx.params["train_data"] == "scripted" and ctx.params["phase"] in ("icl", "finetune", "continual"):
            apis = _api_list(ctx.params["apis"], self._data, ctx.params["phase"])
            if not set(apis) & set(SCRIPTED):
                raise ParamError(f"train_data=scripted: none of the chosen APIs has a script; scripted APIs: "
                                 f"{'; '.join(SCRIPTED)}")
        if ctx.params["phase"] in ("finetune", "continual"):
            base = _finetune_base(ctx.model)
            if not base.exists():
                raise ParamError(f"the model to fine-tune, {base}, does not exist")

    def _data_or_load(self, ctx: RunContext) -> SteData:
        if self._data is None:
            self._data = load_ste(ctx.params["data"] or None)
        return self._data

    def samples(self, ctx: RunContext):
        data = self._data_or_load(ctx)
        p = ctx.params
        apis = _api_list(p["apis"], data, p["phase"])
        if p["phase"] == "explore":
            for api in apis:
                yield Sample(id=f"explore:{api}", inputs={"api": api})
            return
        if p["phase"] == "continual":
            rounds = self._rounds(data, apis)
            for r in range(len(rounds)):
                seen = {a for b in rounds[:r + 1] for a in b}
                for t in data.tests:
                    if t.api in seen and t.index < p["per_api"]:
                        yield Sample(id=f"r{r}:{t.id}", inputs={"round": r, "api": t.api, "query": t.query,
                                                                "gold": t.action_input}, data=t)
            return
        chosen = set(apis)
        for t in data.tests:
            if t.api in chosen and t.index < p["per_api"]:
                yield Sample(id=t.id, inputs={"api": t.api, "query": t.query, "gold": t.action_input}, data=t)

    @staticmethod
    def _rounds(data: SteData, apis: list[str]) -> list[list[str]]:
        chosen = set(apis)
        return [r for r in ([a for a in b if a in chosen] for b in data.cl_batches) if r]

    # ------------------------------------------------------------------------------ preparation

    def _tools(self, ctx: RunContext) -> SteTools:
        return SteTools(self._data_or_load(ctx).descriptions, seed=ctx.seed)

    def _api_texts(self, ctx: RunContext) -> dict[str, str]:
        data = self._data_or_load(ctx)
        return {a: prompt_block(a, data.descriptions[a]) for a in data.apis}

    def _explore_config(self, ctx: RunContext) -> ExploreConfig:
        p = ctx.params
        return ExploreConfig(episodes=p["episodes"], queries_per_episode=p["queries_per_episode"],
                             max_turns=p["max_turns"], seed=ctx.seed)

    async def _explore_all(self, ctx: RunContext, apis: list[str]) -> dict[str, list[Trial]]:
        """Exploration of ``apis``, read back from ``artifacts/exploration.jsonl`` when a run resumes."""
        path = ctx.artifacts / "exploration.jsonl"
        done: dict[str, list[Trial]] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                t = Trial.from_dict(json.loads(line))
                done.setdefault(t.api, []).append(t)
        todo = [a for a in apis if a not in done and a in set(simulable_names())]
        if todo:
            explorer = Explorer(ctx.llm, self._tools(ctx), self._api_texts(ctx), self._explore_config(ctx))
            new = await explorer.explore(todo)
            with path.open("a") as fh:
                for api in todo:
                    for t in new[api]:
                        fh.write(json.dumps(t.to_dict(), ensure_ascii=False) + "\n")
            done.update(new)
        return {a: done[a] for a in apis if a in done}

    async def _examples(self, ctx: RunContext, apis: list[str]) -> list[ToolExample]:
        """Filtered and paraphrased examples of the exploration of ``apis`` (kept in ``artifacts/``), or with
        ``train_data=scripted`` the scripted calls of those of ``apis`` that have a script."""
        # A stable name (hash() of a str changes between processes): a resumed run finds its examples.
        key = hashlib.sha256("\n".join([ctx.params["train_data"], *apis]).encode()).hexdigest()[:10]
        path = ctx.artifacts / f"examples_{key}.jsonl"
        if path.exists():
            return [ToolExample(**json.loads(ln)) for ln in path.read_text().splitlines()]
        if ctx.params["train_data"] == "scripted":
            from evaluation.worlds.ste.scripted import scripted_calls

            tools = self._tools(ctx)
            examples = [ToolExample(c.query, c.api, c.arguments, source="scripted")
                        for a in apis if a in SCRIPTED
                        for c in scripted_calls(tools, a, ctx.params["scripted_per_api"], seed=ctx.seed)]
            path.write_text("".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in examples))
            return examples
        trials = [t for ts in (await self._explore_all(ctx, apis)).values() for t in ts]
        keep = await judge_trials(ctx.llm, trials) if ctx.params["filter"] else [usable(t) for t in trials]
        base = [example_of(t) for t, k in zip(trials, keep, strict=True) if k]
        examples = base + await paraphrase(ctx.llm, base, per_example=ctx.params["paraphrases"], seed=ctx.seed)
        path.write_text("".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in examples))
        return examples

    def _items(self, ctx: RunContext, examples: list[ToolExample]) -> list[tuple[list[dict[str, str]], str]]:
        data, texts = self._data_or_load(ctx), self._api_texts(ctx)
        return [(tool_messages(e.query, self._candidates(ctx, e.api, data), texts, (),
                               ctx.params["description_chars"]), e.completion()) for e in examples]

    def _ft_config(self, ctx: RunContext) -> FinetuneConfig:
        p = ctx.params
        return FinetuneConfig(epochs=p["ft_epochs"], max_steps=p["ft_steps"], lr=p["ft_lr"], batch_size=p["ft_batch"],
                              rank=p["lora_rank"], seed=ctx.seed)

    def _load_adapter(self, ctx: RunContext, adapter: Path) -> Any:
        from agents.llm import load_model

        model = load_model(f"transformers/{_finetune_base(ctx.model)}", lora=str(adapter), cache=False)
        self._models.append(model)
        return model

    async def _prepare(self, ctx: RunContext) -> dict[str, Any]:
        """Once per run (the first sample waits, the others reuse it): demos, or fine-tuned models."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._prepared is not None:
                return self._prepared
            p, data = ctx.params, self._data_or_load(ctx)
            apis = _api_list(p["apis"], data, p["phase"])
            prep: dict[str, Any] = {"models": {}, "train": {}}
            if p["phase"] == "icl":
                pool = apis if p["demo_apis"] in ("", "auto") else _api_list(p["demo_apis"], data, "icl")
                prep["retriever"] = DemoRetriever(await self._examples(ctx, pool))
                ctx.extra["demos"] = {"explored_apis": len(pool), "examples": len(prep["retriever"].examples)}
            elif p["phase"] == "finetune":
                items = self._items(ctx, await self._examples(ctx, apis))
                prep["train"][0] = await self._train(ctx, items, ctx.artifacts / "lora", None)
                prep["models"][0] = self._load_adapter(ctx, ctx.artifacts / "lora")
            elif p["phase"] == "continual":
                rounds = self._rounds(data, apis)
                per_round = [self._items(ctx, await self._examples(ctx, r)) for r in rounds]
                plan = replay_plan(per_round, p["replay"], ctx.seed)
                previous: Path | None = None
                for r, items in enumerate(plan):
                    adapter = ctx.artifacts / f"lora_round{r}"
                    prep["train"][r] = await self._train(ctx, items, adapter, previous)
                    prep["models"][r] = self._load_adapter(ctx, adapter)
                    previous = adapter
            # Training figures go to results.json ("extra"): examples/s, and what each round trained on.
            if prep["train"]:
                ctx.extra["train"] = {str(k): v for k, v in prep["train"].items()}
            self._prepared = prep
            return prep

    async def _train(self, ctx: RunContext, items: list[tuple[list[dict[str, str]], str]], adapter: Path,
                     previous: Path | None) -> dict[str, Any]:
        """Train (or, when a resumed run already has it, reuse) one adapter; its figures and data mix."""
        from agents.ste import finetune_lora

        info_path = adapter.with_name(adapter.name + "_train.json")
        if (adapter / "adapter_config.json").exists() and info_path.exists():
            return json.loads(info_path.read_text())
        res = await asyncio.to_thread(finetune_lora, _finetune_base(ctx.model), items, adapter, self._ft_config(ctx),
                                      init_adapter=previous)
        mix: dict[str, int] = {}
        for _, completion in items:  # the API of each example, read off its call
            api = completion.split("Action: ", 1)[-1].split("\n", 1)[0]
            mix[api] = mix.get(api, 0) + 1
        info = {"examples": res.examples, "steps": res.steps, "batch_size": ctx.params["ft_batch"],
                "seen": res.seen, "train_s": res.seconds, "load_s": res.load_seconds,
                "examples_per_s": res.examples_per_s, "first_loss": res.losses[0], "final_loss": res.losses[-1],
                "per_api": mix, "continued_from": previous.name if previous else None}
        info_path.write_text(json.dumps(info | {"losses": res.losses}))
        return info

    def _candidates(self, ctx: RunContext, gold: str, data: SteData) -> list[str]:
        mode = ctx.params["candidates"]
        if mode == "gold":
            return [gold]
        if mode == "all":
            return list(data.apis)
        return list(data.neighbors.get(gold, (gold,)))

    # ------------------------------------------------------------------------------ samples

    async def arun_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        p, data = ctx.params, self._data_or_load(ctx)
        started = time.time()
        if p["phase"] == "explore":
            api = sample.inputs["api"]
            trials = (await self._explore_all(ctx, [api])).get(api, [])
            return {"stats": exploration_stats(trials), "simulable": api in set(simulable_names()),
                    "transcript": [t.to_dict() for t in trials], "started": started, "finished": time.time()}
        t: TestQuery = sample.data
        model, demos, round_ = ctx.llm, [], sample.inputs.get("round")
        if p["phase"] != "base":
            prep = await self._prepare(ctx)
            if p["phase"] == "icl":
                demos = prep["retriever"].nearest(t.query, p["demos"], apis=self._candidates(ctx, t.api, data))
            else:
                model = prep["models"][round_ or 0]
        agent = SteAgent(model, self._api_texts(ctx), max_tokens=p["max_tokens"],
                         description_chars=p["description_chars"], stop_after_call=p["stop_after_call"])
        candidates = self._candidates(ctx, t.api, data)
        text, messages = await agent.first_call(t.query, candidates, demos)
        names = list(data.apis)
        if p["phase"] == "continual":  # the reference grounds to the APIs seen so far
            names = [a for b in self._rounds(data, _api_list(p["apis"], data, p["phase"]))[:round_ + 1] for a in b]
        scored = score_reply(text, t.api, t.action_input, names, reference=p["reference"], judge=p["judge"])
        verdict = None
        if scored.needs_judge:
            assert scored.call.action is not None and scored.call.arguments is not None
            [v] = await ctx.llm.chat(judge_messages(t.query, t.api, json.loads(t.action_input), scored.call.action,
                                                    scored.call.arguments), temperature=0.0, max_tokens=64,
                                     stop=["Observation:"])
            verdict = v.text
        return {"reply": text, "verdict": verdict, "action": scored.call.action, "arguments": scored.call.arguments,
                "parse": scored.call.status, "demos": [d.to_dict() for d in demos], "started": started,
                "finished": time.time(), "transcript": [{"request": messages, "reply": text, "verdict": verdict}]}

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        if ctx.params["phase"] == "explore":
            return dict(outputs["stats"])
        data = self._data_or_load(ctx)
        names = list(data.apis)
        round_ = sample.inputs.get("round")
        if round_ is not None:
            names = [a for b in self._rounds(data, _api_list(ctx.params["apis"], data, "continual"))[:round_ + 1]
                     for a in b]
        s = score_reply(outputs["reply"], sample.inputs["api"], sample.inputs["gold"], names,
                        reference=ctx.params["reference"], judge=ctx.params["judge"], verdict=outputs.get("verdict"))
        return s.as_scores()

    # ------------------------------------------------------------------------------ results

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        metrics: dict[str, Any] = mean_and_stderr(records)
        if ctx.params["phase"] == "explore":
            metrics["apis"] = len(records)
            metrics["total_queries"] = sum(r["score"]["queries"] for r in records if r.get("score"))
            return metrics
        sim = set(simulable_names())
        sub = [r for r in records if r["inputs"]["api"] in sim]
        for k, v in mean_and_stderr(sub).items():
            metrics[f"{k.replace('_stderr', '')}_simulable{'_stderr' if k.endswith('_stderr') else ''}"] = v
        metrics["n_queries"], metrics["n_simulable"] = len(records), len(sub)
        metrics["n_apis"] = len({r["inputs"]["api"] for r in records})
        rate = episodes_per_second(records)
        if rate is not None:
            metrics["queries_per_s"] = rate
        if ctx.params["phase"] == "continual":
            data = self._data_or_load(ctx)
            rounds = self._rounds(data, _api_list(ctx.params["apis"], data, "continual"))
            for r in range(len(rounds)):
                mine = [x for x in records if x["inputs"].get("round") == r]
                metrics[f"correct_round{r}"] = mean_and_stderr(mine).get("correct")
                first = [x for x in mine if x["inputs"]["api"] in set(rounds[0])]
                m0 = mean_and_stderr(first)
                for k in ("wellformed", "api_match", "correct"):
                    metrics[f"{k}_round{r}_batch0"] = m0.get(k)
                metrics[f"correct_round{r}_batch0_stderr"] = m0.get("correct_stderr")
                latest = [x for x in mine if x["inputs"]["api"] in set(rounds[r])]
                metrics[f"correct_round{r}_new"] = mean_and_stderr(latest).get("correct")
        return metrics

    def tables(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
        if ctx.params["phase"] == "explore":
            return {"per_api": [{"api": r["inputs"]["api"], **r["score"]} for r in records if r.get("score")]}
        by_api: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            by_api.setdefault(r["inputs"]["api"], []).append(r)
        rows = []
        for api, recs in by_api.items():
            m = mean_and_stderr(recs)
            rows.append({"api": api, "n": len(recs), "wellformed": m.get("wellformed"),
                         "api_match": m.get("api_match"), "correct": m.get("correct"),
                         "simulable": api in set(simulable_names()), "judged": api in JUDGE_APIS})
        return {"per_api": rows}

    def finalize(self, results: dict[str, Any], records: list[dict[str, Any]], ctx: RunContext) -> None:
        total = getattr(ctx.llm, "prompt_tokens_total", None)
        if isinstance(total, int) and total > 0:  # llama.cpp: how much prompt KV this process reused
            reused = int(getattr(ctx.llm, "prompt_tokens_reused", 0))
            results["prefix_reuse"] = {"prompt_tokens": total, "reused": reused, "share": reused / total,
                                       "note": "this process only (a resumed run counts its last part)"}
        for m in self._models:  # fine-tuned models this benchmark loaded itself
            try:
                asyncio.run(m.aclose())
            except RuntimeError:
                pass
        self._models.clear()


def stderr_pct(p: float | None, n: int) -> float:
    """Binomial standard error in percent (for tables beside the paper's)."""
    return 100 * math.sqrt(p * (1 - p) / n) if p is not None and n > 0 else float("nan")
