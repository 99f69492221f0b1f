"""An interactive world: ``reset(seed)`` gives an observation and the menu of actions; ``step(action)``.

Worlds that an agent explores step by step (RULEARN's puzzles, a black-box function to probe)
implement :class:`Environment`. The agent sees only :class:`Observation` objects: text for the model,
the actions it may take now, and whether the episode is over. Rewards and the hidden state stay in
the world; a benchmark reads the outcome through the world's own scorer, never through the agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class ActionError(ValueError):
    """An action that is not on the current menu or whose arguments are malformed.

    Worlds raise it *before* changing any state, so the agent can be told why and try again.
    """


@dataclass(frozen=True)
class Action:
    """One entry of the menu: a name, what it does, and the JSON schema of its arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class Observation:
    """What the agent sees after ``reset`` or ``step``.

    Attributes:
        text: The world's description of what happened, written for the model.
        actions: The actions available now (an empty menu ends the episode too).
        done: Whether the episode is over (solved, failed or out of steps).
        info: Plain data for logs and transcripts (never needed to act).
    """

    text: str
    actions: tuple[Action, ...] = ()
    done: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def action(self, name: str) -> Action:
        """The menu entry called ``name`` (see :func:`menu_entry`)."""
        return menu_entry(self.actions, name)


def menu_entry(actions: Sequence[Action], name: str) -> Action:
    """The entry of a menu called ``name``; worlds call it first in ``step`` so a bad action changes nothing.

    Raises:
        ActionError: naming the actions that are available.
    """
    for a in actions:
        if a.name == name:
            return a
    have = ", ".join(a.name for a in actions) or "none"
    raise ActionError(f"unknown action '{name}'; available now: {have}")


@runtime_checkable
class Environment(Protocol):
    """A world an agent acts in. Deterministic given the seed passed to :meth:`reset`."""

    def reset(self, seed: int | None = None) -> Observation:
        """Start a new episode and return the first observation."""
        ...

    def step(self, action: str, arguments: dict[str, Any] | None = None) -> Observation:
        """Take one action from the current menu.

        Raises:
            ActionError: the action is not available or its arguments are malformed (state unchanged).
        """
        ...
