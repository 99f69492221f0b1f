"""ACRE (Zhang et al., CVPR 2021) as used by Qiu et al. (2024): a blicket detector, tasks and interpreters.

The generator
-------------
Objects are CLEVR objects: a shape (cube, sphere, cylinder), one of 8 colors and a material (rubber,
metal), written ``"<color> <material> <shape>"``. Some objects are *blickets*; the detector lights up
when at least one blicket is on it. A task draws 6 distinct objects A..F and shows 6 *context trials*
(the seen examples), built like ACRE's context panels from three small experiments:

- direct: ``[A]`` and ``[B]`` alone on the detector (their status is seen directly);
- two pair experiments ``[C, D]`` then ``[C]``, and ``[E, F]`` then ``[F]``, each drawn from three
  variants: *backward blocking* (pair on, first alone on: the second object stays undetermined),
  *indirect* (pair on, first alone off: the second is a blicket, inferred), *off* (pair off, alone off:
  both are not blickets).

At least one trial is on. The labels of queries (the unseen examples) are then *inferred*, never read
from the hidden truth: a query is ``on`` if it holds a blicket in every assignment of blicket/not
consistent with the trials, ``off`` if in none, ``undetermined`` otherwise (ACRE's semantics). The 4
queries are single objects and pairs of context objects that are not trials, chosen so that ``on``,
``off`` and ``undetermined`` each appear when the task allows (ACRE's direct, indirect, screening-off and
backward-blocking queries all arise this way). Trial order and object order within a trial are shuffled.
Everything derives from ``numpy.random.default_rng(seed)``; task ``i`` of a set uses seed ``seed + i``.

Rule forms
----------
- ``dict``: one line per object, ``<object>: on|off|undetermined`` (the paper's form). Interpreter:
  the light is on if any present object is ``on``; else undetermined if any present object is
  ``undetermined`` or not in the rule; else off. ``acre_domain(dict_default="off")`` reads an object
  the rule does not mention as ``off`` instead, the default the ASP form has (an object without a
  ``blicket`` fact is not a blicket), so dict and ASP rules can be compared with only the rule form
  differing.
- ``asp``: a clingo program over ``blicket/1`` (see :func:`acre_asp_interpreter`).
- ``python``: ``fn(objects: list[str]) -> str``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np

from agents.world import (
    AspInterpreter,
    Domain,
    Example,
    Interpreter,
    Outcome,
    OutputParseError,
    PythonInterpreter,
    RuleForm,
    RuleParseError,
    python_form,
)
from evaluation.worlds.induction.tasks import Task

SHAPES = ("cube", "sphere", "cylinder")
COLORS = ("gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow")
MATERIALS = ("rubber", "metal")
LABELS = ("on", "off", "undetermined")
_SYNONYMS = {"on": "on", "off": "off", "undetermined": "undetermined", "unknown": "undetermined",
             "undecided": "undetermined", "uncertain": "undetermined"}


def object_name(color: str, material: str, shape: str) -> str:
    return f"{color} {material} {shape}"


def _consistent_worlds(objects: Sequence[str], trials: Sequence[Example]) -> list[frozenset[str]]:
    """All sets of blickets consistent with the trials (exhaustive; tasks have 6 objects)."""
    worlds = []
    for bits in itertools.product((False, True), repeat=len(objects)):
        blickets = frozenset(o for o, b in zip(objects, bits, strict=True) if b)
        if all((any(o in blickets for o in t.input)) == (t.output == "on") for t in trials):
            worlds.append(blickets)
    return worlds


def infer_label(query: Sequence[str], worlds: Sequence[frozenset[str]]) -> str:
    """ACRE's label of a query: on / off in every consistent world, else undetermined."""
    lit = [any(o in w for o in query) for w in worlds]
    if all(lit):
        return "on"
    if not any(lit):
        return "off"
    return "undetermined"


