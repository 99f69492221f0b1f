"""Rerun the experiments whose figures the README quotes, and refresh ``results/``.

Usage::

    .venv/bin/python -m scripts.reproduce_readme --list
    .venv/bin/python -m scripts.reproduce_readme NAME [NAME ...]     # or --all

Each experiment in ``results/experiments.json`` names a benchmark, its parameters, seed, limit,
model and model options. It runs through the harness into ``runs/readme/<name>`` (resumable: a
killed run continues where it stopped), then ``results.json`` and ``header.json`` are copied to
``results/<name>/``, where they are committed. ``results/figures.json`` ties each figure quoted in
the README to one value of one results file; ``tests/test_readme_figures.py`` checks that the README
says exactly what the files hold, so a figure cannot drift from its artifact.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
EXPERIMENTS = RESULTS / "experiments.json"
FIGURES = RESULTS / "figures.json"


def load_experiments() -> dict[str, dict[str, Any]]:
    """``{name: {"benchmark", "params", "seed", "limit", "model", "model_options", "threads", "note"}}``."""
    return json.loads(EXPERIMENTS.read_text())


def lookup(data: Any, dotted: str) -> Any:
    """``data["a"]["b"][2]`` for ``"a.b.2"``; list items may also be picked by ``key=value``."""
    for part in dotted.split("."):
        if isinstance(data, list):
            if "=" in part:
                key, _, want = part.partition("=")
                data = next(row for row in data if str(row.get(key)) == want)
            else:
                data = data[int(part)]
        else:
            data = data[part]
    return data


def render(figure: dict[str, Any]) -> str:
    """The README text of one figure: its ``readme`` template filled with the formatted value.

    ``key`` may be a list (a table row: one ``{}`` per key, in order); ``format`` and ``scale`` are then
    one for all or a list of the same length. A key ``other/results.json:metrics.x`` reads another
    experiment's file (a row whose cells come from several runs).
    """
    keys = figure["key"] if isinstance(figure["key"], list) else [figure["key"]]
    n = len(keys)
    formats = figure.get("format", "")
    formats = formats if isinstance(formats, list) else [formats] * n
    scales = figure.get("scale", 1)
    scales = scales if isinstance(scales, list) else [scales] * n
    if len(formats) != n or len(scales) != n or figure["readme"].count("{}") != n:
        raise ValueError(f"figure {figure.get('id')!r}: {n} keys need as many formats, scales and {{}} slots")
    text = figure["readme"]
    for key, fmt, scale in zip(keys, formats, scales, strict=True):
        file, key = figure_source(figure, key)
        value = lookup(json.loads((RESULTS / file).read_text()), key)
        text = text.replace("{}", format(value * scale, fmt), 1)
    return text


def figure_source(figure: dict[str, Any], key: str) -> tuple[str, str]:
    """``(results file, dotted key)`` of one key of a figure (``file:key`` names its own file)."""
    if ":" in key:
        file, _, key = key.partition(":")
        return file, key
    return figure["results"], key


def figure_files(figure: dict[str, Any]) -> list[str]:
    """Every results file a figure reads."""
    keys = figure["key"] if isinstance(figure["key"], list) else [figure["key"]]
    return sorted({figure_source(figure, k)[0] for k in keys})


def run(name: str, spec: dict[str, Any]) -> Path:
    """Run one experiment and copy its results and header into ``results/<name>/``."""
    from evaluation.harness.runner import run_benchmark

    out = ROOT / "runs" / "readme" / name
    run_benchmark(spec["benchmark"], spec.get("params", {}), seed=spec.get("seed", 0), limit=spec.get("limit"),
                  model=spec.get("model"), model_options=spec.get("model_options"), threads=spec.get("threads"),
                  out=out)
    dest = RESULTS / name
    dest.mkdir(parents=True, exist_ok=True)
    for file in ("results.json", "header.json"):
        shutil.copy2(out / file, dest / file)
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="experiments to run (see --list)")
    ap.add_argument("--all", action="store_true", help="run every experiment (hours on 2 cores)")
    ap.add_argument("--list", action="store_true", help="list the experiments and the figures they back")
    args = ap.parse_args(argv)
    experiments = load_experiments()
    if args.list or not (args.names or args.all):
        figures = json.loads(FIGURES.read_text())
        for name, spec in experiments.items():
            n = sum(1 for f in figures if any(file.startswith(f"{name}/") for file in figure_files(f)))
            print(f"{name}: {spec['benchmark']} {spec.get('params', {})} seed={spec.get('seed', 0)} "
                  f"limit={spec.get('limit')} model={spec.get('model')}  ({n} README figures)")
        return 0
    names = list(experiments) if args.all else args.names
    unknown = [n for n in names if n not in experiments]
    if unknown:
        ap.error(f"unknown experiment {unknown[0]!r}; known: {', '.join(experiments)}")
    for name in names:
        print(f"{name}: results in {run(name, experiments[name])}")
    stale = [f for f in json.loads(FIGURES.read_text())
             if any(file.split("/")[0] in names for file in figure_files(f))]
    readme = (ROOT / "README.md").read_text()
    for figure in stale:
        text = render(figure)
        if text not in readme:
            print(f"README must now say: {text!r}  (figure {figure['id']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
