"""The benchmark contract: a task is data (samples) + a solver (``run_sample``) + a scorer.

A benchmark subclasses :class:`Benchmark`, declares its parameters, and registers itself with
:func:`register`. The harness (:mod:`evaluation.harness.runner`) owns everything else: the run folder,
resuming, executors, progress bars, aggregation and the report.

Example::

    @register
    class Squares(Benchmark):
        name = "squares"
        description = "Squares integers (a toy)."
        params = (Param("n", int, 10, "how many", min=1),)

        def samples(self, ctx):
            for i in range(ctx.params["n"]):
                yield Sample(id=str(i), inputs={"x": i})

        def run_sample(self, sample, ctx):
            return {"y": sample.inputs["x"] ** 2}

        def score(self, sample, outputs, ctx):
            return {"correct": float(outputs["y"] == sample.inputs["x"] ** 2)}
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from evaluation.harness.errors import ParamError
from evaluation.harness.params import Param


@dataclass
class Sample:
    """One unit of work of a benchmark.

    Attributes:
        id: Stable identifier, unique within the run (used to resume).
        inputs: JSON-serializable description, written to ``samples.jsonl``.
        data: Optional payload that is not serialized (arrays, tensors).
    """

    id: str
    inputs: dict[str, Any] = field(default_factory=dict)
    data: Any = None


@dataclass
class RunContext:
    """What a benchmark knows about the run it is part of (picklable, sent to workers)."""

    benchmark: str
    params: dict[str, Any]
    seed: int
    run_dir: Path
    model: str | None = None
    limit: int | None = None
    workers: int = 1
    executor: str = "local"
    extra: dict[str, Any] = field(default_factory=dict)
    #: The run's model (an ``agents.llm.ChatModel``), loaded and closed by the harness; ``None`` for
    #: benchmarks without one. Not sent to worker processes: model benchmarks run in the parent.
    llm: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["llm"] = None
        return state

    @property
    def artifacts(self) -> Path:
        """Folder for files a benchmark keeps between runs (checkpoints, plots)."""
        path = self.run_dir / "artifacts"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def sample_seed(self, sample_id: str) -> int:
        """A seed for one sample that depends only on the run seed and the sample id.

        It makes results independent of which worker runs a sample and in which order.
        """
        digest = hashlib.sha256(f"{self.seed}:{sample_id}".encode()).digest()
        return int.from_bytes(digest[:4], "little")


class Benchmark:
    """Base class of every benchmark. Subclasses set the class attributes and override the hooks."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[Sequence[Param]] = ()
    #: Parameters and sample limit for the ``smoke`` suite (must finish in about a minute on 2 cores).
    smoke_params: ClassVar[Mapping[str, Any]] = {}
    smoke_limit: ClassVar[int | None] = None
    #: True when the benchmark talks to a model (LLM agents): the harness loads ``--model`` once and
    #: hands it over as ``ctx.llm``.
    uses_model: ClassVar[bool] = False
    #: CPU threads when ``--threads`` is not given (``None``: the libraries' defaults). CPU-heavy benchmarks
    #: of small networks set 1: on a busy 2-core machine torch's second thread mostly waits (one epoch of
    #: LeNet-5 took 18.7 s with 2 threads against 2.2 s with one), and one thread costs little when idle.
    default_threads: ClassVar[int | None] = None
    #: Backend options for the ``smoke`` suite's run of this benchmark (``-M`` there).
    smoke_model_options: ClassVar[Mapping[str, Any]] = {}
    #: Old parameters that configured the model, mapped to the model option that replaces them.
    deprecated_model_params: ClassVar[Mapping[str, str]] = {}
    #: Samples may run in worker processes (local pool or Ray). False keeps them in the parent.
    parallel: ClassVar[bool] = True
    #: Named parameter sets chosen with ``-p setup=NAME`` (a benchmark with setups declares a ``setup``
    #: parameter whose choices are ``auto`` and these names). Explicit ``-p`` values win over the setup's.
    setups: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    #: What ``setup=auto`` (the default) picks for a model name (the spec without its ``backend/``;
    #: ``"*"`` for every other model): the configuration measured best with that model.
    auto_setups: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def apply_setup(cls, given: Mapping[str, Any], model_name: str | None) -> dict[str, Any]:
        """Fill the parameters of the chosen setup that ``given`` does not set.

        ``setup=auto`` becomes the setup :attr:`auto_setups` names for ``model_name``, and the resolved
        name is kept in the parameters, so the run's header says which configuration ran.

        Raises:
            ParamError: an unknown setup name (the message lists the valid ones).
        """
        out = dict(given)
        if not cls.setups:
            return out
        name = str(out.get("setup", "auto")).strip()
        if name == "auto":
            name = cls.auto_setups.get(model_name or "", cls.auto_setups.get("*", next(iter(cls.setups))))
        if name not in cls.setups:
            raise ParamError(f"benchmark '{cls.name}' has no setup '{name}'; valid setups: auto, "
                             f"{', '.join(cls.setups)}")
        return {**cls.setups[name], **out, "setup": name}

    def check(self, ctx: RunContext) -> None:
        """Refuse bad input before the run folder exists (missing data, an unusable device...).

        Called by the runner after the parameters are resolved and before anything is written; raise a
        :class:`~evaluation.harness.errors.NesyError` (``ParamError``, ``DataNotFoundError``) naming what is
        wrong. Must not write under ``ctx.run_dir``. Work done here may be kept for :meth:`setup`.
        """

    def setup(self, ctx: RunContext) -> None:
        """Prepare once per run, in the parent process (train a model, load data).

        Keep expensive results under ``ctx.artifacts`` so a resumed run can reuse them.
        """

    def samples(self, ctx: RunContext) -> Iterable[Sample]:
        """Yield the samples of this run, in a deterministic order."""
        raise NotImplementedError(f"benchmark '{self.name}' does not define samples()")

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        """Run the system on one sample; return JSON-serializable outputs.

        An ``outputs["transcript"]`` entry is moved to the record's ``transcript`` field.
        Agent benchmarks may instead define ``async def arun_sample(self, sample, ctx)``.
        """
        raise NotImplementedError(f"benchmark '{self.name}' does not define run_sample()")

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        """Score one sample's outputs; every value is averaged by :meth:`aggregate`."""
        return {}

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        """Metrics over all finished samples (default: mean and standard error of each score)."""
        return mean_and_stderr(records)

    def tables(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
        """Extra tables, stored as top-level keys of ``results.json`` and shown in reports."""
        return {}

    def finalize(self, results: dict[str, Any], records: list[dict[str, Any]], ctx: RunContext) -> None:
        """Write extra artifacts (plots as PNG under ``ctx.artifacts``) once results exist."""

    @property
    def is_async(self) -> bool:
        """Whether this benchmark's samples are coroutines (LLM agents)."""
        return hasattr(self, "arun_sample")

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Plain-data description for listings."""
        return {"name": cls.name, "description": cls.description,
                "params": [p.describe() for p in cls.params]}


def numeric_metrics(outputs: dict[str, Any]) -> dict[str, float | int]:
    """The numbers among a measuring function's outputs, unchanged (strings, ``None`` and flags left out).

    Args:
        outputs: What the CLI's measuring function returned.

    Returns:
        Every int or float value under its own key, so a metric is exactly the figure the CLI prints.
    """
    return {k: v for k, v in outputs.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def mean_and_stderr(records: list[dict[str, Any]]) -> dict[str, float]:
    """Mean and standard error of the mean of each numeric score key across records."""
    values: dict[str, list[float]] = {}
    for rec in records:
        for key, value in (rec.get("score") or {}).items():
            if isinstance(value, bool) or isinstance(value, int | float):
                values.setdefault(key, []).append(float(value))
    metrics: dict[str, float] = {}
    for key, vals in values.items():
        finite = [v for v in vals if math.isfinite(v)]
        if not finite:
            continue
        n = len(finite)
        mean = sum(finite) / n
        var = sum((v - mean) ** 2 for v in finite) / (n - 1) if n > 1 else 0.0
        metrics[key] = mean
        metrics[f"{key}_stderr"] = math.sqrt(var / n)
    return metrics


def busy_seconds(spans: Iterable[tuple[float, float]]) -> float:
    """Seconds during which at least one episode was in flight (the length of the union of the spans).

    A resumed run holds episodes from several sessions; the gaps between sessions are not work, so
    last finish minus first start would understate the throughput.
    """
    total, cur_start, cur_end = 0.0, 0.0, None
    for start, end in sorted(spans):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def episodes_per_second(records: list[dict[str, Any]]) -> float | None:
    """Finished episodes per busy second, from each record's ``outputs["started"]``/``["finished"]``.

    Agent benchmarks run their episodes concurrently, so per-episode wall times do not add up to the
    run's time; this is the throughput a user sees. ``None`` when no record has both times.
    """
    spans = [(r["outputs"]["started"], r["outputs"]["finished"]) for r in records
             if "started" in (r.get("outputs") or {}) and "finished" in r["outputs"]]
    busy = busy_seconds(spans)
    return len(spans) / busy if spans and busy > 0 else None


_REGISTRY: dict[str, type[Benchmark]] = {}


def register(cls: type[Benchmark]) -> type[Benchmark]:
    """Class decorator that makes a benchmark available to ``nesy bench``."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"benchmark name '{cls.name}' is registered twice ({existing.__qualname__})")
    _REGISTRY[cls.name] = cls
    return cls
