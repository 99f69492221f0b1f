"""Benchmark ``llm-speed``: the figures of ``nesy llm bench`` as a harness run.

The README's LLM speed table must come from a committed results file that one command regenerates;
a CLI's printout cannot, a harness run can. This benchmark is a thin shell around the CLI's own
measuring function, ``agents.llm.bench_model`` (no copy of it): one sample calls it once (it takes
the median of ``repeats`` measurements itself) and every number it returns becomes a metric.

The model to measure is the parameter ``model`` (``-p model=llamacpp/qwen2.5-coder-1.5b``), not the
harness's ``--model``: ``bench_model`` must load the model itself (cache off, its resident set measured
right after the load, and the same GGUF handed to a raw llama-cpp-python baseline in another process),
so a model the harness loaded would be a second copy in the measuring process, with the response cache
on, inflating the memory figures. The spec is therefore recorded in ``header.json`` under ``params``
(the harness's own ``model`` field stays ``null``: it loads none), and the canonical spec that
``bench_model`` reports is kept in ``results.json`` under ``extra.model``. For the same reason backend
options are ``-p options=key=value`` (the harness refuses ``-M`` for a benchmark without its model),
and llama.cpp threads come from ``-p n_threads=N`` or, when that is 0, from the run's ``--threads``.

Metrics (every figure the CLI prints, as numbers): ``single_tok_s``, ``concurrent_tok_s``,
``concurrent_vs_single``, ``ttft_s``, ``rss_mb``, ``peak_rss_mb``, ``cache_hit_ms``; for llama.cpp with the
raw baseline ``raw_llamacpp_single_tok_s``, ``single_vs_raw``, ``raw_llamacpp_ttft_s``,
``raw_llamacpp_peak_rss_mb``; with prefix reuse ``shared_prefix_tok_s``, ``shared_prefix_no_reuse_tok_s``,
``prefix_reuse_speedup``; as context ``load_avg_1m``, ``process_cpu_share``, ``cpu_count``, ``n_threads``,
``concurrency``, ``requests``, ``max_tokens``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import json
import multiprocessing as mp
from collections.abc import Iterable
from typing import Any

from evaluation.harness.benchmark import Benchmark, RunContext, Sample, numeric_metrics, register
from evaluation.harness.errors import DataNotFoundError, ParamError
from evaluation.harness.params import Param
from evaluation.harness.runfolder import HEADER


def _check_spec(spec: str) -> None:
    """Refuse a malformed spec or an unknown backend while the parameters are parsed (nothing is loaded)."""
    from agents.llm import parse_spec

    if not spec.strip():
        raise ValueError("empty model spec")
    parse_spec(spec)  # ModelSpecError is a ValueError: the Param turns it into a ParamError


def _check_pair(pair: str) -> None:
    """One backend option must read ``name=value`` (its name and value are checked with the model)."""
    if "=" not in pair or not pair.split("=", 1)[0].strip():
        raise ValueError("expected name=value (e.g. n_ctx=4096)")


def measure(model: str, concurrency: int, requests: int, max_tokens: int, raw: bool, repeats: int,
            options: dict[str, Any]) -> dict[str, Any]:
    """Run ``bench_model`` once in this process, as ``nesy llm bench`` does, and return its figures.

    Module level so that a spawned process can run it (see :meth:`LlmSpeed.run_sample`).
    """
    import agents.llm as llm  # looked up at call time, so tests can replace the measuring function

    return asyncio.run(llm.bench_model(model, concurrency, requests, max_tokens, raw, repeats, **options))


@register
class LlmSpeed(Benchmark):
    """Tokens/s one at a time and concurrently, against raw llama.cpp; TTFT, memory, prefix reuse."""

    name = "llm-speed"
    description = ("Speed of a chat model (what `nesy llm bench` prints): single-stream and concurrent tokens/s, "
                   "raw llama-cpp-python on the same prompts in its own process, time to first token, RSS after "
                   "load and at peak, prefix-reuse speed-up, cache hit cost; load average and CPU share beside.")
    params = (
        Param("model", str, "default", "model spec to measure (e.g. llamacpp/qwen2.5-coder-1.5b); loaded by the "
              "measurement itself, not by --model", check=_check_spec),
        Param("concurrency", int, 8, "concurrent requests", min=1, max=256),
        Param("requests", int, 0, "requests per measurement (0: as many as concurrency)", min=0, max=4096),
        Param("max_tokens", int, 64, "tokens per reply", min=1, max=4096),
        Param("repeats", int, 2, "measurements per figure (the median is kept)", min=1, max=20),
        Param("raw", bool, True, "also measure raw llama-cpp-python in its own process (llamacpp models)"),
        Param("n_threads", int, 0, "llama.cpp threads (0: the run's --threads if given, else the backend's "
              "default)", min=0, max=256),
        Param("options", str, [], "backend options name=value, comma-separated (the -M of `nesy llm bench`)",
              multiple=True, check=_check_pair),
        Param("fresh_process", bool, True, "measure in a fresh process, as `nesy llm bench` does (off: in this "
              "one, whose resident set then includes the harness's)"),
    )
    # SmolLM2 (the default), a few tokens: about half a minute on a busy 2-core machine, raw baseline included.
    smoke_params = {"concurrency": 2, "max_tokens": 4, "repeats": 1, "n_threads": 1}
    # One sample, and timings must not compete with anything else of this run.
    parallel = False

    def __init__(self) -> None:
        #: The run's ``--threads`` (from its header, read in :meth:`setup`; ``None`` before or when not given).
        self.run_threads: int | None = None

    def _options(self, ctx: RunContext) -> dict[str, Any]:
        """Backend options for ``bench_model``: as the CLI builds them from ``-M`` and ``--n-threads``.

        Raises:
            ParamError: an option the backend does not take, or a bad value.
        """
        from agents.llm import LLMError, parse_model_options, parse_spec

        p = ctx.params
        try:
            opts = parse_model_options(p["options"], spec=p["model"])
        except (LLMError, ValueError) as exc:
            raise ParamError(f"parameter 'options': {exc}") from None
        threads = p["n_threads"] or self.run_threads
        if threads and parse_spec(p["model"])[0] == "llamacpp":
            opts["n_threads"] = threads
        opts.pop("cache", None)  # as in the CLI: generation is measured uncached, cache hits on their own
        return opts

    def check(self, ctx: RunContext) -> None:
        # Before the run folder exists: a missing model file is missing data (the smoke suite skips it and
        # the message names the fetch command); a bad spec or option is a parameter error.
        from agents.llm import LLMError, ModelNotFoundError, validate_spec

        opts = self._options(ctx)
        try:
            validate_spec(ctx.params["model"], **opts)
        except ModelNotFoundError as exc:
            raise DataNotFoundError(str(exc)) from None
        except (LLMError, ValueError, ImportError) as exc:
            raise ParamError(f"parameter 'model': {exc}") from None

    def setup(self, ctx: RunContext) -> None:
        # The run's --threads is in its header (RunContext does not carry it); the header in force, so a
        # resumed run measures with the threads it recorded.
        self.run_threads = json.loads((ctx.run_dir / HEADER).read_text()).get("threads")

    def samples(self, ctx: RunContext) -> Iterable[Sample]:
        p = ctx.params
        yield Sample(id="bench", inputs={
            "model": p["model"], "concurrency": p["concurrency"], "requests": p["requests"] or p["concurrency"],
            "max_tokens": p["max_tokens"], "raw": p["raw"], "repeats": p["repeats"], "options": self._options(ctx),
            "fresh_process": p["fresh_process"]})

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        inp = dict(sample.inputs)
        fresh = inp.pop("fresh_process")
        if not fresh:
            return measure(**inp)
        # A fresh process, like `nesy llm bench`: its resident set after the load and its peak are the
        # model's, not those of the harness (torch, earlier benchmarks of a suite: ru_maxrss never
        # falls), and no other library's thread team shares it. bench_model then starts the raw
        # baseline in a process of its own from there, as it does from the CLI.
        with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            return pool.submit(measure, **inp).result()

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        # One sample: its figures are the metrics as measured (no mean, no standard error over one value).
        [rec] = records
        ctx.extra["model"] = rec["outputs"].get("model")
        return numeric_metrics(rec["outputs"])
