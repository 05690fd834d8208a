"""Function arguments and parameter values as typed on the devices page (never evaluated)."""

from __future__ import annotations

import pytest

from rtoc_web.devices import parameter_value, parse_arguments


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("", ()),
        ('["square"]', ("square",)),
        ("[1, 2.5]", (1, 2.5)),
        ("1, 'a'", (1, "a")),
        ("3", (3,)),
        ('{"a": 1}', ({"a": 1},)),
    ],
)
def test_arguments_are_json_or_literals(text: str, args: tuple) -> None:
    assert parse_arguments(text) == args


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "square", "1 +", "f(x)"])
def test_anything_else_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="JSON list"):
        parse_arguments(text)


def test_editor_values_take_the_parameters_type() -> None:
    assert parameter_value("bool", ["on"]) is True
    assert parameter_value("bool", []) is False
    assert parameter_value("int", 3.0) == 3 and isinstance(parameter_value("int", 3.0), int)
    assert parameter_value("float", 2.5) == 2.5
    with pytest.raises(ValueError, match="enter a value"):
        parameter_value("float", None)
