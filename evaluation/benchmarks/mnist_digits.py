"""Benchmark ``mnist-digits``: train a digit CNN on MNIST and score it on the test set."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from evaluation.harness.benchmark import Benchmark, RunContext, Sample, register
from evaluation.harness.params import Param
from evaluation.harness.plotting import pyplot, save_figure
from perception.cnn import ARCHITECTURES, build_cnn, count_parameters
from perception.datasets import load_mnist
from perception.training import predict_logits, train_classifier

CHUNK = 1000  # test images per sample: fine enough to resume, coarse enough to time throughput


@register
class MnistDigits(Benchmark):
    """Trains LeNet-5 or the Π-NeSy CNN; each sample scores one chunk of the 10k test images."""

    name = "mnist-digits"
    description = "Train a digit CNN on MNIST (50k/10k/10k) and measure test accuracy and throughput."
    params = (
        Param("arch", str, "lenet5", "CNN architecture", choices=tuple(ARCHITECTURES)),
        Param("epochs", int, 5, "maximum training epochs", min=1, max=200),
        Param("batch_size", int, 128, "training batch size", min=1, max=65536),
        Param("lr", float, 1e-3, "Adam learning rate", min=1e-6, max=1.0),
        Param("patience", int, 2, "early stopping patience (epochs without validation gain)", min=1),
        Param("train_size", int, 50000, "training images used (first N of the 50k split)", min=100, max=50000),
    )
    smoke_params = {"epochs": 1, "train_size": 5000, "batch_size": 32}
    default_threads = 1  # small CNNs: a second torch thread slows training on a busy machine
    smoke_limit = 3

    def setup(self, ctx: RunContext) -> None:
        p = ctx.params
        data = load_mnist()
        self.test_x, self.test_y = data.test
        xtr, ytr = data.train
        torch.manual_seed(ctx.seed)  # initial weights depend on the run seed only
        self.model = build_cnn(p["arch"])
        result = train_classifier(self.model, (xtr[:p["train_size"]], ytr[:p["train_size"]]), data.valid,
                                  epochs=p["epochs"], batch_size=p["batch_size"], lr=p["lr"], seed=ctx.seed,
                                  patience=p["patience"], checkpoint=ctx.artifacts / "model.pt",
                                  device=torch.device("cpu"))
        self.model.eval()
        ctx.extra.update({
            "train_seconds": sum(h["seconds"] for h in result.history),
            "best_epoch": result.best_epoch, "valid_accuracy": result.best_valid_accuracy,
            "parameters": count_parameters(self.model), "history": result.history,
        })

    def samples(self, ctx: RunContext):
        for start in range(0, len(self.test_y), CHUNK):
            yield Sample(id=f"test-{start:05d}", inputs={"start": start, "stop": min(start + CHUNK, len(self.test_y))})

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        a, b = sample.inputs["start"], sample.inputs["stop"]
        t0 = time.perf_counter()
        pred = predict_logits(self.model, self.test_x[a:b], batch_size=500).argmax(1).numpy()
        seconds = time.perf_counter() - t0
        return {"correct": int((pred == self.test_y[a:b]).sum()), "n": b - a, "infer_s": seconds,
                "errors": [int(a + i) for i in np.flatnonzero(pred != self.test_y[a:b])]}

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        return {"accuracy": outputs["correct"] / outputs["n"]}

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        metrics = super().aggregate(records, ctx)
        n = sum(r["outputs"]["n"] for r in records)
        metrics["accuracy"] = sum(r["outputs"]["correct"] for r in records) / n  # exact, chunks may differ in size
        metrics["images_per_second"] = n / sum(r["outputs"]["infer_s"] for r in records)
        metrics["train_seconds"] = ctx.extra.get("train_seconds")
        metrics["parameters"] = ctx.extra.get("parameters")
        metrics["valid_accuracy"] = ctx.extra.get("valid_accuracy")
        metrics["test_images"] = n
        return metrics

    def finalize(self, results: dict[str, Any], records: list[dict[str, Any]], ctx: RunContext) -> None:
        plt = pyplot()

        history = ctx.extra.get("history") or []
        if not history:
            return
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.plot([h["epoch"] for h in history], [h["valid_accuracy"] for h in history], marker="o")
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy")
        ax.set_title(f"{ctx.params['arch']} on MNIST")
        save_figure(fig, ctx.artifacts / "training-curve.png", dpi=90)
