"""The Import dialog (RTOC manual 5.7.9.2): a table (a CSV file, or a sheet of an XLSX or
ODS workbook) on the left, signals to take from it on the right, each coloured by whether
it can be imported and, if not, why.

The table's first rows are shown through a model (:class:`PreviewModel`),
never the whole file; as in RTOC, its cells can be edited and its rows
deleted, and the import reads them so (the rest of a bigger file as it is).
A workbook of several sheets has a sheet to choose. The definitions start as
the reader's proposals (one signal per column of numbers over the time column
it found); every change of a definition or a cell checks them again
(:meth:`rtoc_gui.import_plan.Plan.reasons`). **Import** imports the valid
ones through the window's :class:`rtoc_gui.link.Link` (a logger here or over
TCP) and says how many samples each signal got; invalid ones are skipped.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.io.edits import Edits
from rtoc.io.formats import FileFormatError, ImportOptions, MissingExtra
from rtoc_gui.import_plan import AUTO, Definition, Outcome, Plan, SheetError, open_source

if TYPE_CHECKING:
    from rtoc.io.formats import Importer
    from rtoc.signals import SignalKey
    from rtoc_gui.link import Link

READY = "#2e7d4f"
REFUSED = "#8b1e1e"
#: the background of an edited cell
EDITED = "#f2c94c"
TIME_FORMATS = ("auto", "unix", "iso", "excel")
NAME, DEVICE, X, Y, STATUS = range(5)


class PreviewModel(QtCore.QAbstractTableModel):
    """The first rows of the table as text cells, headed ``3: U [V]``, each row numbered by
    its line in the file (a sheet's row number), as errors name it.

    Cells are editable and rows can be deleted; an edited cell is marked
    (:data:`EDITED`, its tooltip shows what the file has). Nothing is written:
    :meth:`edits` is the overlay rtoc.io applies to these rows when it reads
    the file (:class:`rtoc.io.edits.Edits`), for the checks and the import alike.
    """

    #: a cell was edited, rows were deleted, or the edits were undone
    edited = QtCore.pyqtSignal()

    def __init__(
        self, labels: list[str], rows: list[list[str]], lines: list[int], parent=None
    ) -> None:
        super().__init__(parent)
        self.labels = labels
        self.rows = rows
        self.lines = lines
        #: (line, 0-based column) -> the text typed over the file's
        self.changes: dict[tuple[int, int], str] = {}
        #: lines of the rows deleted
        self.deleted: set[int] = set()
        self.shown = list(range(len(rows)))

    def rowCount(self, parent: QtCore.QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.shown)

    def columnCount(self, parent: QtCore.QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.labels)

    def original(self, index: QtCore.QModelIndex) -> str:
        """The file's text of a cell."""
        row = self.rows[self.shown[index.row()]]
        return row[index.column()] if index.column() < len(row) else ""

    def _key(self, index: QtCore.QModelIndex) -> tuple[int, int]:
        return self.lines[self.shown[index.row()]], index.column()

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.DisplayRole):
        if not index.isValid():
            return None
        key = self._key(index)
        if role in (QtCore.Qt.DisplayRole, QtCore.Qt.EditRole):
            return self.changes.get(key, self.original(index))
        if key not in self.changes:
            return None
        if role == QtCore.Qt.BackgroundRole:
            return QtGui.QColor(EDITED)
        if role == QtCore.Qt.ForegroundRole:
            return QtGui.QColor("black")
        if role == QtCore.Qt.ToolTipRole:
            return f"edited; the file has {self.original(index)!r}"
        return None

    def flags(self, index: QtCore.QModelIndex) -> QtCore.Qt.ItemFlags:
        return super().flags(index) | QtCore.Qt.ItemIsEditable

    def setData(self, index: QtCore.QModelIndex, value, role: int = QtCore.Qt.EditRole) -> bool:
        if role != QtCore.Qt.EditRole or not index.isValid():
            return False
        text, key = str(value), self._key(index)
        if text == self.original(index):
            self.changes.pop(key, None)
        else:
            self.changes[key] = text
        self.dataChanged.emit(index, index)
        self.edited.emit()
        return True

    def delete_rows(self, rows: set[int]) -> None:
        """Leave the rows shown at ``rows`` out of the import."""
        if not rows:
            return
        self.beginResetModel()
        lines = {self.lines[self.shown[row]] for row in rows}
        self.deleted |= lines
        self.changes = {key: text for key, text in self.changes.items() if key[0] not in lines}
        self._show()
        self.endResetModel()
        self.edited.emit()

    def restore(self, changes: dict[tuple[int, int], str], deleted: set[int]) -> None:
        """Take over the edits of the same rows read again (another time format)."""
        self.beginResetModel()
        self.changes, self.deleted = dict(changes), set(deleted)
        self._show()
        self.endResetModel()

    def undo(self) -> None:
        """Every cell as the file has it, every row back."""
        self.restore({}, set())
        self.edited.emit()

    def _show(self) -> None:
        self.shown = [i for i, line in enumerate(self.lines) if line not in self.deleted]

    def edits(self) -> Edits | None:
        """The edits as rtoc.io applies them; None for none."""
        if not (self.changes or self.deleted):
            return None
        cells = tuple(sorted((line, column, text) for (line, column), text in self.changes.items()))
        return Edits(cells, frozenset(self.deleted))

    def describe(self) -> str:
        """``2 cells edited, 1 row deleted`` ("" for no edits)."""
        parts = []
        if self.changes:
            parts.append(_count(len(self.changes), "cell") + " edited")
        if self.deleted:
            parts.append(_count(len(self.deleted), "row") + " deleted")
        return ", ".join(parts)

    def headerData(self, section: int, orientation: int, role: int = QtCore.Qt.DisplayRole):
        if role != QtCore.Qt.DisplayRole:
            return None
        if orientation == QtCore.Qt.Horizontal:
            return self.labels[section]
        return str(self.lines[self.shown[section]])


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


