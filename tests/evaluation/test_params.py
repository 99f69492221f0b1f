import pytest

from evaluation.harness.errors import ParamError
from evaluation.harness.params import Param, parse_assignments, resolve_params

DECL = (Param("k", int, 1, choices=(1, 2, 4)), Param("lr", float, 0.1, min=0.0, max=1.0),
        Param("flag", bool, False), Param("name", str, "a"), Param("ks", int, [1], multiple=True, min=1))


def test_defaults_and_parsing():
    got = resolve_params("b", DECL, {"k": "4", "lr": "0.5", "flag": "yes", "ks": "1,2,15"})
    assert got == {"k": 4, "lr": 0.5, "flag": True, "name": "a", "ks": [1, 2, 15]}


def test_unknown_parameter_lists_valid_names():
    with pytest.raises(ParamError) as info:
        resolve_params("mnist-add", DECL, {"kk": 3})
    msg = str(info.value)
    assert "'kk'" in msg and "mnist-add" in msg
    for name in ("flag", "k", "ks", "lr", "name"):
        assert name in msg


@pytest.mark.parametrize("key,value,fragment", [
    ("k", "3", "one of 1, 2, 4"),
    ("k", "two", "one of 1, 2, 4"),
    ("lr", "1.5", "float in [0.0, 1.0]"),
    ("lr", "nan", "float in [0.0, 1.0]"),
    ("flag", "maybe", "bool"),
    ("ks", "1,0", "list of int >= 1"),
    ("ks", "", "empty list"),
])
def test_bad_values_name_the_parameter_and_allowed_values(key, value, fragment):
    with pytest.raises(ParamError) as info:
        resolve_params("b", DECL, {key: value})
    assert f"'{key}'" in str(info.value)
    assert fragment in str(info.value)


def test_int_refuses_fractional_float_and_bool():
    p = Param("n", int, 1)
    with pytest.raises(ParamError):
        p.parse(2.5)
    with pytest.raises(ParamError):
        p.parse(True)
    assert p.parse(3.0) == 3


def test_parse_assignments():
    assert parse_assignments(["b = x=y"]) == {"b": " x=y"}
    assert parse_assignments(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ParamError, match="key=value"):
        parse_assignments(["novalue"])
