"""The Import dialog (RTOC manual 5.7.9.2): a table file on the left, signals to take from it
on the right, each coloured by whether it can be imported and, if not, why.

The file's first rows are shown through a model (:class:`PreviewModel`), never
the whole file. The definitions start as the sniffer's proposals (one signal
per column of numbers over the time column it found); every edit checks them
again (:meth:`rtoc_gui.import_plan.Plan.reasons`). **Import** imports the
valid ones through the window's :class:`rtoc_gui.link.Link` (a logger here or
over TCP) and says how many samples each signal got; invalid ones are skipped.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.io.formats import FileFormatError, ImportOptions
from rtoc_gui.import_plan import AUTO, Definition, Outcome, Plan, open_source

if TYPE_CHECKING:
    from rtoc.io.formats import Importer
    from rtoc.signals import SignalKey
    from rtoc_gui.link import Link

READY = "#2e7d4f"
REFUSED = "#8b1e1e"
TIME_FORMATS = ("auto", "unix", "iso", "excel")
NAME, DEVICE, X, Y, STATUS = range(5)


class PreviewModel(QtCore.QAbstractTableModel):
    """The first rows of the file as text cells, headed ``3: U [V]``."""

    def __init__(self, labels: list[str], rows: list[list[str]], parent=None) -> None:
        super().__init__(parent)
        self.labels = labels
        self.rows = rows

    def rowCount(self, parent: QtCore.QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent: QtCore.QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.labels)

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.DisplayRole):
        if role != QtCore.Qt.DisplayRole or not index.isValid():
            return None
        row = self.rows[index.row()]
        return row[index.column()] if index.column() < len(row) else ""

    def headerData(self, section: int, orientation: int, role: int = QtCore.Qt.DisplayRole):
        if role != QtCore.Qt.DisplayRole:
            return None
        return self.labels[section] if orientation == QtCore.Qt.Horizontal else str(section + 1)


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
        options = QtWidgets.QHBoxLayout()
        options.addWidget(QtWidgets.QLabel("Time format"))
        options.addWidget(self.time_format)
        options.addWidget(self.skip_bad)
        options.addWidget(self.force)
        options.addStretch(1)

        self.table = QtWidgets.QTableView()
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectColumns)
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
        splitter.addWidget(self.table)
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

    def options(self) -> ImportOptions:
        return ImportOptions(
            time_format=self.time_format.currentText(), skip_bad=self.skip_bad.isChecked()
        )

    def load(self, keep: list[Definition] | None = None) -> None:
        """Read the file's first rows again and propose its signals (or ``keep`` these);
        a file that cannot be read shows why, and nothing can be imported."""
        self.info.setText(self.path.name)
        self.info.setToolTip(str(self.path))
        try:
            source = open_source(self.path, self.options())
        except (FileFormatError, OSError) as error:
            self.plan = None
            self.table.setModel(None)
            self.set_definitions([])
            self._show_error(f"Cannot import {self.path.name}: {error}")
            return
        self.plan = Plan(source, self.importer, self.options(), self.folder)
        self.info.setText(
            f"{self.path.name} — {source.describe()}; showing the first {len(source.rows)} rows"
            + (" (the file has more)" if source.more else "")
        )
        labels = [source.label(column) for column in range(1, source.width + 1)]
        self.table.setModel(PreviewModel(labels, source.rows, self.table))
        self.table.resizeColumnsToContents()
        self._show_error("")
        self.set_definitions(self.plan.proposals() if keep is None else keep)

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
            name = self.plan.source.dialect.names[column - 1]
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
