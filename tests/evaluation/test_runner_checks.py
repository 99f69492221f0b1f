"""Bad input is refused before the run folder exists; results say what the folder holds."""

from __future__ import annotations

import json

import pytest

import tests.evaluation.toybench  # noqa: F401  (registers the toy benchmarks)
from agents.llm import ModelNotFoundError, ModelSpecError
from evaluation.harness.errors import DataNotFoundError, ParamError, RunFolderError
from evaluation.harness.runner import Interrupted, SampleErrors, _split_model_params, run_benchmark


def test_bad_model_spec_is_refused_before_the_folder_exists(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ModelSpecError, match="nosuch"):
        run_benchmark("toy-agent", model="nosuch/thing", out=out, progress=False)
    with pytest.raises(ModelNotFoundError, match="missing.gguf"):
        run_benchmark("toy-agent", model=f"llamacpp/{tmp_path}/missing.gguf", out=out, progress=False)
    with pytest.raises(ModelSpecError):
        run_benchmark("toy-agent", model="openai/gpt", out=out, progress=False)
    assert not out.exists()


def test_model_options_are_checked_before_the_folder_exists(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match="n_threads"):
        run_benchmark("toy-agent", model_options={"n_threads": "-1"}, out=out, progress=False)
    with pytest.raises(ParamError, match="uses no model"):
        run_benchmark("toy-noisy-squares", model_options={"n_threads": 1}, out=out, progress=False)
    assert not out.exists()


def test_parameter_check_and_check_hook_run_before_the_folder_exists(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ParamError, match=r"parameter 'shape': 'abc' is not valid \(expected ROWSxCOLS"):
        run_benchmark("toy-checked", {"shape": "abc"}, out=out, progress=False)
    with pytest.raises(DataNotFoundError, match="nesy data fetch toy"):
        run_benchmark("toy-checked", {"data": "gone"}, out=out, progress=False)
    assert not out.exists()


def test_a_setup_failure_leaves_no_half_made_folder(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(FileNotFoundError):
        run_benchmark("toy-checked", {"setup_fails": True}, out=out, progress=False)
    assert not out.exists()


def test_a_setup_failure_in_an_existing_run_keeps_the_folder(tmp_path):
    out = tmp_path / "run"
    run_benchmark("toy-checked", {"shape": "1x2"}, out=out, progress=False)
    (out / "samples.jsonl").write_text((out / "samples.jsonl").read_text())
    run_benchmark("toy-checked", {"shape": "1x2"}, out=out, progress=False)  # a resume works
    assert (out / "samples.jsonl").exists() and (out / "header.json").exists()


def test_a_smaller_limit_does_not_shrink_the_results(tmp_path, capsys):
    run_benchmark("toy-noisy-squares", {"n": 6}, out=tmp_path, progress=False)
    res = run_benchmark("toy-noisy-squares", {"n": 6}, out=tmp_path, limit=3, progress=False)
    assert res["timing"]["n_samples"] == 6
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["timing"]["n_samples"] == 6 and on_disk["complete"] is True


def test_failed_samples_mark_the_run_incomplete(tmp_path):
    with pytest.raises(SampleErrors):
        run_benchmark("toy-noisy-squares", {"n": 4, "fail_on": 2}, out=tmp_path, progress=False)
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["complete"] is False and res["n_failed"] == 1 and res["n_missing"] == 1
    assert res["n_expected"] == 4 and res["timing"]["n_samples"] == 3


def test_a_refused_rerun_names_only_the_parameters_that_differ(tmp_path):
    run_benchmark("toy-noisy-squares", {"n": 2}, out=tmp_path, progress=False)
    with pytest.raises(RunFolderError) as info:
        run_benchmark("toy-noisy-squares", {"n": 3}, out=tmp_path, progress=False)
    text = str(info.value)
    assert "params.n: folder has 2, this run has 3" in text
    assert "mode" not in text and "scale" not in text


def test_ctrl_c_says_what_was_saved_and_how_to_resume(tmp_path, monkeypatch):
    from tests.evaluation.toybench import ToyChecked

    monkeypatch.setattr(ToyChecked, "interrupt_on", 2)
    with pytest.raises(Interrupted, match=r"2 finished samples are saved in .*repeat the same command"):
        run_benchmark("toy-checked", {"shape": "1x4"}, out=tmp_path, progress=False)
    monkeypatch.setattr(ToyChecked, "interrupt_on", -1)
    res = run_benchmark("toy-checked", {"shape": "1x4"}, out=tmp_path, progress=False)
    assert res["timing"]["n_new"] == 2 and res["timing"]["n_samples"] == 4


def test_ray_missing_is_said_before_any_work(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(ParamError, match="scripts/setup.sh dev"):
        run_benchmark("toy-noisy-squares", {"n": 2}, executor="ray", out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_deprecated_model_parameters_move_to_model_options(capsys):
    from evaluation.benchmarks.refinement import RefinementAcre

    params, options = {"threads": "1", "n_ctx": "0", "method": "io"}, {}
    _split_model_params(RefinementAcre, params, options)
    assert params == {"method": "io"} and options == {"n_threads": "1"}
    assert "-M n_threads=1" in capsys.readouterr().err


def test_threads_are_recorded_in_the_header(tmp_path):
    run_benchmark("toy-noisy-squares", {"n": 2}, threads=1, out=tmp_path, progress=False)
    assert json.loads((tmp_path / "header.json").read_text())["threads"] == 1


def test_suite_with_an_unknown_only_name_is_refused_cleanly(tmp_path):
    from evaluation.harness.runner import run_suite

    with pytest.raises(ParamError, match="--only nosuch: no such benchmark"):
        run_suite("smoke", out=tmp_path / "suite", only=["nosuch"], progress=False)
    assert not (tmp_path / "suite").exists()


def test_a_suite_skips_a_benchmark_whose_data_is_missing_and_says_how_to_fetch_it(tmp_path, monkeypatch):
    from evaluation.harness.runner import run_suite
    from tests.evaluation.toybench import ToyChecked

    monkeypatch.setattr(ToyChecked, "smoke_params", {"data": "gone"})
    res = run_suite("smoke", out=tmp_path / "suite", only=["toy-checked", "toy-noisy-squares"], progress=False)
    assert "toy-checked" in res["skipped"] and "nesy data fetch toy" in res["skipped"]["toy-checked"]
    assert not res["failed"] and set(res["runs"]) == {"toy-noisy-squares"}
    suite = json.loads((tmp_path / "suite" / "suite.json").read_text())
    assert "toy-checked" in suite["skipped"]
