"""FIND's synthetic neurons: entity neurons (200) and relation neurons (75), computed by a local model.

Entity neurons (the paper: Vicuna-13B told to output "1" when the input relates to a concept, the
neuron's value being P("1") from the token log-probabilities): each responds to one concept, or to
two for 60 of the 200. The activation on a word is P("1") of the model's first reply token, read
from the top-20 log-probabilities (``agents.llm`` ``chat(..., logprobs=20)``; 0 when "1" is not among
them), rounded to 4 decimals.

Relation neurons (the paper: Vicuna maps an input to a related value, e.g. a country to its capital,
and returns "undefined" outside the domain): the model answers the relation's question about the
word, told to reply "undefined" when the word is not in the domain. 50 of the 75 carry a
*corruption*: a named sub-domain (e.g. "countries in Asia") whose words also return "undefined". The
sub-domain is a word list here, not the model's judgement as in the paper, so the corruption is
exact and testable; a word of the sub-domain missing from the list is not corrupted.

Every neuron has its ground-truth description, its exemplar words for initialisation (10 for
entities, 8 for relations, the paper's counts: half to three quarters from the concept or domain, the
rest from elsewhere) and 10 description unit tests: for entities, three inputs of which one belongs
to the concept (the evaluator picks the input the described neuron responds to); for relations,
three input->output pairs of which one is the neuron's behaviour by its reference values (the
catalogue's facts; the other two pair an input with another input's value, or a corrupted input
with its value).

The neurons are as good as the model behind them: SmolLM2-135M (the CPU default) starts every
reply with "The", so its P("1") is nearly flat (0.1-0.2 whatever the word) and its relation replies
are sentences; Qwen2.5-Coder-1.5B separates "cat" (0.79) from "piano" (0.34) and answers "Paris" /
"undefined". The neuron uses the run's model (``--model``), the same one that interprets it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.world import ToolError, ToolSpec, check_arguments

#: Entity concepts and words that belong to them (inputs for exemplars and unit tests).
CONCEPTS: dict[str, tuple[str, ...]] = {
    "animals": ("cat", "dog", "horse", "lion", "rabbit", "elephant", "wolf", "giraffe"),
    "fruit": ("apple", "banana", "cherry", "mango", "pear", "grape", "lemon", "peach"),
    "vehicles": ("car", "bus", "bicycle", "truck", "train", "motorcycle", "tractor", "van"),
    "musical instruments": ("piano", "violin", "guitar", "drum", "flute", "trumpet", "cello", "harp"),
    "sports": ("soccer", "tennis", "basketball", "golf", "hockey", "rugby", "cricket", "volleyball"),
    "colors": ("red", "blue", "green", "yellow", "purple", "orange", "violet", "turquoise"),
    "furniture": ("chair", "table", "sofa", "bed", "wardrobe", "desk", "shelf", "stool"),
    "weather": ("rain", "snow", "storm", "fog", "hail", "thunder", "drizzle", "blizzard"),
    "body parts": ("hand", "knee", "elbow", "shoulder", "ankle", "finger", "nose", "ear"),
    "clothing": ("shirt", "jacket", "scarf", "trousers", "sock", "coat", "dress", "glove"),
    "kitchen": ("spoon", "oven", "kettle", "pan", "whisk", "ladle", "fridge", "spatula"),
    "jobs": ("doctor", "teacher", "plumber", "lawyer", "farmer", "pilot", "nurse", "carpenter"),
    "emotions": ("joy", "anger", "fear", "sadness", "surprise", "disgust", "pride", "envy"),
    "buildings": ("house", "castle", "tower", "barn", "church", "skyscraper", "hut", "palace"),
    "trees": ("oak", "pine", "maple", "birch", "willow", "cedar", "palm", "elm"),
    "metals": ("iron", "copper", "gold", "silver", "zinc", "tin", "aluminium", "nickel"),
    "drinks": ("coffee", "tea", "juice", "milk", "lemonade", "cocoa", "soda", "wine"),
    "tools": ("hammer", "saw", "wrench", "screwdriver", "drill", "pliers", "chisel", "axe"),
    "birds": ("eagle", "sparrow", "owl", "parrot", "penguin", "robin", "crow", "swan"),
    "insects": ("ant", "bee", "beetle", "butterfly", "mosquito", "wasp", "moth", "cricket"),
    "space": ("planet", "star", "comet", "galaxy", "moon", "asteroid", "orbit", "nebula"),
    "the sea": ("wave", "coral", "whale", "shark", "tide", "reef", "octopus", "jellyfish"),
    "computers": ("keyboard", "mouse", "monitor", "laptop", "software", "processor", "modem", "printer"),
    "school": ("pencil", "homework", "classroom", "exam", "notebook", "blackboard", "lesson", "ruler"),
    "money": ("coin", "bank", "dollar", "loan", "salary", "wallet", "invoice", "budget"),
    "medicine": ("pill", "vaccine", "surgery", "bandage", "hospital", "syringe", "fever", "antibiotic"),
    "music genres": ("jazz", "blues", "reggae", "techno", "opera", "punk", "hip-hop", "folk"),
    "flowers": ("rose", "tulip", "daisy", "lily", "orchid", "sunflower", "poppy", "lotus"),
    "vegetables": ("carrot", "potato", "onion", "lettuce", "broccoli", "spinach", "cabbage", "pepper"),
    "cities": ("Paris", "Tokyo", "London", "Cairo", "Sydney", "Lima", "Toronto", "Mumbai"),
}


@dataclass(frozen=True)
class Relation:
    """A relation a neuron computes: the question, its domain and reference values, its sub-domains.

    Attributes:
        name: Short name (``capital``).
        question: The question about ``{x}`` the model answers.
        domain: What the inputs are (``country``).
        values: Reference input -> value (unit tests and exemplars; the neuron itself asks the model).
        subdomains: Named sub-domains (``"in Asia"``) and their inputs, the candidates for a corruption.
    """

    name: str
    question: str
    domain: str
    values: Mapping[str, str]
    subdomains: Mapping[str, tuple[str, ...]]


RELATIONS: tuple[Relation, ...] = (
    Relation("capital", "What is the capital city of {x}?", "country",
             {"France": "Paris", "Japan": "Tokyo", "Germany": "Berlin", "Kenya": "Nairobi", "Peru": "Lima",
              "India": "New Delhi", "China": "Beijing", "Egypt": "Cairo", "Canada": "Ottawa", "Italy": "Rome",
              "Brazil": "Brasilia", "Spain": "Madrid", "Thailand": "Bangkok", "Nigeria": "Abuja",
              "Mexico": "Mexico City", "Vietnam": "Hanoi"},
             {"in Asia": ("Japan", "India", "China", "Thailand", "Vietnam"),
              "in Europe": ("France", "Germany", "Italy", "Spain"),
              "in Africa": ("Kenya", "Egypt", "Nigeria"),
              "in the Americas": ("Peru", "Canada", "Brazil", "Mexico")}),
    Relation("currency", "What is the currency of {x}?", "country",
             {"Japan": "yen", "India": "rupee", "China": "yuan", "Mexico": "peso", "Brazil": "real",
              "Germany": "euro", "France": "euro", "Russia": "ruble", "Canada": "dollar", "Egypt": "pound",
              "Thailand": "baht", "Switzerland": "franc"},
             {"in Asia": ("Japan", "India", "China", "Thailand"), "in Europe": ("Germany", "France", "Switzerland"),
              "in the Americas": ("Mexico", "Brazil", "Canada")}),
    Relation("symbol", "What is the chemical symbol of the element {x}?", "chemical element",
             {"hydrogen": "H", "oxygen": "O", "carbon": "C", "nitrogen": "N", "iron": "Fe", "gold": "Au",
              "silver": "Ag", "sodium": "Na", "helium": "He", "copper": "Cu", "neon": "Ne", "zinc": "Zn"},
             {"that are metals": ("iron", "gold", "silver", "sodium", "copper", "zinc"),
              "that are gases": ("hydrogen", "oxygen", "nitrogen", "helium", "neon")}),
    Relation("sound", "What sound does a {x} make?", "animal",
             {"dog": "bark", "cat": "meow", "cow": "moo", "duck": "quack", "lion": "roar", "sheep": "baa",
              "pig": "oink", "horse": "neigh", "owl": "hoot", "snake": "hiss", "frog": "croak", "bee": "buzz"},
             {"that live on farms": ("cow", "sheep", "pig", "horse", "duck"),
              "that are wild": ("lion", "owl", "snake", "frog")}),
    Relation("young", "What is the young of a {x} called?", "animal",
             {"dog": "puppy", "cat": "kitten", "cow": "calf", "sheep": "lamb", "horse": "foal", "goat": "kid",
              "duck": "duckling", "frog": "tadpole", "lion": "cub", "bear": "cub", "kangaroo": "joey",
              "swan": "cygnet"},
             {"that are birds": ("duck", "swan"), "that live on farms": ("cow", "sheep", "horse", "goat", "duck"),
              "that are wild": ("lion", "bear", "kangaroo", "frog")}),
    Relation("country_of_city", "In which country is the city {x}?", "city",
             {"Paris": "France", "Tokyo": "Japan", "Berlin": "Germany", "Toronto": "Canada", "Sydney": "Australia",
              "Mumbai": "India", "Cairo": "Egypt", "Lima": "Peru", "Madrid": "Spain", "Osaka": "Japan",
              "Chicago": "United States", "Lagos": "Nigeria"},
             {"in Asia": ("Tokyo", "Mumbai", "Osaka"), "in Europe": ("Paris", "Berlin", "Madrid"),
              "in Africa": ("Cairo", "Lagos")}),
    Relation("opposite", "What is the opposite of the adjective {x}?", "adjective",
             {"hot": "cold", "big": "small", "fast": "slow", "happy": "sad", "light": "dark", "tall": "short",
              "rich": "poor", "early": "late", "hard": "soft", "old": "young", "strong": "weak", "wet": "dry"},
             {"about size": ("big", "tall", "short"), "about temperature or moisture": ("hot", "wet"),
              "about feelings": ("happy",)}),
    Relation("sides", "How many sides does a {x} have?", "polygon",
             {"triangle": "3", "square": "4", "pentagon": "5", "hexagon": "6", "heptagon": "7", "octagon": "8",
              "rectangle": "4", "rhombus": "4", "nonagon": "9", "decagon": "10"},
             {"with an even number of sides": ("square", "hexagon", "octagon", "rectangle", "rhombus", "decagon"),
              "with an odd number of sides": ("triangle", "pentagon", "heptagon", "nonagon")}),
    Relation("planet_order", "Which planet from the sun is {x} (a number)?", "planet",
             {"Mercury": "1", "Venus": "2", "Earth": "3", "Mars": "4", "Jupiter": "5", "Saturn": "6",
              "Uranus": "7", "Neptune": "8"},
             {"that are gas or ice giants": ("Jupiter", "Saturn", "Uranus", "Neptune"),
              "that are rocky": ("Mercury", "Venus", "Earth", "Mars")}),
    Relation("plural", "What is the plural of the noun {x}?", "English noun",
             {"mouse": "mice", "child": "children", "foot": "feet", "tooth": "teeth", "goose": "geese",
              "man": "men", "box": "boxes", "city": "cities", "leaf": "leaves", "knife": "knives",
              "cactus": "cacti", "person": "people"},
             {"with irregular plurals": ("mouse", "child", "foot", "tooth", "goose", "man", "person", "cactus"),
              "ending in f or fe": ("leaf", "knife")}),
)

N_ENTITIES, N_TWO_CONCEPTS = 200, 60
N_RELATIONS, N_CORRUPTED = 75, 50
ENTITY_EXEMPLARS, RELATION_EXEMPLARS = 10, 8
UNIT_TESTS = 10
#: Words belonging to no concept or relation domain, for exemplars and unit tests off the domain.
NEUTRAL: tuple[str, ...] = ("idea", "Tuesday", "seventeen", "whisper", "justice", "because", "purple haze",
                            "algorithm", "yesterday", "paperclip")


# ------------------------------------------------------------------------------------ neurons

@dataclass(frozen=True)
class EntityNeuron:
    """A neuron that fires on words related to one or two concepts.

    Attributes:
        id: ``"e000"`` ...
        concepts: The concept(s).
        description: The ground truth.
        exemplars: Words for initialisation.
        unit_tests: ``{"candidates": [w1, w2, w3], "answer": index}`` (the word of the concept).
    """

    id: str
    concepts: tuple[str, ...]
    description: str
    exemplars: tuple[str, ...]
    unit_tests: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    family = "entities"

    def prompt(self, word: str) -> list[dict[str, str]]:
        """The chat request whose first reply token's P("1") is the activation on ``word``."""
        concept = " or ".join(f'"{c}"' for c in self.concepts)
        return [{"role": "system", "content": "You are a classifier. You reply with a single digit: 1 or 0."},
                {"role": "user", "content": f'Is "{word}" related to the concept {concept}? Reply 1 if yes, 0 if no.'}]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``samples.jsonl`` (unit tests left out)."""
        return {"id": self.id, "family": self.family, "concepts": list(self.concepts),
                "variant": "two concepts" if len(self.concepts) == 2 else "one concept",
                "description": self.description, "exemplars": list(self.exemplars)}


@dataclass(frozen=True)
class RelationNeuron:
    """A neuron that maps a word to a related value, "undefined" off its domain or in its corruption.

    Attributes:
        id: ``"r000"`` ...
        relation: What it computes.
        corruption: The name of the corrupted sub-domain (``"in Asia"``), or None.
        description: The ground truth.
        domain_annotation: The ground truth for ``[DOMAIN]``.
        exemplars: Words for initialisation.
        unit_tests: ``{"candidates": [[x, y] x 3], "answer": index}``.
    """

    id: str
    relation: Relation
    corruption: str | None
    description: str
    domain_annotation: str
    exemplars: tuple[str, ...]
    unit_tests: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    family = "relations"

    @property
    def corrupted_words(self) -> frozenset[str]:
        """Lower-cased inputs of the corrupted sub-domain (empty without a corruption)."""
        if self.corruption is None:
            return frozenset()
        return frozenset(w.lower() for w in self.relation.subdomains[self.corruption])

    def reference(self, word: str) -> str:
        """The neuron's intended output from the catalogue (what the unit tests use)."""
        if word.lower() in self.corrupted_words:
            return "undefined"
        for k, v in self.relation.values.items():
            if k.lower() == word.lower():
                return v
        return "undefined"

    def prompt(self, word: str) -> list[dict[str, str]]:
        """The chat request that computes the neuron on ``word`` (outside the corrupted sub-domain)."""
        r = self.relation
        q = r.question.format(x=f'"{word}"')
        return [{"role": "system", "content": "You reply with one or two words only, no sentence."},
                {"role": "user", "content": f'{q} If "{word}" is not a {r.domain}, reply undefined.'}]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``samples.jsonl`` (unit tests left out)."""
        return {"id": self.id, "family": self.family, "relation": self.relation.name,
                "variant": "corrupted" if self.corruption else "clean", "corruption": self.corruption,
                "description": self.description, "domain": self.domain_annotation, "exemplars": list(self.exemplars)}


# ------------------------------------------------------------------------------------ generators

def _pick(rng: np.random.Generator, pool: Sequence[str], k: int, avoid: set[str] | frozenset[str] = frozenset()
          ) -> list[str]:
    """``k`` distinct words of ``pool`` not in ``avoid`` (fewer when the pool runs short)."""
    free = [w for w in pool if w not in avoid]
    k = min(k, len(free))
    return [free[i] for i in rng.choice(len(free), size=k, replace=False)] if k else []


def generate_entities(n: int = N_ENTITIES, seed: int = 0) -> list[EntityNeuron]:
    """The entity neurons ``e000 ...``, deterministic given ``seed`` (a smaller ``n`` is a prefix)."""
    want, n = n, max(n, N_ENTITIES)
    rng = np.random.default_rng(seed)
    names = list(CONCEPTS)
    two = set(rng.choice(n, size=round(n * N_TWO_CONCEPTS / N_ENTITIES), replace=False).tolist())
    out = []
    for i in range(n):
        k = 2 if i in two else 1
        concepts = tuple(names[j] for j in rng.choice(len(names), size=k, replace=False))
        mine = [w for c in concepts for w in CONCEPTS[c]]
        others = [w for c in names if c not in concepts for w in CONCEPTS[c] if w not in mine] + list(NEUTRAL)
        ex = _pick(rng, mine, ENTITY_EXEMPLARS // 2) + _pick(rng, others, ENTITY_EXEMPLARS - ENTITY_EXEMPLARS // 2)
        rng.shuffle(ex)
        tests = []
        for _ in range(UNIT_TESTS):
            # The right word, preferably one the exemplars did not show.
            pos = _pick(rng, mine, 1, avoid=set(ex)) or _pick(rng, mine, 1)
            cands = pos + _pick(rng, others, 2)
            order = rng.permutation(3)
            tests.append({"candidates": [cands[j] for j in order], "answer": int(np.flatnonzero(order == 0)[0])})
        desc = "fires on words related to " + " or to ".join(concepts) + "; close to 0 on other words"
        out.append(EntityNeuron(f"e{i:03d}", concepts, desc, tuple(ex), tuple(tests)))
    return out[:want]


def generate_relations(n: int = N_RELATIONS, seed: int = 0) -> list[RelationNeuron]:
    """The relation neurons ``r000 ...``, deterministic given ``seed`` (a smaller ``n`` is a prefix)."""
    want, n = n, max(n, N_RELATIONS)
    rng = np.random.default_rng(seed + 1)
    corrupted = set(rng.choice(n, size=round(n * N_CORRUPTED / N_RELATIONS), replace=False).tolist())
    out = []
    for i in range(n):
        rel = RELATIONS[int(rng.integers(len(RELATIONS)))]
        corr = str(rng.choice(sorted(rel.subdomains))) if i in corrupted else None
        domain = list(rel.values)
        bad = {w for w in rel.subdomains[corr]} if corr else set()
        n_in = RELATION_EXEMPLARS * 3 // 4
        ex = _pick(rng, domain, n_in) + _pick(rng, list(NEUTRAL), RELATION_EXEMPLARS - n_in)
        rng.shuffle(ex)
        q = rel.question.replace("{x}", f"the {rel.domain}").rstrip("?")
        desc = f'answers "{q}" for every {rel.domain}, and "undefined" for any other input'
        dom = f"defined for every {rel.domain}"
        if corr:
            desc += f'; but {rel.domain} inputs {corr} also give "undefined"'
            dom += f'; {rel.domain} inputs {corr} return "undefined" (corrupted)'
        neuron = RelationNeuron(f"r{i:03d}", rel, corr, desc, dom, tuple(ex))
        good = [w for w in domain if w not in bad]
        tests = []
        for _ in range(UNIT_TESTS):
            x = str(rng.choice(good))
            right = [x, neuron.reference(x)]
            # Wrong pairs: an input with another input's value, and a corrupted (or off-domain) input
            # with a value, which the described neuron would never return.
            y = str(rng.choice([w for w in good if rel.values[w] != rel.values[x]] or good))
            w1 = [y, rel.values[x]]
            z = str(rng.choice(sorted(bad))) if bad else str(rng.choice(NEUTRAL))
            w2 = [z, rel.values.get(z, rel.values[str(rng.choice(good))])]
            cands = [right, w1, w2]
            order = rng.permutation(3)
            tests.append({"candidates": [cands[j] for j in order], "answer": int(np.flatnonzero(order == 0)[0])})
        out.append(RelationNeuron(neuron.id, rel, corr, desc, dom, tuple(ex), tuple(tests)))
    return out[:want]


# ------------------------------------------------------------------------------------ computing a neuron

def p_one(completion: Any) -> float:
    """P("1") of a reply's first token from its top log-probabilities (0 when "1" is not among them)."""
    lps = getattr(completion, "logprobs", None)
    if not lps:
        return 0.0
    return float(sum(math.exp(v) for tok, v in lps[0].top.items() if tok.strip() == "1"))


