"""A signal's menu (signal widget, plot legend): style, rename, unit, duplicate, export,
delete, and which plot window shows it.

Each entry asks the user (a dialog) and then does the work in a method of
its own (:meth:`SignalActions.rename` and so on), which answers bad input
with a message naming the problem. Changes to the data go through the
logger (``LoggerView.rename_signal``, ``set_unit``, ``copy_signal``,
``delete_signals``), so they work on a remote logger too; styles are this
machine's (``plotStyles.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt5 import QtCore, QtWidgets

from rtoc.io import exporters
from rtoc.io.formats import Exporter, ExportSignal, MissingExtra, choose
from rtoc_gui.link import Offline
from rtoc_gui.style_dialog import StyleDialog
from rtoc_gui.styles import PlotStyle, label
from rtoc_gui.theme import curve_colour

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView
    from rtoc.signals import SignalKey
    from rtoc_gui.link import Link
    from rtoc_gui.plot import PlotView
    from rtoc_gui.styles import StyleBook


def parse_key(text: str, key: SignalKey) -> SignalKey:
    """``Device.Signal``, or ``Signal`` under ``key``'s device; ValueError when no name."""
    device, _, name = text.strip().rpartition(".")
    device, name = device.strip() or key[0], name.strip()
    if not name:
        raise ValueError(f"{text.strip()!r} names no signal: write Signal or Device.Signal")
    return device, name


