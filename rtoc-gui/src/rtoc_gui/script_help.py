"""The script help: what a script can name, listed; a double-click puts it in the editor.

Signals (``signal_infos``), device parameters and functions
(``describe_devices``) come from the logger the window shows; the script
library (``rtoc.mean`` and the rest, :mod:`rtoc.automation.library`) and the
language's own names are those of the installed rtoc core. Devices whose
names are not Python names (``Lab.1``) cannot be named in a script and are
left out.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtWidgets

from rtoc.automation import library
from rtoc.automation.toolbox import Toolbox

if TYPE_CHECKING:
    from rtoc.device import DeviceDescription
    from rtoc.storage.base import SignalInfo

#: (shown, inserted, about) of the language's own names (rtoc.automation.namespace).
LANGUAGE = (
    ("trig CONDITION:", "trig :", "runs its block when CONDITION turns from false to true"),
    ("global NAME = value", "global NAME = 0", "set on the first run only, kept between runs"),
    ("clock", "clock", "the time this run started, unix seconds"),
    ("print(...)", "print()", "output: shown below the script"),
    (
        "stream(y, sname, dname='Script', unit=None, x=None)",
        "stream(y, '')",
        "append a sample to a signal",
    ),
    ("plot(x, y, sname, dname='Script', unit=None)", "plot(x, y, '')", "replace a signal"),
    (
        "event(text, sname='', dname='Script', priority=0, id='', value=None)",
        "event('')",
        "raise an event",
    ),
    (
        "exportData(filename=None, filetype='json', signals=None)",
        "exportData()",
        "write signals to $RTOC_HOME/export/; the path",
    ),
    (
        "importData(filename, dname=None, filetype=None, force=False)",
        "importData('')",
        "read a file from $RTOC_HOME/import/; the signal names",
    ),
    ("math, np, sp, sys", "np.", "libraries (sp: scipy, when installed)"),
)

#: What a double-click inserts is kept in each item's data under this role.
INSERT = QtCore.Qt.UserRole


def library_entries() -> list[tuple[str, str, str]]:
    """``(shown, inserted, about)`` of every ``rtoc.NAME`` a script has."""
    functions = {name: getattr(library, name) for name in library.__all__}
    functions.update(export=Toolbox.export, load=Toolbox.load)
    entries = []
    for name, function in sorted(functions.items(), key=lambda item: item[0].lower()):
        parameters = [
            parameter.replace(annotation=inspect.Parameter.empty)  # as a call is written
            for parameter in inspect.signature(function).parameters.values()
            if parameter.name != "self"
        ]
        signature = inspect.Signature(parameters)
        doc = inspect.getdoc(function) or ""
        entries.append((f"rtoc.{name}{signature}", f"rtoc.{name}()", doc))
    return entries


class ScriptHelp(QtWidgets.QTreeWidget):
    """Signals, parameters, functions, the library and the language, as a tree."""

    #: the text to put in the editor
    chosen = QtCore.pyqtSignal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["name", "about"])
        self.setToolTip("Double-click to insert into the script")
        self.setUniformRowHeights(True)
        self.setColumnWidth(0, 240)  # Device.Signal names whole
        self._key: object = None
        self.groups = {
            title: self._group(title)
            for title in ("Signals", "Parameters", "Functions", "Library", "Language")
        }
        for shown, inserted, about in library_entries():
            self._add("Library", shown, inserted, about.split("\n\n")[0], about)
        for shown, inserted, about in LANGUAGE:
            self._add("Language", shown, inserted, about)
        self.itemDoubleClicked.connect(self._double_clicked)

    def _group(self, title: str) -> QtWidgets.QTreeWidgetItem:
        group = QtWidgets.QTreeWidgetItem(self, [title])
        group.setFirstColumnSpanned(True)
        group.setExpanded(title in ("Signals", "Functions"))
        return group

    def _add(
        self, group: str, shown: str, inserted: str, about: str, tip: str = ""
    ) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem(self.groups[group], [shown, about.replace("\n", " ")])
        item.setData(0, INSERT, inserted)
        item.setToolTip(0, tip or about)
        item.setToolTip(1, tip or about)
        return item

    def entries(self, group: str) -> list[str]:
        """The names listed under ``group`` (as shown)."""
        parent = self.groups[group]
        return [parent.child(index).text(0) for index in range(parent.childCount())]

    def update_logger(self, infos: list[SignalInfo], devices: list[DeviceDescription]) -> None:
        """List the logger's signals, parameters and functions (rebuilt only when they change)."""
        key = (
            tuple((info.device, info.name, info.unit) for info in infos),
            tuple(
                (d.name, tuple((p.name, p.type) for p in d.parameters), d.functions)
                for d in devices
            ),
        )
        if key == self._key:
            return
        self._key = key
        for title in ("Signals", "Parameters", "Functions"):
            self.groups[title].takeChildren()
        for info in sorted(infos, key=lambda info: (info.device, info.name)):
            if info.device.isidentifier() and info.name.isidentifier():
                name = f"{info.device}.{info.name}"
                tip = f"{name}.latest, .x, .y, .unit; x, y = {name}"
                self._add("Signals", name, name, info.unit, tip)
        for device in sorted(devices, key=lambda device: device.name):
            if not device.name.isidentifier():
                continue
            for parameter in device.parameters:
                name = f"{device.name}.{parameter.name}"
                self._add("Parameters", name, name, f"parameter ({parameter.type})")
            for function in device.functions:
                shown = f"{device.name}.{function.name}{function.signature}"
                call = f"{device.name}.{function.name}()"
                tip = f"{shown}\n\n{function.doc}".strip()
                self._add("Functions", shown, call, function.doc.split("\n\n")[0], tip)

    def _double_clicked(self, item: QtWidgets.QTreeWidgetItem, _column: int) -> None:
        inserted = item.data(0, INSERT)
        if inserted:
            self.chosen.emit(inserted)