class ImportDialog(QtWidgets.QDialog):
    """Import signals from ``path`` (read by ``importer``, rtoc.io's CSV importer)."""

    def __init__(
        self, link: Link, path: Path, importer: Importer, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.path = path
        self.importer = importer
        #: the copy of the first rows the checks read; removed when the dialog closes
        self.folder = Path(tempfile.mkdtemp(prefix="rtoc-gui-import-"))
        self._remove_folder = weakref.finalize(self, shutil.rmtree, self.folder, True)
        self.plan: Plan | None = None
        #: the table shown, with its edits; None when the file cannot be read
        self.model: PreviewModel | None = None
        #: why each definition cannot be imported ("" when it can), after the last check
        self.reasons: list[str] = []
        #: what the last import did with each definition
        self.outcomes: list[Outcome] = []
        self.setWindowTitle(f"Import — {path.name}")
        self.resize(1200, 640)

        self.info = QtWidgets.QLabel(wordWrap=True)
        self.info.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.error = QtWidgets.QLabel(wordWrap=True, objectName="importError")
        self.error.setStyleSheet(f"background: {REFUSED}; color: white; padding: 6px;")
        self.error.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.error.hide()

        self.time_format = QtWidgets.QComboBox()
        self.time_format.addItems(TIME_FORMATS)
        self.time_format.setToolTip(
            "unix seconds, ISO 8601 (no zone: local time) or Excel serial days"
        )
        self.skip_bad = QtWidgets.QCheckBox("Skip rows that cannot be read")
        self.force = QtWidgets.QCheckBox("Import again if imported before")
        self.sheet = QtWidgets.QComboBox(toolTip="The workbook's sheet to import from")
        self.sheet_label = QtWidgets.QLabel("Sheet")
        options = QtWidgets.QHBoxLayout()
        options.addWidget(self.sheet_label)
        options.addWidget(self.sheet)
        options.addWidget(QtWidgets.QLabel("Time format"))
        options.addWidget(self.time_format)
        options.addWidget(self.skip_bad)
        options.addWidget(self.force)
        options.addStretch(1)

        self.table = QtWidgets.QTableView()
        self.delete_rows = QtWidgets.QPushButton(
            "Delete rows", toolTip="Leave the rows of the selected cells out of the import"
        )
        self.delete_rows.clicked.connect(self.delete_selected_rows)
        self.undo_edits = QtWidgets.QPushButton(
            "Undo edits", toolTip="Every cell as the file has it, every row back"
        )
        self.undo_edits.clicked.connect(self.undo)
        self.edits_info = QtWidgets.QLabel(objectName="importEdits")
        self.edits_info.setToolTip(
            "The rows shown are imported as edited, the rest of the file as it is"
        )
        edit_bar = QtWidgets.QHBoxLayout()
        edit_bar.addWidget(self.delete_rows)
        edit_bar.addWidget(self.undo_edits)
        edit_bar.addWidget(self.edits_info, 1)
        left = QtWidgets.QWidget()
        left_column = QtWidgets.QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addLayout(edit_bar)
        left_column.addWidget(self.table, 1)
        self.definitions_table = QtWidgets.QTableWidget(0, 5)
        self.definitions_table.setHorizontalHeaderLabels(["Signal", "Device", "X", "Y", ""])
        header = self.definitions_table.horizontalHeader()
        for section in (NAME, DEVICE):
            header.setSectionResizeMode(section, QtWidgets.QHeaderView.ResizeToContents)
        header.resizeSection(X, 110)
        header.resizeSection(Y, 110)
        header.setStretchLastSection(True)
        self.definitions_table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.definitions_table.itemChanged.connect(lambda _item: self.check())
        add = QtWidgets.QPushButton("+", toolTip="Add a signal")
        add.clicked.connect(lambda: self.add_definition())
        remove = QtWidgets.QPushButton("-", toolTip="Remove the selected signals")
        remove.clicked.connect(self.remove_selected)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        right = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.definitions_table, 1)
        self.why = QtWidgets.QLabel(wordWrap=True, objectName="importWhy")
        self.why.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        column.addWidget(self.why)
        column.addLayout(buttons)
        splitter = QtWidgets.QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([600, 600])

        self.progress = QtWidgets.QProgressBar()
        self.progress.hide()
        self.result = QtWidgets.QLabel(wordWrap=True, objectName="importResult")
        self.result.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.import_button = QtWidgets.QPushButton("Import data", default=True)
        self.import_button.clicked.connect(self.import_now)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addStretch(1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(close)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addLayout(options)
        layout.addWidget(self.error)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.result)
        layout.addLayout(bottom)

        self.load()
        # the definitions stay: only how times are read changes
        self.time_format.currentTextChanged.connect(
            lambda _text: self.load(self.definitions() if self.plan else None)
        )
        self.skip_bad.toggled.connect(lambda _on: self.check())
        # another sheet: other columns, other rows; its own proposals, no edits
        self.sheet.currentTextChanged.connect(lambda _name: self.load())

    def options(self) -> ImportOptions:
        return ImportOptions(
            time_format=self.time_format.currentText(),
            skip_bad=self.skip_bad.isChecked(),
            sheet=self.sheet.currentText() if self.sheet.count() else None,
            edits=self.edits(),
        )

    def edits(self) -> Edits | None:
        """The cells edited and rows deleted, as rtoc.io applies them."""
        return None if self.model is None else self.model.edits()

    def load(self, keep: list[Definition] | None = None) -> None:
        """Read the file's first rows again and propose its signals (or ``keep`` these,
        and the edits of the rows); a file that cannot be read shows why, and nothing
        can be imported."""
        self.info.setText(self.path.name)
        self.info.setToolTip(str(self.path))
        previous = self.model if keep is not None else None
        try:
            source = open_source(self.path, self.importer, self.options(), self.folder)
        except (FileFormatError, OSError, MissingExtra) as error:
            self.plan = None
            self.model = None
            self.table.setModel(None)
            self.set_definitions([])
            self._show_error(f"Cannot import {self.path.name}: {error}")
            self._show_edits()
            # another sheet may do
            sheet = isinstance(error, SheetError)
            self._show_sheets(error.sheets if sheet else (), error.sheet if sheet else None)
            return
        self._show_sheets(source.sheets, source.sheet)
        self.model = PreviewModel(
            [source.label(column) for column in range(1, source.width + 1)],
            source.rows,
            source.lines,
            self.table,
        )
        if previous is not None:
            self.model.restore(previous.changes, previous.deleted)
        self.model.edited.connect(self._edited)
        self.plan = Plan(source, self.importer, self.options())
        self.info.setText(
            f"{self.path.name} — {source.describe()}; showing the first {len(source.rows)} rows"
            + (" (the file has more)" if source.more else "")
        )
        self.table.setModel(self.model)
        self.table.resizeColumnsToContents()
        self._show_error("")
        self._show_edits()
        self.set_definitions(self.plan.proposals() if keep is None else keep)

    def _show_sheets(self, sheets: tuple[str, ...], sheet: str | None) -> None:
        """The sheet box: the workbook's sheets, shown when there are several."""
        with QtCore.QSignalBlocker(self.sheet):
            self.sheet.clear()
            self.sheet.addItems(sheets)
            if sheet is not None:
                self.sheet.setCurrentText(sheet)
        several = len(sheets) > 1
        self.sheet.setVisible(several)
        self.sheet_label.setVisible(several)

    # -- the table's edits ----------------------------------------------------------------

    def delete_selected_rows(self) -> None:
        if self.model is not None:
            self.model.delete_rows({index.row() for index in self.table.selectedIndexes()})

    def undo(self) -> None:
        if self.model is not None:
            self.model.undo()

    def _edited(self) -> None:
        self._show_edits()
        self.check()

    def _show_edits(self) -> None:
        described = "" if self.model is None else self.model.describe()
        self.edits_info.setText(f"{described} (imported so)" if described else "")
        self.undo_edits.setEnabled(bool(described))
        self.delete_rows.setEnabled(self.model is not None)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.import_button.setEnabled(not text)

    # -- definitions ----------------------------------------------------------------------

    def definitions(self) -> list[Definition]:
        table = self.definitions_table
        return [
            Definition(
                name=table.item(row, NAME).text(),
                device=table.item(row, DEVICE).text(),
                x=table.cellWidget(row, X).currentData(),
                y=table.cellWidget(row, Y).currentData(),
            )
            for row in range(table.rowCount())
        ]

    def set_definitions(self, definitions: list[Definition]) -> None:
        with QtCore.QSignalBlocker(self.definitions_table):
            self.definitions_table.setRowCount(0)
            for definition in definitions:
                self._add_row(definition)
        self.check()

    def add_definition(self, definition: Definition | None = None) -> None:
        """Add ``definition``, or a new one on the next column not yet taken."""
        if self.plan is None:
            return
        if definition is None:
            present = self.definitions()
            used = {d.y for d in present} | {d.x for d in present}
            free = [c for c in range(1, self.plan.source.width + 1) if c not in used]
            column = free[0] if free else 1
            x = present[-1].x if present else AUTO
            device = present[-1].device if present else self.plan.device
            name = self.plan.source.names[column - 1]
            definition = Definition(name, column, x if x != column else AUTO, device)
        with QtCore.QSignalBlocker(self.definitions_table):
            self._add_row(definition)
        self.check()

    def remove_selected(self) -> None:
        rows = {index.row() for index in self.definitions_table.selectedIndexes()}
        for row in sorted(rows, reverse=True):
            self.definitions_table.removeRow(row)
        self.check()

    def _add_row(self, definition: Definition) -> None:
        assert self.plan is not None
        table = self.definitions_table
        row = table.rowCount()
        table.insertRow(row)
        table.setItem(row, NAME, QtWidgets.QTableWidgetItem(definition.name))
        device = QtWidgets.QTableWidgetItem(definition.device)
        device.setToolTip(f"empty: {self.plan.device}")
        table.setItem(row, DEVICE, device)
        columns = range(1, self.plan.source.width + 1)
        x = self._columns([("auto (row number)", AUTO)], columns, definition.x)
        y = self._columns([], columns, definition.y)
        table.setCellWidget(row, X, x)
        table.setCellWidget(row, Y, y)
        status = QtWidgets.QTableWidgetItem()
        status.setFlags(QtCore.Qt.ItemIsEnabled)
        table.setItem(row, STATUS, status)

    def _columns(self, first: list[tuple[str, int]], columns: range, chosen: int):
        assert self.plan is not None
        box = QtWidgets.QComboBox()
        for text, value in [*first, *((self.plan.source.label(c), c) for c in columns)]:
            box.addItem(text, value)
        index = box.findData(chosen)
        if index < 0:  # a column the file does not have: shown, and refused by the check
            box.addItem(f"{chosen}: not in the file", chosen)
            index = box.count() - 1
        box.setCurrentIndex(index)
        box.currentIndexChanged.connect(lambda _index: self.check())
        return box

    def check(self) -> list[str]:
        """Check every definition again; colour each and say why it cannot be imported."""
        if self.plan is None:
            self.reasons = []
            self.why.setText("")
            return self.reasons
        self.plan.options = self.options()
        self.reasons = self.plan.reasons(self.definitions(), self._taken())
        table = self.definitions_table
        with QtCore.QSignalBlocker(table):
            for row, reason in enumerate(self.reasons):
                item = table.item(row, STATUS)
                item.setText(reason or "ready")
                item.setToolTip(reason or "can be imported")
                item.setBackground(QtGui.QColor(REFUSED if reason else READY))
                item.setForeground(QtGui.QColor("white"))
        self.why.setText(
            "\n".join(f"{row}: {reason}" for row, reason in enumerate(self.reasons, 1) if reason)
        )
        return self.reasons

    def _taken(self) -> set[SignalKey]:
        return {info.key for info in self.link.read(lambda view: view.signal_infos(), [])}

    # -- importing ------------------------------------------------------------------------

    def import_now(self) -> list[Outcome]:
        """Import every definition that can be; show how many samples each signal got."""
        definitions = self.definitions()
        reasons = self.check()
        if self.plan is None:
            return []
        valid = [d for d, reason in zip(definitions, reasons, strict=True) if not reason]
        skipped = [
            f"  {d.name or '(no name)'}: {reason}"
            for d, reason in zip(definitions, reasons, strict=True)
            if reason
        ]
        if not valid:
            self.result.setText(
                "Nothing to import: no signal can be imported.\n" + "\n".join(skipped)
            )
            return []
        self.import_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        try:
            self.outcomes, lines = self.plan.run(
                valid, self.link, self._progress, force=self.force.isChecked()
            )
        finally:
            self.progress.hide()
            self.import_button.setEnabled(True)
        done = [o for o in self.outcomes if not o.error]
        failed = [f"  {o.key[0]}.{o.key[1]}: {o.error}" for o in self.outcomes if o.error]
        text = [f"Imported {len(done)} of {len(definitions)} signals into {self.link.where}."]
        text += [f"  {line}" for line in lines]
        if failed or skipped:
            text.append("Not imported:")
            text += failed + skipped
        self.result.setText("\n".join(text))
        self.check()
        return self.outcomes

    def _progress(self, doing: str, samples: int) -> None:
        self.progress.setFormat(f"{doing}: {samples:,} samples")
        self.result.setText(f"{doing}: {samples:,} samples")
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ExcludeUserInputEvents)

    def done(self, result: int) -> None:
        """Closed (Close, Esc, the window's ✕): the copy of the first rows goes."""
        self._remove_folder()
        self.plan = None
        super().done(result)
