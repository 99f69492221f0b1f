"""Scripted exploration: requests written from templates, each call executed in the tool world.

STE's exploration needs a model that follows the ReAct format; SmolLM2-135M does not (its replies are prose
or Python), so its exploration yields no valid call and nothing to fine-tune on. To study fine-tuning and
continual learning with that model anyway, this module produces the data a perfect explorer would keep, for
a few simulable APIs, deterministically: a request from a template with seeded values (dates, amounts,
places, names), the call that serves it, and the tool world's answer to that call. A call the world
refuses is dropped, so every example is a call that succeeded. The requests are templated, not imagined:
they are less varied than the paper's, and the test queries of ``tool_test.json`` are never used.

:func:`scripted_calls` gives ``n`` distinct examples of one API; :data:`SCRIPTED` names the APIs covered.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.world import ToolError
from evaluation.worlds.ste.places import PLACES
from evaluation.worlds.ste.tools import SteTools

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_COUNTRIES = {"GB": "the UK", "FR": "France", "DE": "Germany", "ES": "Spain", "IT": "Italy", "NL": "the Netherlands",
              "US": "the USA", "JP": "Japan", "CN": "China", "IN": "India", "AU": "Australia", "BR": "Brazil",
              "MX": "Mexico", "CA": "Canada", "RU": "Russia", "EG": "Egypt", "ZA": "South Africa"}


@dataclass(frozen=True)
class ScriptedCall:
    """One scripted request and its executed call.

    Attributes:
        query: The request.
        api: The API called.
        arguments: Its input.
        observation: What the tool world returned.
    """

    query: str
    api: str
    arguments: dict[str, Any]
    observation: Any


Generator = Callable[[random.Random], tuple[str, dict[str, Any]]]


def _date(rng: random.Random) -> tuple[dt.date, str]:
    """A date and how the request writes it (ISO or with the month's name)."""
    day = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(11_000))
    text = day.isoformat() if rng.random() < 0.6 else f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
    return day, text


def _add_date(rng: random.Random) -> tuple[str, dict[str, Any]]:
    day, text = _date(rng)
    unit = rng.choice(("days", "days", "weeks"))
    n = rng.randint(1, 400) if unit == "days" else rng.randint(1, 60)
    days = n if unit == "days" else 7 * n
    if rng.random() < 0.35:
        days = -days
        query = rng.choice((f"What was the date {n} {unit} before {text}?",
                            f"Which day is {n} {unit} before {text}?",
                            f"Can you tell me the date {n} {unit} prior to {text}?"))
    else:
        query = rng.choice((f"What is the date {n} {unit} after {text}?",
                            f"If I start on {text}, what date is it {n} {unit} later?",
                            f"Can you calculate the date {n} {unit} from {text}?",
                            f"Add {n} {unit} to {text}: which date do I get?"))
    return query, {"date": day.isoformat(), "days": days}


def _amount(rng: random.Random) -> tuple[str, str]:
    """An amount as the API takes it (``"1234.56"``) and as a request writes it (``"1,234.56"``)."""
    whole = rng.choice((rng.randint(1, 999), rng.randint(1000, 99_999), rng.randint(100_000, 9_999_999)))
    cents = rng.choice((None, None, rng.randint(1, 99)))
    monto = f"{whole}.{cents:02d}" if cents else str(whole)
    text = (f"{whole:,}" if rng.random() < 0.5 else str(whole)) + (f".{cents:02d}" if cents else "")
    return monto, text


_CURRENCY_WORDS = {"PESOS": ("Mexican pesos", "pesos", "MXN"), "DOLARES": ("US dollars", "dollars", "USD"),
                   "EUROS": ("euros", "euros", "EUR")}


def _letters(language: str) -> Generator:
    def gen(rng: random.Random) -> tuple[str, dict[str, Any]]:
        moneda = rng.choice(tuple(_CURRENCY_WORDS))
        monto, text = _amount(rng)
        cur = rng.choice(_CURRENCY_WORDS[moneda])
        query = rng.choice((f"Can you write the amount {text} {cur} in words in {language}?",
                            f"How do I spell out {text} {cur} in {language} words for a cheque?",
                            f"Convert {text} {cur} into {language} words, please.",
                            f"I need the {language} wording of the amount {text} {cur}."))
        return query, {"moneda": moneda, "monto": monto}
    return gen


