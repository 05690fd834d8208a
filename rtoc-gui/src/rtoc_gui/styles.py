"""Each signal's plot style, kept in ``$RTOC_HOME/plotStyles.json`` as RTOC 2.x keeps it.

RTOC's file maps ``"Device.Signal"`` to two dicts named after pyqtgraph's
arguments of its day: ``"symbol"`` holds the *line* (``color`` "#rrggbb",
``width``, ``style`` a ``Qt.PenStyle`` number, and ``alpha``, ``shadow*``
which rtoc keeps but does not use), ``"brush"`` holds the *point symbol*
(``style`` one of ``o d x s t +`` or "" for none, ``size``, ``color``...)::

    {"Generator.Sine": {"symbol": {"color": "#ff8c42", "width": 2, "style": 1},
                        "brush": {"style": "o", "size": 6}}}

A file written by RTOC is read, and one rtoc writes can be read by RTOC;
keys rtoc does not use are kept as they are. An entry that cannot be read is
reported and skipped; the rest of the file still counts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyqtgraph as pg
from PyQt5 import QtCore

from rtoc.files import write_atomically

if TYPE_CHECKING:
    from rtoc.signals import SignalKey

log = logging.getLogger("rtoc_gui")

FILE = "plotStyles.json"
#: Line styles as RTOC offers them, by the ``Qt.PenStyle`` number it stores.
LINES = {
    int(QtCore.Qt.SolidLine): "line",
    int(QtCore.Qt.DashLine): "dashes",
    int(QtCore.Qt.DotLine): "dots",
    int(QtCore.Qt.DashDotLine): "dash dot",
    int(QtCore.Qt.DashDotDotLine): "dash dot dot",
    int(QtCore.Qt.NoPen): "no line",
}
#: Point symbols as RTOC offers them ("" draws none).
SYMBOLS = {
    "": "none",
    "o": "circle",
    "d": "diamond",
    "s": "square",
    "t": "triangle",
    "x": "x",
    "+": "plus",
}
MAX_WIDTH, MAX_SYMBOL_SIZE = 20, 40
SOLID = int(QtCore.Qt.SolidLine)


def _colour(_style: object, _attribute: object, value: str) -> None:
    if not QtCore.QRegularExpression("^#[0-9a-fA-F]{6}$").match(value).hasMatch():
        raise ValueError(f"a colour is #rrggbb, not {value!r}")


def _within(high: int):
    def check(_style: object, attribute: attrs.Attribute, value: int) -> None:
        if not 1 <= value <= high:
            raise ValueError(f"{attribute.name} is 1 to {high}, not {value}")

    return check


def _one_of(known: dict) -> Any:
    def check(_style: object, attribute: attrs.Attribute, value: object) -> None:
        if value not in known:
            raise ValueError(f"{attribute.name} is one of {sorted(known)!r}, not {value!r}")

    return check


@attrs.frozen
class PlotStyle:
    """How one signal's curve is drawn; a bad value is a ValueError naming it."""

    colour: str = attrs.field(validator=_colour)
    width: int = attrs.field(default=1, converter=int, validator=_within(MAX_WIDTH))
    line: int = attrs.field(default=SOLID, converter=int, validator=_one_of(LINES))
    symbol: str = attrs.field(default="", validator=_one_of(SYMBOLS))
    symbol_size: int = attrs.field(default=7, converter=int, validator=_within(MAX_SYMBOL_SIZE))

    @classmethod
    def from_rtoc(cls, entry: dict[str, Any]) -> PlotStyle:
        """The style of one entry of RTOC's file; ValueError (or KeyError, TypeError) if none."""
        line, points = entry.get("symbol") or {}, entry.get("brush") or {}
        return cls(
            colour=str(line["color"]),
            width=line.get("width", 1),
            line=line.get("style", SOLID),
            symbol=points.get("style") or "",
            symbol_size=points.get("size", 7),
        )

    def to_rtoc(self, entry: dict[str, Any]) -> dict[str, Any]:
        """``entry`` (RTOC's form of a style, maybe with keys rtoc does not use) with this one."""
        line = {**(entry.get("symbol") or {}), "color": self.colour, "width": self.width}
        line["style"] = self.line
        points = {**(entry.get("brush") or {}), "style": self.symbol, "size": self.symbol_size}
        points.setdefault("color", self.colour)
        return {**entry, "symbol": line, "brush": points}

    def apply(self, curve: pg.PlotDataItem) -> None:
        curve.setPen(pg.mkPen(self.colour, width=self.width, style=QtCore.Qt.PenStyle(self.line)))
        curve.setSymbol(self.symbol or None)
        if self.symbol:
            curve.setSymbolSize(self.symbol_size)
            curve.setSymbolBrush(self.colour)
            curve.setSymbolPen(self.colour)


def label(key: SignalKey) -> str:
    return f"{key[0]}.{key[1]}"


class StyleBook:
    """The styles of ``plotStyles.json`` (``path`` None: kept in memory only)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        #: the file as read, RTOC's form: written back with rtoc's changes
        self.entries: dict[str, Any] = {}
        self.styles: dict[str, PlotStyle] = {}
        if path is not None and path.exists():
            self._read(path)

    def _read(self, path: Path) -> None:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(entries, dict):
                raise ValueError("not a JSON object of signal styles")
        except (OSError, ValueError) as error:
            log.warning("ignoring the plot styles in %s: %s", path, error)
            return
        self.entries = entries
        for name, entry in entries.items():
            try:
                self.styles[name] = PlotStyle.from_rtoc(entry)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                log.warning("ignoring the plot style of %s in %s: %s", name, path, error)

    def get(self, key: SignalKey) -> PlotStyle | None:
        return self.styles.get(label(key))

    def set(self, key: SignalKey, style: PlotStyle) -> None:
        name = label(key)
        self.styles[name] = style
        self.entries[name] = style.to_rtoc(self.entries.get(name) or {})
        self._save()

    def rename(self, key: SignalKey, new_key: SignalKey) -> None:
        """The style of a renamed signal goes with it."""
        old, new = label(key), label(new_key)
        if old in self.entries:
            self.entries[new] = self.entries.pop(old)
            if old in self.styles:
                self.styles[new] = self.styles.pop(old)
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            write_atomically(self.path, json.dumps(self.entries, indent=4) + "\n")
        except OSError as error:
            log.warning("cannot save the plot styles to %s: %s", self.path, error)
