"""Prompts of the STE agent (written for this project; the paper's method, not its wording)."""

from __future__ import annotations

REACT_FORMAT = """Answer in this format, one step at a time:
Thought: what to do next
Action: the API name, exactly as listed
Action Input: the input of the API as a JSON dict string
Observation: the result of the call (written by the system, never by you)
... (Thought/Action/Action Input/Observation may repeat)
Thought: I now know the answer
Final Answer: the answer to the user"""

EXPLORE_SYSTEM = """You are exploring an API to learn how to use it. Here is its description:

{api}

You will repeatedly (1) imagine a request a real user could make that this API can fulfil, then
(2) try to fulfil it by calling the API and reading what it returns.

""" + REACT_FORMAT

IMAGINE_FIRST = """Imagine one natural, specific user request that this API can fulfil with a single call.
Do not mention the API's name. Write only the request, on one line, after "User Query:".{memory}"""

IMAGINE_NEXT = """Based on what you have seen so far, imagine a new user request that explores another ability
or argument of the API (something you are not sure it can do). Do not mention the API's name.
Write only the request, on one line, after "User Query:".{memory}"""

LONG_TERM_MEMORY = """

Requests already explored for this API (Yes = fulfilled, No = not fulfilled); make yours different:
{items}"""

SOLVE = """User Query: {query}

Now fulfil the request with the API. Start with "Thought:"."""

CONTINUE = "Observation: {observation}"

REFLECT = """Did you fulfil the user's request with the API's results? Answer Yes or No."""

TOOL_SYSTEM = """You can call the following APIs:

{apis}

Answer the user's request by calling one of them.
""" + REACT_FORMAT

DEMO = """User Query: {query}
{call}"""

DEMOS_HEADER = "Examples of correct API calls:\n\n{demos}\n\n"

JUDGE_TRIAL = """An assistant tried to fulfil a user request with the API "{api}".

User Query: {query}
Last call: Action Input: {arguments}
API result: {observation}
Final Answer: {answer}

Check three things:
1. Is the final answer informative (does it actually answer the request)?
2. Is it faithful to the API result (no invented facts)?
3. Was the API used appropriately for the request?
Answer "Yes." if all three hold, otherwise "No."."""

PARAPHRASE = """Rewrite the following user request in a different way, keeping its meaning and every specific
value (names, numbers, dates) unchanged. Write only the rewritten request.

Request: {query}
Rewritten:"""
