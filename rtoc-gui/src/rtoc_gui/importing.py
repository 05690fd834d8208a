"""Files and pasted text into the logger: tables through the Import dialog, the rest as
``rtoc import`` would take them.

A file read by rtoc.io's CSV importer (CSV, TSV, text) or by a workbook
importer (XLSX, ODS: :class:`rtoc.io.spreadsheet.Workbook`) opens
:class:`rtoc_gui.import_dialog.ImportDialog`; so does tabular text pasted or
dropped onto the window (written to a file ``clipboard.txt`` first, so rtoc.io
reads it as it reads a file). Every other format rtoc.io knows (session JSON,
Parquet, MATLAB, WAV) and rtoc's own long export (CSV, or a sheet) are
imported straight away, all their signals, and a message shows rtoc.io's
summary.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.io import importers
from rtoc.io.csv_sniff import sniff
from rtoc.io.formats import FileFormatError, ImportOptions, MissingExtra, choose
from rtoc.io.ingest import into_view, read_file
from rtoc.io.spreadsheet import Workbook
from rtoc_gui.import_dialog import ImportDialog
from rtoc_gui.import_plan import is_long

if TYPE_CHECKING:
    from rtoc.io.formats import Importer
    from rtoc_gui.link import Link

#: The importer of text tables, whose files the dialog shows (and workbooks').
TABLE_FORMAT = "csv"
CLIPBOARD_FILE = "clipboard.txt"


class Importing(QtCore.QObject):
    """The import entry points of one window, and the dialogs and messages it opened.

    It takes the window's drops and Ctrl+V (a text field focused keeps its own
    paste) and closes its dialogs when the window closes.
    """

    def __init__(self, link: Link, window: QtWidgets.QWidget) -> None:
        super().__init__(window)
        self.link = link
        self.window = window
        self.dialogs: list[ImportDialog] = []
        #: the message of the last direct import (a summary or an error)
        self.message: QtWidgets.QMessageBox | None = None
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        paste = QtWidgets.QShortcut(QtGui.QKeySequence.Paste, window)
        paste.activated.connect(self.paste)

    def open_files(self, paths: list[str]) -> None:
        """Each file into the dialog, or imported directly; a problem is a message."""
        formats = importers()
        for name in paths:
            path = Path(name)
            try:
                importer = choose(formats, path, None)
            except ValueError as error:  # no format reads this suffix
                self._tell(f"Cannot import {path.name}", str(error), warning=True)
                continue
            if self._table(importer) and not self._long(path, importer):
                self._dialog(path, importer)
            else:
                self.import_directly(path, importer)

    def open_text(self, text: str) -> ImportDialog | None:
        """Tabular text (pasted, dropped) in the dialog; None for no text."""
        if not text.strip():
            self._tell("Nothing to import", "The clipboard holds no text.", warning=True)
            return None
        folder = Path(tempfile.mkdtemp(prefix="rtoc-gui-paste-"))
        path = folder / CLIPBOARD_FILE
        path.write_text(text, encoding="utf-8")
        dialog = self._dialog(path, importers()[TABLE_FORMAT])
        dialog.finished.connect(lambda _result: shutil.rmtree(folder, ignore_errors=True))
        return dialog

    def import_directly(self, path: Path, importer: Importer) -> None:
        """All of a file's signals into the logger, as ``rtoc import`` takes them."""
        try:
            with read_file(path, importer, ImportOptions()) as parsed:
                sent = self.link.act(lambda view: into_view(parsed, view))
                lines = parsed.summary()
        except Exception as error:  # the file's, the logger's or the network's message
            self._tell(f"Cannot import {path.name}", str(error), warning=True)
            return
        lines.append(f"Sent {sent} samples to {self.link.where}.")
        self._tell(f"Imported {path.name}", "\n".join(lines), warning=False)

    @staticmethod
    def _table(importer: Importer) -> bool:
        return importer.name == TABLE_FORMAT or isinstance(importer, Workbook)

    @staticmethod
    def _long(path: Path, importer: Importer) -> bool:
        """rtoc's own export (CSV, or a sheet): its rows name their signals, no
        definitions needed."""
        try:
            if isinstance(importer, Workbook):
                head = importer.preview(path, ImportOptions(), 0).head
                return head is not None and head.long
            dialect = sniff(path, ImportOptions())
        except (FileFormatError, OSError, MissingExtra):
            return False  # the dialog says what is wrong
        return dialect is not None and is_long(dialect.names)

    def _dialog(self, path: Path, importer: Importer) -> ImportDialog:
        dialog = ImportDialog(self.link, path, importer, self.window)
        dialog.setWindowFlag(QtCore.Qt.Window)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _result: self.dialogs.remove(dialog))
        dialog.show()
        return dialog

    def _tell(self, title: str, text: str, *, warning: bool) -> None:
        """Show a message without blocking the window (the last one replaces the one before)."""
        icon = QtWidgets.QMessageBox.Warning if warning else QtWidgets.QMessageBox.Information
        if self.message is not None:
            self.message.close()
        self.message = QtWidgets.QMessageBox(icon, title, text, parent=self.window)
        self.message.setWindowModality(QtCore.Qt.NonModal)
        self.message.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.message.show()

    # -- the window's drops, paste and close ----------------------------------------------

    def paste(self) -> ImportDialog | None:
        return self.open_text(QtWidgets.QApplication.clipboard().text())

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        kind = event.type()
        if kind in (QtCore.QEvent.DragEnter, QtCore.QEvent.DragMove):
            if _files(event.mimeData()) or event.mimeData().hasText():
                event.acceptProposedAction()
                return True
        elif kind == QtCore.QEvent.Drop:
            self.drop(event.mimeData())
            event.acceptProposedAction()
            return True
        elif kind == QtCore.QEvent.Close:
            for dialog in list(self.dialogs):
                dialog.close()
            if self.message is not None:
                self.message.close()
        return False

    def drop(self, mime: QtCore.QMimeData) -> None:
        """Files dropped are imported; text dropped is taken as pasted."""
        files = _files(mime)
        if files:
            self.open_files(files)
        elif mime.hasText():
            self.open_text(mime.text())


def _files(mime: QtCore.QMimeData) -> list[str]:
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
