"""Each benchmark without a test of its own runs its smoke case end to end through the harness.

Assertions check values a bug can change (recomputed by hand from the samples, or from synthetic
records through ``score``/``aggregate``), not only that a key exists or is positive.
"""

import json
import statistics

import numpy as np
import pytest

from evaluation.benchmarks.shift_abduction import MODEL_NAMES, ShiftAbduction, scores
from evaluation.harness import registry
from evaluation.harness.benchmark import RunContext, Sample
from evaluation.harness.params import resolve_params
from evaluation.harness.runner import run_benchmark


def run_smoke(name, out):
    """The benchmark's class and the result of its smoke case, run into ``out``."""
    cls = registry.get(name)
    return cls, run_benchmark(name, dict(cls.smoke_params), limit=cls.smoke_limit, out=out, progress=False)


def records_of(folder):
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_activation_discovery_smoke_case(tmp_path):
    _, res = run_smoke("activation-discovery", tmp_path)
    m = res["metrics"]
    peer = [r["outputs"] for r in records_of(tmp_path) if r["inputs"]["kind"] == "peer"]
    assert peer and m["gp_peer_pairs"] == len(peer)
    # the speed-up is the median of per-pair ratios of median times, and the fitness is like with like
    assert m["gp_speedup_vs_gplearn"] == pytest.approx(statistics.median(o["gplearn_s"] / o["ours_s"] for o in peer))
    assert m["gp_fitness_gplearn"] == pytest.approx(np.mean([o["gplearn_best_any_generation"] for o in peer]))
    for o in peer:
        # our log loss of gplearn's best program is gplearn's own figure: the two fitnesses are one function
        assert o["gplearn_fitness_recomputed"] == pytest.approx(o["gplearn_fitness"], rel=1e-9)
        # best-ever can never be worse than the last generation's best
        assert o["ours_fitness"] <= o["ours_final_generation_fitness"] + 1e-12
        assert o["gplearn_fitness"] <= o["gplearn_final_generation_fitness"] + 1e-12
        assert len(o["orders"]) == len(o["ours_times"]) == len(o["gplearn_times"])
    assert m["n_dropped_nonfinite"] == 0 and res["complete"] is True
    assert list((tmp_path / "artifacts").glob("*.png"))


def test_activation_discovery_order_alternates_and_dropped_seeds_mark_the_run_incomplete(tmp_path):
    cls = registry.get("activation-discovery")
    params = resolve_params("activation-discovery", cls.params, {"peer_repeats": 4})
    ctx = RunContext(benchmark="activation-discovery", params=params, seed=0, run_dir=tmp_path)
    bench = cls()
    peer = {"inputs": {"kind": "peer", "dataset": "t", "gp_seed": 0}, "outputs": {
        "ours_s": 1.0, "gplearn_s": 4.0, "speedup": 4.0, "ours_fitness": 0.3, "gplearn_fitness": 0.4,
        "ours_final_generation_fitness": 0.35, "gplearn_final_generation_fitness": 0.3,
        "ours_test_logloss": 0.5, "gplearn_test_logloss": 0.6, "ours_times": [1.0, 1.0, 1.0, 1.0],
        "gplearn_times": [2.0, 6.0, 2.0, 6.0], "orders": ["ours-first", "gplearn-first"] * 2,
        "ours_curve": [0.3], "gplearn_curve": [0.4]}}
    dropped = {"id": "train/t/heavy/seed1", "inputs": {"kind": "train", "dataset": "t", "model": "heavy"},
               "outputs": {"skipped": "loss is nan", "dropped": "non-finite training"}}
    m = bench.aggregate([peer, dropped], ctx)
    assert m["gp_speedup_ours_first"] == 2.0 and m["gp_speedup_gplearn_first"] == 6.0
    assert m["gp_fitness_ours_le_gplearn_rate"] == 1.0 and m["gp_final_fitness_ours_le_gplearn_rate"] == 0.0
    assert m["n_dropped_nonfinite"] == 1 and ctx.extra["dropped_nonfinite"] == ["train/t/heavy/seed1"]
    results = {"metrics": m, "complete": True}
    bench.finalize(results, [peer, dropped], ctx)
    assert results["complete"] is False and results["n_dropped_nonfinite"] == 1


