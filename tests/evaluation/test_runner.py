import json

import pytest

import tests.evaluation.toybench  # noqa: F401  (registers the toy benchmarks)
from evaluation.harness.errors import ParamError, RunFolderError, UnknownBenchmarkError
from evaluation.harness.runfolder import RunFolder
from evaluation.harness.runner import SampleErrors, default_out, run_benchmark


def _lines(path):
    return [json.loads(x) for x in (path / "samples.jsonl").read_text().splitlines() if x.strip()]


def test_run_folder_contract(tmp_path):
    res = run_benchmark("toy-noisy-squares", {"n": "4"}, seed=3, out=tmp_path, progress=False)
    header = json.loads((tmp_path / "header.json").read_text())
    for key in ("benchmark", "params", "model", "seed", "versions", "git_revision", "start_time"):
        assert key in header
    assert header["params"] == {"n": 4, "fail_on": -1, "mode": "a", "scale": 1.0}
    assert header["versions"]["torch"] is not None
    recs = _lines(tmp_path)
    assert [r["id"] for r in recs] == ["s0", "s1", "s2", "s3"]
    for r in recs:
        assert {"id", "inputs", "outputs", "score", "timings"} <= set(r)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["benchmark"] == "toy-noisy-squares" and on_disk["metrics"]["correct"] == 1.0
    assert set(on_disk) >= {"benchmark", "params", "metrics", "timing"}
    assert res["metrics"] == on_disk["metrics"]
    assert res["timing"]["n_samples"] == 4


def test_resume_skips_finished_samples_and_extends_with_limit(tmp_path):
    run_benchmark("toy-noisy-squares", {"n": 6}, out=tmp_path, limit=2, progress=False)
    assert len(_lines(tmp_path)) == 2
    res = run_benchmark("toy-noisy-squares", {"n": 6}, out=tmp_path, progress=False)
    recs = _lines(tmp_path)
    assert [r["id"] for r in recs] == [f"s{i}" for i in range(6)]  # appended, never rewritten
    assert res["timing"]["n_new"] == 4 and res["timing"]["n_samples"] == 6
    again = run_benchmark("toy-noisy-squares", {"n": 6}, out=tmp_path, progress=False)
    assert again["timing"]["n_new"] == 0 and len(_lines(tmp_path)) == 6
    assert again["metrics"] == res["metrics"]


def test_folder_of_other_parameters_is_refused(tmp_path):
    run_benchmark("toy-noisy-squares", {"n": 2}, out=tmp_path, progress=False)
    with pytest.raises(RunFolderError) as info:
        run_benchmark("toy-noisy-squares", {"n": 3}, out=tmp_path, progress=False)
    assert "params" in str(info.value) and "another --out" in str(info.value)
    with pytest.raises(RunFolderError, match="seed"):
        run_benchmark("toy-noisy-squares", {"n": 2}, seed=9, out=tmp_path, progress=False)