def generate_task(seed: int, index: int = 0) -> Task:
    """Generate one ACRE task from ``seed`` (see the module docstring).

    ``meta['status']`` holds the inferred status of every object: the rule an ideal learner writes.
    """
    rng = np.random.default_rng(seed)
    triples = list(itertools.product(COLORS, MATERIALS, SHAPES))
    picks = rng.choice(len(triples), size=6, replace=False)
    a, b, c, d, e, f = (object_name(*triples[int(i)]) for i in picks)
    while True:
        blicket_a, blicket_b = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        variants = [str(rng.choice(["backward_blocking", "indirect", "off"])) for _ in range(2)]
        if blicket_a or blicket_b or "off" not in variants or variants[0] != variants[1]:
            break
    trials = [Example((a,), "on" if blicket_a else "off"), Example((b,), "on" if blicket_b else "off")]
    for (first, second), variant in zip(((c, d), (f, e)), variants, strict=True):
        pair = "off" if variant == "off" else "on"
        alone = "on" if variant == "backward_blocking" else "off"
        trials += [Example((first, second), pair), Example((first,), alone)]
    if all(t.output == "off" for t in trials):  # a detector that never lights teaches nothing
        trials[0] = Example((a,), "on")
    objects = [a, b, c, d, e, f]
    worlds = _consistent_worlds(objects, trials)
    status = {o: infer_label((o,), worlds) for o in objects}
    seen_sets = {frozenset(t.input) for t in trials}
    candidates = [(o,) for o in objects] + list(itertools.combinations(objects, 2))
    candidates = [q for q in candidates if frozenset(q) not in seen_sets]
    order = rng.permutation(len(candidates))
    by_label: dict[str, list[tuple[str, ...]]] = {lab: [] for lab in LABELS}
    for i in order:
        q = candidates[int(i)]
        by_label[infer_label(q, worlds)].append(q)
    queries: list[tuple[str, ...]] = [by_label[lab].pop(0) for lab in LABELS if by_label[lab]]
    rest = [q for lab in LABELS for q in by_label[lab]]
    rest_order = rng.permutation(len(rest))
    queries += [rest[int(i)] for i in rest_order[: 4 - len(queries)]]
    queries = [queries[int(i)] for i in rng.permutation(len(queries))]
    test = tuple(Example(tuple(rng.permutation(list(q)).tolist()), infer_label(q, worlds)) for q in queries)
    train = tuple(Example(tuple(rng.permutation(list(t.input)).tolist()), t.output)
                  for t in (trials[int(i)] for i in rng.permutation(len(trials))))
    return Task(id=f"acre-{index:03d}", train=train, test=test, meta={"status": status})


