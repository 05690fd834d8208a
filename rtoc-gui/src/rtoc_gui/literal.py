"""Values typed into the DevicesRAW widget, read as Python literals (``ast.literal_eval``).

A parameter or an argument is data, never code: ``[1, 2]``, ``'text'``,
``{"a": 1.5}``, ``True``, ``None`` are accepted, a name or a call is refused
with a message saying so. Nothing typed here is ever evaluated.
"""

from __future__ import annotations

import ast
from typing import Any


class LiteralError(ValueError):
    """The text is not a Python literal; the message says what was typed and why."""


def parse_value(text: str, type_name: str) -> Any:
    """The value ``text`` means for a parameter of type ``type_name``.

    A text parameter takes the text as typed (no quotes needed); any other
    type takes a Python literal, which the device then converts and checks.
    """
    if type_name == "str":
        return text
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise LiteralError(
            f"{text.strip()!r} is not a Python literal (a number, 'text', [list], {{dict}}, "
            "True, False or None)"
        ) from None


def parse_arguments(text: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``1, 'a', key=[2, 3]`` as positional and keyword arguments of literals."""
    if not text.strip():
        return (), {}
    try:
        tree = ast.parse(f"f({text}\n)", mode="eval")
    except SyntaxError:
        raise LiteralError(
            f"cannot read the arguments {text!r}: write them as in a call, e.g. 1, 'a', key=2.5"
        ) from None
    call = tree.body
    # "1), (2" parses as something other than one call of f: refused
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        raise LiteralError(f"cannot read the arguments {text!r}")
    try:
        args = tuple(_literal(node) for node in call.args)
        kwargs = {}
        for keyword in call.keywords:
            if keyword.arg is None:
                raise LiteralError("**mapping is not accepted: name each keyword argument")
            kwargs[keyword.arg] = _literal(keyword.value)
    except (ValueError, TypeError, MemoryError, RecursionError) as error:
        if isinstance(error, LiteralError):
            raise
        raise LiteralError(
            f"the arguments {text!r} hold something that is not a Python literal: {error}"
        ) from None
    return args, kwargs


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Starred):
        raise LiteralError("*iterable is not accepted: write each argument")
    return ast.literal_eval(node)