class SignalActions(QtCore.QObject):
    """What a signal's menu does, for every plot of one main window."""

    #: what was done, or why it could not be (for the status bar)
    message = QtCore.pyqtSignal(str)
    #: the logger's signals changed (renamed, deleted, copied): read them again
    changed = QtCore.pyqtSignal()

    def __init__(
        self,
        link: Link,
        styles: StyleBook,
        views: Callable[[], list[PlotView]],
        new_view: Callable[[], PlotView],
        parent: QtWidgets.QWidget,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.styles = styles
        self.views = views
        self.new_view = new_view
        self.parent_widget = parent

    # -- the menu -------------------------------------------------------------------

    def menu(self, key: SignalKey, parent: QtWidgets.QWidget | None = None) -> QtWidgets.QMenu:
        menu = QtWidgets.QMenu(label(key), parent or self.parent_widget)
        menu.addSection(label(key))
        menu.addAction("Style…", lambda: self.edit_style(key))
        menu.addAction("Rename…", lambda: self.ask_rename(key))
        menu.addAction("Unit…", lambda: self.ask_unit(key))
        menu.addAction("Duplicate as a new signal…", lambda: self.ask_duplicate(key))
        menu.addAction("Export…", lambda: self.ask_export(key))
        shown = menu.addMenu("Show in")
        views = self.views()
        for number, view in enumerate(views, start=1):
            action = shown.addAction("main plot" if number == 1 else f"plot window {number}")
            action.setCheckable(True)
            action.setChecked(key in view.visible)
            action.toggled.connect(lambda on, view=view: view.set_visible(key, on))
        shown.addAction("new plot window", lambda: self.new_view().set_visible(key, True))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.ask_delete(key))
        return menu

    def open_menu(self, key: SignalKey, where: QtCore.QPoint) -> None:
        """The menu of ``key`` at ``where`` (global screen coordinates)."""
        menu = self.menu(key)
        menu.setAttribute(QtCore.Qt.WA_DeleteOnClose)
        menu.popup(where)

    # -- asking the user ------------------------------------------------------------

    def edit_style(self, key: SignalKey) -> None:
        dialog = StyleDialog(f"Style of {label(key)}", self.style_of(key), self.parent_widget)
        if dialog.exec_() == QtWidgets.QDialog.Accepted:
            self.set_style(key, dialog.style())

    def ask_rename(self, key: SignalKey) -> None:
        text, ok = QtWidgets.QInputDialog.getText(
            self.parent_widget, "Rename signal", "New name (Signal or Device.Signal):",
            text=label(key),
        )  # fmt: skip
        if ok:
            self.rename(key, text)

    def ask_unit(self, key: SignalKey) -> None:
        info = self.views()[0].known.get(key)  # the main plot knows every signal
        text, ok = QtWidgets.QInputDialog.getText(
            self.parent_widget, "Unit", f"Unit of {label(key)}:", text=info.unit if info else ""
        )
        if ok:
            self.set_unit(key, text)

    def ask_duplicate(self, key: SignalKey) -> None:
        text, ok = QtWidgets.QInputDialog.getText(
            self.parent_widget, "Duplicate signal", "Name of the copy (Signal or Device.Signal):",
            text=f"{label(key)}_copy",
        )  # fmt: skip
        if ok:
            self.duplicate(key, text)

    def ask_delete(self, key: SignalKey) -> None:
        answer = QtWidgets.QMessageBox.question(
            self.parent_widget,
            "Delete signal",
            f"Delete {label(key)} with all its samples, in memory and in storage?",
        )
        if answer == QtWidgets.QMessageBox.Yes:
            self.delete(key)

    def ask_export(self, key: SignalKey) -> None:
        formats = self.formats()
        filters = {
            f"{found.name} ({' '.join('*' + suffix for suffix in found.suffixes)})": name
            for name, found in formats.items()
        }
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(
            self.parent_widget, f"Export {label(key)}", label(key), ";;".join(filters)
        )
        if path:
            self.export(key, Path(path), filters.get(chosen))

    # -- doing it -------------------------------------------------------------------

    def style_of(self, key: SignalKey) -> PlotStyle:
        """The style ``key`` has, or the one it is drawn with by default."""
        style = self.styles.get(key)
        if style is None:
            colours = self.views()[0].colours
            style = PlotStyle(colour=colours.get(key, curve_colour(len(colours))))
        return style

    def set_style(self, key: SignalKey, style: PlotStyle) -> None:
        """Draw ``key`` so in every plot, and keep it in ``plotStyles.json``."""
        self.styles.set(key, style)
        for view in self.views():
            view.restyle(key, style)
        self.message.emit(f"{label(key)}: style saved")

    def rename(self, key: SignalKey, text: str) -> bool:
        try:
            new_key = parse_key(text, key)
        except ValueError as error:
            return self._refused("rename", key, error)
        if new_key == key:
            return False
        if not self._act("rename", key, lambda view: view.rename_signal(key, new_key)):
            return False
        self.styles.rename(key, new_key)
        for view in self.views():
            view.renamed(key, new_key)
        return self._done(f"{label(key)} is now {label(new_key)}")

    def set_unit(self, key: SignalKey, unit: str) -> bool:
        if not self._act("set the unit of", key, lambda view: view.set_unit(key, unit.strip())):
            return False
        return self._done(f"{label(key)}: unit {unit.strip() or '(none)'}")

    def duplicate(self, key: SignalKey, text: str) -> bool:
        try:
            new_key = parse_key(text, key)
        except ValueError as error:
            return self._refused("duplicate", key, error)
        if not self._act("duplicate", key, lambda view: view.copy_signal(key, new_key)):
            return False
        return self._done(f"{label(key)} copied to {label(new_key)}")

    def delete(self, key: SignalKey) -> bool:
        if not self._act("delete", key, lambda view: view.delete_signals([key])):
            return False
        for view in self.views():
            view.set_visible(key, False)
        return self._done(f"{label(key)} deleted")

    def formats(self) -> dict[str, Exporter]:
        """The export formats: the logger's plugins' here, rtoc-core's own for a remote one."""
        return exporters(getattr(self.link.view, "plugins", None) if self.link.local else None)

    def export(self, key: SignalKey, path: Path, format_name: str | None = None) -> bool:
        """Write ``key``'s samples to ``path`` (format by name, else by the file's suffix)."""
        formats = self.formats()
        try:
            writer = formats[format_name] if format_name else choose(formats, path, None)
        except ValueError as error:
            return self._refused("export", key, error)
        if not path.suffix:
            path = path.with_suffix(writer.suffixes[0])
        try:
            data = self.link.act(lambda view: view.read(*key))
            writer.write(path, [ExportSignal(*key, data.unit, data.x, data.y)], [])
        except (Offline, OSError, ValueError, LookupError, MissingExtra) as error:
            return self._refused("export", key, error)
        return self._done(f"{label(key)}: {len(data.x)} samples written to {path}")

    def _act(self, what: str, key: SignalKey, ask: Callable[[LoggerView], Any]) -> bool:
        try:
            self.link.act(ask)
        except Exception as error:  # the logger's refusal is the user's answer
            return self._refused(what, key, error)
        return True

    def _refused(self, what: str, key: SignalKey, error: BaseException) -> bool:
        self.message.emit(f"cannot {what} {label(key)}: {error}")
        return False

    def _done(self, text: str) -> bool:
        self.message.emit(text)
        self.changed.emit()
        return True
