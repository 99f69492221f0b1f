"""The run folder: ``header.json``, ``samples.jsonl`` (append-only), ``results.json``.

A rerun into the same folder resumes: samples already in ``samples.jsonl`` are skipped. A folder
written for another benchmark, other parameters, another seed or another model is refused, so two
different experiments never mix in one file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from evaluation.harness.errors import RunFolderError

HEADER, SAMPLES, RESULTS = "header.json", "samples.jsonl", "results.json"
#: Header fields that define the identity of a run; a resume must match them all.
IDENTITY = ("benchmark", "params", "seed", "model")


def to_jsonable(value: Any) -> Any:
    """Convert numpy/torch scalars and arrays, paths, tuples and non-finite floats to plain JSON."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):  # numpy / torch arrays and scalars
        return to_jsonable(value.tolist())
    if hasattr(value, "item"):
        return to_jsonable(value.item())
    if hasattr(value, "model_dump"):  # pydantic
        return to_jsonable(value.model_dump())
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict
        return to_jsonable(asdict(value))
    return str(value)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a killed process leaves the old file or the new one, never half)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(data), indent=2, sort_keys=False) + "\n")
    tmp.replace(path)


class RunFolder:
    """Reads and appends to one run folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @property
    def header_path(self) -> Path:
        return self.path / HEADER

    @property
    def samples_path(self) -> Path:
        return self.path / SAMPLES

    @property
    def results_path(self) -> Path:
        return self.path / RESULTS

    def read_header(self) -> dict[str, Any] | None:
        """The header, or None for a new folder."""
        if not self.header_path.exists():
            return None
        try:
            return json.loads(self.header_path.read_text())
        except json.JSONDecodeError as exc:
            raise RunFolderError(f"{self.header_path}: not valid JSON ({exc}); move the folder aside") from exc

    def open(self, header: dict[str, Any]) -> dict[str, Any]:
        """Create the folder or check that it belongs to the same run; return the header in force.

        Raises:
            RunFolderError: when the folder was written by another benchmark, params, seed or model.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        existing = self.read_header()
        if existing is None:
            write_json(self.header_path, header)
            return header
        new = to_jsonable(header)
        diffs = []
        for k in IDENTITY:
            have, want = existing.get(k), new.get(k)
            if have == want:
                continue
            if isinstance(have, dict) and isinstance(want, dict):
                # Name only the parameters that differ: a benchmark has dozens.
                for name in sorted(set(have) | set(want)):
                    if have.get(name, "(absent)") != want.get(name, "(absent)"):
                        diffs.append(f"{k}.{name}: folder has {json.dumps(have.get(name, '(absent)'))}, "
                                     f"this run has {json.dumps(want.get(name, '(absent)'))}")
            else:
                diffs.append(f"{k}: folder has {json.dumps(have)}, this run has {json.dumps(want)}")
        if diffs:
            raise RunFolderError(
                f"run folder {self.path} was written by a different run ({'; '.join(diffs)}). "
                "Use another --out folder, or repeat the same parameters to resume it.")
        resumes = existing.setdefault("resumed_at", [])
        resumes.append(header.get("start_time"))
        write_json(self.header_path, existing)
        return existing

    def read_samples(self) -> tuple[list[dict[str, Any]], list[str]]:
        """All readable sample records and one warning per corrupt line (with its line number)."""
        records: list[dict[str, Any]] = []
        problems: list[str] = []
        if not self.samples_path.exists():
            return records, problems
        with self.samples_path.open("r", encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    if not isinstance(rec, dict) or "id" not in rec:
                        raise ValueError("not a record with an 'id'")
                except ValueError as exc:
                    problems.append(f"{self.samples_path}:{lineno}: skipped a corrupt line ({exc})")
                    continue
                records.append(rec)
        return records, problems

    def append_sample(self, record: dict[str, Any]) -> None:
        """Append one finished sample and flush it to disk."""
        line = json.dumps(to_jsonable(record), ensure_ascii=False)
        # A run killed mid-write can leave a partial last line; start on a fresh line so one bad
        # line never swallows the next good record.
        needs_newline = False
        if self.samples_path.exists() and self.samples_path.stat().st_size > 0:
            with self.samples_path.open("rb") as fh:
                fh.seek(-1, os.SEEK_END)
                needs_newline = fh.read(1) != b"\n"
        with self.samples_path.open("a", encoding="utf-8") as fh:
            fh.write(("\n" if needs_newline else "") + line + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def write_results(self, results: dict[str, Any]) -> None:
        write_json(self.results_path, results)

    def read_results(self) -> dict[str, Any]:
        if not self.results_path.exists():
            raise RunFolderError(f"{self.path}: no {RESULTS} (is the run finished?)")
        return json.loads(self.results_path.read_text())
