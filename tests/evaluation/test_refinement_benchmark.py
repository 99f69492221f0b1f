"""The four refinement benchmarks, driven by a scripted model: outputs, scores, aggregate, tables."""

from __future__ import annotations

import asyncio

import pytest

from agents.llm import FakeModel
from evaluation.benchmarks import refinement  # noqa: F401  (registers the four; others stay unloaded)
from evaluation.harness.benchmark import _REGISTRY, RunContext
from evaluation.harness.errors import ParamError
from evaluation.harness.params import resolve_params

NAMES = ("refinement-acre", "refinement-miniscan", "refinement-list-functions", "refinement-arc")


def make(name, tmp_path, **params):
    cls = _REGISTRY[name]
    resolved = resolve_params(name, cls.params, params)
    ctx = RunContext(benchmark=name, params=resolved, seed=0, run_dir=tmp_path, model="fake/scripted")
    bench = cls()
    return bench, ctx


def run_one(bench, ctx, model, index=0):
    ctx.llm = model  # what the harness hands a model benchmark
    sample = list(bench.samples(ctx))[index]
    outputs = asyncio.run(bench.arun_sample(sample, ctx))
    score = bench.score(sample, outputs, ctx)
    return sample, outputs, score


def test_all_four_are_registered_as_async_model_benchmarks():
    for name in NAMES:
        cls = _REGISTRY[name]
        assert cls.uses_model and hasattr(cls, "arun_sample") and cls.smoke_limit == 1
        assert {p.name for p in cls.params} >= {"method", "T", "N", "temperature", "rule_form", "constrained"}


def test_params_are_validated():
    cls = _REGISTRY["refinement-acre"]
    with pytest.raises(ParamError, match="method"):
        resolve_params("refinement-acre", cls.params, {"method": "cot"})
    with pytest.raises(ParamError, match="rule_form"):
        resolve_params("refinement-list-functions", _REGISTRY["refinement-list-functions"].params,
                       {"rule_form": "asp"})


def test_acre_refine_with_the_ideal_rule_scores_perfectly(tmp_path):
    bench, ctx = make("refinement-acre", tmp_path, method="refine", T=3, N=2, n_tasks=3)
    bench.setup(ctx)
    task = bench._tasks[1]
    ideal = "\n".join(f"{o}: {s}" for o, s in task.meta["status"].items())
    answers = {" ".join(e.input): e.output for e in task.test}

    def reply(req, i):
        last = req.messages[-1]["content"]
        if "Find the rule" in last:
            return ["nonsense", ideal][i]
        return answers.get(last.rsplit("Input: ", 1)[1].replace(", ", " "), "on")

    sample, outputs, score = run_one(bench, ctx, FakeModel(reply), index=1)
    assert score["raw_accuracy"] == 1.0 and score["task_accuracy"] == 1.0
    assert score["acc_iter_1"] == score["acc_iter_3"] == 1.0 and score["iterations"] == 1
    assert score["hypothesis_failures"] == 0.5 and score["seen_perfect"] == 1.0
    assert score["lm_raw_accuracy"] == 1.0 and score["rule_application_gap"] == 0.0
    assert outputs["transcript"][0]["purpose"] == "propose"
    records = [{"score": score, "outputs": outputs}]
    metrics = bench.aggregate(records, ctx)
    assert metrics["raw_accuracy"] == 1.0 and metrics["n_tasks"] == 1 and metrics["tasks_solved"] == 1
    assert bench.tables(records, ctx)["accuracy_per_iteration"][0] == {"iteration": 1, "raw_accuracy": 1.0}


def test_miniscan_io_scores_partial_answers(tmp_path):
    bench, ctx = make("refinement-miniscan", tmp_path, method="io", n_tasks=2)
    sample = list(bench.samples(ctx))[0]
    first = sample.data.test[0]

    def reply(req, i):
        x = req.messages[-1]["content"].rsplit("Input: ", 1)[1]
        return " ".join(first.output) if x == " ".join(first.input) else "I do not know"

    _, outputs, score = run_one(bench, ctx, FakeModel(reply))
    assert score["raw_accuracy"] == pytest.approx(0.1) and score["task_accuracy"] == 0.0
    assert outputs["prediction_errors"][1].startswith("no color word")
    assert "acc_iter_1" not in score


