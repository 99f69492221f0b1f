"""The Reactor world: synthesise the Task Monitor's target string under one hidden combination rule.

Mechanics (``../shared/docs/research/rulearn-mechanics.md`` 1-7):

- Storage starts with the one-letter raw materials ``A`` up to the greatest letter of the target.
  Every material is unlimited: inputs are never consumed, and duplicate products collapse.
- Putting two materials in and turning the reactor on combines them by the hidden rule:

  1. concatenate in input order;
  2. concatenate in reverse order;
  3. insert the shorter into the longer at index ``ceil(len(longer) / 2)`` (equal lengths: the second
     into the first at ``ceil(len / 2)``);
  4. equal lengths, or all letters identical: concatenate in input order; otherwise two products,
     ``longer[0] + shorter`` and ``longer[1:]``, whatever the input order.

- One multi-letter material alone is shuffled and split at a uniform point ``0..n`` (so with probability
  ``2/(n+1)`` it stays one shuffled string); a one-letter material alone returns itself. This does not
  depend on the rule and uses the episode's seed.
- "Submit the target to the Task Monitor" appears only once the target is in storage and always solves.

Level 1 states the rule; Level 2 shows two example reactions instead.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from agents.world import Action, ActionError, Observation, menu_entry
from evaluation.worlds.rulearn.common import STEP_BUDGET, Episode, check_open, final_observation, program_spec

RULES = (1, 2, 3, 4)

RULE_TEXT = {
    1: "Two materials combine by joining them in the order they were put in: A and BC give ABC.",
    2: "Two materials combine by joining them in reverse order: A and BC give BCA.",
    3: ("The shorter material is inserted into the middle of the longer one, at position ceil(length/2) "
        "of the longer (ABC and D give ABDC); when both have the same length, the second goes into the "
        "first at position ceil(length/2) (AB and CD give ACDB)."),
    4: ("If both materials have the same length, or all their letters are the same, they are joined in "
        "the order put in (AB and CD give ABCD). Otherwise the reaction gives two products: the first "
        "letter of the longer material followed by the shorter material, and the rest of the longer "
        "material (ABC and D give AD and BC)."),
}


def combine(rule: int, first: str, second: str) -> list[str]:
    """The products of reacting ``first`` with ``second`` under ``rule`` (1-4), in order."""
    if rule == 1:
        return [first + second]
    if rule == 2:
        return [second + first]
    if rule == 3:
        # Unequal lengths: input order is irrelevant; equal: the first input hosts the second.
        host, guest = (first, second) if len(first) >= len(second) else (second, first)
        k = math.ceil(len(host) / 2)
        return [host[:k] + guest + host[k:]]
    if rule == 4:
        if len(first) == len(second) or len(set(first + second)) == 1:
            return [first + second]
        longer, shorter = (first, second) if len(first) > len(second) else (second, first)
        return [longer[0] + shorter, longer[1:]]
    raise ValueError(f"unknown reactor rule {rule!r}; rules are 1-4")


def decompose(material: str, rng: random.Random) -> list[str]:
    """Shuffle a multi-letter material and split it at a uniform point (0..n: sometimes no split)."""
    if len(material) <= 1:
        return [material]
    letters = list(material)
    rng.shuffle(letters)
    cut = rng.randint(0, len(letters))
    parts = ["".join(letters[:cut]), "".join(letters[cut:])]
    return [p for p in parts if p]


def raw_letters(target: str) -> list[str]:
    """``A`` up to the greatest letter of the target (the reference's raw materials)."""
    return [chr(c) for c in range(ord("A"), ord(max(target)) + 1)]


@dataclass(frozen=True)
class ReactorPuzzle:
    """One Reactor puzzle: the hidden rule, the target, and the inputs of Level 2's example reactions."""

    id: str
    rule: int
    target: str
    examples: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "target": self.target,
                "examples": [list(e) for e in self.examples]}


