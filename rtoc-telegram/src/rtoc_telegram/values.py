"""Typed values from chat text, without evaluating anything.

A parameter takes the type of its current value (bool, int, float, str);
anything else, and a function's arguments, are read as JSON, else as text.
The device checks what it gets: a refused value is its error message.
"""

from __future__ import annotations

import json
from typing import Any

_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}
#: Longest text taken as a value: a value is typed on a phone, not pasted from a book.
MAX_VALUE_LENGTH = 1000


def parse_value(text: str, like: Any = None) -> Any:
    """``text`` as a value of ``like``'s type; ValueError saying what was expected."""
    text = text.strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise ValueError(f"a value has at most {MAX_VALUE_LENGTH} characters")
    if isinstance(like, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"expected on/off (true/false), got {text!r}")
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if isinstance(like, float):
        try:
            return float(text.replace(",", ".") if text.count(",") == 1 else text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if isinstance(like, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_measurement(text: str) -> tuple[str, str, float, str]:
    """``"Device.Signal 3.5 unit"`` as (device, signal, value, unit); the device is everything
    before the last dot (device names may have dots), the unit is optional."""
    parts = text.split()
    if len(parts) < 2:
        raise ValueError('expected "Device.Signal value [unit]", e.g. "Garden.Rain 3.5 mm"')
    device, _, name = parts[0].rpartition(".")
    if not device or not name:
        raise ValueError(f'name the signal as Device.Signal, not "{parts[0]}"')
    value = parse_value(parts[1], 0.0)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"a measured value is a finite number, not {parts[1]}")
    return device, name, value, " ".join(parts[2:])


#: An example value of each annotation the arguments are parsed by; others are JSON or text.
_EXAMPLES: dict[str, Any] = {"bool": False, "int": 0, "float": 0.0, "str": ""}


def argument_names(signature: str) -> list[tuple[str, Any]]:
    """The parameters to ask for, one by one, of a function's ``(a: float, b=1)`` signature:
    those without a default (no ``*args``/``**kwargs``), each with an example value of its
    annotated type for :func:`parse_value` (None: not annotated as bool, int, float or str)."""
    import ast

    try:
        tree = ast.parse(f"def f{signature}: pass")
    except SyntaxError:
        return []
    arguments = tree.body[0].args  # type: ignore[attr-defined]
    positional = [*arguments.posonlyargs, *arguments.args]
    required = positional[: len(positional) - len(arguments.defaults)]
    return [
        (arg.arg, _EXAMPLES.get(ast.unparse(arg.annotation)) if arg.annotation else None)
        for arg in required
        if arg.arg != "self"
    ]
