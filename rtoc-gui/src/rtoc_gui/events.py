"""The event widget: the logger's events, newest first, filtered and paged by the logger.

Filters (text, priorities) become an :class:`rtoc.frontend.EventQuery`; the
logger answers one page of :data:`PAGE` events and how many match, so a
log of a million events costs one page per refresh.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from PyQt5 import QtGui, QtWidgets

from rtoc.events import Priority
from rtoc.frontend import EventQuery
from rtoc_gui.theme import EVENT_COLOURS

if TYPE_CHECKING:
    from rtoc.frontend import EventPage
    from rtoc_gui.link import Link

PAGE = 100
COLUMNS = ("Time", "Priority", "Device.Signal", "Text")
PRIORITY_NAMES = {Priority.INFO: "info", Priority.WARNING: "warning", Priority.ERROR: "error"}


def time_text(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


class EventWidget(QtWidgets.QWidget):
    def __init__(self, link: Link, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.offset = 0
        self.shown: tuple[str, ...] | None = None
        self.total = 0

        self.text = QtWidgets.QLineEdit(placeholderText="Filter: text, device, signal or id")
        self.text.setClearButtonEnabled(True)
        self.text.textChanged.connect(self._filter_changed)
        self.priorities: dict[Priority, QtWidgets.QCheckBox] = {}
        filters = QtWidgets.QHBoxLayout()
        filters.addWidget(self.text, 1)
        for priority, name in PRIORITY_NAMES.items():
            box = QtWidgets.QCheckBox(name, checked=True)
            box.setStyleSheet(f"QCheckBox {{ color: {EVENT_COLOURS[priority]}; }}")
            box.toggled.connect(self._filter_changed)
            self.priorities[priority] = box
            filters.addWidget(box)
        self.newer = QtWidgets.QToolButton(text="◀ newer")
        self.older = QtWidgets.QToolButton(text="older ▶")
        self.newer.clicked.connect(lambda: self._page(-PAGE))
        self.older.clicked.connect(lambda: self._page(PAGE))
        self.position = QtWidgets.QLabel()
        filters.addWidget(self.newer)
        filters.addWidget(self.position)
        filters.addWidget(self.older)

        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.table)

    def query(self) -> EventQuery:
        return EventQuery(
            text=self.text.text(),
            priorities=[p for p, box in self.priorities.items() if box.isChecked()],
            offset=self.offset,
            limit=PAGE,
        )

    def refresh(self) -> None:
        query = self.query()
        page = self.link.read(lambda view: view.event_page(query), None)
        if page is not None:
            self.show_page(page)

    def show_page(self, page: EventPage) -> None:
        self.total = page.total
        last = min(self.offset + PAGE, page.total)
        self.position.setText(
            f"{self.offset + 1} to {last} of {page.total}" if page.total else "no events"
        )
        self.newer.setEnabled(self.offset > 0)
        self.older.setEnabled(last < page.total)
        shown = tuple(event.uid for event in page.events)
        if shown == self.shown:
            return
        self.shown = shown
        self.table.setRowCount(len(page.events))
        for row, event in enumerate(page.events):
            colour = QtGui.QColor(EVENT_COLOURS[int(event.priority)])
            cells = (
                time_text(event.time),
                PRIORITY_NAMES[event.priority],
                event.where,
                event.text if event.value is None else f"{event.text} ({event.value:g})",
            )
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 1:
                    item.setForeground(colour)
                self.table.setItem(row, column, item)

    def rows(self) -> list[tuple[str, ...]]:
        """The table's text, row by row (what a user reads)."""
        return [
            tuple(self.table.item(row, column).text() for column in range(len(COLUMNS)))
            for row in range(self.table.rowCount())
        ]

    def _filter_changed(self, *_: object) -> None:
        self.offset = 0
        self.refresh()

    def _page(self, step: int) -> None:
        self.offset = max(0, min(self.offset + step, max(self.total - 1, 0)))
        self.refresh()
