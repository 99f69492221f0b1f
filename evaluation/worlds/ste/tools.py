"""The STE tool world: local, deterministic stand-ins for the simulable APIs of the STE set.

:class:`SteTools` implements :class:`agents.world.ToolSet`. Of the 50 APIs, 33 run here:

- pure computation: ``add_date``, ``get_today_date`` (an injectable clock), number and currency amounts to
  English or Spanish words, password and token generators (seeded randomness), temporary upload URLs;
- static payloads of fake or test APIs (a school's records, game and cartoon data, car makes...): small
  payloads written for this world, with the argument checks a real endpoint makes;
- local data or packages: time zone from coordinates and coordinates from a place name (an offline
  gazetteer, :mod:`.places`), facts about integers, a sympy-backed math subset of Wolfram|Alpha, and an
  e-mail syntax check.

The other 17 need the live internet (Wikipedia, Google, weather, arXiv, sports and news feeds): they are
described like the others but a call raises :class:`~agents.world.ToolError` with ``kind="unavailable"``,
so exploration skips them; scoring needs no execution, so all 50 are still scored.

Every call first validates the arguments against the API's schema (:func:`agents.world.check_arguments`),
so a wrong type, a missing key or an unknown key is an error message, never a crash. Results are plain
JSON values (strings for the BMTools APIs, objects for the RapidAPI ones).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import random
import re
import string
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from agents.world import ToolError, ToolSpec, check_arguments
from evaluation.worlds.ste.places import PLACES, nearest
from evaluation.worlds.ste.specs import tool_spec
from evaluation.worlds.ste.words import english_words, spanish_words

#: The default clock's instant: a fixed one, so that exploration transcripts (and the model cache keyed on
#: them) do not change from day to day. Pass ``clock=`` for another (``lambda: datetime.now(UTC)``).
FIXED_NOW = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.UTC)

#: APIs that need the live internet: described, never executed here.
UNAVAILABLE: frozenset[str] = frozenset({
    "search", "disambiguation", "search_general", "search_places", "get_weather_today", "forecast_weather",
    "get_arxiv_article_information", "BART%%Advisory information", "Handball Data%%Daily Match List-Live",
    "Handball Data%%Daily Match List-Scheduled", "Soccer Data%%Tournament List",
    "Football Dolphin%%Head to head statistics", "F1 Latest News%%GET recent F1 news from all sources",
    "GamerPower%%Live giveaways by type", "GamerPower%%Filter & Group Giveaways", "English Talking%%Get an answer",
    "Fluximmo%%get_portail_api",
})

Impl = Callable[["SteTools", dict[str, Any]], Any]
_IMPLS: dict[str, Impl] = {}


def _impl(name: str) -> Callable[[Impl], Impl]:
    def deco(fn: Impl) -> Impl:
        _IMPLS[name] = fn
        return fn
    return deco


def _fail(tool: str, message: str) -> ToolError:
    return ToolError(tool, message, kind="failed")


class SteTools:
    """The STE tool world (a :class:`~agents.world.ToolSet`).

    Args:
        descriptions: API name -> STE description (``SteData.descriptions``); the world offers these APIs.
        clock: Returns the current time (timezone-aware); default the fixed :data:`FIXED_NOW`.
        seed: Seed of the random generators (passwords, tokens, random images).

    Example:
        >>> from evaluation.worlds.ste import load_ste
        >>> tools = SteTools(load_ste().descriptions)             # doctest: +SKIP
        >>> tools.call("add_date", {"date": "2024-01-30", "days": 2})  # doctest: +SKIP
        '2024-02-01'
    """

    def __init__(self, descriptions: Mapping[str, str], *, clock: Callable[[], dt.datetime] | None = None,
                 seed: int = 0) -> None:
        self._specs = {name: tool_spec(name, desc) for name, desc in descriptions.items()}
        self.clock = clock or (lambda: FIXED_NOW)
        self.seed = seed
        self.rng = random.Random(seed)
        self.calls = 0

    def reset(self, seed: int | None = None) -> None:
        """Re-seed the random generators (same seed, same passwords and tokens)."""
        if seed is not None:
            self.seed = seed
        self.rng = random.Random(self.seed)

    # ------------------------------------------------------------------------------ ToolSet

    def describe(self) -> list[ToolSpec]:
        """Every API of the world, simulable or not, in the order of the descriptions."""
        return list(self._specs.values())

    def spec(self, name: str) -> ToolSpec:
        """The spec of one API.

        Raises:
            ToolError: ``kind="unknown_tool"`` when the world has no such API.
        """
        try:
            return self._specs[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._specs), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ToolError(name, f"{name} is not a valid tool, try another one.{hint}", kind="unknown_tool") from None

    def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Run API ``name`` with ``arguments``.

        Raises:
            ToolError: Unknown API (``unknown_tool``), arguments against the schema (``bad_arguments``), an API
                that needs the internet (``unavailable``), or the API's own refusal (``failed``).
        """
        spec = self.spec(name)
        if not isinstance(arguments, Mapping):
            raise ToolError(name, f"the input of {name} must be a JSON object, got {type(arguments).__name__}",
                            kind="bad_arguments")
        check_arguments(spec, arguments)
        self.calls += 1
        impl = _IMPLS.get(name)
        if impl is None:
            raise ToolError(name, f"{name} needs the internet and cannot be run in this offline world",
                            kind="unavailable")
        return impl(self, dict(arguments))

    # ------------------------------------------------------------------------------ listing

    @property
    def simulable(self) -> list[str]:
        """The APIs of this world that run here, in description order."""
        return [n for n in self._specs if n in _IMPLS]

    @property
    def unavailable(self) -> list[str]:
        """The APIs of this world that cannot run offline, in description order."""
        return [n for n in self._specs if n not in _IMPLS]


