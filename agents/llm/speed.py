"""Throughput, latency and memory of a chat model: what ``nesy llm bench`` and the ``llm-speed`` benchmark measure.

One function, :func:`bench_model`, so the command line and the harness report the same figures.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from typing import Any

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
