"""Prompt texts of the refinement agent (static text first, examples after: prefix caches reuse it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.world import Domain, Example, Outcome

SYSTEM = ("You are an expert at inductive reasoning: you find the general rule that maps inputs to outputs "
          "from a few examples.")

NL_INSTRUCTIONS = ("Describe the rule in plain English, in one or two sentences, general enough to apply to "
                   "new inputs. Write only the rule.")


def _block(label: str, text: str) -> str:
    return f"{label}:\n{text}" if "\n" in text else f"{label}: {text}"


def examples_text(domain: Domain, examples: Sequence[Example]) -> str:
    return "\n\n".join(_block("Input", domain.format_input(e.input)) + "\n"
                       + _block("Output", domain.format_output(e.output)) for e in examples)


def propose(domain: Domain, seen: Sequence[Example], instructions: str) -> str:
    """The first request: examples, then how to write a rule."""
    return (f"{domain.description}\n\nHere are the examples:\n\n{examples_text(domain, seen)}\n\n"
            f"Find the rule that maps each input to its output. {instructions}")


def feedback(domain: Domain, rule_text: str, failures: Sequence[tuple[Example, Outcome]], instructions: str,
             parse_error: str | None = None) -> str:
    """The refine request: every failed seen example with the expected and the actual output."""
    if parse_error is not None:
        head = f"Your answer could not be used as a rule: {parse_error}."
    else:
        lines = []
        for ex, out in failures:
            actual = domain.format_output(out.output) if out.ok else f"error: {out.error}"
            lines.append(_block("Input", domain.format_input(ex.input)) + "\n"
                         + _block("Expected output", domain.format_output(ex.output)) + "\n"
                         + _block("Actual output", actual))
        head = (f"Your rule:\n{rule_text}\n\nThis rule does not work for the following examples.\n\n"
                + "\n\n".join(lines))
    return (f"{head}\n\nGenerate a new rule that maps the given inputs to their corresponding outputs. "
            f"{instructions}")


def translate(domain: Domain, rule_text: str) -> str:
    """Natural-language rule -> Python (asked at temperature 0, in a fresh conversation)."""
    return (f"{domain.description}\n\nHere is a rule that maps inputs to outputs:\n{rule_text}\n\n"
            f"Write a Python function that implements this rule exactly, with this signature:\n"
            f"{domain.python_signature}\nPut it in a ```python code block and write nothing else.")


def apply_rule(domain: Domain, rule_text: str, x: Any) -> str:
    """The model applies a rule itself (self-refine's interpreter; the rule-application gap)."""
    return (f"{domain.description}\n\nRule:\n{rule_text}\n\nApply the rule to the input below. "
            f"{domain.output_instructions}\n\n" + _block("Input", domain.format_input(x)))


def io(domain: Domain, seen: Sequence[Example], x: Any) -> str:
    """Input/output prompting: the examples, then the new input."""
    return (f"{domain.description}\n\nHere are the examples:\n\n{examples_text(domain, seen)}\n\n"
            f"What is the output for the input below? {domain.output_instructions}\n\n"
            + _block("Input", domain.format_input(x)))
