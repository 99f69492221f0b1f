"""IDEA (He et al., 2024/2025): an agent that learns a world's hidden rule by abduction, deduction, induction.

:class:`IdeaAgent` plays an :class:`agents.world.Environment` with a chat model; ``IdeaConfig(method=
"baseline")`` is the paper's ReAct-style baseline; ``structured=True`` decodes action choices and inputs
under constraints; ``checker="program"`` also writes each hypothesis as a Python function that is
checked against past observations (:mod:`agents.idea.checker`). The RULEARN worlds it was made for
live in ``evaluation/worlds/rulearn``.
"""

from agents.idea.agent import (
    CHECKERS,
    METHODS,
    EpisodeResult,
    IdeaAgent,
    IdeaConfig,
    parse_index,
    parse_pair,
    parse_string,
)
from agents.idea.prompts import MODIFY

__all__ = ["CHECKERS", "METHODS", "MODIFY", "EpisodeResult", "IdeaAgent", "IdeaConfig", "parse_index",
           "parse_pair", "parse_string"]
