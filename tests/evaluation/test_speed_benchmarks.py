"""``llm-speed`` and ``sandbox-speed``: the CLI's measuring functions through the harness.

Fast tests replace the measuring functions (``agents.llm.bench_model``,
``agents.sandbox.cli.bench_sandbox``) with fixed figures and check that the metrics are those figures
exactly, that the parameters reach the function and are validated before the run folder exists, and
that the header records what was measured. Two real runs at tiny size follow: the sandbox (cheap) and
SmolLM2 on llama.cpp in a fresh process (a few tokens; marked ``llm``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import agents.llm
import agents.llm.cli as llm_cli
import agents.sandbox.cli as sandbox_cli
from agents.llm import default_gguf_path
from evaluation.harness import registry
from evaluation.harness.errors import DataNotFoundError, ParamError
from evaluation.harness.runner import SampleErrors, run_benchmark

LLM_FIGURES: dict[str, Any] = {
    "model": "llamacpp/default", "concurrency": 2, "requests": 3, "max_tokens": 5, "n_threads": 1,
    "cpu_count": 2, "load_avg_1m": 5.25, "rss_mb": 533.125, "raw_llamacpp_ttft_s": 0.79,
    "raw_llamacpp_peak_rss_mb": 401.5, "single_tok_s": 27.1, "concurrent_tok_s": 35.9, "ttft_s": 0.26,
    "raw_llamacpp_single_tok_s": 26.5, "single_vs_raw": 27.1 / 26.5, "concurrent_vs_single": 35.9 / 27.1,
    "shared_prefix_tok_s": 310.0, "shared_prefix_no_reuse_tok_s": 155.0, "prefix_reuse_speedup": 2.0,
    "process_cpu_share": 0.2, "cache_hit_ms": 0.125, "peak_rss_mb": 564.0,
}
SANDBOX_FIGURES: dict[str, Any] = {
    "workers": 3, "inputs": 600, "batch": 200, "calls": 7, "cpu_count": 2, "load_avg_1m": 4.5,
    "worker_start_s": 0.031, "batched_apps_per_s": 91234.5, "per_call_ms": 2.5, "unbatched_apps_per_s": 400.0,
}


#: The llm-speed checks validate the spec before the (replaced) measurement: the model file must exist.
needs_default_model = pytest.mark.skipif(not default_gguf_path().exists(),
                                         reason="the default model (SmolLM2) is not installed")


def _numbers(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if not isinstance(v, str)}


@pytest.fixture
def fake_bench_model(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``bench_model`` with fixed figures; the list collects the calls' arguments."""
    calls: list[dict[str, Any]] = []

    async def bench_model(model: str, concurrency: int = 8, requests: int | None = None, max_tokens: int = 64,
                          raw: bool = True, repeats: int = 2, **options: Any) -> dict[str, Any]:
        calls.append({"model": model, "concurrency": concurrency, "requests": requests, "max_tokens": max_tokens,
                      "raw": raw, "repeats": repeats, "options": options})
        return dict(LLM_FIGURES)

    monkeypatch.setattr(agents.llm, "bench_model", bench_model)
    monkeypatch.setattr(llm_cli, "bench_model", bench_model)  # the CLI's own reference to it
    return calls