def generate_tasks(n: int = 100, seed: int = 0) -> list[Task]:
    """``n`` tasks; task ``i`` is generated from seed ``seed * 100_003 + i`` (reproducible, independent)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return [generate_task(seed * 100_003 + i, index=i) for i in range(n)]


# ----------------------------------------------------------------------------------------- interpreters

def _object_key(text: str) -> frozenset[str]:
    """Objects are identified by their three attribute words, in any order."""
    return frozenset(w for w in re.findall(r"[a-z]+", text.lower()) if w not in ("the", "a", "an", "object"))


_DICT_LINE = re.compile(r"^\W*['\"]?(?P<obj>[A-Za-z][A-Za-z ]*?)['\"]?\s*(?::|->|=>|=|\bis\b)\s*"
                        r"['\"]?(?P<val>[A-Za-z]+)['\"]?\W*$")


def parse_dict_rule(text: str) -> dict[frozenset[str], str]:
    """Read ``<object>: on|off|undetermined`` lines (also JSON-like ``"obj": "on",``).

    Raises:
        RuleParseError: when no line maps an object to on/off/undetermined.
    """
    rule: dict[frozenset[str], str] = {}
    for line in text.replace("{", "\n").replace("}", "\n").replace(",\n", "\n").splitlines():
        m = _DICT_LINE.match(line.strip())
        if not m:
            continue
        value = _SYNONYMS.get(m.group("val").lower())
        key = _object_key(m.group("obj"))
        if value is None or len(key) != 3:
            continue
        rule[key] = value
    if not rule:
        raise RuleParseError("no line of the form '<color> <material> <shape>: on|off|undetermined'")
    return rule


def render_dict_rule(rule: dict[frozenset[str], str]) -> str:
    return "\n".join(f"{_canonical(k)}: {v}" for k, v in rule.items())


def _canonical(key: frozenset[str]) -> str:
    color = next((w for w in key if w in COLORS), "?")
    material = next((w for w in key if w in MATERIALS), "?")
    shape = next((w for w in key if w in SHAPES), "?")
    if "?" in (color, material, shape):
        return " ".join(sorted(key))
    return object_name(color, material, shape)


def apply_dict_rule(rule: dict[frozenset[str], str], objects: Sequence[str], default: str = "undetermined") -> str:
    """The paper's ACRE interpreter: any on → on; else any undetermined → undetermined; else off.

    Args:
        rule: Object key -> ``on`` / ``off`` / ``undetermined``.
        objects: The objects on the detector.
        default: The state of an object the rule does not mention: ``undetermined`` (the paper's) or
            ``off`` (what the ASP form implies: no ``blicket`` fact, not a blicket).
    """
    states = [rule.get(_object_key(o), default) for o in objects]
    if "on" in states:
        return "on"
    if "undetermined" in states:
        return "undetermined"
    return "off"


class AcreDictInterpreter(Interpreter):
    """Applies dictionary rules (object -> on/off/undetermined) to sets of objects.

    Args:
        default: State of an object the rule does not mention (see :func:`apply_dict_rule`).
    """

    def __init__(self, default: str = "undetermined") -> None:
        if default not in LABELS:
            raise ValueError(f"default must be one of {', '.join(LABELS)}, got {default!r}")
        self.default = default

    def apply(self, rule: dict[frozenset[str], str], inputs: Sequence[Sequence[str]]) -> list[Outcome]:
        return [Outcome(apply_dict_rule(rule, x, self.default)) for x in inputs]

    async def aapply(self, rule, inputs):  # pure and fast: no thread needed
        return self.apply(rule, inputs)


def atom(obj: str) -> str:
    """Object name -> clingo constant (``"red metal cube"`` -> ``red_metal_cube``)."""
    return "_".join(re.findall(r"[a-z0-9]+", obj.lower()))


def acre_facts(objects: Sequence[str]) -> str:
    """Facts describing one trial for the ASP form."""
    facts = []
    for o in objects:
        color, material, shape = o.split()
        a = atom(o)
        facts.append(f"present({a}). color({a},{color}). material({a},{material}). shape({a},{shape}).")
    return "\n".join(facts)


ACRE_BACKGROUND = "on :- present(X), blicket(X).\n#show on/0.\n"


def acre_asp_interpreter(timeout: float = 2.0) -> AspInterpreter:
    """ASP interpreter for ACRE: the light's state under cautious/brave reasoning over the hypothesis.

    The hypothesis is a clingo program defining ``blicket/1`` (facts, rules over ``color/2``,
    ``material/2``, ``shape/2``, choice rules for open cases). The light is ``on`` if ``on`` holds in
    every answer set, ``off`` if in none, ``undetermined`` otherwise; no answer set is an error.
    """
    return AspInterpreter(background=ACRE_BACKGROUND, facts=acre_facts, query="on",
                          labels=("on", "off", "undetermined"), timeout=timeout)


# ----------------------------------------------------------------------------------------------- domain

def parse_label(text: str) -> str:
    """First of on / off / undetermined (or a synonym) in the text."""
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _SYNONYMS:
            return _SYNONYMS[word]
    raise OutputParseError(f"no 'on', 'off' or 'undetermined' in {text[:80]!r}")


DESCRIPTION = (
    "Some objects are blickets. A blicket detector lights up (on) when at least one blicket is put on it, "
    "and stays off otherwise. Each input is the set of objects put on the detector; each output is the "
    "detector's state: on, off, or undetermined when the observations do not tell."
)

DICT_INSTRUCTIONS = (
    "Write the rule as one line per object: '<object>: on' if it is a blicket, '<object>: off' if it is "
    "not, '<object>: undetermined' if the examples do not tell. Write only these lines."
)

#: The dict form when unmentioned objects are off: told the way the ASP form is told ("nothing for objects
#: that are not blickets"), so the two differ in the rule language only.
DICT_OFF_INSTRUCTIONS = (
    "Write the rule as one line per object: '<object>: on' if it is a blicket, '<object>: undetermined' if "
    "the examples do not tell, and nothing (or '<object>: off') for objects that are not blickets. Write only "
    "these lines."
)

ASP_INSTRUCTIONS = (
    "Write the rule as a clingo (answer set programming) program defining blicket/1. Objects are "
    "constants like red_metal_cube, with facts present/1, color/2, material/2, shape/2. Write "
    "'blicket(o).' for a blicket, '{blicket(o)}.' when the examples do not tell, and nothing for objects "
    "that are not blickets. The detector is on when a present object is a blicket. Write only the program."
)


def parse_asp_rule(text: str) -> str:
    """Pull the program out of the reply and check its syntax with clingo's parser."""
    from agents.world import check_program, strip_fences

    program = strip_fences(text, ("asp", "clingo", "prolog", "lp"))
    check_program(program)
    return program


_OBJECT_RE = f"({'|'.join(COLORS)}) ({'|'.join(MATERIALS)}) ({'|'.join(SHAPES)})"
#: Constrained decoding (optional condition): what a dict rule, an ASP rule and an answer look like.
DICT_CONSTRAINT = f"({_OBJECT_RE}: (on|off|undetermined)\n){{1,8}}"
ASP_CONSTRAINT = (f"((blicket[(]{_OBJECT_RE.replace(' ', '_')}[)][.]|[{{]blicket[(]{_OBJECT_RE.replace(' ', '_')}"
                  "[)][}][.])\n){1,8}")


def _task_objects(seen: Sequence[Example]) -> list[str]:
    return sorted({o for e in seen for o in e.input})


def dict_constraint(seen: Sequence[Example]) -> str:
    """A dict rule over this task's objects only (one line each at most)."""
    objects = _task_objects(seen)
    return f"(({'|'.join(objects)}): (on|off|undetermined)\n){{1,{len(objects)}}}"


def asp_constraint(seen: Sequence[Example]) -> str:
    """An ASP rule of facts and choices over this task's objects only."""
    atoms = "|".join(atom(o) for o in _task_objects(seen))
    return f"((blicket[(]({atoms})[)][.]|[{{]blicket[(]({atoms})[)][}}][.])\n){{1,{len(atoms.split('|'))}}}"


LABEL_CONSTRAINT = "on|off|undetermined"


def acre_domain(asp_timeout: float = 2.0, python_timeout: float = 2.0, dict_default: str = "undetermined") -> Domain:
    """The ACRE domain with its three rule forms (dict, asp, python).

    Args:
        asp_timeout: Seconds per clingo solve of the ASP form.
        python_timeout: Seconds per sandboxed Python rule application.
        dict_default: State of an object a dict rule does not mention: ``undetermined`` (the paper's) or
            ``off`` (the ASP form's default; the instructions then say so, as the ASP ones do).
    """
    instructions = DICT_OFF_INSTRUCTIONS if dict_default == "off" else DICT_INSTRUCTIONS
    dict_form = RuleForm("dict", instructions, parse_dict_rule, AcreDictInterpreter(dict_default), max_tokens=160,
                         render=render_dict_rule, constraint=dict_constraint)
    asp_form = RuleForm("asp", ASP_INSTRUCTIONS, parse_asp_rule, acre_asp_interpreter(asp_timeout),
                        max_tokens=200, constraint=asp_constraint)
    signature = ("def fn(objects: list[str]) -> str  # objects like 'red metal cube'; returns 'on', 'off' "
                 "or 'undetermined'")
    py = python_form(PythonInterpreter(to_python=list, from_python=_label_from_python, timeout=python_timeout),
                     signature)
    return Domain(
        name="acre", description=DESCRIPTION, format_input=lambda x: ", ".join(x),
        format_output=str, parse_output=parse_label,
        output_instructions="Answer with one word: on, off or undetermined.",
        forms={"dict": dict_form, "asp": asp_form, "python": py}, formal="dict",
        python_signature=signature, output_max_tokens=6, output_constraint=LABEL_CONSTRAINT,
    )


def _label_from_python(value: object) -> str:
    if not isinstance(value, str) or value.strip().lower() not in LABELS:
        raise TypeError(f"fn must return 'on', 'off' or 'undetermined', got {value!r:.60}")
    return value.strip().lower()
