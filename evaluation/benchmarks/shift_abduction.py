"""Benchmark ``shift-abduction``: consistency-based abduction over six condition-specific classifiers.

The experimental design of Leiva et al. (2025) on real images instead of MDS-A (not obtainable here):

- six two-head classifiers (fine + coarse label), each trained on one condition of Fashion-MNIST
  (``dataset=mnist`` for MNIST): clean, noise, blur, fog, snow, elastic (severities 2-3);
- 15 shifted test sets (single conditions at severity 4-5, an unseen corruption, compositions,
  mixtures), none identical to a training condition; each shift is applied to validation images
  (rules: 2/3, θ selection: 1/3) and to test images;
- per test set: EDCR rules learned per model and head (DetRuleLearn) on 2/3 of the validation
  images, over conditions from all models' fine/coarse predictions, fine-coarse incoherence,
  confidence bands, agreement counts and image-statistic bands; the recall budget ε and then θ
  (per solver) are chosen on the other third by the mean of accuracy and macro-F1; tie-break
  weights are the held-out precision of each prediction's cell (source, flagged, label, confidence
  band). Then test accuracy and macro-F1 (abstentions count as errors) of each
  single model, majority vote, confidence-weighted vote, each model filtered by its rules, and
  abduction with ``ip-cbc``, ``ip-highs``, ``asp`` and ``heuristic``; a θ sweep on test;
- a scaling study: instances bootstrapped from real predictions, models x samples vs solve time,
  for the presolved exact solvers, the direct atom-level models (small sizes) and the heuristic.

Samples: ``test/NN-<shift>`` (one per test set) then ``scale/M<m>-N<n>``. Trained classifiers are
cached under ``$NESY_CACHE_DIR`` (default ``~/.cache/nesykit``)/shift_abduction.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from evaluation.harness.benchmark import Benchmark, RunContext, Sample, register
from evaluation.harness.params import Param
from evaluation.harness.plotting import pyplot, save_figure
from evaluation.worlds.shift import MODEL_NAMES, TEST_SHIFTS, ShiftWorld
from perception.shift import ARCHITECTURES, Shift, torch_threads
from symbolic.abduction import AbductionProblem, make_solver
from symbolic.abduction.conditions import (
    HeadPredictions,
    fit_head_rules,
    flag_heads,
    model_conditions,
    quantile_edges,
)
from symbolic.abduction.weights import ReliabilityTable, reliability_weights, two_head_problem

SOLVERS = ("ip-cbc", "ip-highs", "asp", "heuristic")


def scores(y: np.ndarray, pred: np.ndarray, n_classes: int) -> dict[str, float]:
    """Accuracy and macro-F1; a prediction of -1 (abstention) is an error and no false positive."""
    return {"acc": float(np.mean(pred == y)),
            "f1": float(f1_score(y, pred, labels=list(range(n_classes)), average="macro", zero_division=0))}


def _criterion(sc: dict[str, float]) -> float:
    """Model-selection score on validation (θ and ε): the mean of accuracy and macro-F1."""
    return 0.5 * (sc["acc"] + sc["f1"])


@register
class ShiftAbduction(Benchmark):
    """Six condition-specific classifiers, 15 shifted test sets, abduction with four solvers, scaling."""

    name = "shift-abduction"
    description = ("Consistency-based abduction (EDCR rules + IP/ASP/heuristic) over six classifiers trained "
                   "on different corruptions, on 15 shifted Fashion-MNIST/MNIST test sets; plus solver scaling.")
    params = (
        Param("dataset", str, "fashion", "image data set", choices=("fashion", "mnist")),
        Param("arch", str, "mlp", "classifier architecture", choices=ARCHITECTURES),
        Param("train_size", int, 10000, "training images per classifier", min=200, max=50000),
        Param("epochs", int, 3, "training epochs per classifier", min=1, max=100),
        Param("lr", float, 2e-3, "Adam learning rate", min=1e-5, max=1.0),
        Param("valid_size", int, 3000, "validation images per test set (2/3 rules, 1/3 theta)", min=150, max=10000),
        Param("test_size", int, 5000, "test images per test set", min=50, max=10000),
        Param("n_test_sets", int, 15, "number of test sets (the first n of 15)", min=1, max=15),
        Param("epsilons", float, [0.05, 0.1, 0.2, 0.4, 0.7, 1.0], "EDCR recall budgets tried (chosen on validation)",
              min=0.0, max=1.0, multiple=True),
        Param("weights", str, "logodds", "tie-break weights from the held-out precision p of the prediction's cell "
              "(source, flagged, label, confidence band): 'logodds' = max(0, log((K-1)p/(1-p))) scaled to [0, 1] "
              "(optimal weighted plurality for independent experts), 'reliability' = p, or the raw 'confidence'",
              choices=("logodds", "reliability", "confidence")),
        Param("thetas", float, [0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0], "theta grid", min=0.0, max=1.0,
              multiple=True),
        Param("solvers", str, list(SOLVERS), "abduction solvers", choices=SOLVERS, multiple=True),
        Param("time_limit", float, 20.0, "seconds per exact solve of a test instance", min=0.1),
        Param("select_time_limit", float, 3.0, "seconds per exact solve while choosing theta on validation and "
              "in the theta sweep", min=0.1),
        Param("scaling_time_limit", float, 60.0, "seconds per exact solve in the scaling study", min=0.1),
        Param("scaling_models", int, [2, 4, 6], "models in the scaling study", min=1, max=6, multiple=True),
        Param("scaling_samples", int, [1000, 4000, 16000, 64000], "samples in the scaling study", min=10,
              multiple=True),
        Param("direct_max_samples", int, 1000, "largest scaling size also solved with the direct atom models",
              min=0),
        Param("scaling_theta", float, 0.1, "theta of the scaling instances", min=0.0, max=1.0),
        Param("threads", int, 1, "torch threads for training and inference (1 is fastest on a busy CPU)", min=1),
    )
    smoke_params = {"train_size": 1500, "epochs": 2, "valid_size": 600, "test_size": 400, "n_test_sets": 2,
                    "thetas": "0,0.1,0.3", "epsilons": "0.1,0.4", "select_time_limit": 2.0,
                    "time_limit": 10.0, "scaling_time_limit": 10.0, "scaling_models": "2,6",
                    "scaling_samples": "200,800", "direct_max_samples": 200}
    parallel = False

    # ------------------------------------------------------------------ setup: the world
    def setup(self, ctx: RunContext) -> None:
        with torch_threads(ctx.params["threads"]):
            self.world = ShiftWorld.from_params(ctx.params, ctx.seed)
            ctx.extra["setup_seconds"] = self.world.load()
            ctx.extra["classifiers"] = self.world.info
        self._pool: tuple[HeadPredictions, dict[str, np.ndarray], ReliabilityTable | None] | None = None

    # ------------------------------------------------------------------ samples
    def samples(self, ctx: RunContext):
        p = ctx.params
        for i, shift in enumerate(TEST_SHIFTS[:p["n_test_sets"]]):
            yield Sample(id=f"test/{i:02d}", inputs={"kind": "test", "index": i, "shift": shift})
        for m in sorted(set(p["scaling_models"])):
            for n in sorted(set(p["scaling_samples"])):
                yield Sample(id=f"scale/M{m}-N{n}", inputs={"kind": "scale", "models": m, "samples": n})

    def run_sample(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        with torch_threads(ctx.params["threads"]):
            if sample.inputs["kind"] == "test":
                return self._run_test(sample, ctx)
            return self._run_scale(sample, ctx)

    # ------------------------------------------------------------------ engine calls
    def _fit_rules(self, preds: HeadPredictions, eps: float, edges: dict[str, np.ndarray]) -> dict[str, Any]:
        w = self.world
        return fit_head_rules(preds, eps, edges, w.fine_names, w.coarse_names)

    def _flags(self, preds: HeadPredictions, rules: dict[str, Any], edges: dict[str, np.ndarray],
               n_models: int) -> dict[str, np.ndarray]:
        w = self.world
        return flag_heads(preds, rules, edges, w.fine_names, w.coarse_names, n_models)

    def _reliability(self, preds: HeadPredictions, flags: dict[str, np.ndarray], kind: str) -> ReliabilityTable:
        w = self.world
        return reliability_weights(preds, flags, len(w.fine_names), len(w.coarse_names), kind)

    def _problem(self, preds: HeadPredictions, flags: dict[str, np.ndarray], theta: float, n_models: int,
                 reliability: ReliabilityTable | None = None) -> AbductionProblem:
        w = self.world
        return two_head_problem(preds, flags, w.constraints, w.fine_names, theta, n_models, reliability)

    # ------------------------------------------------------------------ one test set
    def _run_test(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        p = ctx.params
        shift = Shift.parse(sample.inputs["shift"])
        seed = ctx.sample_seed(sample.id)
        w = self.world
        nf = len(w.fine_names)
        t0 = time.perf_counter()
        valid, test = w.test_set(shift, seed, p["valid_size"], p["test_size"])
        n_rule = (2 * len(valid)) // 3
        v_rule, v_theta = valid.take(np.arange(n_rule)), valid.take(np.arange(n_rule, len(valid)))
        predict_seconds = time.perf_counter() - t0
        edges = quantile_edges(v_rule.stats)
        thetas = sorted(set(p["thetas"]))
        # epsilon chosen on the held-out third with the heuristic (its best theta), then fixed for all solvers
        eps_scores = {}
        fitted = {}
        for eps in sorted(set(p["epsilons"])):
            rules = self._fit_rules(v_rule, eps, edges)
            flags_rule = self._flags(v_rule, rules, edges, 6)
            flags_theta = self._flags(v_theta, rules, edges, 6)
            rel = self._reliability(v_rule, flags_rule, p["weights"]) if p["weights"] != "confidence" else None
            prob = self._problem(v_theta, flags_theta, thetas[0], 6, rel)
            heur = make_solver("heuristic")
            eps_scores[eps] = max(_criterion(scores(v_theta.y, prob.decide(heur.solve(prob.with_theta(th)).chosen), nf))
                                  for th in thetas)
            fitted[eps] = (rules, flags_theta, rel)
        eps = max(eps_scores, key=lambda e: (round(eps_scores[e], 6), -e))
        rules, flags_theta, rel = fitted[eps]
        flags_test = self._flags(test, rules, edges, 6)
        out: dict[str, Any] = {"shift": shift.text, "n_valid": len(valid), "n_test": len(test),
                               "predict_seconds": predict_seconds, "epsilon": eps,
                               "epsilon_valid_f1": eps_scores}
        # baselines
        methods: dict[str, dict[str, float]] = {}
        for k, name in enumerate(MODEL_NAMES):
            methods[f"single.{name}"] = scores(test.y, test.fine[k], nf)
            filt = np.where(flags_test[f"{name}.fine"], -1, test.fine[k])
            methods[f"filtered.{name}"] = scores(test.y, filt, nf)
        fine = np.stack(test.fine, 1)
        votes = np.zeros((len(test), nf))
        np.add.at(votes, (np.repeat(np.arange(len(test)), 6), fine.ravel()), 1.0)
        votes += 1e-3 * np.sum(test.pf, axis=0)                     # ties: summed confidence
        methods["majority"] = scores(test.y, votes.argmax(1), nf)
        methods["weighted"] = scores(test.y, np.sum(test.pf, axis=0).argmax(1), nf)
        # rule quality on test (error detection)
        rule_quality = {}
        shared, agree = test.conditions(w.fine_names, w.coarse_names, edges)
        for k, name in enumerate(MODEL_NAMES):
            conds = model_conditions(test, k, shared, agree)
            rep = rules[f"{name}.fine"].report(test.fine[k], test.y, conds)
            rule_quality[name] = {k2: rep[k2] for k2 in ("precision", "recall", "recall_loss")}
        out["rule_quality"] = rule_quality
        out["rule_conditions"] = {k: sum(len(v) for v in r.rules.values()) for k, r in rules.items()}
        # abduction: theta on validation (per solver), then test
        base_theta = self._problem(v_theta, flags_theta, thetas[0], 6, rel)
        base_test = self._problem(test, flags_test, thetas[0], 6, rel)
        abduction, sweep = {}, {}
        for solver_name in p["solvers"]:
            exact = solver_name != "heuristic"
            selector = make_solver(solver_name, **({"time_limit": p["select_time_limit"]} if exact else {}))
            solver = make_solver(solver_name, **({"time_limit": p["time_limit"]} if exact else {}))
            val_f1 = {}
            select_times = []
            for th in thetas:
                res = selector.solve(base_theta.with_theta(th))
                select_times.append(res.solve_time)
                dec = base_theta.decide(res.chosen) if res.feasible else np.full(len(v_theta), -1)
                val_f1[th] = _criterion(scores(v_theta.y, dec, nf))
            best_theta = max(thetas, key=lambda th: (round(val_f1[th], 6), -th))
            res = solver.solve(base_test.with_theta(best_theta))
            dec = base_test.decide(res.chosen) if res.feasible else np.full(len(test), -1)
            sc = scores(test.y, dec, nf)
            methods[f"abduction.{solver_name}"] = sc
            abduction[solver_name] = {
                "theta": best_theta, "valid_criterion": val_f1[best_theta], "status": res.status,
                "optimal": res.optimal,
                "objective": res.objective, "secondary": res.secondary, "solve_time": res.solve_time,
                "coverage": res.objective / len(test) if res.objective is not None else None,
                "inconsistency_rate": res.inconsistency_rate,
                "decision_samples": res.stats.get("decision_samples"),
                "select_seconds_total": float(sum(select_times)), "select_seconds_max": float(max(select_times)),
                **sc}
        # theta sweep on test: every solver on the same instances (this is also the exact-agreement check)
        agree_checks, proven = [], {s: [] for s in p["solvers"]}
        for solver_name in p["solvers"]:
            exact = solver_name != "heuristic"
            solver = make_solver(solver_name, **({"time_limit": p["select_time_limit"]} if exact else {}))
            rows = []
            for th in thetas:
                res = solver.solve(base_test.with_theta(th))
                dec = base_test.decide(res.chosen) if res.feasible else np.full(len(test), -1)
                rows.append({"theta": th, "coverage": (res.objective or 0) / len(test), **scores(test.y, dec, nf),
                             "solve_time": res.solve_time, "objective": res.objective, "secondary": res.secondary,
                             "optimal": res.optimal})
                if exact:
                    proven[solver_name].append(res.optimal)
            sweep[solver_name] = rows
        exact_names = [s for s in p["solvers"] if s != "heuristic"]
        for j in range(len(thetas)):
            vals = {(sweep[s][j]["objective"], sweep[s][j]["secondary"]) for s in exact_names if sweep[s][j]["optimal"]}
            if sum(sweep[s][j]["optimal"] for s in exact_names) >= 2:
                agree_checks.append(len(vals) == 1)
        out["methods"] = methods
        out["abduction"] = abduction
        out["theta_sweep"] = sweep
        out["exact_agree"] = bool(all(agree_checks)) if agree_checks else None
        out["exact_agree_checks"] = len(agree_checks)
        out["proven_rate"] = {s: float(np.mean(v)) for s, v in proven.items() if v}
        out["seconds"] = time.perf_counter() - t0
        return out

    # ------------------------------------------------------------------ scaling
    def _scaling_pool(self, ctx: RunContext):
        if self._pool is None:
            p = ctx.params
            valid, test = self.world.pooled_set(p["n_test_sets"], ctx.seed)
            edges = quantile_edges(valid.stats)
            rules = self._fit_rules(valid, 0.1, edges)
            rel = None if p["weights"] == "confidence" else \
                self._reliability(valid, self._flags(valid, rules, edges, 6), p["weights"])
            self._pool = (test, self._flags(test, rules, edges, 6), rel)
        return self._pool

    def _run_scale(self, sample: Sample, ctx: RunContext) -> dict[str, Any]:
        p = ctx.params
        m, n = sample.inputs["models"], sample.inputs["samples"]
        test, flags, rel = self._scaling_pool(ctx)
        rng = np.random.default_rng(ctx.sample_seed(sample.id))
        idx = rng.integers(0, len(test), n)
        split = test.take(idx)
        fl = {k: v[idx] for k, v in flags.items()}
        problem = self._problem(split, fl, p["scaling_theta"], m, rel)
        runs: dict[str, dict[str, Any]] = {}
        variants = [(s, True) for s in ("ip-cbc", "ip-highs", "asp", "heuristic")]
        if n <= p["direct_max_samples"]:
            variants += [(s, False) for s in ("ip-cbc", "ip-highs", "asp")]
        for solver_name, reduced in variants:
            opts: dict[str, Any] = {}
            if solver_name != "heuristic":
                opts = {"time_limit": p["scaling_time_limit"], "reduced": reduced}
            res = make_solver(solver_name, **opts).solve(problem)
            key = solver_name if reduced else f"{solver_name}-direct"
            runs[key] = {"status": res.status, "optimal": res.optimal, "objective": res.objective,
                         "secondary": res.secondary, "solve_time": res.solve_time,
                         "decision_samples": res.stats.get("decision_samples")}
        exact = [r for k, r in runs.items() if k != "heuristic" and r["optimal"]]
        best = max((r["objective"] for r in exact), default=None)
        h = runs["heuristic"]
        fastest_exact = min((r["solve_time"] for k, r in runs.items() if k != "heuristic" and r["optimal"]),
                            default=None)
        direct = [r["solve_time"] for k, r in runs.items() if k.endswith("-direct")]
        return {"models": m, "samples": n, "atoms": problem.n_atoms, "runs": runs,
                "heuristic_ratio": (h["objective"] / best) if best else None,
                "speedup_vs_fastest_exact": (fastest_exact / h["solve_time"]) if fastest_exact else None,
                "speedup_vs_direct": (min(direct) / h["solve_time"]) if direct else None,
                "exact_agree": len({(r["objective"], r["secondary"]) for r in exact}) <= 1}

    # ------------------------------------------------------------------ scoring and reports
    def score(self, sample: Sample, outputs: dict[str, Any], ctx: RunContext) -> dict[str, float]:
        if sample.inputs["kind"] != "test":
            out = {}
            if outputs.get("heuristic_ratio") is not None:
                out["scale_heuristic_ratio"] = outputs["heuristic_ratio"]
            return out
        methods = outputs["methods"]
        best_single = max(methods[f"single.{n}"]["f1"] for n in MODEL_NAMES)
        best_single_acc = max(methods[f"single.{n}"]["acc"] for n in MODEL_NAMES)
        out = {"best_single_f1": best_single, "best_single_acc": best_single_acc}
        for key, sc in methods.items():
            if key.startswith(("abduction.", "majority", "weighted")):
                tag = key.replace("abduction.", "abd_").replace("-", "_")
                out[f"{tag}_f1"] = sc["f1"]
                out[f"{tag}_acc"] = sc["acc"]
                out[f"{tag}_f1_gain"] = (sc["f1"] - best_single) / best_single
                out[f"{tag}_acc_gain"] = (sc["acc"] - best_single_acc) / best_single_acc
        return out

    def aggregate(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
        metrics = super().aggregate(records, ctx)
        tests = [r for r in records if r["inputs"]["kind"] == "test"]
        gains = {}
        for solver in ctx.params["solvers"]:
            tag = f"abd_{solver.replace('-', '_')}"
            f1g = [r["score"][f"{tag}_f1_gain"] for r in tests if f"{tag}_f1_gain" in r["score"]]
            accg = [r["score"][f"{tag}_acc_gain"] for r in tests if f"{tag}_acc_gain" in r["score"]]
            if f1g:
                gains[solver] = (float(np.mean(f1g)), float(np.mean(accg)))
        if gains:
            best = max(gains, key=lambda s: gains[s][0])
            metrics["best_abduction_solver"] = best
            metrics["f1_gain_vs_best_single"] = gains[best][0]
            metrics["accuracy_gain_vs_best_single"] = gains[best][1]
            for s, (f, a) in gains.items():
                metrics[f"f1_gain_{s}"] = f
                metrics[f"accuracy_gain_{s}"] = a
        agree = [r["outputs"].get("exact_agree") for r in records if r["outputs"].get("exact_agree") is not None]
        if agree:
            metrics["exact_solvers_agree"] = float(np.mean(agree))
        metrics["exact_agreement_checks"] = int(sum(r["outputs"].get("exact_agree_checks", 0) for r in tests))
        for solver in ctx.params["solvers"]:
            rates = [r["outputs"]["proven_rate"][solver] for r in tests
                     if solver in r["outputs"].get("proven_rate", {})]
            if rates:
                metrics[f"proven_optimal_rate_{solver}"] = float(np.mean(rates))
        times = {}
        for solver in ctx.params["solvers"]:
            ts = [r["outputs"]["abduction"][solver]["solve_time"] for r in tests if solver in r["outputs"]["abduction"]]
            if ts:
                times[solver] = float(np.median(ts))
                metrics[f"median_test_solve_seconds_{solver}"] = times[solver]
        scale = [r for r in records if r["inputs"]["kind"] == "scale"]
        if scale:
            largest = max(r["outputs"]["atoms"] for r in scale)
            big = [r["outputs"] for r in scale if r["outputs"]["atoms"] == largest]
            metrics["scaling_largest_atoms"] = largest
            ratios = [o["heuristic_ratio"] for o in big if o["heuristic_ratio"] is not None]
            if ratios:
                metrics["scaling_heuristic_ratio_largest"] = float(min(ratios))
            sp = [o["speedup_vs_fastest_exact"] for o in big if o["speedup_vs_fastest_exact"]]
            if sp:
                metrics["scaling_speedup_vs_fastest_exact_largest"] = float(min(sp))
            dsp = [r["outputs"]["speedup_vs_direct"] for r in scale if r["outputs"]["speedup_vs_direct"]]
            if dsp:
                metrics["scaling_speedup_vs_direct_largest_direct"] = float(dsp[-1])
        metrics["setup_seconds"] = ctx.extra.get("setup_seconds")
        return metrics

    def tables(self, records: list[dict[str, Any]], ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
        rows = []
        for r in sorted((r for r in records if r["inputs"]["kind"] == "test"), key=lambda r: r["id"]):
            o = r["outputs"]
            row: dict[str, Any] = {"test_set": r["id"], "shift": o["shift"]}
            for key, sc in o["methods"].items():
                row[f"{key}.acc"] = round(sc["acc"], 4)
                row[f"{key}.f1"] = round(sc["f1"], 4)
            for solver, a in o["abduction"].items():
                row[f"abduction.{solver}.theta"] = a["theta"]
                row[f"abduction.{solver}.seconds"] = round(a["solve_time"], 3)
                row[f"abduction.{solver}.optimal"] = a["optimal"]
            row["best_single.f1"] = round(r["score"]["best_single_f1"], 4)
            row["best_single.acc"] = round(r["score"]["best_single_acc"], 4)
            rows.append(row)
        scale_rows = []
        for r in sorted((r for r in records if r["inputs"]["kind"] == "scale"),
                        key=lambda r: (r["outputs"]["models"], r["outputs"]["samples"])):
            o = r["outputs"]
            row = {"models": o["models"], "samples": o["samples"], "atoms": o["atoms"],
                   "heuristic_ratio": o["heuristic_ratio"], "speedup_vs_fastest_exact": o["speedup_vs_fastest_exact"],
                   "speedup_vs_direct": o["speedup_vs_direct"]}
            for k, run in o["runs"].items():
                row[f"{k}.seconds"] = round(run["solve_time"], 4)
                row[f"{k}.objective"] = run["objective"]
                row[f"{k}.optimal"] = run["optimal"]
            scale_rows.append(row)
        sweep_rows = []
        tests = [r for r in records if r["inputs"]["kind"] == "test"]
        if tests:
            for solver in tests[0]["outputs"]["theta_sweep"]:
                per = [r["outputs"]["theta_sweep"][solver] for r in tests]
                for j, th in enumerate(x["theta"] for x in per[0]):
                    sweep_rows.append({"solver": solver, "theta": th,
                                       "f1": float(np.mean([x[j]["f1"] for x in per])),
                                       "acc": float(np.mean([x[j]["acc"] for x in per])),
                                       "coverage": float(np.mean([x[j]["coverage"] for x in per]))})
        return {"per_test_set": rows, "scaling": scale_rows, "theta_sweep": sweep_rows}

    def finalize(self, results: dict[str, Any], records: list[dict[str, Any]], ctx: RunContext) -> None:
        plt = pyplot()
        rows = results.get("per_test_set") or []
        best = results.get("metrics", {}).get("best_abduction_solver")
        if rows and best:
            fig, ax = plt.subplots(figsize=(9, 3.6))
            xs = np.arange(len(rows))
            width = 0.27
            for j, (label, key) in enumerate([(f"abduction ({best})", f"abduction.{best}.f1"),
                                              ("confidence-weighted vote", "weighted.f1"),
                                              ("majority vote", "majority.f1")]):
                gain = [(r[key] - r["best_single.f1"]) / r["best_single.f1"] * 100 for r in rows]
                ax.bar(xs + (j - 1) * width, gain, width, label=label)
            ax.axhline(13.6, color="k", ls="--", lw=0.8, label="paper: +13.6%")
            ax.set_xticks(xs, [r["test_set"].split("/")[1] for r in rows])
            ax.set_xlabel("test set")
            ax.set_ylabel("relative F1 gain over best single model (%)")
            ax.legend(fontsize=7)
            save_figure(fig, ctx.artifacts / "gain-per-test-set.png", dpi=100)
        sweep = results.get("theta_sweep") or []
        if sweep:
            fig, ax = plt.subplots(figsize=(5, 3.4))
            for solver in sorted({s["solver"] for s in sweep}):
                pts = [s for s in sweep if s["solver"] == solver]
                ax.plot([s["theta"] for s in pts], [s["f1"] for s in pts], marker="o", label=f"F1 ({solver})")
                ax.plot([s["theta"] for s in pts], [s["coverage"] for s in pts], ls=":", label=f"coverage ({solver})")
            ax.set_xlabel("θ (inconsistency-rate threshold)")
            ax.set_ylabel("mean over test sets")
            ax.legend(fontsize=7)
            save_figure(fig, ctx.artifacts / "theta-sweep.png", dpi=100)
        scale = results.get("scaling") or []
        if scale:
            fig, ax = plt.subplots(figsize=(6, 4))
            keys = sorted({k[:-8] for r in scale for k in r if k.endswith(".seconds")})
            for key in keys:
                pts = sorted((r["atoms"], r[f"{key}.seconds"]) for r in scale if f"{key}.seconds" in r)
                ax.plot([a for a, _ in pts], [t for _, t in pts], marker="o", label=key,
                        ls="--" if key.endswith("-direct") else "-")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("instance size (atoms = models x 2 heads x samples)")
            ax.set_ylabel("solve time (s)")
            ax.legend(fontsize=7)
            save_figure(fig, ctx.artifacts / "scaling.png", dpi=100)