def test_list_functions_and_arc_sc_score_exactly_the_answers_given(tmp_path):
    for name in ("refinement-list-functions", "refinement-arc"):
        bench, ctx = make(name, tmp_path, method="sc", n_tasks=2)
        bench.setup(ctx)
        sample = list(bench.samples(ctx))[0]
        first = sample.data.test[0]
        domain = bench._domain
        asked_first = domain.format_input(first.input).strip()

        def reply(req, i, asked_first=asked_first, answer=domain.format_output(first.output)):
            # the right answer to the first unseen input only; anything else gets an unparsable reply
            asked = req.messages[-1]["content"].rsplit("Input:", 1)[1].strip()  # the question comes last
            return answer if asked == asked_first else "no idea"

        _, outputs, score = run_one(bench, ctx, FakeModel(reply))
        n = len(sample.data.test)
        assert score["raw_accuracy"] == pytest.approx(1 / n), name
        assert score["task_accuracy"] == float(n == 1) and score["requests"] == n


def test_acre_asp_form_with_the_ideal_program(tmp_path):
    bench, ctx = make("refinement-acre", tmp_path, method="refine", rule_form="asp", T=2, N=1, gap=False)
    bench.setup(ctx)
    task = bench._tasks[0]
    from evaluation.worlds.induction.acre import atom

    program = "\n".join(f"blicket({atom(o)})." if s == "on" else f"{{blicket({atom(o)})}}."
                        for o, s in task.meta["status"].items() if s != "off")
    _, outputs, score = run_one(bench, ctx, FakeModel(lambda req, i: f"```asp\n{program}\n```"))
    assert score["raw_accuracy"] == 1.0 and score["seen_perfect"] == 1.0 and outputs["stopped"] == "perfect"


def test_tasks_per_minute_ignores_the_gap_between_sessions_of_a_resumed_run(tmp_path):
    bench, ctx = make("refinement-acre", tmp_path, method="io", n_tasks=4)
    # Two tasks in flight together for 30 s, then the run was resumed an hour later for two more.
    spans = [(0.0, 30.0), (0.0, 20.0), (3600.0, 3615.0), (3610.0, 3630.0)]
    records = [{"score": {"raw_accuracy": 1.0}, "outputs": {"started": s, "finished": f}} for s, f in spans]
    metrics = bench.aggregate(records, ctx)
    assert metrics["tasks_per_minute"] == pytest.approx(60.0 * 4 / (30.0 + 30.0))


def test_acre_dict_rules_with_unmentioned_objects_off_match_the_asp_default(tmp_path):
    bench, ctx = make("refinement-acre", tmp_path, method="refine", rule_form="dict", dict_default="off", T=1, N=1,
                      gap=False, n_tasks=3)
    bench.setup(ctx)
    task = bench._tasks[0]
    # only the blickets written down, as an ASP program would: the other objects must read as off
    rule = "\n".join(f"{o}: {s}" for o, s in task.meta["status"].items() if s != "off")
    _, outputs, score = run_one(bench, ctx, FakeModel(lambda req, i: rule))
    assert score["raw_accuracy"] == 1.0 and outputs["stopped"] == "perfect"
    assert "nothing" in bench._domain.forms["dict"].instructions
    # the paper's default reads the same rule's unmentioned objects as undetermined
    paper, pctx = make("refinement-acre", tmp_path / "paper", method="refine", rule_form="dict", T=1, N=1,
                       gap=False, n_tasks=3)
    paper.setup(pctx)
    _, _, paper_score = run_one(paper, pctx, FakeModel(lambda req, i: rule))
    off_queries = [e for e in task.test if e.output == "off"]
    assert paper_score["raw_accuracy"] == pytest.approx(1 - len(off_queries) / len(task.test))
