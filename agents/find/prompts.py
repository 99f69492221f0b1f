"""Prompts of the FIND interpreter: the task, the tool's reply, the nudge and the call for the answer.

They follow the paper's protocol (the interpreter may only run the function on inputs it chooses,
then writes ``[DESCRIPTION]``, ``[DOMAIN]`` and ``[CODE]``) in this project's own words; the command
is ``RUN(x1, x2, ...)``, and the paper's ``PYTHON(path x1 x2 ...)`` is accepted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ANSWER_FORMAT = {
    "numeric": ("[DESCRIPTION]: <what the function does, in words>\n"
                "[DOMAIN]: <where it is defined, and any interval where it behaves differently, with its bounds>\n"
                "[CODE]:\n```python\ndef f(x):\n    ...\n```"),
    "strings": ("[DESCRIPTION]: <what the function does, in words>\n"
                "[CODE]:\n```python\ndef f(s):\n    ...\n```"),
    "entities": "[DESCRIPTION]: <which words the neuron responds to, in a few words>",
    "relations": ("[DESCRIPTION]: <what the function returns for a word, in words>\n"
                  "[DOMAIN]: <the inputs it is defined on, and any group of them that returns undefined>"),
}


def task_prompt(kind: str, max_rounds: int, max_inputs: int, *, mlp: bool = False, single_round: bool = False,
                fit_tool: bool = False) -> str:
    """The first user message: what the black box is, the command(s), the budget and the answer format."""
    if kind == "numeric":
        what = ("There is a hidden function f(x) that takes one real number and returns a number. "
                "Your job is to find out what it does.")
        how = (f"To run it, write RUN(x1, x2, ...) with up to {max_inputs} numbers; good inputs lie between "
               "-128 and 128. You will get back the input-output pairs.")
        warn = ("The outputs may be noisy, and on some interval the function may behave differently from "
                "elsewhere (for example constant noise); look for such an interval and report its bounds.")
        if mlp:
            warn += " The function is computed by a small neural network that approximates a simple formula."
        if fit_tool:
            how += (" You may also write FIT() to fit a formula to all the pairs seen so far (a genetic-programming "
                    "regressor); FIT(x1, x2, ...) first runs the function on those inputs. It answers with the "
                    "formula, its error and Python code you may use in [CODE]. A FIT takes a round.")
    else:
        what = {
            "strings": ("There is a hidden function f(s) that takes a string and returns a string. "
                        "Your job is to find out what it does."),
            "entities": ("There is a hidden neuron f(s) that takes a word and returns a number between 0 and 1, "
                         "high for the words it responds to. Your job is to find out which words those are."),
            "relations": ('There is a hidden function f(s) that maps a word to a related word, or to "undefined". '
                          "Your job is to find the relation, and any group of inputs that return undefined."),
        }[kind]
        how = (f'To run it, write RUN("word1", "word2", ...) with up to {max_inputs} quoted strings. '
               "You will get back the input-output pairs.")
        warn = ("Try different kinds of words: short and long, upper and lower case, with digits and spaces."
                if kind == "strings" else "Try words from many different topics.")
    if single_round:
        plan = "The function has already been run on the inputs below; you cannot run it again."
    else:
        plan = (f"You may run it up to {max_rounds} times. Run it, read the results, and run it again "
                "on inputs that test your guess.")
    return (f"{what}\n{how}\n{warn}\n{plan}\nWhen you are sure, answer in exactly this format:\n"
            f"{ANSWER_FORMAT[kind]}")


def format_pairs(pairs: Sequence[Sequence[Any]], kind: str) -> str:
    """The tool's reply as the model reads it, one ``(input, output)`` per pair."""
    fmt = (lambda v: repr(v)) if kind != "numeric" else (lambda v: f"{v:g}" if isinstance(v, float) else str(v))
    return "Response: Function input - output pairs: " + " ".join(f"({fmt(x)}, {fmt(y)})" for x, y in pairs)


def nudge(kind: str, fit: bool = False) -> str:
    """The reply to a message with neither a command nor an answer."""
    example = "RUN(-10, 0, 10)" if kind == "numeric" else 'RUN("apple", "Hello World")'
    if fit:
        example += " or FIT()"
    return (f"Run the function with a command such as {example}, or give your final answer in the format "
            "starting with [DESCRIPTION]:.")


def format_fit(expression: str, train_nmse: float, pairs: int, code: str) -> str:
    """The ``FIT`` command's reply: the formula, its error on the pairs and its code."""
    return (f"Response: Fitted formula on {pairs} pairs (error {train_nmse:.3g} of the variance; 0 is exact):\n"
            f"f(x) = {expression}\nAs code:\n```python\n{code.strip()}\n```")


def final_request(kind: str, reason: str) -> str:
    """The call for the answer once the rounds (or the context) are used up."""
    return f"{reason} Give your final answer now, in exactly this format:\n{ANSWER_FORMAT[kind]}"
