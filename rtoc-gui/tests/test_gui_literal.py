"""What the DevicesRAW widget accepts as values and arguments: literals, never code."""

from __future__ import annotations

import pytest

from rtoc_gui.literal import LiteralError, parse_arguments, parse_value


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("2.5", "float", 2.5),
        (" [1, 2] ", "list", [1, 2]),
        ("{'a': (1, None)}", "dict", {"a": (1, None)}),
        ("True", "bool", True),
        ("/dev/ttyUSB0", "str", "/dev/ttyUSB0"),  # text as typed, no quotes needed
        ("'quoted'", "str", "'quoted'"),
    ],
)
def test_values(text, kind, value):
    assert parse_value(text, kind) == value


@pytest.mark.parametrize("text", ["os.system('x')", "__import__('os')", "1 +", "x", ""])
def test_values_that_are_not_literals(text):
    with pytest.raises(LiteralError, match="is not a Python literal"):
        parse_value(text, "float")


@pytest.mark.parametrize(
    ("text", "args", "kwargs"),
    [
        ("", (), {}),
        ("1, 'a'", (1, "a"), {}),
        ("1.5, mode='fast', on=True", (1.5,), {"mode": "fast", "on": True}),
        ("[1, 2], {'k': -3}", ([1, 2], {"k": -3}), {}),
    ],
)
def test_arguments(text, args, kwargs):
    assert parse_arguments(text) == (args, kwargs)


@pytest.mark.parametrize(
    "text",
    ["1), (2", "1)(2", "open('f')", "*[1, 2]", "**{'a': 1}", "a b", "x=y", "lambda: 1"],
)
def test_arguments_that_are_not_literals(text):
    with pytest.raises(LiteralError):
        parse_arguments(text)
