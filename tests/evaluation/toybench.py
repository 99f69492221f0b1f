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
