"""What a rule-learning agent knows of a world: how examples are written and read, and rule forms.

A world (``evaluation/worlds/...``) builds a :class:`Domain`; an agent reads inputs and outputs only
through it, and checks rules only through each :class:`RuleForm`'s :class:`Interpreter`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.world.interpreter import Example, Interpreter


@dataclass
class RuleForm:
    """One way of writing rules for a domain.

    Attributes:
        name: ``"python"``, ``"dict"``, ``"grammar"``, ``"asp"``, ...
        instructions: Told to the model after the examples: how to write a rule of this form.
        parse: Model text -> rule object; raises :class:`RuleParseError` with the reason.
        interpreter: Applies parsed rules.
        max_tokens: Tokens the model may spend on one rule.
        render: Rule object -> text shown back to the model (default: ``str``).
        constraint: Regex a rule of this form matches, for constrained decoding (``None``: none), or a
            function of the seen examples returning one (to allow only the task's own symbols).
    """

    name: str
    instructions: str
    parse: Callable[[str], Any]
    interpreter: Interpreter
    max_tokens: int = 256
    render: Callable[[Any], str] = str
    constraint: str | Callable[[Sequence[Example]], str] | None = None


@dataclass
class Domain:
    """Everything domain-specific the agent needs; benchmarks build one per data set.

    Attributes:
        name: ``"acre"``, ``"miniscan"``, ``"list_functions"``, ``"arc"``.
        description: One paragraph telling the model what the inputs and outputs are.
        format_input: Input -> text in prompts.
        format_output: Output -> text in prompts.
        parse_output: Model text -> output (raises :class:`OutputParseError`).
        output_instructions: How to write an answer (IO prompting and rule application by the model).
        forms: Rule forms by name; ``"python"`` is needed for the ``nl`` form (translation).
        formal: Name of the domain's own formal language in ``forms`` (``None`` if it has none).
        python_signature: Tells the model the Python types of ``fn``'s argument and result.
        output_max_tokens: Tokens the model may spend on one predicted output.
        output_constraint: Regex an output matches, for constrained decoding (``None``: none), or a
            function of the seen examples returning one.
    """

    name: str
    description: str
    format_input: Callable[[Any], str]
    format_output: Callable[[Any], str]
    parse_output: Callable[[str], Any]
    output_instructions: str
    forms: dict[str, RuleForm] = field(default_factory=dict)
    formal: str | None = None
    python_signature: str = ""
    output_max_tokens: int = 64
    output_constraint: str | Callable[[Sequence[Example]], str] | None = None

    def form(self, name: str) -> RuleForm:
        """The rule form called ``name`` (``"formal"`` means this domain's own language)."""
        key = self.formal if name == "formal" else name
        if key is None or key not in self.forms:
            have = ", ".join(sorted(self.forms)) + (", formal" if self.formal else "")
            raise ValueError(f"domain '{self.name}' has no rule form '{name}'; it has: {have}")
        return self.forms[key]

    def equal(self, actual: Any, expected: Any) -> bool:
        """Output equality as the domain's interpreters see it."""
        any_form = next(iter(self.forms.values()), None)
        return any_form.interpreter.equal(actual, expected) if any_form else actual == expected
