"""The window's layout: size, position, docks and the plots, kept in a JSON file.

``$RTOC_HOME/guiLayout.json`` is written when the window closes and read when
it opens, while ``GUI.restoreWidgetPosition`` is on (RTOC's setting of the
same name); :meth:`MainWindow.save_layout_file` and
:meth:`MainWindow.load_layout_file` write and read any other file. As
PlotJuggler's layouts do, a layout keeps the plots, not only the docks: the
plot windows (how many, where, how big), which signals each plot shows and
which are hidden in the main plot, whether the x-axes are linked, and each
plot's Follow state (with its time range while Follow is off). A signal a
layout names that the logger does not have (yet) is shown, or kept hidden,
when it appears. The file::

    {"version": 2, "geometry": "<base64>", "state": "<base64>", "linked": true,
     "main": {"shown": [["Lab", "T"]], "hidden": [["Lab", "P"]],
              "follow": true, "x_range": null},
     "windows": [{"geometry": "<base64>", "shown": [["Lab", "P"]], "hidden": [],
                  "follow": false, "x_range": [1765000000.0, 1765000600.0]}]}

A file that cannot be used (not JSON, a field of the wrong kind, another
version) is refused whole with a :class:`LayoutError` that names the field:
nothing of it is applied.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from PyQt5 import QtCore

from rtoc.files import write_atomically

if TYPE_CHECKING:
    from rtoc.signals import SignalKey
    from rtoc_gui.mainwindow import MainWindow
    from rtoc_gui.plot import PlotView

log = logging.getLogger("rtoc_gui")

FILE = "guiLayout.json"
#: The layout file's format, also ``QMainWindow.saveState``'s version number. Format 1
#: (no "version" key) kept the docks only.
VERSION = 2


class LayoutError(ValueError):
    """A layout file that cannot be used; the message names the file and why."""


@attrs.frozen
class PlotLayout:
    """One plot: the signals chosen (shown or hidden), Follow, and its window's geometry."""

    shown: tuple[SignalKey, ...] = ()
    hidden: tuple[SignalKey, ...] = ()
    follow: bool = True
    #: the time range shown while Follow is off
    x_range: tuple[float, float] | None = None
    #: ``QWidget.saveGeometry`` of a plot window (empty for the main plot)
    geometry: bytes = b""

    @classmethod
    def of(cls, view: PlotView, geometry: bytes = b"") -> PlotLayout:
        choices = view.choices()
        start, end = view.viewbox.viewRange()[0]
        return cls(
            shown=tuple(sorted(key for key, on in choices.items() if on)),
            hidden=tuple(sorted(key for key, on in choices.items() if not on)),
            follow=view.follow,
            x_range=None if view.follow else (float(start), float(end)),
            geometry=geometry,
        )

    def apply(self, view: PlotView) -> None:
        view.restore_choices(
            {**dict.fromkeys(self.hidden, False), **dict.fromkeys(self.shown, True)}
        )
        if view.linked is not None:  # a linked plot shows the main plot's range
            return
        view.set_follow(self.follow)
        if not self.follow and self.x_range is not None:
            view.viewbox.setXRange(*self.x_range, padding=0)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"geometry": _text(self.geometry)} if self.geometry else {}
        return {
            **data,
            "shown": [list(key) for key in self.shown],
            "hidden": [list(key) for key in self.hidden],
            "follow": self.follow,
            "x_range": None if self.x_range is None else list(self.x_range),
        }

    @classmethod
    def from_json(cls, data: object, where: str, *, window: bool) -> PlotLayout:
        data = _object(data, where)
        x_range = data.get("x_range")
        if x_range is not None and not (
            isinstance(x_range, list)
            and len(x_range) == 2
            and all(_is_number(value) for value in x_range)
            and x_range[0] < x_range[1]
        ):
            raise LayoutError(
                f"{where}.x_range: expected [start, end] or null, got {_short(x_range)}"
            )
        return cls(
            shown=_keys(data.get("shown", []), f"{where}.shown"),
            hidden=_keys(data.get("hidden", []), f"{where}.hidden"),
            follow=_bool(data.get("follow", True), f"{where}.follow"),
            x_range=None if x_range is None else (float(x_range[0]), float(x_range[1])),
            geometry=_bytes(data.get("geometry"), f"{where}.geometry") if window else b"",
        )


