"""The STE tool world: every simulable API runs on a typical call and refuses bad input with a readable error."""

from __future__ import annotations

import datetime as dt

import pytest

from agents.world import ToolError, ToolSet
from evaluation.harness.errors import DataNotFoundError
from evaluation.worlds.ste import UNAVAILABLE, SteTools, load_ste, schema_of, simulable_names
from evaluation.worlds.ste.words import english_words, spanish_words


@pytest.fixture(scope="module")
def data():
    try:
        return load_ste()
    except DataNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def tools(data) -> SteTools:
    return SteTools(data.descriptions)


# One typical call per simulable API and a check of its result.
TYPICAL = {
    "add_date": ({"date": "2024-01-30", "days": 2}, lambda r: r == "2024-02-01"),
    "get_today_date": ({}, lambda r: r == "2024-01-15"),
    "Numbers Translator%%Numbers Translator": ({"text": "1234"},
                                               lambda r: r["text"] == "One thousand two hundred thirty-four"),
    "NumbersToLetters%%Convertir cantidad a letra Moneda MXN Español": (
        {"moneda": "PESOS", "monto": "1521.5"}, lambda r: r["value"] == "MIL QUINIENTOS VEINTIUNO PESOS 50/100 M.N."),
    "NumbersToLetters%%Convertir cantidad a letra Moneda MXN Ingles": (
        {"moneda": "DOLARES", "monto": "1"}, lambda r: r["value"] == "ONE DOLLAR 00/100 USD"),
    "Password Generator API%%Password of length 50": ({"length": "20"}, lambda r: len(r["password"]) == 20),
    "Password Generator API%%Base": ({}, lambda r: len(r["password"]) == 16),
    "Token API%%generate": ({}, lambda r: len(r["token"]) == 40 and r["valid_until"] == "2024-01-15T12:05:00Z"),
    "Fake Brightcove%%Temp Upload URLs": ({"source_name": "v.mp4", "video_id": "1", "account_id": "2"},
                                          lambda r: r["object_key"].startswith("2/1/")),
    "pizzaallapala%%Get Producto Promo": ({}, lambda r: len(r) == 3),
    "siteDomain%%language list": ({}, lambda r: r["code"] == 0),
    "siteDomain%%industry list": ({"alias": "sports"}, lambda r: r["data"][0]["name"] == "Sports & Recreation"),
    "PTL%%update": ({"info1": "a", "info2": "b", "info3": "c"}, lambda r: r["received"]["info2"] == "b"),
    "Grup Terbuka%%Kirim Pesan": ({"pesan": "halo", "key": "k"}, lambda r: r["status"] is True),
    "CatchLoc%%[Group Management] API access for modifying group information": (
        {"timestamp": "1", "api_key": "k", "group_name": "g", "api": "api.common.group.set.modify",
         "cert_key": "c", "group_key": "gk"}, lambda r: r["result"] == "success"),
    "colegiosantaana%%Disciplina-1": ({}, lambda r: r[0]["alumno"] == "Alumno 1"),
    "colegiosantaana%%Mensajes-1": ({}, lambda r: "mensaje" in r[0]),
    "colegiosantaana%%Evaluaciones-1": ({}, lambda r: "nota" in r[0]),
    "JAK_API%%Ben 10": ({}, lambda r: "Heatblast" in r["aliens"]),
    "JAK_API%%Brawl Stars": ({}, lambda r: r["developer"] == "Supercell"),
    "JAK_API%%Miraculous": ({}, lambda r: r["holders"][0]["kwami"] == "Tikki"),
    "JAK_API%%Genshin Impact": ({}, lambda r: "Bow" in r["weapon_types"]),
    "Marvel Vs Capcom 2%%All Characters": ({}, lambda r: any(c["name"] == "Cable" for c in r)),
    "Marvel Vs Capcom 2%%Show Character": ({"name": "iron man"}, lambda r: r["name"] == "Iron Man"),
    "MikuAPI%%getRandomImage": ({}, lambda r: r["url"].endswith(".png")),
    "Car database%%Makes": ({}, lambda r: {"make": "Toyota", "id": 15} in r),
    "thailand%%thai4": ({}, lambda r: "Sawasdee" in r["content"]),
    "Weather_dataSet%%Weather_dataSet": ({"data": "Berlin"}, lambda r: r["data"] == "Berlin"),
    "Stadia Maps Time Zone API%%TZ Lookup by Location": (
        {"lat": 35.68, "lng": 139.69},
        lambda r: r == {"tz_id": "Asia/Tokyo", "base_utc_offset": 32400, "dst_offset": 0}),
    "Places%%Geographic coordinates by placename": ({"name": "paris", "lang": "en"},
                                                    lambda r: r["country"] == "FR" and abs(r["lat"] - 48.86) < 0.01),
    "Numbers%%Get math fact": ({"number": "1729", "json": "true"}, lambda r: "two cubes" in r["text"]),
    "getWolframAlphaResults": ({"input": "derivative of x^3"},
                               lambda r: r["queryresult"]["pods"][1]["plaintext"] == "3*x**2"),
    "Global Email V4%%Global Email V4": ({"opt": "VerifyMailbox:Express", "email": "ann@mail.example.com"},
                                         lambda r: r["Records"][0]["DomainName"] == "mail.example.com"),
}


