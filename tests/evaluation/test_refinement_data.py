"""List Functions and ARC loaders: shapes, ordering, and errors that name the file and line."""

from __future__ import annotations

import json

import pytest

from agents.world import OutputParseError
from evaluation.harness.errors import DataNotFoundError
from evaluation.worlds.induction import arc
from evaluation.worlds.induction import list_functions as lf
from evaluation.worlds.induction.tasks import DataFormatError


def test_list_functions_load_250_tasks_8_seen_8_unseen():
    tasks = lf.load_tasks()
    assert len(tasks) == 250 and tasks[0].id == "c001" and tasks[-1].id == "c250"
    assert all(len(t.train) == 8 and len(t.test) == 8 for t in tasks)
    c001 = tasks[0]  # "remove all but element 3"
    assert all(e.output == (e.input[2],) for e in c001.train + c001.test)


def test_list_functions_path_argument_and_env(tmp_path, monkeypatch):
    root = lf.list_functions_dir()
    monkeypatch.setenv("NESY_DATA", str(root.parent))
    assert lf.list_functions_dir() == root
    with pytest.raises(DataNotFoundError, match="NESY_DATA"):
        lf.list_functions_dir(tmp_path)


def _write_task(folder, examples):
    d = folder / "c001"
    d.mkdir(parents=True)
    text = json.dumps({"name": "c001", "examples": examples}, indent=2)
    (d / "task.json").write_text(text)
    return d / "task.json", text


def test_malformed_json_names_file_and_line(tmp_path):
    d = tmp_path / "c001"
    d.mkdir()
    (d / "task.json").write_text('{\n  "examples": [\n    {"input": "[1]", "target": "[1]"},,\n  ]\n}\n')
    with pytest.raises(DataFormatError, match=r"c001/task\.json:3: not valid JSON"):
        lf.load_tasks(tmp_path)


def test_bad_example_names_file_and_its_line(tmp_path):
    good = {"input": "[1, 2]", "target": "[2]"}
    examples = [good] * 5 + [{"input": "[1, x]", "target": "[2]"}] + [good] * 10
    path, text = _write_task(tmp_path, examples)
    line = [i for i, s in enumerate(text.splitlines(), 1) if '"input"' in s][5]
    with pytest.raises(DataFormatError, match=rf"task\.json:{line}: expected a list of integers"):
        lf.load_tasks(tmp_path)


def test_too_few_examples_is_refused(tmp_path):
    _write_task(tmp_path, [{"input": "[1]", "target": "[1]"}] * 10)
    with pytest.raises(DataFormatError, match="10 examples, need 16"):
        lf.load_tasks(tmp_path)


def test_int_list_parsing():
    assert lf.parse_int_list("Output: [3, 1, 2] because") == (3, 1, 2)
    assert lf.parse_int_list("[]") == ()
    with pytest.raises(OutputParseError):
        lf.parse_int_list("three")


@pytest.mark.slow
def test_arc_smallest_grids_first():
    tasks = arc.load_tasks(100)
    sizes = [t.meta["max_cells"] for t in tasks]
    assert len(tasks) == 100 and sizes == sorted(sizes) and sizes[-1] <= 100
    assert len({t.id for t in tasks}) == 100
    t = tasks[0]
    assert t.train and t.test and all(isinstance(e.input, tuple) and isinstance(e.input[0], tuple) for e in t.train)


def test_grid_parsing():
    assert arc.parse_grid("Here:\n1 2 3\n4 5 6\nthat's it") == ((1, 2, 3), (4, 5, 6))
    assert arc.parse_grid("[[1, 2], [3, 4]]".replace("], ", "]\n")) == ((1, 2), (3, 4))
    with pytest.raises(OutputParseError, match="different lengths"):
        arc.parse_grid("1 2\n3")
    with pytest.raises(OutputParseError):
        arc.parse_grid("no grid")
    assert arc.format_grid(((1, 2), (3, 4))) == "1 2\n3 4"
