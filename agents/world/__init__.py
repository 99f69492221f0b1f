"""What an agent sees of a world, and the interpreters agents share.

Protocols (worlds under ``evaluation/worlds/`` implement them and import nothing else of agents):

- :class:`Interpreter`: ``check(rule, examples)`` applies a hypothesis to inputs and compares outputs;
  a :class:`Domain` says how a rule-learning world writes inputs/outputs and which rule forms it has.
- :class:`Environment`: ``reset(seed)`` → :class:`Observation` (text + menu of actions); ``step(action)``.
- :class:`ToolSet`: ``describe()`` → tool schemas; ``call(name, args)`` → result or :class:`ToolError`.

Shared interpreters: :class:`PythonInterpreter` (model-written code in :mod:`agents.sandbox`) and
:class:`AspInterpreter` (answer set programs through :mod:`symbolic.asp`).
"""

from agents.world.asp import AspInterpreter, check_program
from agents.world.domain import Domain, RuleForm
from agents.world.environment import Action, ActionError, Environment, Observation, menu_entry
from agents.world.interpreter import CheckResult, Example, Interpreter, Outcome, OutputParseError, RuleParseError
from agents.world.parsing import code_blocks, parse_python_rule, strip_fences
from agents.world.python import PythonInterpreter, python_form, shared_sandbox
from agents.world.tools import ToolError, ToolSet, ToolSpec, check_arguments

__all__ = [
    "Action", "ActionError", "AspInterpreter", "CheckResult", "Domain", "Environment", "Example", "Interpreter",
    "Observation", "Outcome", "OutputParseError", "PythonInterpreter", "RuleForm", "RuleParseError", "ToolError",
    "ToolSet", "ToolSpec", "check_arguments", "check_program", "code_blocks", "menu_entry", "parse_python_rule",
    "python_form", "shared_sandbox", "strip_fences",
]