@pytest.fixture
def fake_bench_sandbox(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """Replace ``bench_sandbox`` with fixed figures; the list collects the calls' arguments."""
    calls: list[tuple[int, ...]] = []

    def bench_sandbox(workers: int = 2, inputs: int = 20_000, batch: int = 1000, calls_: int = 200) -> dict:
        calls.append((workers, inputs, batch, calls_))
        return dict(SANDBOX_FIGURES)

    monkeypatch.setattr(sandbox_cli, "bench_sandbox", bench_sandbox)
    return calls


def _header(out: Path) -> dict[str, Any]:
    return json.loads((out / "header.json").read_text())


def test_both_are_registered_with_small_smoke_cases() -> None:
    reg = registry.load_all()
    assert {"llm-speed", "sandbox-speed"} <= set(reg)
    assert "llm_speed" not in registry.BROKEN and "sandbox_speed" not in registry.BROKEN
    llm, sandbox = reg["llm-speed"], reg["sandbox-speed"]
    assert not llm.uses_model and not llm.parallel and not sandbox.parallel
    assert llm.smoke_params["max_tokens"] <= 8 and llm.smoke_params["repeats"] == 1
    assert sandbox.smoke_params["inputs"] <= 5000


@needs_default_model
def test_llm_metrics_are_bench_models_figures_and_the_header_names_the_model(tmp_path, fake_bench_model) -> None:
    out = tmp_path / "run"
    res = run_benchmark("llm-speed", {"model": "default", "concurrency": "2", "requests": "3", "max_tokens": "5",
                                      "repeats": "1", "raw": "on", "options": "n_ctx=1024,reuse_prefix=on,cache=off",
                                      "fresh_process": "off"},
                        threads=1, out=out, progress=False)
    assert res["complete"] is True and res["n_failed"] == 0
    assert res["metrics"] == _numbers(LLM_FIGURES)  # exactly the figures, nothing averaged or renamed
    assert res["extra"]["model"] == "llamacpp/default"
    # The CLI's options: parsed for the backend, --threads as n_threads, the cache left to the measurement.
    assert fake_bench_model == [{"model": "default", "concurrency": 2, "requests": 3, "max_tokens": 5, "raw": True,
                                 "repeats": 1, "options": {"n_ctx": 1024, "reuse_prefix": True, "n_threads": 1}}]
    header = _header(out)
    assert header["params"]["model"] == "default" and header["threads"] == 1
    assert header["params"]["options"] == ["n_ctx=1024", "reuse_prefix=on", "cache=off"]


@needs_default_model
def test_llm_requests_default_to_concurrency_and_n_threads_wins_over_threads(tmp_path, fake_bench_model) -> None:
    run_benchmark("llm-speed", {"concurrency": 4, "n_threads": 2, "fresh_process": False}, threads=1,
                  out=tmp_path / "run", progress=False)
    [call] = fake_bench_model
    assert call["requests"] == 4 and call["options"] == {"n_threads": 2} and call["raw"] is True


@needs_default_model
def test_llm_a_failed_measurement_leaves_the_run_incomplete(tmp_path, monkeypatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("llama.cpp fell over")

    monkeypatch.setattr(agents.llm, "bench_model", broken)
    out = tmp_path / "run"
    with pytest.raises(SampleErrors, match="fell over"):
        run_benchmark("llm-speed", {"fresh_process": False}, out=out, progress=False)
    results = json.loads((out / "results.json").read_text())
    assert results["complete"] is False and results["metrics"] == {}


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"concurrency": 0}, ParamError, r"parameter 'concurrency': 0 is not valid; allowed: int in \[1, 256\]"),
    ({"max_tokens": "many"}, ParamError, r"parameter 'max_tokens': 'many' is not valid"),
    ({"repeats": 0}, ParamError, r"parameter 'repeats'"),
    ({"model": "nosuch/thing"}, ParamError, r"parameter 'model': 'nosuch/thing' is not valid \(.*nosuch"),
    ({"model": " "}, ParamError, r"parameter 'model'.*empty model spec"),
    ({"options": "n_ctx"}, ParamError, r"parameter 'options': 'n_ctx' is not valid \(expected name=value"),
    ({"options": "n_thread=1"}, ParamError, r"parameter 'options':.*did you mean 'n_threads'"),
    ({"model": "llamacpp/missing-model.gguf"}, DataNotFoundError, r"missing-model\.gguf"),
    ({"modle": "default"}, ParamError, r"has no parameter 'modle'; valid parameters: concurrency"),
])
def test_llm_bad_parameters_are_refused_before_the_folder_exists(tmp_path, fake_bench_model, params, error,
                                                                  match) -> None:
    out = tmp_path / "run"
    with pytest.raises(error, match=match):
        run_benchmark("llm-speed", params, out=out, progress=False)
    assert not out.exists() and not fake_bench_model