def test_counts_and_protocol(tools: SteTools) -> None:
    assert isinstance(tools, ToolSet)
    assert len(tools.describe()) == 50
    assert len(tools.simulable) == 33 and len(tools.unavailable) == 17
    assert set(tools.unavailable) == UNAVAILABLE
    assert set(TYPICAL) == set(simulable_names())


@pytest.mark.parametrize("api", sorted(TYPICAL))
def test_each_simulable_api(tools: SteTools, api: str) -> None:
    args, ok = TYPICAL[api]
    result = tools.call(api, args)
    assert ok(result), result


@pytest.mark.parametrize("api", sorted(UNAVAILABLE))
def test_unavailable_apis_say_so(tools: SteTools, data, api: str) -> None:
    gold = next(t for t in data.tests if t.api == api)
    import json

    with pytest.raises(ToolError) as err:
        tools.call(api, json.loads(gold.action_input))
    assert err.value.kind == "unavailable" and "internet" in str(err.value)


@pytest.mark.parametrize(("api", "args", "kind", "words"), [
    ("add_date", {"date": "2024-01-30", "days": "2"}, "bad_arguments", "is not of type 'integer'"),
    ("add_date", {"date": "2024-01-30"}, "bad_arguments", "'days' is a required property"),
    ("add_date", {"date": "2024-01-30", "days": 1, "unit": "d"}, "bad_arguments", "Additional properties"),
    ("add_date", {"date": "30/01/2024", "days": 1}, "failed", "yyyy-mm-dd"),
    ("Stadia Maps Time Zone API%%TZ Lookup by Location", {"lat": "35.6", "lng": 139.6}, "bad_arguments", "number"),
    ("Stadia Maps Time Zone API%%TZ Lookup by Location", {"lat": 95, "lng": 0}, "failed", "lat must be"),
    ("Stadia Maps Time Zone API%%TZ Lookup by Location", {"lat": -50, "lng": -140}, "failed", "No time zone"),
    ("NumbersToLetters%%Convertir cantidad a letra Moneda MXN Español", {"moneda": "pesos", "monto": "3"}, "failed",
     "mayusculas"),
    ("Numbers%%Get math fact", {"number": "seven"}, "failed", "Invalid number"),
    ("Password Generator API%%Password of length 50", {"length": "2"}, "failed", "between 4 and 256"),
    ("Places%%Geographic coordinates by placename", {"name": "Paris", "lang": "fr"}, "failed", "Invalid lang"),
    ("Marvel Vs Capcom 2%%Show Character", {"name": "Batman"}, "failed", "not found"),
    ("Global Email V4%%Global Email V4", {"opt": "Check", "email": "a@b.co"}, "failed", "opt must be"),
    ("CatchLoc%%[Group Management] API access for modifying group information",
     {"timestamp": "", "api_key": "", "group_name": "", "api": "x", "cert_key": "", "group_key": ""}, "failed",
     "INVALID_API"),
    ("add_dates", {}, "unknown_tool", "Did you mean 'add_date'"),
])
def test_realistic_errors(tools: SteTools, api: str, args: dict, kind: str, words: str) -> None:
    with pytest.raises(ToolError) as err:
        tools.call(api, args)
    assert err.value.kind == kind and words in str(err.value), str(err.value)


