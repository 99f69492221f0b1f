"""The FIND interpreter agent (Schwettmann et al., NeurIPS 2023): probe a black box, then explain it.

:class:`FindInterpreter` runs the paper's protocol against any :class:`agents.world.ToolSet` with a
``run`` tool: up to 20 rounds of ``RUN(x1, x2, ...)``, then ``[DESCRIPTION]``, ``[DOMAIN]`` and
``[CODE]``. :func:`parse_command` and :func:`parse_answer` read the model's text.
"""

from agents.find.agent import FindAnswer, FindConfig, FindInterpreter, FindResult, parse_answer, parse_command

__all__ = ["FindAnswer", "FindConfig", "FindInterpreter", "FindResult", "parse_answer", "parse_command"]
