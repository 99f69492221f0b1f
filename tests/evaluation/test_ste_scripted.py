"""Scripted exploration data: deterministic, distinct requests whose calls the tool world accepts."""

from __future__ import annotations

import pytest

from evaluation.harness.errors import DataNotFoundError


@pytest.fixture(scope="module")
def tools():
    from evaluation.worlds.ste import SteTools, load_ste

    try:
        return SteTools(load_ste().descriptions)
    except DataNotFoundError as exc:
        pytest.skip(str(exc))


def test_every_script_gives_distinct_successful_calls(tools) -> None:
    from evaluation.worlds.ste.scripted import SCRIPTED, scripted_calls

    for api in SCRIPTED:
        calls = scripted_calls(tools, api, 30, seed=1)
        assert len(calls) == 30 and len({c.query for c in calls}) == 30, api
        for c in calls:
            assert c.api == api and tools.call(api, c.arguments) is not None  # the world accepts the call


def test_scripted_calls_are_deterministic_and_capped(tools) -> None:
    from evaluation.worlds.ste.scripted import scripted_calls

    a = scripted_calls(tools, "add_date", 5, seed=3)
    assert a == scripted_calls(tools, "add_date", 5, seed=3) != scripted_calls(tools, "add_date", 5, seed=4)
    assert len(scripted_calls(tools, "Marvel Vs Capcom 2%%Show Character", 500)) == 56  # 14 names x 4 phrasings
    day = a[0].arguments["date"]
    assert tools.call("add_date", a[0].arguments) == a[0].observation and len(day) == 10