def test_sandbox_metrics_are_bench_sandboxs_figures(tmp_path, fake_bench_sandbox) -> None:
    out = tmp_path / "run"
    res = run_benchmark("sandbox-speed", {"workers": "3", "inputs": "600", "batch": "200", "calls": "7"}, out=out,
                        progress=False)
    assert res["complete"] is True
    assert res["metrics"] == SANDBOX_FIGURES
    assert fake_bench_sandbox == [(3, 600, 200, 7)]
    assert _header(out)["params"] == {"workers": 3, "inputs": 600, "batch": 200, "calls": 7}


@pytest.mark.parametrize(("params", "match"), [
    ({"workers": 0}, r"parameter 'workers': 0 is not valid; allowed: int in \[1, 64\]"),
    ({"inputs": "x"}, r"parameter 'inputs': 'x' is not valid"),
    ({"inputs": 100, "batch": 500}, r"parameter 'batch': 500 is larger than 'inputs' \(100\)"),
])
def test_sandbox_bad_parameters_are_refused_before_the_folder_exists(tmp_path, fake_bench_sandbox, params,
                                                                      match) -> None:
    out = tmp_path / "run"
    with pytest.raises(ParamError, match=match):
        run_benchmark("sandbox-speed", params, out=out, progress=False)
    assert not out.exists() and not fake_bench_sandbox


def test_sandbox_speed_runs_for_real_at_tiny_size(tmp_path) -> None:
    res = run_benchmark("sandbox-speed", {"workers": 1, "inputs": 300, "batch": 100, "calls": 5},
                        out=tmp_path / "run", progress=False)
    m = res["metrics"]
    assert res["complete"] is True
    for key in ("batched_apps_per_s", "unbatched_apps_per_s", "per_call_ms", "worker_start_s", "load_avg_1m"):
        assert math.isfinite(m[key]) and m[key] >= 0, key
    assert m["batched_apps_per_s"] > 0 and m["unbatched_apps_per_s"] == pytest.approx(1e3 / m["per_call_ms"])
    assert (m["workers"], m["inputs"], m["batch"], m["calls"]) == (1, 300, 100, 5)


@pytest.mark.llm
@pytest.mark.slow
@needs_default_model
def test_llm_speed_measures_smollm2_in_a_fresh_process(tmp_path) -> None:
    out = tmp_path / "run"
    res = run_benchmark("llm-speed", {"concurrency": 2, "max_tokens": 4, "repeats": 1, "n_threads": 1},
                        out=out, progress=False)
    m = res["metrics"]
    assert res["complete"] is True and res["extra"]["model"] == "llamacpp/default"
    for key in ("single_tok_s", "concurrent_tok_s", "raw_llamacpp_single_tok_s", "ttft_s", "raw_llamacpp_ttft_s",
                "shared_prefix_tok_s", "prefix_reuse_speedup", "cache_hit_ms", "process_cpu_share"):
        assert math.isfinite(m[key]) and m[key] > 0, key
    assert m["single_vs_raw"] == pytest.approx(m["single_tok_s"] / m["raw_llamacpp_single_tok_s"])
    assert m["peak_rss_mb"] >= m["rss_mb"] > 0 and m["raw_llamacpp_peak_rss_mb"] > 0
    assert (m["n_threads"], m["concurrency"], m["requests"], m["max_tokens"]) == (1, 2, 2, 4)
    assert m["load_avg_1m"] >= 0
    assert _header(out)["params"]["model"] == "default"


def test_the_clis_print_the_same_figures(fake_bench_model, fake_bench_sandbox) -> None:
    """The CLIs run the functions the benchmarks run, and print the context figures added for the README."""
    from typer.testing import CliRunner

    res = CliRunner().invoke(llm_cli.llm_app, ["bench", "--concurrency", "2", "--requests", "3"])
    assert res.exit_code == 0, res.output
    assert "27.1 tok/s" in res.output and "load average 5.2 at the start, 0.20 CPU s/s" in res.output
    assert fake_bench_model[0]["requests"] == 3
    # One command in the sandbox app: typer runs it without its name.
    res = CliRunner().invoke(sandbox_cli.sandbox_app, ["--workers", "3"])
    assert res.exit_code == 0, res.output
    assert "91234 applications/s" in res.output and "load average 4.5 at the start" in res.output
    assert fake_bench_sandbox == [(3, 20_000, 1000, 200)]