def _timezone(rng: random.Random) -> tuple[str, dict[str, Any]]:
    place = rng.choice(PLACES)
    where = place.name + (f", {_COUNTRIES[place.country]}" if place.country in _COUNTRIES and rng.random() < 0.5
                          else "")
    query = rng.choice((f"What time zone is {where} in?", f"What is the time zone offset for {where}?",
                        f"Which UTC offset applies in {where} right now?",
                        f"Is daylight saving time in effect in {where}, and what is its time zone?"))
    return query, {"lat": place.lat, "lng": place.lon}


def _password(rng: random.Random) -> tuple[str, dict[str, Any]]:
    n = rng.randint(8, 64)
    query = rng.choice((f"Generate a strong random password of {n} characters.",
                        f"Can you create a secure password with a length of {n}?",
                        f"I need a new password that is {n} characters long.",
                        f"Please make me a random {n}-character password for my bank account."))
    return query, {"length": str(n)}


def _mvc2(rng: random.Random) -> tuple[str, dict[str, Any]]:
    from evaluation.worlds.ste.tools import _MVC2

    name = rng.choice(sorted(_MVC2))
    query = rng.choice((f"Can you give me details about {name} in Marvel Vs Capcom 2?",
                        f"What are the assists and tier of {name} in MvC2?",
                        f"Tell me about the character {name} from Marvel vs Capcom 2.",
                        f"Which universe does {name} come from in Marvel Vs Capcom 2, and how strong are they?"))
    return query, {"name": name}


def _numbers_translator(rng: random.Random) -> tuple[str, dict[str, Any]]:
    n = rng.choice((rng.randint(0, 999), rng.randint(1000, 10**6), rng.randint(10**6, 10**12)))
    query = rng.choice((f"How do you write the number {n} in English words?", f"Spell out {n} in words.",
                        f"What is {n} written out in English?", f"Translate the number {n} into words."))
    return query, {"text": str(n)}


#: API -> the generator of its requests and calls.
SCRIPTED: dict[str, Generator] = {
    "add_date": _add_date,
    "NumbersToLetters%%Convertir cantidad a letra Moneda MXN Español": _letters("Spanish"),
    "NumbersToLetters%%Convertir cantidad a letra Moneda MXN Ingles": _letters("English"),
    "Stadia Maps Time Zone API%%TZ Lookup by Location": _timezone,
    "Password Generator API%%Password of length 50": _password,
    "Marvel Vs Capcom 2%%Show Character": _mvc2,
    "Numbers Translator%%Numbers Translator": _numbers_translator,
}


def scripted_calls(tools: SteTools, api: str, n: int, seed: int = 0) -> list[ScriptedCall]:
    """``n`` distinct scripted requests of ``api`` whose calls the tool world executed without error.

    Args:
        tools: The tool world that runs each call.
        api: One of :data:`SCRIPTED`.
        n: How many examples.
        seed: Seed of the values (the same seed gives the same examples).

    Returns:
        Up to ``n`` examples: fewer when the templates cannot make ``n`` distinct requests (Marvel Vs
        Capcom 2 knows 14 characters: 56 requests).

    Raises:
        KeyError: ``api`` has no script.
    """
    gen = SCRIPTED[api]
    # A per-API stream, so that adding an API does not change the examples of the others.
    rng = random.Random(f"{seed}:{api}")
    out: list[ScriptedCall] = []
    seen: set[str] = set()
    for _ in range(50 * n):
        if len(out) == n:
            break
        query, args = gen(rng)
        if query in seen:
            continue
        try:
            obs = tools.call(api, args)
        except ToolError:
            continue  # the world refused it: not a call worth teaching
        seen.add(query)
        out.append(ScriptedCall(query, api, args, obs))
    return out
