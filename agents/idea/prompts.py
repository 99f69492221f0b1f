"""Prompts of the IDEA agent and its baseline (our wording of the paper's loop; nothing copied).

Each request is one system message (who the agent is, the step budget) and one user message (the
memory stream, the current hypothesis and plan when IDEA holds one, the numbered menu, and the task of
this call). Replies are parsed leniently but never guessed: a reply that names no action is a format
failure (it costs a step, as in the reference runner).
"""

from __future__ import annotations

MODIFY = "Modify previous hypothesis and make a new plan"

SYSTEM = ("You are {name}, an agent solving a puzzle in a text world. The puzzle follows a hidden rule that "
          "you must work out from what you observe. You have {budget} steps.")

CHOOSE = ("{memory}\n\n{hypothesis}You have used {steps} of {budget} steps.\nActions you can take now:\n{menu}\n\n"
          "{instruction}")
CHOOSE_FREE = ("Think step by step in at most three sentences about which action brings you closer to solving "
               "the puzzle, then give the number of the action you choose in square brackets, like [1].")
CHOOSE_STRUCTURED = "Answer with the number of the action you choose."

INPUT_STRING = ("{memory}\n\n{hypothesis}You chose: {action}.\nGive {what} inside square brackets and quotes, "
                "like ['{example}']. Reply with that only.")
INPUT_PAIR = ("{memory}\n\n{hypothesis}You chose: {action}.\nGive {what} in parentheses, like ({a}, {b}) for two "
              "materials or ({a}) for one. Reply with that only.")

ABDUCTION = ("{memory}\n\nActions you can take:\n{menu}\n\n"
             "Based on these observations, state a hypothesis about the hidden rule that your next actions "
             "could prove wrong, and a short plan of actions that tests it and solves the puzzle.{hint}\n"
             "Answer in the form:\nHypothesis: ...\nPlan: ...")

INDUCTION = ("{memory}\n\nYour current hypothesis and plan:\n{hypothesis}\n\n"
             "New observations since you made it:\n{buffer}\n\n"
             "Do the new observations agree with the hypothesis? If they do, repeat it; if not, write a revised "
             "hypothesis and a new plan.{hint}\nAnswer in the form:\nHypothesis: ...\nPlan: ...")


def menu_text(options: list[str]) -> str:
    """``1. first\\n2. second`` (the agent picks by number)."""
    return "\n".join(f"{i}. {text}" for i, text in enumerate(options, 1))


def hypothesis_block(hypothesis: str | None) -> str:
    """The hypothesis and plan that condition an action choice (IDEA's deduction), or nothing."""
    return f"Your hypothesis and plan:\n{hypothesis}\n\n" if hypothesis else ""

#: Added to abduction and induction with ``checker="program"`` (the world says what ``fn`` is).
PROGRAM = ("\nAlso write the hypothesis as a Python program that can be run on what you observed: {explain}\n"
           "After the plan, give it in a ```python block that starts with:\n{signature}")

REVISE = ("{memory}\n\nYour hypothesis and plan:\n{hypothesis}\n\n"
          "Its program was run on your past observations and contradicts them:\n{failures}\n\n"
          "Revise the hypothesis and its program so that they agree with every observation.{program}\n"
          "Answer in the form:\nHypothesis: ...\nPlan: ...")
