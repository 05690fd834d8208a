"""Colours for RTOC's script language in the editor: Python plus ``trig``, devices and signals.

The language (:mod:`rtoc.automation.script`) is Python with ``trig CONDITION:``
and ``global NAME = value``; device names are plain names in the script's
namespace, so ``Device.Signal``, ``Device.PARAMETER`` and ``Device.FUNCTION()``
are attribute accesses. The highlighter colours Python's keywords (and
``trig``), the names every script has (``clock``, ``stream``, ``rtoc``...),
``Device.Member`` for the devices it is told of, a signal's ``.latest``,
``.x``, ``.y`` and ``.unit``, numbers, strings (triple-quoted ones across
lines) and comments. A ``#`` or a name inside a string stays string-coloured.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

from PyQt5 import QtGui

#: Keywords of the script language: Python's and RTOC's ``trig``.
KEYWORDS = frozenset({*keyword.kwlist, *keyword.softkwlist, "trig"}) - {"_"}
#: Names every script has (``rtoc.automation.namespace.script_namespace``) and jobs add.
SCRIPT_NAMES = frozenset(
    {
        "clock", "print", "stream", "plot", "event", "exportData", "importData",
        "rtoc", "np", "numpy", "math", "sp", "sys", "logger", "trigger", "value",
    }
)  # fmt: skip
BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_")) - KEYWORDS
#: What a signal offers in a script (``rtoc.automation.namespace.SignalRef``).
SIGNAL_MEMBERS = ("latest", "x", "y", "unit")

_WORD = re.compile(r"\b[A-Za-z_]\w*\b")
_NUMBER = re.compile(r"\b(?:0[xXoObB][0-9a-fA-F_]+|\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?j?)\b")
_MEMBER = re.compile(r"\b([A-Za-z_]\w*)(\s*\.\s*)([A-Za-z_]\w*)")
_SIGNAL_MEMBER = re.compile(r"\.\s*(" + "|".join(SIGNAL_MEMBERS) + r")\b")

#: Block states: outside a string, or inside a triple-quoted string of ''' or """.
OUTSIDE, IN_SINGLE_TRIPLE, IN_DOUBLE_TRIPLE = -1, 1, 2
_TRIPLES = {IN_SINGLE_TRIPLE: "'''", IN_DOUBLE_TRIPLE: '"""'}


def _format(colour: str, *, bold: bool = False, italic: bool = False) -> QtGui.QTextCharFormat:
    char = QtGui.QTextCharFormat()
    char.setForeground(QtGui.QColor(colour))
    if bold:
        char.setFontWeight(QtGui.QFont.Bold)
    char.setFontItalic(italic)
    return char


#: Colours readable on the dark and on the light theme.
FORMATS = {
    "keyword": _format("#c678dd", bold=True),
    "builtin": _format("#2aa1b3"),
    "script": _format("#e5a33d", bold=True),
    "device": _format("#3d8bfd", bold=True),
    "member": _format("#2fb37a"),
    "signal member": _format("#2fb37a", italic=True),
    "number": _format("#d19a66"),
    "string": _format("#98b35d"),
    "comment": _format("#7f848e", italic=True),
}


def strings_and_comments(text: str, state: int) -> tuple[list[tuple[int, int, str]], int]:
    """The ``(start, length, kind)`` of every string and comment in one line, and the state
    the line ends in (inside a triple-quoted string that goes on, or not)."""
    spans: list[tuple[int, int, str]] = []
    index = 0
    if state in _TRIPLES:
        close = text.find(_TRIPLES[state])
        if close < 0:
            return [(0, len(text), "string")], state
        index = close + 3
        spans.append((0, index, "string"))
    while index < len(text):
        char = text[index]
        if char == "#":
            spans.append((index, len(text) - index, "comment"))
            break
        if char not in "'\"":
            index += 1
            continue
        triple = text[index : index + 3]
        if triple in ("'''", '"""'):
            close = text.find(triple, index + 3)
            if close < 0:
                spans.append((index, len(text) - index, "string"))
                return spans, IN_SINGLE_TRIPLE if char == "'" else IN_DOUBLE_TRIPLE
            spans.append((index, close + 3 - index, "string"))
            index = close + 3
            continue
        end = index + 1
        while end < len(text) and text[end] != char:
            end += 2 if text[end] == "\\" else 1
        end = min(end + 1, len(text))
        spans.append((index, end - index, "string"))
        index = end
    return spans, OUTSIDE


class ScriptHighlighter(QtGui.QSyntaxHighlighter):
    """Highlights a script; :meth:`set_devices` names the devices to colour."""

    def __init__(self, document: QtGui.QTextDocument) -> None:
        super().__init__(document)
        self.devices: frozenset[str] = frozenset()

    def set_devices(self, names: Iterable[str]) -> None:
        names = frozenset(names)
        if names != self.devices:
            self.devices = names
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for match in _WORD.finditer(text):
            word = match.group()
            kind = (
                "keyword" if word in KEYWORDS
                else "script" if word in SCRIPT_NAMES
                else "builtin" if word in BUILTINS
                else None
            )  # fmt: skip
            if kind:
                self.setFormat(match.start(), len(word), FORMATS[kind])
        for match in _NUMBER.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), FORMATS["number"])
        for match in _MEMBER.finditer(text):
            if match.group(1) in self.devices:
                self.setFormat(match.start(1), len(match.group(1)), FORMATS["device"])
                self.setFormat(match.start(3), len(match.group(3)), FORMATS["member"])
        for match in _SIGNAL_MEMBER.finditer(text):
            self.setFormat(match.start(1), len(match.group(1)), FORMATS["signal member"])
        spans, state = strings_and_comments(text, self.previousBlockState())
        for start, length, kind in spans:
            self.setFormat(start, length, FORMATS[kind])
        self.setCurrentBlockState(state)