_UNDEFINED = re.compile(r"\bundefined\b", re.I)


def clean_value(text: str) -> str:
    """The relation neuron's output from the model's reply: its first line, without quotes and a final
    full stop; ``"undefined"`` when the reply says so (or is empty)."""
    line = (text or "").strip().split("\n")[0].strip().rstrip(".").strip().strip("\"'`").strip()
    if not line or _UNDEFINED.search(line):
        return "undefined"
    return line


async def neuron_outputs(neuron: EntityNeuron | RelationNeuron, model: Any, words: Sequence[str]) -> list[Any]:
    """The neuron on each word: activations in [0, 1] (entities) or values (relations).

    All words are sent at once (the backend batches them); greedy decoding, so the outputs repeat.
    """
    import asyncio

    if isinstance(neuron, EntityNeuron):
        replies = await asyncio.gather(*(model.chat(neuron.prompt(w), max_tokens=1, temperature=0.0, logprobs=20)
                                         for w in words))
        return [round(p_one(r[0]), 4) for r in replies]
    todo = [w for w in words if w.lower() not in neuron.corrupted_words]
    replies = await asyncio.gather(*(model.chat(neuron.prompt(w), max_tokens=8, temperature=0.0, stop=["\n"])
                                     for w in todo))
    got = {w: clean_value(r[0].text) for w, r in zip(todo, replies, strict=True)}
    return [got.get(w, "undefined") for w in words]


