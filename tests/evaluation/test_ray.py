import json
import os
from pathlib import Path

import pytest

import tests.evaluation.toybench  # noqa: F401
from evaluation.harness.runner import run_benchmark

ray = pytest.importorskip("ray", reason="Ray is in the `dist` extra, installed by `scripts/setup.sh dev`")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_ray():
    # A small local Ray; workers need the repository on their path to unpickle the test benchmark.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}})
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_executor_matches_local(tmp_path, local_ray):
    local = run_benchmark("toy-noisy-squares", {"n": 6}, seed=4, out=tmp_path / "l", progress=False)
    remote = run_benchmark("toy-noisy-squares", {"n": 6}, seed=4, out=tmp_path / "r", executor="ray",
                           workers=2, progress=False)
    assert local["metrics"] == remote["metrics"]

    def outputs(d):
        return {r["id"]: r["outputs"] for r in map(json.loads, (d / "samples.jsonl").read_text().splitlines())}

    assert outputs(tmp_path / "l") == outputs(tmp_path / "r")
    agent = run_benchmark("toy-agent", {"n": 4}, out=tmp_path / "a", executor="ray", progress=False)
    assert agent["metrics"]["correct"] == 1.0