@attrs.frozen
class Layout:
    """The whole window: its geometry and docks (Qt's own bytes) and every plot."""

    geometry: bytes
    state: bytes
    main: PlotLayout
    windows: tuple[PlotLayout, ...]
    linked: bool

    @classmethod
    def of(cls, window: MainWindow) -> Layout:
        return cls(
            geometry=bytes(window.saveGeometry()),
            state=bytes(window.saveState(VERSION)),
            main=PlotLayout.of(window.plot),
            windows=tuple(
                PlotLayout.of(shown.view, bytes(shown.saveGeometry()))
                for shown in window.plot_windows
            ),
            linked=window.link_action.isChecked(),
        )

    def apply(self, window: MainWindow) -> bool:
        """Give ``window`` this layout; False when Qt refused the geometry or the docks
        (the plots are restored all the same)."""
        placed = window.restoreGeometry(QtCore.QByteArray(self.geometry)) and (
            window.restoreState(QtCore.QByteArray(self.state), VERSION)
        )
        for shown in list(window.plot_windows):
            shown.close()
        window.link_action.setChecked(self.linked)
        self.main.apply(window.plot)
        for saved in self.windows:
            opened = window.new_plot_window()
            opened.restoreGeometry(QtCore.QByteArray(saved.geometry))
            saved.apply(opened.view)
        return placed

    def to_json(self) -> str:
        layout = {
            "version": VERSION,
            "geometry": _text(self.geometry),
            "state": _text(self.state),
            "linked": self.linked,
            "main": self.main.to_json(),
            "windows": [saved.to_json() for saved in self.windows],
        }
        return json.dumps(layout, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Layout:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise LayoutError(f"not JSON ({error})") from None
        data = _object(data, "the file")
        version = data.get("version", 1)
        if version != VERSION:
            raise LayoutError(
                f"written by another version of rtoc-gui (layout format {version!r}; "
                f"this one reads {VERSION})"
            )
        windows = data.get("windows", [])
        if not isinstance(windows, list):
            raise LayoutError(f"windows: expected a list, got {windows!r}")
        return cls(
            geometry=_bytes(data.get("geometry"), "geometry"),
            state=_bytes(data.get("state"), "state"),
            main=PlotLayout.from_json(data.get("main", {}), "main", window=False),
            windows=tuple(
                PlotLayout.from_json(saved, f"windows[{i}]", window=True)
                for i, saved in enumerate(windows)
            ),
            linked=_bool(data.get("linked", False), "linked"),
        )


def write_layout(window: MainWindow, path: Path) -> None:
    """Write ``window``'s layout to ``path`` (atomically: the old file or the new one)."""
    write_atomically(path, Layout.of(window).to_json())


def read_layout(path: Path) -> Layout:
    """The layout in ``path``; :class:`LayoutError` naming the file and why it cannot be used."""
    try:
        return Layout.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise LayoutError(f"cannot read {path}: {error}") from None
    except LayoutError as error:
        raise LayoutError(f"{path}: {error}") from None


def save_layout(window: MainWindow, path: Path) -> None:
    """Keep ``window``'s layout in ``path`` as it closes (a failure is logged: the window is
    going away, there is nowhere left to show it)."""
    try:
        write_layout(window, path)
    except OSError as error:
        log.warning("cannot save the window layout to %s: %s", path, error)


def restore_layout(window: MainWindow, path: Path) -> bool:
    """Whether ``window`` now has the layout saved in ``path``; a file that cannot be used is
    named in the status bar, and the window keeps its default layout."""
    if not path.exists():
        return False
    try:
        layout = read_layout(path)
    except LayoutError as error:
        message = f"Layout not restored, using the default one: {error}"
        log.warning("%s", message)
        window.statusBar().showMessage(message)
        return False
    if not layout.apply(window):
        window.statusBar().showMessage(f"{path}: Qt could not restore the window's docks")
        return False
    return True


# -- reading the file's fields --------------------------------------------------------


def _text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _bytes(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise LayoutError(f"{where}: expected base64 text, got {value!r}")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise LayoutError(f"{where}: not base64 ({error})") from None


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LayoutError(f"{where}: expected an object, got {_short(value)}")
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise LayoutError(f"{where}: expected true or false, got {_short(value)}")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _keys(value: object, where: str) -> tuple[SignalKey, ...]:
    if not isinstance(value, list):
        raise LayoutError(f"{where}: expected a list of [device, signal], got {_short(value)}")
    for i, key in enumerate(value):
        if not (
            isinstance(key, list) and len(key) == 2 and all(isinstance(p, str) and p for p in key)
        ):
            raise LayoutError(f"{where}[{i}]: expected [device, signal], got {_short(key)}")
    return tuple((device, signal) for device, signal in value)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