@pytest.mark.slow
def test_possibilistic_kernels_smoke_case(tmp_path):
    _, res = run_smoke("possibilistic-kernels", tmp_path)
    m = res["metrics"]
    assert m["all_agree"] == 1.0  # every batched kernel equals the NumPy loop on the same systems
    assert m["nabla_big_seconds"] > 0 and m["nabla_literal_over_fast"] > 1


def test_shift_scores_count_an_abstention_as_a_wrong_extra_class():
    y, pred = np.array([0, 1, 1]), np.array([0, 1, -1])
    s = scores(y, pred, 2)
    assert s["acc"] == pytest.approx(2 / 3) and s["coverage"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx((1 + 2 / 3) / 2)            # the paper's: no false positive
    assert s["f1_strict"] == pytest.approx((1 + 2 / 3 + 0) / 3)  # abstention: a class with F1 0
    full = scores(y, np.array([0, 1, 0]), 2)
    assert full["f1"] == full["f1_strict"] and full["coverage"] == 1.0


def _synthetic_shift_record(i, f1s, accs, abd, stacker, valid_single):
    """One test set's record: single models' (f1, acc), abduction's (f1, acc, coverage), baselines'."""
    methods = {f"single.{n}": {"f1": f, "f1_strict": f, "acc": a, "coverage": 1.0}
               for n, f, a in zip(MODEL_NAMES, f1s, accs, strict=True)}
    f, a, cov = abd
    methods["abduction.ip-highs"] = {"f1": f, "f1_strict": f * 0.9, "acc": a, "coverage": cov}
    methods["stacker"] = {"f1": stacker[0], "f1_strict": stacker[0], "acc": stacker[1], "coverage": 1.0}
    methods["valid_single"] = {"f1": valid_single[0], "f1_strict": valid_single[0], "acc": valid_single[1],
                               "coverage": 1.0}
    return {"id": f"test/{i:02d}", "inputs": {"kind": "test"},
            "outputs": {"methods": methods, "shift": f"s{i}", "abduction": {}, "theta_sweep": {},
                        "exact_agree_checks": 3, "exact_agree_n": 3 - i}}


def test_shift_gains_by_hand_from_synthetic_records(tmp_path):
    params = resolve_params("shift-abduction", ShiftAbduction.params, {"solvers": "ip-highs"})
    ctx = RunContext(benchmark="shift-abduction", params=params, seed=0, run_dir=tmp_path)
    bench = ShiftAbduction()
    recs = [_synthetic_shift_record(0, [0.5, 0.6, 0.4, 0.4, 0.4, 0.4], [0.5, 0.5, 0.7, 0.4, 0.4, 0.4],
                                    (0.66, 0.77, 0.9), stacker=(0.72, 0.70), valid_single=(0.6, 0.5)),
            _synthetic_shift_record(1, [0.8] * 6, [0.8] * 6, (0.8, 0.88, 1.0), stacker=(0.7, 0.8),
                                    valid_single=(0.5, 0.5))]
    for r in recs:
        r["score"] = bench.score(Sample(r["id"], r["inputs"]), r["outputs"], ctx)
    m = bench.aggregate(recs, ctx)
    # test set 0: best single F1 0.6, acc 0.7; best label-using F1 0.72 (stacker), acc 0.70
    # test set 1: best single 0.8 / 0.8; best label-using F1 0.7 (stacker), acc 0.8
    assert m["headline_solver"] == "ip-highs"
    assert m["f1_gain_vs_best_single"] == pytest.approx(((0.66 - 0.6) / 0.6 + 0) / 2)
    assert m["accuracy_gain_vs_best_single"] == pytest.approx(((0.77 - 0.7) / 0.7 + (0.88 - 0.8) / 0.8) / 2)
    assert m["f1_gain_vs_best_label_baseline"] == pytest.approx(((0.66 - 0.72) / 0.72 + (0.8 - 0.7) / 0.7) / 2)
    assert m["accuracy_gain_vs_best_label_baseline"] == pytest.approx(((0.77 - 0.7) / 0.7 + (0.88 - 0.8) / 0.8) / 2)
    assert m["f1_strict_gain_vs_best_single"] == pytest.approx(((0.594 - 0.6) / 0.6 + (0.72 - 0.8) / 0.8) / 2)
    assert m["coverage"] == pytest.approx(0.95)
    assert m["test_sets_f1_above_best_label_baseline"] == 1 and m["n_test_sets"] == 2
    # exact agreement: 6 instances where >= 2 exact solvers proved optimality, 3 + 2 of them agree
    assert m["exact_agreement_checks"] == 6 and m["exact_solvers_agree"] == pytest.approx(5 / 6)
    gains = bench.tables(recs, ctx)["gains"]
    assert [g["test_set"] for g in gains] == ["test/00", "test/01", "mean"]
    assert gains[-1]["f1_vs_best_label"] == pytest.approx(m["f1_gain_vs_best_label_baseline"])
    assert gains[0]["stacker_f1_vs_best_single"] == pytest.approx((0.72 - 0.6) / 0.6)


@pytest.mark.slow
def test_shift_abduction_smoke_case(tmp_path):
    cls, res = run_smoke("shift-abduction", tmp_path)
    m = res["metrics"]
    rows = res["per_test_set"]
    assert len(rows) == cls.smoke_params["n_test_sets"]
    head = m["headline_solver"]
    gains = res["gains"]
    for row, g in zip(rows, gains, strict=False):
        # every gain is recomputed from the table's own F1 / accuracy
        assert g["f1_vs_best_single"] == pytest.approx((row[f"abduction.{head}.f1"] - row["best_single.f1"])
                                                       / row["best_single.f1"], abs=1e-3)
        best_label = max(row["stacker.f1"], row["valid_single.f1"])
        assert row["best_label.f1"] == pytest.approx(best_label, abs=1e-4)
        assert g["f1_vs_best_label"] == pytest.approx((row[f"abduction.{head}.f1"] - best_label) / best_label,
                                                      abs=1e-3)
        assert row[f"abduction.{head}.f1_strict"] <= row[f"abduction.{head}.f1"] + 1e-9
        assert 0.0 <= row[f"abduction.{head}.coverage"] <= 1.0 and row["stacker.coverage"] == 1.0
    assert m["f1_gain_vs_best_single"] == pytest.approx(gains[-1]["f1_vs_best_single"])
    assert m["exact_agreement_checks"] > 0 and m["exact_solvers_agree"] == 1.0
    assert list((tmp_path / "artifacts").glob("*.png"))


@pytest.mark.slow
def test_mnist_add_smoke_case(tmp_path):
    _, res = run_smoke("mnist-add", tmp_path)
    m = res["metrics"]
    recs = records_of(tmp_path)
    n = sum(r["outputs"]["n"] for r in recs)
    assert m["test_examples"] == n == res["params"]["max_test"]
    assert m["accuracy"] == pytest.approx(sum(r["outputs"]["correct"] for r in recs) / n)
    # a faithful engine predicts the sum of the CNN's arg-max digits on every example
    assert m["agreement_with_all_digits_right"] == 1.0
    assert m["accuracy"] >= m["all_digits_right_rate"] - 1e-12


@pytest.mark.slow
def test_visual_sudoku_smoke_case(tmp_path):
    _, res = run_smoke("visual-sudoku", tmp_path)
    m = res["metrics"]
    [rec] = records_of(tmp_path)
    o = rec["outputs"]
    assert o["n"] == res["params"]["eval_puzzles"] or o["n"] > 0
    assert m["accuracy"] == pytest.approx(o["correct"] / o["n"])
    assert m["ambiguous_rate"] == pytest.approx(o["ambiguous"] / o["n"])
    assert 0.0 <= m["accuracy"] <= 1.0 and (np.isnan(m["roc_auc"]) or 0.0 <= m["roc_auc"] <= 1.0)