def test_clock_and_seed_are_injectable(data) -> None:
    clock = lambda: dt.datetime(2030, 6, 1, 23, 0, tzinfo=dt.UTC)  # noqa: E731
    a, b = SteTools(data.descriptions, clock=clock, seed=7), SteTools(data.descriptions, seed=7)
    assert a.call("get_today_date", {}) == "2030-06-01"
    assert a.call("Password Generator API%%Base", {}) == b.call("Password Generator API%%Base", {})
    a.reset()
    first = a.call("Token API%%generate", {})["token"]
    a.reset()
    assert a.call("Token API%%generate", {})["token"] == first
    # Daylight saving time follows the clock: London in June is UTC+1.
    tz = a.call("Stadia Maps Time Zone API%%TZ Lookup by Location", {"lat": 51.5, "lng": -0.1})
    assert tz == {"tz_id": "Europe/London", "base_utc_offset": 0, "dst_offset": 3600}


def test_wolfram_subset_refuses_words_and_code(tools: SteTools) -> None:
    assert tools.call("getWolframAlphaResults", {"input": "capital of France"})["queryresult"]["success"] is False
    for evil in ("__import__('os')", "x.__class__", "[].append"):
        assert tools.call("getWolframAlphaResults", {"input": evil})["queryresult"]["success"] is False
    solved = tools.call("getWolframAlphaResults", {"input": "solve x^2 - 4 = 0"})
    assert solved["queryresult"]["pods"][1]["plaintext"] == "[-2, 2]"


def test_gold_test_calls_mostly_run(tools: SteTools, data) -> None:
    """The released gold calls of the simulable APIs are valid input for the world (most of them succeed)."""
    import json

    ran = failed = 0
    for t in data.tests:
        if t.api in UNAVAILABLE:
            continue
        try:
            tools.call(t.api, json.loads(t.action_input))
            ran += 1
        except ToolError as exc:
            assert exc.kind in ("failed", "bad_arguments")
            failed += 1
    assert ran + failed == 33 * 15 and ran >= 400


def test_schemas_from_both_description_formats(data) -> None:
    assert schema_of(data.descriptions["add_date"]) == {
        "type": "object", "properties": {"date": {"type": "string"}, "days": {"type": "integer"}},
        "additionalProperties": False, "required": ["date", "days"]}
    tz = schema_of(data.descriptions["Stadia Maps Time Zone API%%TZ Lookup by Location"])
    assert tz["required"] == ["lat", "lng"] and tz["properties"]["timestamp"]["type"] == "number"
    assert "required" not in schema_of(data.descriptions["get_today_date"])


@pytest.mark.parametrize(("n", "en", "es"), [
    (0, "zero", "cero"), (21, "twenty-one", "veintiuno"), (100, "one hundred", "cien"),
    (115, "one hundred fifteen", "ciento quince"), (1001, "one thousand one", "mil uno"),
    (21000, "twenty-one thousand", "veintiun mil"), (31_000_000, "thirty-one million", "treinta y un millones"),
    (1_000_000, "one million", "un millon"),
])
def test_number_words(n: int, en: str, es: str) -> None:
    assert english_words(n) == en and spanish_words(n) == es