def simulable_names() -> tuple[str, ...]:
    """Names of every API this module simulates (33 of the STE set)."""
    return tuple(_IMPLS)


# ==================================================================================== dates and numbers


@_impl("add_date")
def _add_date(world: SteTools, a: dict[str, Any]) -> str:
    try:
        day = dt.date.fromisoformat(a["date"].strip())
    except ValueError:
        raise _fail("add_date", f"Invalid date '{a['date']}': the date should be passed as 'yyyy-mm-dd'") from None
    try:
        return (day + dt.timedelta(days=a["days"])).isoformat()
    except OverflowError:
        raise _fail("add_date", "date out of range") from None


@_impl("get_today_date")
def _today(world: SteTools, a: dict[str, Any]) -> str:
    return world.clock().strftime("%Y-%m-%d")


def _parse_int(tool: str, text: str, what: str) -> int:
    s = text.strip().replace(",", "").replace("_", "")
    if not re.fullmatch(r"[+-]?\d+", s):
        raise _fail(tool, f"Invalid {what} '{text}': expected an integer such as 1729")
    return int(s)


@_impl("Numbers Translator%%Numbers Translator")
def _numbers_translator(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "Numbers Translator%%Numbers Translator"
    n = _parse_int(tool, a.get("text", "23879908709817834"), "number")
    try:
        words = english_words(n)
    except ValueError:
        raise _fail(tool, "Number too large: at most 36 digits are supported") from None
    return {"text": words[0].upper() + words[1:]}


def _amount(tool: str, text: str) -> tuple[int, int]:
    s = text.strip().replace(",", "")
    m = re.fullmatch(r"(\d+)(?:\.(\d{1,2}))?", s)
    if not m:
        raise _fail(tool, f"Monto invalido '{text}': use digits with an optional decimal point, e.g. 1234.56")
    return int(m.group(1)), int((m.group(2) or "0").ljust(2, "0"))


_MONEDAS_ES = {"PESOS": ("PESO", "PESOS", "M.N."), "DOLARES": ("DOLAR", "DOLARES", "USD"),
               "EUROS": ("EURO", "EUROS", "EUR")}
_MONEDAS_EN = {"PESOS": ("PESO", "PESOS", "M.N."), "DOLARES": ("DOLLAR", "DOLLARS", "USD"),
               "DOLLARS": ("DOLLAR", "DOLLARS", "USD"), "EUROS": ("EURO", "EUROS", "EUR"),
               "EUR": ("EURO", "EUROS", "EUR")}


@_impl("NumbersToLetters%%Convertir cantidad a letra Moneda MXN Español")
def _to_letters_es(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "NumbersToLetters%%Convertir cantidad a letra Moneda MXN Español"
    moneda = a["moneda"].strip()
    if moneda not in _MONEDAS_ES:
        # The description asks for upper case: a lower-case currency is refused like any other.
        raise _fail(tool, f"Moneda '{moneda}' no soportada: use PESOS, DOLARES o EUROS (todo en mayusculas)")
    whole, cents = _amount(tool, a["monto"])
    if whole >= 10**12:
        raise _fail(tool, "Monto fuera de rango")
    one, many, code = _MONEDAS_ES[moneda]
    words = spanish_words(whole).upper()
    return {"value": f"{words} {one if whole == 1 else many} {cents:02d}/100 {code}"}


@_impl("NumbersToLetters%%Convertir cantidad a letra Moneda MXN Ingles")
def _to_letters_en(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "NumbersToLetters%%Convertir cantidad a letra Moneda MXN Ingles"
    moneda = a["moneda"].strip().upper()
    if moneda not in _MONEDAS_EN:
        raise _fail(tool, f"Currency '{a['moneda']}' not supported: use PESOS, DOLARES or EUROS")
    whole, cents = _amount(tool, a["monto"])
    one, many, code = _MONEDAS_EN[moneda]
    words = english_words(whole).upper()
    return {"value": f"{words} {one if whole == 1 else many} {cents:02d}/100 {code}"}


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    i = 3
    while i * i <= n:
        if n % i == 0:
            return False
        i += 2
    return True


def _math_facts(n: int) -> list[str]:
    """Properties of ``n``, most notable first (a stand-in for numbersapi.com's curated facts)."""
    facts: list[str] = []
    special = {0: "the additive identity", 1: "the multiplicative identity", 6: "the smallest perfect number",
               28: "the second perfect number", 1729: "the smallest number expressible as the sum of two cubes in "
               "two different ways (the Hardy-Ramanujan number)", 42: "a pronic number (6 x 7)"}
    if n in special:
        facts.append(special[n])
    if n >= 0:
        r = int(round(n ** 0.5))
        if r * r == n:
            facts.append(f"the square of {r}")
        c = int(round(abs(n) ** (1 / 3)))
        if c ** 3 == n and n > 1:
            facts.append(f"the cube of {c}")
    if _is_prime(n):
        facts.append("a prime number")
    fib = [0, 1]
    while fib[-1] < n:
        fib.append(fib[-1] + fib[-2])
    if n in fib and n > 1:
        facts.append("a Fibonacci number")
    k = int(((8 * n + 1) ** 0.5 - 1) / 2) if n >= 0 else -1
    if n > 0 and k * (k + 1) // 2 == n:
        facts.append(f"the {k}th triangular number")
    if n > 1 and not _is_prime(n):
        divisors = [d for d in range(1, min(n, 10**6)) if n % d == 0] if n < 10**6 else []
        if divisors and sum(divisors) == n and n not in special:
            facts.append("a perfect number")
    facts.append("an even number" if n % 2 == 0 else "an odd number")
    return facts


@_impl("Numbers%%Get math fact")
def _math_fact(world: SteTools, a: dict[str, Any]) -> Any:
    tool = "Numbers%%Get math fact"
    n = _parse_int(tool, a["number"], "number")
    fact = _math_facts(n)[0]
    fragment = str(a.get("fragment", "false")).strip().lower() == "true"
    text = fact if fragment else f"{n} is {fact}."
    if str(a.get("json", "false")).strip().lower() == "true":
        return {"text": text, "number": n, "found": True, "type": "math"}
    return text


# ==================================================================================== generators


_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!@#$%^&*()-_=+[]{}<>?"


@_impl("Password Generator API%%Password of length 50")
def _password_len(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "Password Generator API%%Password of length 50"
    n = _parse_int(tool, a.get("length", "50"), "length")
    if not 4 <= n <= 256:
        raise _fail(tool, f"length must be between 4 and 256, got {n}")
    return {"password": "".join(world.rng.choice(_PASSWORD_ALPHABET) for _ in range(n))}


@_impl("Password Generator API%%Base")
def _password(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    return {"password": "".join(world.rng.choice(_PASSWORD_ALPHABET) for _ in range(16))}


@_impl("Token API%%generate")
def _token(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    token = "".join(world.rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    expires = world.clock() + dt.timedelta(minutes=5)
    return {"token": token, "valid_until": expires.isoformat().replace("+00:00", "Z")}


@_impl("Fake Brightcove%%Temp Upload URLs")
def _brightcove(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "Fake Brightcove%%Temp Upload URLs"
    for key in ("source_name", "video_id", "account_id"):
        if not str(a[key]).strip():
            raise _fail(tool, f'{{"error_code": "BAD_VALUE", "message": "{key} must not be empty"}}')
    digest = hashlib.sha256(f"{a['account_id']}/{a['video_id']}/{a['source_name']}".encode()).hexdigest()
    key = f"{a['account_id']}/{a['video_id']}/{digest[:12]}/{a['source_name']}"
    return {"bucket": "ingestion-upload-production", "object_key": key,
            "access_key_id": "ASIA" + digest[12:28].upper(), "secret_access_key": digest[28:60],
            "signed_url": f"https://ingestion-upload-production.s3.amazonaws.com/{key}?X-Amz-Signature={digest[:32]}",
            "api_request_url": f"https://ingestion-upload-production.s3.amazonaws.com/{key}"}


# ==================================================================================== static payloads


_PROMOS = [
    {"id": 1, "nombre": "Pizza Margarita familiar", "precio": 8.5, "precio_promo": 6.9, "categoria": "pizzas"},
    {"id": 4, "nombre": "Combo 2 pizzas medianas + bebida", "precio": 17.0, "precio_promo": 13.5,
     "categoria": "combos"},
    {"id": 9, "nombre": "Tiramisu casero", "precio": 4.0, "precio_promo": 3.0, "categoria": "postres"},
]


@_impl("pizzaallapala%%Get Producto Promo")
def _pizza(world: SteTools, a: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(p) for p in _PROMOS]


@_impl("siteDomain%%language list")
def _languages(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "data": [{"code": "zh-TW", "name": "繁體中文"}, {"code": "zh-CN", "name": "简体中文"},
                                 {"code": "en", "name": "English"}, {"code": "ja", "name": "日本語"}]}


_INDUSTRIES = {"01": "Retail & E-commerce", "02": "Manufacturing", "03": "Finance & Insurance",
               "04": "Information Technology", "05": "Education", "06": "Healthcare", "07": "Travel & Hospitality",
               "08": "Media & Entertainment", "09": "Sports & Recreation", "10": "Food & Beverage"}


@_impl("siteDomain%%industry list")
def _industries(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    alias = a["alias"].strip()
    if not alias:
        return {"code": 0, "data": [{"code": k, "name": v} for k, v in _INDUSTRIES.items()]}
    hits = [{"code": k, "name": v} for k, v in _INDUSTRIES.items()
            if alias.lower() in v.lower() or alias == k]
    if not hits:
        return {"code": 404, "msg": f"no industry matches alias '{alias}'", "data": []}
    return {"code": 0, "data": hits}


@_impl("PTL%%update")
def _ptl(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    return {"status": "updated", "received": {k: a[k] for k in ("info1", "info2", "info3")}}


@_impl("Grup Terbuka%%Kirim Pesan")
def _kirim(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    if not a["key"].strip():
        raise _fail("Grup Terbuka%%Kirim Pesan", '{"status": false, "message": "key tidak boleh kosong"}')
    if not a["pesan"].strip():
        raise _fail("Grup Terbuka%%Kirim Pesan", '{"status": false, "message": "pesan tidak boleh kosong"}')
    msg_id = int(hashlib.sha256((a["key"] + a["pesan"]).encode()).hexdigest()[:6], 16)
    return {"status": True, "message": "pesan terkirim", "id": msg_id, "pesan": a["pesan"]}


@_impl("CatchLoc%%[Group Management] API access for modifying group information")
def _catchloc(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "CatchLoc%%[Group Management] API access for modifying group information"
    if a["api"].strip() != "api.common.group.set.modify":
        raise _fail(tool, '{"result": "fail", "error": "INVALID_API", "message": "api must be '
                          'api.common.group.set.modify"}')
    if not a["api_key"].strip() or not a["cert_key"].strip():
        raise _fail(tool, '{"result": "fail", "error": "AUTH_FAILED", "message": "api_key and cert_key are required"}')
    if not a["group_key"].strip():
        raise _fail(tool, '{"result": "fail", "error": "NO_GROUP", "message": "group_key is required"}')
    return {"result": "success", "group_key": a["group_key"], "group_name": a["group_name"]}


_STUDENT = "Alumno 1"


@_impl("colegiosantaana%%Disciplina-1")
def _disciplina(world: SteTools, a: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"alumno": _STUDENT, "fecha": "2023-09-12", "tipo": "Atraso", "detalle": "Llega 10 minutos tarde"},
            {"alumno": _STUDENT, "fecha": "2023-10-03", "tipo": "Felicitacion", "detalle": "Ayuda a un companero"}]


@_impl("colegiosantaana%%Mensajes-1")
def _mensajes(world: SteTools, a: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"alumno": _STUDENT, "fecha": "2023-10-20", "remitente": "Profesora jefe",
             "mensaje": "Reunion de apoderados el jueves a las 19:00"},
            {"alumno": _STUDENT, "fecha": "2023-11-02", "remitente": "Inspectoria",
             "mensaje": "Recordar traer la autorizacion firmada para la salida pedagogica"}]


@_impl("colegiosantaana%%Evaluaciones-1")
def _evaluaciones(world: SteTools, a: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"alumno": _STUDENT, "asignatura": "Matematica", "tipo": "Prueba", "fecha": "2023-10-10", "nota": 6.2},
            {"alumno": _STUDENT, "asignatura": "Lenguaje", "tipo": "Disertacion", "fecha": "2023-10-17", "nota": 5.8},
            {"alumno": _STUDENT, "asignatura": "Historia", "tipo": "Control", "fecha": "2023-11-07", "nota": 4.9}]


_JAK = {
    "JAK_API%%Ben 10": {"name": "Ben 10", "protagonist": "Ben Tennyson", "device": "Omnitrix",
                        "aliens": ["Heatblast", "Four Arms", "XLR8", "Diamondhead", "Upgrade", "Grey Matter"],
                        "villains": ["Vilgax", "Kevin Levin", "Dr. Animo"]},
    "JAK_API%%Brawl Stars": {"name": "Brawl Stars", "developer": "Supercell",
                             "brawlers": [{"name": "Shelly", "rarity": "Starting"}, {"name": "Colt", "rarity": "Rare"},
                                          {"name": "Spike", "rarity": "Legendary"}],
                             "modes": ["Gem Grab", "Showdown", "Brawl Ball"]},
    "JAK_API%%Miraculous": {"name": "Miraculous: Tales of Ladybug & Cat Noir",
                            "holders": [{"name": "Marinette", "hero": "Ladybug", "kwami": "Tikki"},
                                        {"name": "Adrien", "hero": "Cat Noir", "kwami": "Plagg"}]},
    "JAK_API%%Genshin Impact": {"name": "Genshin Impact", "developer": "miHoYo",
                                "characters": [{"name": "Diluc", "element": "Pyro", "weapon": "Claymore"},
                                               {"name": "Venti", "element": "Anemo", "weapon": "Bow"},
                                               {"name": "Zhongli", "element": "Geo", "weapon": "Polearm"}],
                                "weapon_types": ["Sword", "Claymore", "Polearm", "Bow", "Catalyst"]},
}
for _name, _payload in _JAK.items():
    _impl(_name)(lambda world, a, _p=_payload: _p)

_MVC2 = {"Cable": {"universe": "Marvel", "assists": ["Anti-Air", "Ground"], "tier": "Top"},
         "Iron Man": {"universe": "Marvel", "assists": ["Beam", "Anti-Air"], "tier": "Upper"},
         "Spider-Man": {"universe": "Marvel", "assists": ["Web Ball", "Anti-Air"], "tier": "Mid"},
         "Ryu": {"universe": "Capcom", "assists": ["Projectile", "Anti-Air"], "tier": "Mid"},
         "Strider Hiryu": {"universe": "Capcom", "assists": ["Ouroboros", "Anti-Air"], "tier": "Top"},
         "Magneto": {"universe": "Marvel", "assists": ["Beam", "Anti-Air"], "tier": "Top"},
         "Morrigan": {"universe": "Capcom", "assists": ["Projectile", "Anti-Air"], "tier": "Mid"},
         "Storm": {"universe": "Marvel", "assists": ["Projectile", "Anti-Air"], "tier": "Top"},
         "Sentinel": {"universe": "Marvel", "assists": ["Projectile", "Ground"], "tier": "Top"},
         "Rogue": {"universe": "Marvel", "assists": ["Dash", "Anti-Air"], "tier": "Mid"},
         "Cyclops": {"universe": "Marvel", "assists": ["Beam", "Anti-Air"], "tier": "Upper"},
         "Captain Commando": {"universe": "Capcom", "assists": ["Projectile", "Anti-Air"], "tier": "Upper"},
         "Jill Valentine": {"universe": "Capcom", "assists": ["Capcom", "Anti-Air"], "tier": "Mid"},
         "Felicia": {"universe": "Capcom", "assists": ["Dash", "Anti-Air"], "tier": "Low"}}


@_impl("Marvel Vs Capcom 2%%All Characters")
def _mvc_all(world: SteTools, a: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": k, **v} for k, v in _MVC2.items()]


@_impl("Marvel Vs Capcom 2%%Show Character")
def _mvc_one(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    wanted = a["name"].strip().lower()
    for k, v in _MVC2.items():
        if k.lower() == wanted:
            return {"name": k, **v}
    raise _fail("Marvel Vs Capcom 2%%Show Character", f'{{"message": "Character {a["name"]} not found"}}')


@_impl("MikuAPI%%getRandomImage")
def _miku(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    i = world.rng.randrange(1000)
    return {"id": i, "url": f"https://miku.example/img/{i:04d}.png", "artist": f"artist_{i % 37}",
            "source": f"https://art.example/works/{i * 7919 % 100000}"}


@_impl("Car database%%Makes")
def _makes(world: SteTools, a: dict[str, Any]) -> list[dict[str, Any]]:
    makes = ["Audi", "BMW", "Chevrolet", "Ford", "Honda", "Hyundai", "Kia", "Mazda", "Mercedes-Benz", "Nissan",
             "Peugeot", "Renault", "Subaru", "Tesla", "Toyota", "Volkswagen", "Volvo"]
    return [{"id": i + 1, "make": m} for i, m in enumerate(makes)]


@_impl("thailand%%thai4")
def _thai(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    return {"id": 4, "title": "thai4", "content": "Sawasdee (สวัสดี) is the Thai greeting, said with a wai."}


@_impl("Weather_dataSet%%Weather_dataSet")
def _weather_dataset(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    # A Django test project: it echoes what it was sent and processes nothing.
    return {"status": "received", "data": a.get("data", "1"), "processed": False}


# ==================================================================================== local data


@_impl("Stadia Maps Time Zone API%%TZ Lookup by Location")
def _tz(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "Stadia Maps Time Zone API%%TZ Lookup by Location"
    lat, lng = float(a["lat"]), float(a["lng"])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise _fail(tool, '{"error": "lat must be in [-90, 90] and lng in [-180, 180]"}')
    place, km = nearest(lat, lng)
    if km > 1500:
        raise _fail(tool, '{"error": "No time zone found for this location (open water?)"}')
    when = dt.datetime.fromtimestamp(float(a["timestamp"]), dt.UTC) if "timestamp" in a else world.clock()
    local = when.astimezone(ZoneInfo(place.timezone))
    total = int(local.utcoffset().total_seconds())  # type: ignore[union-attr]
    dst = int(local.dst().total_seconds())  # type: ignore[union-attr]
    return {"tz_id": place.timezone, "base_utc_offset": total - dst, "dst_offset": dst}


@_impl("Places%%Geographic coordinates by placename")
def _places(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "Places%%Geographic coordinates by placename"
    if a["lang"] not in ("en", "ru"):
        raise _fail(tool, '{"error": "Invalid lang: available values are en, ru"}')
    country = a.get("country", "").strip().upper()
    pool = [p for p in PLACES if not country or p.country == country]
    names = [p.name.lower() for p in pool]
    close = difflib.get_close_matches(a["name"].strip().lower(), names, n=1, cutoff=0.6)
    if not close:
        raise _fail(tool, '{"error": "Place not found"}')
    p = pool[names.index(close[0])]
    return {"name": p.name, "country": p.country, "lat": p.lat, "lon": p.lon, "population": p.population,
            "timezone": p.timezone, "partial_match": close[0] != a["name"].strip().lower()}


_WOLFRAM_SAFE = re.compile(r"[0-9a-z+\-*/^()., =]+")
_WRT = r"(?: with respect to (\w))?$"
_WOLFRAM_COMMANDS = (
    (re.compile(r"^(?:what is )?(?:the )?square root of (.+)$"), "sqrt"),
    (re.compile(r"^(?:what is )?(?:the )?(?:derivative|differentiate)(?: of)? (.+?)" + _WRT), "diff"),
    (re.compile(r"^(?:what is )?(?:the )?(?:integral|integrate)(?: of)? (.+?)" + _WRT), "integrate"),
    (re.compile(r"^solve (.+?)(?: for (\w))?$"), "solve"),
    (re.compile(r"^(?:factor|factorize) (.+)$"), "factor"),
    (re.compile(r"^(?:simplify|expand) (.+)$"), "simplify"),
)


def _sympy_expr(text: str) -> Any:
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    # parse_expr evaluates Python: allow only arithmetic characters (no quotes, underscores or brackets
    # beyond parentheses), no attribute access, and short inputs, before it sees model-written text.
    functions = ("sqrt", "sin", "cos", "tan", "exp", "log", "ln", "pi", "factorial")
    if not _WOLFRAM_SAFE.fullmatch(text) or re.search(r"[a-z]\s*\.", text) or len(text) > 120:
        raise ValueError(text)
    # Words are not math: "capital of france" must not become the product c*a*p*i*t*a*l*o*f*f*r*a*n*c*e.
    if any(len(w) > 1 and w not in functions for w in re.findall(r"[a-z]+", text)):
        raise ValueError(text)
    names = {k: getattr(sympy, k) for k in ("sqrt", "sin", "cos", "tan", "exp", "log", "pi", "E", "factorial")}
    names.update({v: sympy.Symbol(v) for v in "abcdfghjkmnpqrstuvwxyz"})
    return parse_expr(text.replace("ln", "log"), local_dict=names, global_dict={"__builtins__": {}, **vars(sympy)},
                      transformations=standard_transformations + (convert_xor, implicit_multiplication_application))


def _wolfram_compute(query: str) -> Any:
    """The CAS answer to a math query; raises on anything it cannot read."""
    import sympy

    for pattern, op in _WOLFRAM_COMMANDS:
        m = pattern.match(query)
        if not m:
            continue
        text = m.group(1)
        if op == "solve" and "=" in text:
            lhs, rhs = text.split("=", 1)
            expr = _sympy_expr(lhs) - _sympy_expr(rhs)
        else:
            expr = _sympy_expr(text)
        named = m.group(2) if op in ("diff", "integrate", "solve") else None
        var = sympy.Symbol(named) if named else min(expr.free_symbols, key=str, default=sympy.Symbol("x"))
        if op == "sqrt":
            return sympy.sqrt(expr)
        if op == "diff":
            return sympy.diff(expr, var)
        if op == "integrate":
            return sympy.integrate(expr, var)
        if op == "solve":
            return sympy.solve(expr, var)
        return sympy.factor(expr) if op == "factor" else sympy.simplify(expr)
    for prefix in ("what is ", "calculate ", "compute ", "evaluate "):
        query = query.removeprefix(prefix)
    return _sympy_expr(query)


@_impl("getWolframAlphaResults")
def _wolfram(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    import sympy

    try:
        result = _wolfram_compute(a["input"].strip().lower().rstrip("?").strip())
    except Exception:  # noqa: BLE001 - any parse or CAS failure is Wolfram's "did not understand"
        return {"queryresult": {"success": False, "error": False, "input": a["input"],
                                "tips": "Wolfram|Alpha (offline math subset) did not understand your input: "
                                        "try arithmetic, square roots, derivatives, integrals, solve, factor"}}
    pods = [{"title": "Input interpretation", "plaintext": a["input"]},
            {"title": "Result", "plaintext": str(result)}]
    if isinstance(result, sympy.Basic) and result.is_number and not result.is_Integer:
        pods.append({"title": "Decimal approximation", "plaintext": str(sympy.N(result, 12))})
    return {"queryresult": {"success": True, "error": False, "pods": pods}}


_EMAIL = re.compile(r"^(?P<mailbox>[A-Za-z0-9._%+\-]+)@(?P<domain>(?:[A-Za-z0-9\-]+\.)+(?P<tld>[A-Za-z]{2,}))$")


@_impl("Global Email V4%%Global Email V4")
def _email(world: SteTools, a: dict[str, Any]) -> dict[str, Any]:
    tool = "Global Email V4%%Global Email V4"
    opts = {o.strip() for o in a["opt"].split("|")}
    if not opts <= {"VerifyMailbox:Express", "VerifyMailbox:ExpressPremium"}:
        raise _fail(tool, '{"TransmissionResults": "GE05", "message": "opt must be VerifyMailbox:Express or '
                          'VerifyMailbox:ExpressPremium"}')
    fmt = a.get("format", "json").strip().lower()
    if fmt not in ("json", "xml"):
        raise _fail(tool, '{"TransmissionResults": "GE05", "message": "format must be json or xml"}')
    email = a["email"].strip()
    m = _EMAIL.match(email)
    # Only syntax is checked offline: a well-formed address is reported deliverable-unknown (ES03), a
    # malformed one as a syntax error (ES04), with the parts Melissa's response names.
    record = {"EmailAddress": email, "Results": "ES03" if m else "ES04",
              "DeliverabilityConfidenceScore": "50" if m else "0",
              "MailboxName": m.group("mailbox") if m else "", "DomainName": m.group("domain") if m else "",
              "TopLevelDomain": m.group("tld") if m else "", "PrivacyFlag": "N"}
    return {"Version": "offline", "TransmissionResults": "", "TotalRecords": "1", "Records": [record]}
