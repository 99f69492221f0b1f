"""Every figure the README quotes from an experiment matches the committed results file it comes from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.reproduce_readme import EXPERIMENTS, FIGURES, RESULTS, figure_files, load_experiments, lookup, render

ROOT = Path(__file__).resolve().parents[1]
FIGURE_LIST = json.loads(FIGURES.read_text())


def test_every_experiment_has_committed_results_with_provenance():
    experiments = load_experiments()
    assert experiments, f"{EXPERIMENTS} lists no experiment"
    for name, spec in experiments.items():
        results = json.loads((RESULTS / name / "results.json").read_text())
        header = json.loads((RESULTS / name / "header.json").read_text())
        assert results["benchmark"] == spec["benchmark"] == header["benchmark"], name
        assert header["seed"] == spec.get("seed", 0) and header.get("git_revision"), name
        assert results.get("complete", True), f"{name}: the committed run is incomplete"


def test_every_figure_points_at_a_committed_experiment():
    experiments = load_experiments()
    for fig in FIGURE_LIST:
        for file in figure_files(fig):
            assert file.split("/")[0] in experiments, (fig["id"], file)


@pytest.mark.parametrize("figure", FIGURE_LIST, ids=[f["id"] for f in FIGURE_LIST])
def test_readme_says_what_the_results_file_holds(figure):
    readme = (ROOT / "README.md").read_text()
    text = render(figure)
    assert text in readme, f"README should say {text!r} (from {figure['results']}:{figure['key']})"


def test_lookup_reads_nested_keys_and_rows():
    data = {"metrics": {"a": 0.5}, "table": [{"k": "x", "v": 1}, {"k": "y", "v": 2}]}
    assert lookup(data, "metrics.a") == 0.5 and lookup(data, "table.k=y.v") == 2 and lookup(data, "table.0.v") == 1


def test_a_row_figure_fills_its_slots_in_order(tmp_path, monkeypatch):
    import scripts.reproduce_readme as rr

    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "results.json").write_text(json.dumps({"metrics": {"a": 0.5, "b": 2.25}}))
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    row = {"id": "r", "results": "x/results.json", "key": ["metrics.a", "metrics.b"], "format": [".1f", ".2f"],
           "scale": [100, 1], "readme": "| {} | {} |"}
    assert render(row) == "| 50.0 | 2.25 |"
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "results.json").write_text(json.dumps({"metrics": {"a": 7}}))
    both = row | {"key": ["metrics.a", "y/results.json:metrics.a"], "format": ".1f", "scale": 1}
    assert render(both) == "| 0.5 | 7.0 |" and figure_files(both) == ["x/results.json", "y/results.json"]
    with pytest.raises(ValueError, match="2 keys"):
        render(row | {"readme": "| {} |"})