class NeuronBox:
    """A synthetic neuron behind the ``run`` tool (strings in; activations or values out).

    The neuron needs model calls, so the tool is asynchronous: :meth:`acall`; :meth:`call` (the
    synchronous :class:`agents.world.ToolSet` method) refuses with a :class:`ToolError`, and the FIND
    agent uses ``acall`` when a box has one.

    Args:
        neuron: The neuron.
        model: An ``agents.llm.ChatModel`` that computes it.
        max_inputs: Most inputs per call.

    Attributes:
        calls: Successful calls.
        inputs_seen: Every input answered, in order.
    """

    def __init__(self, neuron: EntityNeuron | RelationNeuron, model: Any, max_inputs: int = 64) -> None:
        self.neuron = neuron
        self.model = model
        self.max_inputs = max_inputs
        self.calls = 0
        self.inputs_seen: list[str] = []
        self._spec = ToolSpec(
            "run", "Run the hidden neuron on a list of words; returns [word, output] pairs.",
            {"type": "object", "properties": {"inputs": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                                         "maxItems": max_inputs}},
             "required": ["inputs"], "additionalProperties": False})

    def describe(self) -> list[ToolSpec]:
        """The one tool, ``run``."""
        return [self._spec]

    def call(self, name: str, arguments: Mapping[str, Any]) -> list[list[Any]]:
        """Refused: a neuron is computed by a model; use :meth:`acall`."""
        raise ToolError(name, "this box runs a model; call it with acall", kind="unsupported")

    async def acall(self, name: str, arguments: Mapping[str, Any]) -> list[list[Any]]:
        """Run the neuron on ``arguments["inputs"]``.

        Raises:
            ToolError: unknown tool, or inputs that are not a list of strings.
        """
        if name != "run":
            raise ToolError(name, f"unknown tool '{name}'; the only tool is 'run'", kind="unknown_tool")
        check_arguments(self._spec, arguments)
        words = [str(w) for w in arguments["inputs"]]
        outs = await neuron_outputs(self.neuron, self.model, words)
        self.calls += 1
        self.inputs_seen.extend(words)
        return [[w, y] for w, y in zip(words, outs, strict=True)]


