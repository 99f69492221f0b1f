"""Benchmark ``visual-sudoku``: Π-NeSy classifies MNIST Sudoku puzzles as valid or invalid.

Puzzles are generated as ViSudo-PC does (:mod:`evaluation.worlds.sudoku.puzzles`; 100 + 100 training, 50 + 50
validation and test puzzles, corruption chance 0.5, 10 seeded splits). The digit CNN is the shared
MNIST CNN of ``mnist-add`` (trained on digit labels, cached); its probabilities over the digits
0..size−1 (renormalized) feed the pairwise-difference rule base. Each sample is one split: the rule
parameters are learned on its training puzzles (threshold search on its validation puzzles) and it is
scored on its test puzzles (accuracy, ambiguous rate, ROC-AUC of π(valid) − π(invalid)).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from evaluation.harness.benchmark import Benchmark, RunContext, Sample, register
from evaluation.harness.params import Param
from evaluation.worlds.digits import RECIPES, default_epochs, digit_probabilities
from evaluation.worlds.sudoku.puzzles import PuzzleSet, make_split
from perception.datasets import load_mnist
from symbolic.possibilistic.rulebases.sudoku import FAMILIES, SudokuCascade
from symbolic.possibilistic.transforms import TRANSFORMS


def _cell_probs(probs: np.ndarray, puzzles: PuzzleSet, size: int) -> np.ndarray:
    p = probs[puzzles.images][..., :size]
    return p / p.sum(-1, keepdims=True)


@register
class VisualSudoku(Benchmark):
    """ViSudo-PC-style puzzle classification with the Π-NeSy rule base."""

    name = "visual-sudoku"
    description = "Π-NeSy on visual Sudoku puzzle classification (ViSudo-PC style, 4×4 or 9×9, 10 splits)."
    params = (
        Param("size", int, 4, "puzzle size", choices=(4, 9)),
        Param("transform", str, "antipignistic", "probability→possibility transform", choices=TRANSFORMS),
        Param("splits", int, 10, "number of seeded splits (samples)", min=1, max=10),
        Param("train_puzzles", int, 100, "valid and as many invalid training puzzles", min=1, max=1000),
        Param("eval_puzzles", int, 50, "valid and as many invalid validation / test puzzles", min=1, max=1000),
        Param("corruption_chance", float, 0.5, "chance of each further corruption", min=0.0, max=1.0),
        Param("arch", str, "pinesy", "digit CNN", choices=tuple(RECIPES)),
        Param("cnn_epochs", int, 0, "digit CNN epochs (0: the arch's recipe, 3 or 10; cached)", min=0, max=100),
        Param("cnn_train_images", int, 50000, "training images of the CNN", min=100, max=50000),
        Param("learn", bool, True, "learn the rule parameters (false: certain rules)"),
        Param("search", bool, True, "greedy threshold search on the validation puzzles"),
    )
    smoke_params = {"size": 4, "splits": 1, "train_puzzles": 20, "eval_puzzles": 10, "arch": "lenet5",
                    "cnn_epochs": 1, "cnn_train_images": 5000}
    smoke_limit = 1
    parallel = False

    def setup(self, ctx: RunContext) -> None:
        p = ctx.params
        self.data = load_mnist()
        n_img = p["cnn_train_images"]
        self.probs = digit_probabilities(p["arch"], p["cnn_epochs"] or default_epochs(p["arch"]),
                                         None if n_img >= 50000 else n_img, seed=ctx.seed, splits=self.data)
        ctx.extra.update(cnn_key=self.probs.key, cnn_accuracy=self.probs.accuracy, cnn_cached=self.probs.cached)

    def samples(self, ctx: RunContext):
        for split in range(ctx.params["splits"]):
            yield Sample(id=f"split-{split}", inputs={"split": split, "size": ctx.params["size"]})

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        from sklearn.metrics import roc_auc_score

        p = ctx.params
        size = p["size"]
        sets = make_split(self.data, size, sample.inputs["split"], p["corruption_chance"], p["train_puzzles"],
                          p["eval_puzzles"])
        tr, va, te = sets["train"], sets["valid"], sets["test"]
        model = SudokuCascade(size, transform=p["transform"], learn=p["learn"], search=p["search"])
        model.fit(_cell_probs(self.probs.train, tr, size), tr.valid, _cell_probs(self.probs.valid, va, size),
                  va.valid, cells=tr.cells)
        x_test = _cell_probs(self.probs.test, te, size)
        t0 = time.perf_counter()
        pred, amb = model.predict(x_test, return_ambiguous=True)
        infer_s = time.perf_counter() - t0
        scores = model.decision_function(x_test)
        labels = te.valid
        correct = (pred == labels) & ~amb
        cells_right = (self.probs.test[te.images][..., :size].argmax(-1) == te.cells).reshape(len(te), -1).all(1)
        pair_kept = [model.n_kept_.get(name, 0) for name in model.rule_sets_ if name != "c"]
        return {"n": len(te), "correct": int(correct.sum()), "ambiguous": int(amb.sum()),
                "roc_auc": float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan"),
                "all_cells_right": int(cells_right.sum()), "learn_s": model.learn_seconds_, "infer_s": infer_s,
                "valid_accuracy": model.valid_accuracy_,
                "thresholds": model.thresholds_ or dict.fromkeys(FAMILIES, 0.0),
                "kept_pairs_min": min(pair_kept), "kept_pairs_max": max(pair_kept),
                "kept_validity": model.n_kept_.get("c", 0)}

    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        return {"accuracy": outputs["correct"] / outputs["n"], "roc_auc": outputs["roc_auc"],
                "ambiguous_rate": outputs["ambiguous"] / outputs["n"],
                "learn_seconds": outputs["learn_s"],
                "infer_ms_per_puzzle": 1000 * outputs["infer_s"] / outputs["n"]}