def test_corrupt_line_is_reported_with_line_number_and_rest_is_read(tmp_path):
    run_benchmark("toy-noisy-squares", {"n": 3}, out=tmp_path, progress=False)
    path = tmp_path / "samples.jsonl"
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n{not json\n" + "\n".join(lines[1:]) + "\n")
    recs, problems = RunFolder(tmp_path).read_samples()
    assert [r["id"] for r in recs] == ["s0", "s1", "s2"]
    assert len(problems) == 1 and "samples.jsonl:2" in problems[0]
    res = run_benchmark("toy-noisy-squares", {"n": 3}, out=tmp_path, progress=False)
    assert res["timing"]["n_new"] == 0


def test_partial_last_line_from_a_killed_run_does_not_eat_the_next_record(tmp_path):
    run_benchmark("toy-noisy-squares", {"n": 4}, out=tmp_path, limit=2, progress=False)
    with (tmp_path / "samples.jsonl").open("a") as fh:
        fh.write('{"id": "s2", "inpu')  # killed mid-write
    run_benchmark("toy-noisy-squares", {"n": 4}, out=tmp_path, progress=False)
    recs, problems = RunFolder(tmp_path).read_samples()
    assert sorted(r["id"] for r in recs) == ["s0", "s1", "s2", "s3"]
    assert len(problems) == 1


def test_failing_samples_are_recorded_and_retried(tmp_path):
    with pytest.raises(SampleErrors, match="boom on 1"):
        run_benchmark("toy-noisy-squares", {"n": 3, "fail_on": 1}, out=tmp_path, progress=False)
    assert [r["id"] for r in _lines(tmp_path)] == ["s0", "s2"]
    assert "boom on 1" in (tmp_path / "errors.jsonl").read_text()


def test_bad_input_messages():
    with pytest.raises(UnknownBenchmarkError) as info:
        run_benchmark("no-such-bench", progress=False)
    assert "toy-noisy-squares" in str(info.value) and "smoke" in str(info.value)
    with pytest.raises(ParamError, match="mode"):
        run_benchmark("toy-noisy-squares", {"mode": "c"}, progress=False)
    with pytest.raises(ParamError, match="executor"):
        run_benchmark("toy-noisy-squares", executor="slurm", progress=False)


def test_same_seed_same_results_and_default_folder_is_stable(tmp_path):
    a = run_benchmark("toy-noisy-squares", {"n": 5}, seed=7, out=tmp_path / "a", progress=False)
    b = run_benchmark("toy-noisy-squares", {"n": 5}, seed=7, out=tmp_path / "b", progress=False)
    c = run_benchmark("toy-noisy-squares", {"n": 5}, seed=8, out=tmp_path / "c", progress=False)
    assert a["metrics"] == b["metrics"] and a["metrics"] != c["metrics"]
    assert default_out("x", {"n": 5}, 7, None) == default_out("x", {"n": 5}, 7, None)
    assert default_out("x", {"n": 5}, 7, None) != default_out("x", {"n": 6}, 7, None)


def test_process_pool_gives_identical_records(tmp_path):
    serial = run_benchmark("toy-noisy-squares", {"n": 6}, seed=1, out=tmp_path / "s", progress=False)
    pooled = run_benchmark("toy-noisy-squares", {"n": 6}, seed=1, out=tmp_path / "p", workers=2, progress=False)
    assert serial["metrics"] == pooled["metrics"]
    key = {r["id"]: r["outputs"] for r in _lines(tmp_path / "s")}
    assert key == {r["id"]: r["outputs"] for r in _lines(tmp_path / "p")}


def test_async_benchmark_runs_episodes_concurrently_with_transcripts(tmp_path):
    from tests.evaluation.toybench import ToyAgent

    ToyAgent.max_in_flight = 0
    res = run_benchmark("toy-agent", {"n": 20}, out=tmp_path, progress=False)
    assert res["model"] == "default" and res["metrics"]["correct"] == 1.0
    recs = _lines(tmp_path)
    assert len(recs) == 20 and all("transcript" in r for r in recs)
    assert res["llm_cache"]["hits"] == 0 and res["llm_cache"]["misses"] == 0
    assert ToyAgent.max_in_flight == 20  # all episodes in flight together, so a backend can batch them


def test_smoke_suite_runs_selected_benchmarks_and_writes_one_report(tmp_path):
    from evaluation.harness.runner import run_suite

    res = run_suite("smoke", out=tmp_path, only=["toy-noisy-squares", "toy-agent"], progress=False)
    assert set(res["runs"]) == {"toy-noisy-squares", "toy-agent"}
    assert not {k for k in res["failed"] if not k.startswith("module ")}
    assert (tmp_path / "report" / "report.html").exists()
    suite = json.loads((tmp_path / "suite.json").read_text())
    assert suite["suite"] == "smoke"
    # the smoke case of toy-noisy-squares uses its declared smoke parameters
    assert json.loads((tmp_path / "toy-noisy-squares" / "results.json").read_text())["params"]["n"] == 3