#: Words that name each corrupted sub-domain (matched as word prefixes: "asia" matches "Asian").
CORRUPTION_KEYS: dict[str, tuple[str, ...]] = {
    "in Asia": ("asia",), "in Europe": ("europ",), "in Africa": ("africa",), "in the Americas": ("america",),
    "that are metals": ("metal",), "that are gases": ("gas",), "that live on farms": ("farm",),
    "that are wild": ("wild",), "that are birds": ("bird",), "about size": ("size", "big", "tall"),
    "about temperature or moisture": ("temperature", "moisture", "hot", "wet"),
    "about feelings": ("feeling", "emotion"), "with an even number of sides": ("even",),
    "with an odd number of sides": ("odd",), "that are gas or ice giants": ("giant", "gas"),
    "that are rocky": ("rock", "terrestrial", "inner"), "with irregular plurals": ("irregular",),
    "ending in f or fe": ("ending in f", "ends in f", "-f"),
}


def corruption_named(neuron: RelationNeuron, domain_text: str | None) -> float:
    """1 when the interpreter's ``[DOMAIN]`` names the corrupted sub-domain by one of its
    :data:`CORRUPTION_KEYS` ("Asian countries", "farm animals", "metals"), else 0 (always 0 for a
    neuron without a corruption). Listing inputs that happen to lie in the sub-domain does not count:
    an interpreter that copies every input it tried would otherwise name every corruption."""
    if neuron.corruption is None or not domain_text:
        return 0.0
    text = domain_text.lower()
    keys = CORRUPTION_KEYS.get(neuron.corruption, ())
    return float(any(re.search(rf"(?<![a-z]){re.escape(k)}", text) for k in keys))
