"""The Escape Room (an art gallery): the exit code counts paintings of the target colour by medium.

Mechanics (``../shared/docs/research/rulearn-mechanics.md`` 8-13):

- Paintings have a colour (blue, yellow, black, green) and a medium (oil, acrylic, watercolour). The
  3-digit code is the number of target-colour oil, acrylic and watercolour paintings.
- Looking at paintings is free: every painting in a room is described when the agent is there.
- Actions: pass through a gallery door, enter the code at the exit door, and the reference's decoy
  "Try opening the door with brute force" (visible there through a truthiness bug; it costs a step).
- Codes are compared after stripping non-digits; a code of the wrong length gets only a length message
  (a step, not an entry). Feedback is positional.
- Every 3rd code entry, after it is judged, the target colour advances blue → yellow → black → green; a
  correct 3rd entry still solves. The 12th entry ends the puzzle: with the reference's quirk even a
  correct 12th entry fails (and it is not charged as a step).
- Layouts: ``corridor`` (everything in one room) or ``galleries`` (the exit door and the oil paintings
  in the hall, acrylics in the east gallery, watercolours in the west gallery).

Level 1 states the code's structure but not the colour; Level 2 names blue but not the structure.
``quirks=False`` removes the decoy, lets a correct 12th entry solve, and names the right colour in
Level 1's switch message (the reference names blue for the acrylic and watercolour digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.world import Action, Observation, menu_entry
from evaluation.worlds.rulearn.common import (
    STEP_BUDGET,
    Episode,
    check_open,
    code_feedback,
    digits_of,
    final_observation,
    program_spec,
    string_argument,
)

COLOURS = ("blue", "yellow", "black", "green")
MEDIA = ("oil", "acrylic", "watercolour")
LAYOUTS = ("corridor", "galleries")
#: Entries per colour before the target colour advances.
ENTRIES_PER_COLOUR = 3

_ROOM_OF_MEDIUM = {"oil": "hall", "acrylic": "east gallery", "watercolour": "west gallery"}


@dataclass(frozen=True)
class Painting:
    """One painting: its subject (for the description), colour and medium."""

    subject: str
    colour: str
    medium: str


@dataclass(frozen=True)
class EscapePuzzle:
    """One Escape Room puzzle: the paintings and the layout."""

    id: str
    paintings: tuple[Painting, ...]
    layout: str

    def code(self, colour: str) -> str:
        """The exit code while ``colour`` is the target."""
        return "".join(str(sum(p.colour == colour and p.medium == m for p in self.paintings)) for m in MEDIA)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "layout": self.layout,
                "paintings": [[p.subject, p.colour, p.medium] for p in self.paintings]}


class EscapeRoomWorld:
    """The Escape Room as an :class:`agents.world.Environment`.

    Args:
        puzzle: The puzzle.
        level: 1 (the code's structure is stated) or 2 (a note names blue).
        budget: Steps before the puzzle fails.
        quirks: Reproduce the reference's quirks (decoy action, failing correct 12th entry, Level 1's
            switch message naming blue).
    """

    kind = "escape_room"

    def __init__(self, puzzle: EscapePuzzle, level: int = 2, budget: int = STEP_BUDGET, quirks: bool = True) -> None:
        if level not in (1, 2):
            raise ValueError(f"level must be 1 or 2, not {level!r}")
        self.puzzle, self.level, self.budget, self.quirks = puzzle, level, budget, quirks
        self.episode = Episode(budget=budget)
        self.room = "hall"
        self.entries = 0
        self.seen: set[str] = set()
        #: ``(entries before it, code, digit verdicts)`` of every 3-digit code judged.
        self.judged: list[tuple[int, str, list[bool]]] = []

    @property
    def colour(self) -> str:
        """The current target colour."""
        return COLOURS[min(self.entries // ENTRIES_PER_COLOUR, len(COLOURS) - 1)]

    def rooms(self) -> tuple[str, ...]:
        return ("corridor",) if self.puzzle.layout == "corridor" else ("hall", "east gallery", "west gallery")

    def paintings_in(self, room: str) -> list[Painting]:
        if self.puzzle.layout == "corridor":
            return list(self.puzzle.paintings)
        return [p for p in self.puzzle.paintings if _ROOM_OF_MEDIUM[p.medium] == room]

    # ----------------------------------------------------------------------------------- protocol

    def reset(self, seed: int | None = None) -> Observation:
        """Start in the hall (or the corridor); the note and the paintings there are read for free."""
        self.episode = Episode(budget=self.budget)
        self.room = self.rooms()[0]
        self.entries = 0
        self.seen = set()
        self.judged = []
        if self.level == 1:
            note = ("A note by the door: the exit code has 3 digits; they count the paintings of one colour "
                    "painted in oil, in acrylic and in watercolour.")
        else:
            note = "A note by the door: Focus on blue."
        intro = (f"You are locked in an art gallery and must leave through the exit door, which opens with a "
                 f"3-digit code. {note}")
        return Observation(text=intro + "\n" + self._look(), actions=self.menu(), info=self.info())

    def step(self, action: str, arguments: dict[str, Any] | None = None) -> Observation:
        """``enter_code`` with ``{"code": "..."}``, ``go_<room>`` or ``brute_force``."""
        check_open(self.episode)
        entry = menu_entry(self.menu(), action)
        if action == "enter_code":
            return self._enter(string_argument(entry, arguments, "code"))
        self.episode.history.append((action, {}))
        if action == "brute_force":
            self.episode.charge()
            return self._after("You push the exit door as hard as you can; it does not move.")
        self.room = action.removeprefix("go_").replace("_", " ")
        self.episode.charge()
        return self._after(f"You walk into the {self.room}.\n" + self._look())

    # ------------------------------------------------------------------------------------- helpers

    def info(self) -> dict[str, Any]:
        return self.episode.info() | {"room": self.room, "entries": self.entries, "colour": self.colour,
                                      "program": self.program()}

    def program(self) -> dict[str, Any]:
        """Judged codes as observations a hypothesis program ``fn(paintings, entry)`` must agree with.

        The feedback says only which digits were right, so the expected output is a pattern: a right
        digit must be repeated, a wrong one must differ. ``paintings`` is every painting seen so far.
        """
        seen = [[p.colour, p.medium] for p in self.puzzle.paintings if p.subject in self.seen]
        observations = []
        for entry, code, right in self.judged:
            pattern = "".join(d if ok else f"(?!{d})[0-9]" for d, ok in zip(code, right, strict=True))
            verdicts = ", ".join(f"digit {i + 1} {'correct' if ok else 'incorrect'}" for i, ok in enumerate(right))
            observations.append({"args": [seen, entry], "output": pattern,
                                 "text": f"code entry #{entry + 1}: you entered {code}; {verdicts}"})
        return program_spec("def fn(paintings, entry):",
                            "fn(paintings, entry) returns the 3-digit exit code (a string) for code entry number "
                            "entry (0 for the first code entered, 1 for the second, ...), given paintings: a "
                            "list of [colour, medium] pairs of every painting you have seen.", "regex", observations)

    def menu(self) -> tuple[Action, ...]:
        actions = []
        if self.room in ("hall", "corridor"):
            schema = {"type": "object", "required": ["code"], "properties": {
                "code": {"type": "string", "pattern": "[0-9]{3}", "description": "the 3-digit code"}}}
            actions.append(Action("enter_code", "Input a code to the exit door", schema))
            if self.quirks:
                actions.append(Action("brute_force", "Try opening the exit door with brute force"))
        for room in self.rooms():
            if room != self.room and (room == "hall" or self.room == "hall"):
                actions.append(Action("go_" + room.replace(" ", "_"), f"Pass through the door to the {room}"))
        return tuple(actions)

    def _look(self) -> str:
        here = self.paintings_in(self.room)
        if not here:
            return f"There are no paintings in the {self.room}."
        self.seen.update(p.subject for p in here)
        lines = [f"In the {self.room} you look at {len(here)} painting{'s' if len(here) != 1 else ''}:"]
        lines += [f"- {p.subject}, painted in {p.colour} {p.medium} paint." for p in here]
        return "\n".join(lines)

    def _after(self, text: str) -> Observation:
        if self.episode.failed:
            return final_observation(f"{text}\n{self.episode.reason}; the puzzle is failed.", self.episode)
        return Observation(text=text, actions=self.menu(), info=self.info())

    def _enter(self, raw: str) -> Observation:
        code = digits_of(raw)
        self.episode.history.append(("enter_code", {"code": code}))
        if len(code) != 3:
            self.episode.charge()
            return self._after(f"You enter '{raw}'. " + code_feedback(code, "000"))
        expected = self.puzzle.code(self.colour)
        self.entries += 1
        last = self.entries >= ENTRIES_PER_COLOUR * len(COLOURS)
        if code == expected and not (last and self.quirks):
            self.episode.solved = True
            return final_observation(f"You enter {code}. The exit door opens: you escaped!", self.episode)
        if last:
            # The reference raises its failure before judging the 12th entry and does not charge it.
            self.episode.failed, self.episode.reason = True, "the lock jammed after 12 entries"
            return final_observation(f"You enter {code}. The lock jams for good; the puzzle is failed.",
                                     self.episode)
        self.judged.append((self.entries - 1, code, [a == b for a, b in zip(code, expected, strict=True)]))
        text = f"You enter {code}. " + code_feedback(code, expected)
        if self.entries % ENTRIES_PER_COLOUR == 0:
            text += " " + self._switch_message()
        self.episode.charge()
        return self._after(text)

    def _switch_message(self) -> str:
        new = self.colour
        if self.level == 2:
            return f"The lock clicks and a new note appears: Focus on {new}."
        # The reference's Level-1 message names blue for the acrylic and watercolour digits.
        other = "blue" if self.quirks else new
        return (f"The lock clicks and the code changes: the digits now count {new} oil paintings, {other} "
                f"acrylic paintings and {other} watercolour paintings.")
