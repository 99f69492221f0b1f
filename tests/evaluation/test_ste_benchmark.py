"""The ``ste`` benchmark with scripted models: base, ICL (exploration first), explore, and the judge."""

from __future__ import annotations

import json

import pytest

from agents.llm import ChatRequest, FakeModel
from evaluation.harness.errors import DataNotFoundError, ParamError
from evaluation.harness.runner import run_benchmark


@pytest.fixture(autouse=True)
def _data() -> None:
    from evaluation.worlds.ste import load_ste

    try:
        load_ste()
    except DataNotFoundError as exc:
        pytest.skip(str(exc))


def gold_caller(req: ChatRequest, i: int) -> str:
    """Answers every add_date query with a fixed call, everything else with prose."""
    last = req.messages[-1]["content"]
    if "User Query: What is the date 90 days from 2022-10-14?" in last:
        return 'Thought: add\nAction: add_date\nAction Input: {"date": "2022-10-14", "days": 90}\nObservation: x'
    if "User Query:" in last and "date" in last.lower():
        return 'Action: add_date\nAction Input: {"date": "2022-01-01", "days": 1}'
    return "I cannot help with that."


def test_base_phase_scores_the_first_call(tmp_path) -> None:
    res = run_benchmark("ste", {"apis": "add_date", "per_api": 3, "candidates": "gold"},
                        model=FakeModel(gold_caller), out=tmp_path / "run", progress=False)
    m = res["metrics"]
    assert m["n_queries"] == 3 and m["wellformed"] == 1.0 and m["api_match"] == 1.0
    assert m["correct"] == pytest.approx(1 / 3) and m["correct_stderr"] > 0
    assert m["correct_simulable"] == m["correct"] and res["per_api"][0]["api"] == "add_date"


def test_all_50_apis_are_scored_without_execution(tmp_path) -> None:
    res = run_benchmark("ste", {"per_api": 1, "candidates": "gold"}, model=FakeModel(lambda r, i: "Final Answer: ?"),
                        out=tmp_path / "run", progress=False)
    assert res["metrics"]["n_apis"] == 50 and res["metrics"]["n_simulable"] == 33
    assert res["metrics"]["wellformed"] == 0.0 and "api_match" not in res["metrics"]


def explorer_and_caller(req: ChatRequest, i: int) -> str:
    last = req.messages[-1]["content"]
    if req.constraint is not None:
        return "Yes"
    if 'after "User Query:"' in last:
        return "User Query: What is 5 days after 2024-03-01?"
    if last.startswith("Rewrite"):
        return "Which date is 5 days after 2024-03-01?"
    if "Check three things" in last:
        return "Yes."
    if req.messages[0]["content"].startswith("You are exploring"):
        if any(m["content"].startswith("Observation:") for m in req.messages[-1:]):
            return "Thought: done\nFinal Answer: 2024-03-06"
        return 'Thought: add\nAction: add_date\nAction Input: {"date": "2024-03-01", "days": 5}'
    # test time: copy the first demonstration's call if there is one
    if "Examples of correct API calls" in last:
        call = last.split("User Query:", 2)[1].split("\n", 1)[1].split("\n\n")[0]
        return call
    return "No idea."


def test_icl_explores_first_then_uses_demos(tmp_path) -> None:
    params = {"phase": "icl", "apis": "add_date", "per_api": 2, "episodes": 1, "queries_per_episode": 1,
              "max_turns": 2, "paraphrases": 1, "candidates": "gold"}
    res = run_benchmark("ste", params, model=FakeModel(explorer_and_caller), out=tmp_path / "run", progress=False)
    assert res["metrics"]["wellformed"] == 1.0 and res["metrics"]["api_match"] == 1.0
    arts = tmp_path / "run" / "artifacts"
    trials = [json.loads(x) for x in (arts / "exploration.jsonl").read_text().splitlines()]
    assert len(trials) == 1 and trials[0]["success"] and trials[0]["calls"][0]["ok"]
    examples = next(arts.glob("examples_*.jsonl")).read_text().splitlines()
    assert len(examples) == 2  # the trial and one paraphrase


def test_explore_phase_reports_statistics(tmp_path) -> None:
    params = {"phase": "explore", "apis": "add_date;get_today_date", "episodes": 1, "queries_per_episode": 2,
              "max_turns": 2}
    res = run_benchmark("ste", params, model=FakeModel(explorer_and_caller), out=tmp_path / "run", progress=False)
    assert res["metrics"]["apis"] == 2 and res["metrics"]["total_queries"] == 4
    assert {r["api"] for r in res["per_api"]} == {"add_date", "get_today_date"}


def test_model_judge_for_free_text_apis(tmp_path) -> None:
    def reply(req: ChatRequest, i: int) -> str:
        if "Reference API call" in req.messages[-1]["content"]:
            return "Yes. Same request."
        return 'Action: search\nAction Input: {"entity": "something else"}'

    res = run_benchmark("ste", {"apis": "search", "per_api": 2, "candidates": "gold", "judge": "model"},
                        model=FakeModel(reply), out=tmp_path / "run", progress=False)
    assert res["metrics"]["correct"] == 1.0