class ReactorWorld:
    """The Reactor as an :class:`agents.world.Environment`.

    Args:
        puzzle: The puzzle.
        level: 1 (the rule is stated) or 2 (two example reactions).
        budget: Steps before the puzzle fails.
    """

    kind = "reactor"

    def __init__(self, puzzle: ReactorPuzzle, level: int = 2, budget: int = STEP_BUDGET) -> None:
        if level not in (1, 2):
            raise ValueError(f"level must be 1 or 2, not {level!r}")
        self.puzzle, self.level, self.budget = puzzle, level, budget
        self.episode = Episode(budget=budget)
        self.storage: list[str] = []
        self._rng = random.Random(0)
        #: ``(first, second, products)`` of every two-material reaction seen (the examples first).
        self.reactions: list[tuple[str, str, list[str]]] = []

    # ----------------------------------------------------------------------------------- protocol

    def reset(self, seed: int | None = None) -> Observation:
        """Fresh storage (the raw letters) and the Task Monitor's text."""
        self.episode = Episode(budget=self.budget)
        self._rng = random.Random(seed)
        self.storage = raw_letters(self.puzzle.target)
        self.reactions = ([(a, b, combine(self.puzzle.rule, a, b)) for a, b in self.puzzle.examples]
                          if self.level == 2 else [])
        return Observation(text=self.intro(), actions=self.menu(), info=self.info())

    def step(self, action: str, arguments: dict[str, Any] | None = None) -> Observation:
        """``react`` with ``{"materials": [one or two names from storage]}``, or ``submit``."""
        check_open(self.episode)
        menu_entry(self.menu(), action)  # an action not on the menu is refused before anything changes
        if action == "submit":
            self.episode.history.append((action, {}))
            self.episode.solved = True
            return final_observation(f"You submit {self.puzzle.target} to the Task Monitor. Task complete!",
                                     self.episode)
        materials = self._materials(arguments)
        self.episode.history.append((action, {"materials": materials}))
        if len(materials) == 1:
            products = decompose(materials[0], self._rng)
            what = f"{materials[0]} decomposed into {' and '.join(products)}."
        else:
            products = combine(self.puzzle.rule, materials[0], materials[1])
            self.reactions.append((materials[0], materials[1], products))
            what = f"{materials[0]} and {materials[1]} turned into {' and '.join(products)}."
        for p in products:
            if p not in self.storage:
                self.storage.append(p)
        self.episode.charge()
        text = f"{what} Storage now holds: {', '.join(self.storage)}."
        if self.episode.failed:
            return final_observation(f"{text} {self.episode.reason}; the puzzle is failed.", self.episode)
        if self.puzzle.target in self.storage:
            text += f" The target {self.puzzle.target} is in storage."
        return Observation(text=text, actions=self.menu(), info=self.info())

    # ------------------------------------------------------------------------------------- helpers

    def info(self) -> dict[str, Any]:
        return self.episode.info() | {"program": self.program()}

    def program(self) -> dict[str, Any]:
        """Two-material reactions as observations a hypothesis program ``fn(first, second)`` must reproduce.

        One material alone is left out: it is shuffled at random whatever the rule.
        """
        observations = [{"args": [a, b], "output": products,
                         "text": f"{a} and {b} turned into {' and '.join(products)}"}
                        for a, b, products in self.reactions]
        return program_spec("def fn(first, second):",
                            "fn(first, second) returns the list of products (strings) of putting the materials "
                            "first and second (strings of letters) into the Reactor in that order.",
                            "equal", observations)

    def intro(self) -> str:
        lines = [
            "You are in a laboratory with a Reactor, a storage of materials and a Task Monitor.",
            f"The Task Monitor says: synthesise the material {self.puzzle.target} and submit it.",
            f"Storage holds the raw materials {', '.join(self.storage)}; every material is unlimited "
            "and putting materials into the Reactor does not use them up.",
            "Putting one multi-letter material alone into the Reactor shuffles it and may split it.",
        ]
        if self.level == 1:
            lines.append("Rule of the Reactor: " + RULE_TEXT[self.puzzle.rule])
        else:
            for a, b in self.puzzle.examples:
                lines.append(f"Example reaction: {a} and {b} turned into "
                             f"{' and '.join(combine(self.puzzle.rule, a, b))}.")
        return "\n".join(lines)

    def menu(self) -> tuple[Action, ...]:
        schema = {"type": "object", "required": ["materials"], "properties": {"materials": {
            "type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string", "enum": list(self.storage)},
            "description": "one or two materials from storage, in the order put in"}}}
        actions = [Action("react", "Choose one or two materials from storage, put them into the Reactor "
                          "and turn it on", schema)]
        if self.puzzle.target in self.storage:
            actions.append(Action("submit", f"Submit {self.puzzle.target} to the Task Monitor"))
        return tuple(actions)

    def _materials(self, arguments: dict[str, Any] | None) -> list[str]:
        raw = (arguments or {}).get("materials")
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list | tuple) or not 1 <= len(raw) <= 2:
            raise ActionError(f"'react' needs 'materials': one or two names from storage; got {raw!r}")
        names = [str(m).strip().upper() for m in raw]
        missing = [m for m in names if m not in self.storage]
        if missing:
            raise ActionError(f"not in storage: {', '.join(missing)}; storage holds {', '.join(self.storage)}")
        return names
