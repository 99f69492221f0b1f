"""A tiny benchmark for harness tests (registered only when tests import it)."""

from __future__ import annotations

import random

import numpy as np

from evaluation.harness.benchmark import Benchmark, Sample, register
from evaluation.harness.params import Param


@register
class ToyNoisySquares(Benchmark):
    """Squares integers with seeded noise, so executor equivalence of seeding is observable."""

    name = "toy-noisy-squares"
    description = "test-only benchmark"
    params = (Param("n", int, 6, min=1, max=1000), Param("fail_on", int, -1),
              Param("mode", str, "a", choices=("a", "b")), Param("scale", float, 1.0, min=0.0))
    smoke_params = {"n": 3}

    def samples(self, ctx):
        for i in range(ctx.params["n"]):
            yield Sample(id=f"s{i}", inputs={"x": i})

    def run_sample(self, sample, ctx):
        x = sample.inputs["x"]
        if x == ctx.params["fail_on"]:
            raise RuntimeError(f"boom on {x}")
        noise = random.random() + float(np.random.rand())
        return {"y": x * x, "noise": noise * ctx.params["scale"]}

    def score(self, sample, outputs, ctx):
        return {"correct": float(outputs["y"] == sample.inputs["x"] ** 2), "noise": outputs["noise"]}


@register
class ToyAgent(Benchmark):
    """An async benchmark: episodes are coroutines run concurrently."""

    name = "toy-agent"
    description = "test-only async benchmark"
    params = (Param("n", int, 5, min=1),)
    uses_model = True

    def samples(self, ctx):
        for i in range(ctx.params["n"]):
            yield Sample(id=f"e{i}", inputs={"x": i})

    in_flight = 0
    max_in_flight = 0

    async def arun_sample(self, sample, ctx):
        import asyncio
        cls = type(self)
        cls.in_flight += 1
        cls.max_in_flight = max(cls.max_in_flight, cls.in_flight)
        await asyncio.sleep(0.01)
        cls.in_flight -= 1
        return {"y": sample.inputs["x"] + 1, "transcript": [{"role": "user", "content": str(sample.inputs["x"])}]}

    def score(self, sample, outputs, ctx):
        return {"correct": float(outputs["y"] == sample.inputs["x"] + 1)}


def _shape(value: str) -> None:
    rows, sep, cols = value.partition("x")
    if not (sep and rows.isdigit() and cols.isdigit()):
        raise ValueError("expected ROWSxCOLS, e.g. 3x4")


@register
class ToyChecked(Benchmark):
    """Bad input found at three moments: a parameter's own check, the check hook, and setup."""

    name = "toy-checked"
    description = "test-only benchmark with early checks"
    params = (Param("shape", str, "2x2", check=_shape), Param("data", str, "present"),
              Param("setup_fails", bool, False))
    #: Sample index whose run raises KeyboardInterrupt (a class attribute: not part of the run's identity).
    interrupt_on = -1

    def check(self, ctx):
        from evaluation.harness.errors import DataNotFoundError

        if ctx.params["data"] != "present":
            raise DataNotFoundError(f"toy data '{ctx.params['data']}' not found; fetch it with `nesy data fetch toy`")

    def setup(self, ctx):
        ctx.artifacts  # noqa: B018  (creates the folder, as real benchmarks do before failing)
        if ctx.params["setup_fails"]:
            raise FileNotFoundError("the toy setup could not find its file")

    def samples(self, ctx):
        rows, _, cols = ctx.params["shape"].partition("x")
        for i in range(int(rows) * int(cols)):
            yield Sample(id=f"c{i}", inputs={"i": i})

    def run_sample(self, sample, ctx):
        if sample.inputs["i"] == type(self).interrupt_on:
            raise KeyboardInterrupt
        return {"i": sample.inputs["i"]}

    def score(self, sample, outputs, ctx):
        return {"one": 1.0}