def test_bad_apis_refused_before_the_folder(tmp_path) -> None:
    with pytest.raises(ParamError, match="unknown API"):
        run_benchmark("ste", {"apis": "nope"}, model=FakeModel([]), out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_icl_with_scripted_demonstrations(tmp_path) -> None:
    def copy_first_demo(req: ChatRequest, i: int) -> str:
        last = req.messages[-1]["content"]
        if "Examples of correct API calls" in last:
            return last.split("User Query:", 2)[1].split("\n", 1)[1].split("\n\n")[0]
        return "No idea."

    params = {"phase": "icl", "apis": "add_date", "per_api": 2, "candidates": "gold", "train_data": "scripted",
              "scripted_per_api": 10}
    res = run_benchmark("ste", params, model=FakeModel(copy_first_demo), out=tmp_path / "run", progress=False)
    assert res["metrics"]["wellformed"] == 1.0 and res["metrics"]["api_match"] == 1.0
    ex = [json.loads(x) for x in next((tmp_path / "run" / "artifacts").glob("examples_*.jsonl")).read_text().split("\n")
          if x]
    assert len(ex) == 10 and {e["source"] for e in ex} == {"scripted"}
    assert not (tmp_path / "run" / "artifacts" / "exploration.jsonl").exists()  # no model exploration


def test_scripted_needs_an_api_with_a_script(tmp_path) -> None:
    with pytest.raises(ParamError, match="none of the chosen APIs has a script"):
        run_benchmark("ste", {"phase": "icl", "apis": "search", "train_data": "scripted"},
                      model=FakeModel(lambda r, i: "x"), out=tmp_path / "run", progress=False)


def test_demo_apis_explores_some_and_scores_all(tmp_path) -> None:
    params = {"phase": "icl", "apis": "add_date;search", "demo_apis": "add_date", "per_api": 1,
              "candidates": "gold", "train_data": "scripted", "scripted_per_api": 4}
    res = run_benchmark("ste", params, model=FakeModel(lambda r, i: "No idea."), out=tmp_path / "run",
                        progress=False)
    demos = {json.loads(x)["inputs"]["api"]: len(json.loads(x)["outputs"]["demos"])
             for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()}
    assert demos == {"add_date": 4, "search": 0}  # search has no demonstrations: asked as in base
    assert res["extra"]["demos"] == {"explored_apis": 1, "examples": 4}


def test_finetune_base_of_each_model_spec(tmp_path) -> None:
    from evaluation.benchmarks.ste import _finetune_base

    assert _finetune_base(f"vllm/{tmp_path}") == tmp_path  # a GPU run: transformers trains on vLLM's directory
    assert _finetune_base(f"transformers/{tmp_path}") == tmp_path
    with pytest.raises(ParamError, match="local model dir"):
        _finetune_base("vllm/some-org/not-a-local-dir")
    with pytest.raises(ParamError, match="local model"):
        _finetune_base("openai/gpt-4")


def test_continual_rounds_with_replay_record_their_training(tmp_path, monkeypatch) -> None:
    """The continual flow without LoRA: a stub trainer, and a 'fine-tuned' model that calls the last API it
    was trained on (the forgetting of a model without replay, in caricature)."""
    import agents.ste
    from agents.ste import FinetuneResult
    from evaluation.benchmarks import ste as bench

    trained: list[list[str]] = []

    def fake_finetune(base, items, out_dir, config=None, *, init_adapter=None, log=None):
        trained.append([c.split("Action: ", 1)[1].split("\n", 1)[0] for _, c in items])
        out = tmp_path / "adapters" / str(len(trained))
        out.mkdir(parents=True)
        (out / "adapter_config.json").write_text("{}")
        return FinetuneResult(out, len(items), 2, 1.0, 0.1, seen=2 * len(items), losses=[1.0, 0.5])

    def fake_load(self, ctx, adapter):
        last = trained[int(adapter.name[-1])][-1]
        return FakeModel(lambda r, i: f'Action: {last}\nAction Input: {{"moneda": "PESOS", "monto": "1000"}}')

    monkeypatch.setattr(agents.ste, "finetune_lora", fake_finetune)
    monkeypatch.setattr(bench.Ste, "_load_adapter", fake_load)
    monkeypatch.setattr(bench, "_finetune_base", lambda spec: tmp_path)  # the fake model has no weights
    es, en = ("NumbersToLetters%%Convertir cantidad a letra Moneda MXN Español",
              "NumbersToLetters%%Convertir cantidad a letra Moneda MXN Ingles")
    params = {"phase": "continual", "apis": f"{es};{en}", "train_data": "scripted", "scripted_per_api": 10,
              "per_api": 2, "candidates": "gold", "replay": 0.1}
    res = run_benchmark("ste", params, model=FakeModel(lambda r, i: "x"), out=tmp_path / "run", progress=False)
    assert sorted(trained[0]) == [es] * 10 and sorted(trained[1]) == sorted([en] * 10 + [es])  # 10% of round 1 replayed
    train = res["extra"]["train"]
    assert train["1"]["per_api"] == {en: 10, es: 1} and train["1"]["continued_from"] == "lora_round0"
    assert train["0"]["examples_per_s"] == 20.0
    m = res["metrics"]
    assert m["n_queries"] == 2 + 4 and m["wellformed_round0_batch0"] == 1.0
    assert m["api_match_round0_batch0"] == 1.0 and m["api_match_round1_batch0"] == 0.0  # round 2 overwrote it
