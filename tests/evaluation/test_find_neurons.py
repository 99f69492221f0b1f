"""FIND's synthetic neurons: generators, the neuron computed from a (scripted) model, and the benchmark path."""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import replace

import pytest

from agents.llm import FakeModel
from agents.llm.base import TokenLogprob
from agents.world import ToolError
from evaluation.harness.runner import run_benchmark
from evaluation.worlds.find.neurons import (
    CONCEPTS,
    NeuronBox,
    clean_value,
    corruption_named,
    generate_entities,
    generate_relations,
    p_one,
)


class LogprobModel(FakeModel):
    """A scripted model whose one-token replies to the entity prompt carry top log-probabilities:
    P("1") = 0.8 for words of the concept named in the prompt, 0.1 otherwise."""

    async def _generate(self, req):
        out = await super()._generate(req)
        if not req.logprobs:
            return out
        text = req.messages[-1]["content"]
        hit = any(f'"{w}"' in text for c, words in CONCEPTS.items() if f'"{c}"' in text for w in words)
        p1 = 0.8 if hit else 0.1
        top = {"1": math.log(p1), "0": math.log(1 - p1 - 0.05), "The": math.log(0.05)}
        return [replace(c, logprobs=[TokenLogprob("1" if hit else "0", top["1" if hit else "0"], top)]) for c in out]


def test_generators_make_the_papers_counts_deterministically():
    ent, rel = generate_entities(), generate_relations()
    assert len(ent) == 200 and sum(len(e.concepts) == 2 for e in ent) == 60
    assert len(rel) == 75 and sum(r.corruption is not None for r in rel) == 50
    assert generate_entities() == ent and generate_relations(10) == rel[:10]
    assert generate_entities(seed=1) != ent
    for e in ent:
        assert len(e.exemplars) == 10 and len(set(e.exemplars)) == 10 and len(e.unit_tests) == 10
        mine = {w for c in e.concepts for w in CONCEPTS[c]}
        assert sum(w in mine for w in e.exemplars) == 5
        for t in e.unit_tests:  # exactly the right answer belongs to the concept
            assert [w in mine for w in t["candidates"]] == [k == t["answer"] for k in range(3)]
    for r in rel:
        assert len(r.exemplars) == 8 and len(r.unit_tests) == 10
        for t in r.unit_tests:  # exactly the right pair is the neuron's behaviour
            assert [r.reference(x) == y for x, y in t["candidates"]] == [k == t["answer"] for k in range(3)]
        if r.corruption:
            assert r.corruption in r.description and "corrupted" in r.domain_annotation
            assert corruption_named(r, r.domain_annotation) == 1.0  # the ground truth names its own corruption


def test_entity_neuron_is_p_one_of_the_first_reply_token():
    neuron = next(e for e in generate_entities() if e.concepts == ("animals",))
    model = LogprobModel(lambda req, i: "1")
    box = NeuronBox(neuron, model)
    pairs = asyncio.run(box.acall("run", {"inputs": ["cat", "piano"]}))
    assert pairs == [["cat", 0.8], ["piano", 0.1]] and box.calls == 1 and box.inputs_seen == ["cat", "piano"]
    assert all(r.logprobs == 20 and r.max_tokens == 1 and r.temperature == 0.0 for r in model.requests)
    with pytest.raises(ToolError):
        box.call("run", {"inputs": ["cat"]})  # a model-computed box is asynchronous only
    with pytest.raises(ToolError):
        asyncio.run(box.acall("run", {"inputs": [3]}))


def test_relation_neuron_answers_from_the_model_and_undefined_on_its_corruption():
    neuron = next(r for r in generate_relations() if r.relation.name == "capital" and r.corruption == "in Asia")
    model = FakeModel(lambda req, i: "Paris." if "France" in req.messages[-1]["content"] else "It is undefined")
    pairs = asyncio.run(NeuronBox(neuron, model).acall("run", {"inputs": ["France", "Japan", "banana"]}))
    assert pairs == [["France", "Paris"], ["Japan", "undefined"], ["banana", "undefined"]]
    assert len(model.requests) == 2  # Japan (corrupted) never reaches the model
    assert neuron.reference("japan") == "undefined" and neuron.reference("Peru") == "Lima"
    assert corruption_named(neuron, "undefined for Asian countries such as Japan") == 1.0
    assert corruption_named(neuron, "defined for countries") == 0.0 and corruption_named(neuron, None) == 0.0
    # listing inputs that lie in the sub-domain is not naming it
    assert corruption_named(neuron, "defined on countries such as Japan, India, France") == 0.0


def test_reply_helpers():
    assert clean_value(' "Tokyo".\nmore') == "Tokyo" and clean_value("") == "undefined"
    assert clean_value("Undefined.") == "undefined"
    assert p_one(type("C", (), {"logprobs": None})()) == 0.0


def _interpreter_and_evaluator(req, i):
    last = req.messages[-1]["content"]
    if "Which of these" in last:
        return "1"
    if "neuron f(s)" in req.messages[0]["content"] or "maps a word" in req.messages[0]["content"]:
        if len(req.messages) == 1:
            return 'RUN("cat", "piano")'
        return "[DESCRIPTION]: animals\n[DOMAIN]: undefined in Asia"
    return "1"  # the neuron itself (entity prompt) or a relation value


@pytest.mark.parametrize("family", ["entities", "relations"])
def test_neuron_families_run_through_the_harness(tmp_path, family):
    res = run_benchmark("find", {"family": family, "initialisation": True, "n_functions": 3},
                        model=LogprobModel(_interpreter_and_evaluator), limit=3, out=tmp_path, progress=False)
    m = res["metrics"]
    assert m["n_functions"] == 3 and m["description_present"] == 1.0 and 0.0 <= m["unit_test_accuracy"] <= 1.0
    assert m["runs"] == 2.0  # the exemplars, then the model's RUN
    recs = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    for r in recs:  # the evaluator always answers 1: right exactly where the right candidate comes first
        want = sum(t["answer"] == 0 for t in (generate_entities(3) if family == "entities"
                                              else generate_relations(3))[int(r["id"][1:])].unit_tests) / 10
        assert r["score"]["unit_test_accuracy"] == want
    assert "code_pass_rate" not in m and res["by_variant"][-1]["subset"] == "all"


@pytest.mark.llm
@pytest.mark.slow
def test_neurons_computed_by_the_default_model():
    from agents.llm import load_model

    model = load_model("default", n_threads=1)
    try:
        ent = next(e for e in generate_entities() if e.concepts == ("animals",))
        rel = next(r for r in generate_relations() if r.relation.name == "capital" and r.corruption == "in Asia")
        acts = asyncio.run(NeuronBox(ent, model).acall("run", {"inputs": ["cat", "piano"]}))
        vals = asyncio.run(NeuronBox(rel, model).acall("run", {"inputs": ["France", "Japan"]}))
        again = asyncio.run(NeuronBox(ent, model).acall("run", {"inputs": ["cat", "piano"]}))
    finally:
        asyncio.run(model.aclose())
    assert all(0.0 <= a <= 1.0 for _, a in acts) and again == acts  # greedy: the neuron repeats itself
    assert vals[1] == ["Japan", "undefined"] and isinstance(vals[0][1], str) and vals[0][1]
