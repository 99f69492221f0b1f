"""List Functions (Rule, 2020; BIG-bench ``list_functions``): 250 functions over lists of natural numbers.

Data: ``c001``..``c250`` folders with ``task.json`` (32 ``{"input": "[..]", "target": "[..]"}``
examples each), found by :func:`evaluation.harness.data.data_dir`: an explicit folder, else
``$NESY_DATA/list_functions``, ``../shared/data/list_functions`` (a local mirror), or the nesykit cache
that ``nesy data fetch list_functions`` (run by ``scripts/setup.sh``) fills from the ``bigbench==1.0.0``
sdist on PyPI. The files are published in BIG-bench (github.com/google/BIG-bench,
``bigbench/benchmark_tasks/list_functions``, Apache-2.0).
As in Qiu et al., a task shows 8 seen examples (the first 8) and is scored on 8 unseen (the next 8).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from agents.world import Domain, Example, OutputParseError, PythonInterpreter, python_form
from evaluation.harness.data import data_dir
from evaluation.worlds.induction.tasks import DataFormatError, Task, line_of

N_SEEN = 8
N_UNSEEN = 8


def list_functions_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Folder holding ``c001``..``c250``.

    Args:
        path: That folder or the data root above it; else the lookup of
            :func:`evaluation.harness.data.data_dir` (``$NESY_DATA``, the local mirror, the cache).

    Raises:
        DataNotFoundError: Nowhere to be found; the message names ``nesy data fetch list_functions``.
    """
    return data_dir("list_functions", path)


def _int_list(text: str, where: str) -> tuple[int, ...]:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise DataFormatError(f"{where}: expected a list of integers, got {text!r:.60}")
    return tuple(value)


def load_task(path: Path, n_seen: int = N_SEEN, n_unseen: int = N_UNSEEN) -> Task:
    """One ``task.json``; malformed content raises :class:`DataFormatError` naming the file and line."""
    text = path.read_text()
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    examples = rec.get("examples") if isinstance(rec, dict) else None
    if not isinstance(examples, list):
        raise DataFormatError(f"{path}:1: no 'examples' list")
    if len(examples) < n_seen + n_unseen:
        raise DataFormatError(f"{path}:1: {len(examples)} examples, need {n_seen + n_unseen}")
    pairs = []
    needle = '"input"'
    for i, ex in enumerate(examples[: n_seen + n_unseen]):
        where = f"{path}:{line_of(text, needle, i)}"
        if not isinstance(ex, dict) or "input" not in ex or "target" not in ex:
            raise DataFormatError(f"{where}: example {i} needs 'input' and 'target'")
        pairs.append(Example(_int_list(ex["input"], where), _int_list(ex["target"], where)))
    return Task(id=path.parent.name, train=tuple(pairs[:n_seen]), test=tuple(pairs[n_seen:]),
                meta={"description": rec.get("description", "")})


def load_tasks(path: str | os.PathLike[str] | None = None, n: int = 250) -> list[Task]:
    """The first ``n`` tasks, ``c001`` upward."""
    root = list_functions_dir(path)
    dirs = sorted(d for d in root.iterdir() if re.fullmatch(r"c\d{3}", d.name) and (d / "task.json").is_file())
    return [load_task(d / "task.json") for d in dirs[:n]]


def parse_int_list(text: str) -> tuple[int, ...]:
    """The first ``[...]`` list of integers in the text."""
    m = re.search(r"\[\s*(-?\d+(?:\s*,\s*-?\d+)*)?\s*\]", text)
    if not m:
        raise OutputParseError(f"no list of integers in {text[:80]!r}")
    return tuple(int(v) for v in re.findall(r"-?\d+", m.group(0)))


def _from_python(value: object) -> tuple[int, ...]:
    if isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    raise TypeError(f"fn must return a list of integers, got {value!r:.60}")


def format_list(x: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(v) for v in x) + "]"


def list_functions_domain(python_timeout: float = 2.0) -> Domain:
    """The List Functions domain: Python rules (the ``nl`` form translates to them)."""
    signature = "def fn(x: list[int]) -> list[int]"
    py = python_form(PythonInterpreter(to_python=list, from_python=_from_python, timeout=python_timeout),
                     signature)
    return Domain(
        name="list_functions",
        description="Each input is a list of natural numbers; a fixed function maps it to the output list.",
        format_input=format_list, format_output=format_list, parse_output=parse_int_list,
        output_instructions="Answer with the output list only, like [1, 2, 3].",
        forms={"python": py}, formal=None, python_signature=signature, output_max_tokens=60,
        output_constraint="[\\[]([0-9]{1,3}(, [0-9]{1,3}){0,20})?[\\]]",
    )
