"""The event widget: the logger's events, newest first, filtered and paged by the logger.

Filters (text, priorities) become an :class:`rtoc.frontend.EventQuery`; the
logger answers one page of :data:`PAGE` events and how many match, so a
log of a million events costs one page per refresh. The selected events, or
all that match the filter, are deleted (after a question) through
``LoggerView.delete_events``, in memory and in storage.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import attrs
from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.events import Priority
from rtoc.frontend import EventQuery
from rtoc_gui.theme import EVENT_COLOURS

if TYPE_CHECKING:
    from rtoc.events import Event
    from rtoc.frontend import EventPage
    from rtoc_gui.link import Link

PAGE = 100
#: the name of the table's reads (:class:`rtoc_gui.reads.Reads`)
READ = "events"
COLUMNS = ("Time", "Priority", "Device.Signal", "Text")
PRIORITY_NAMES = {Priority.INFO: "info", Priority.WARNING: "warning", Priority.ERROR: "error"}


def time_text(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def exactly(event: Event) -> EventQuery:
    """A query that matches ``event``: its device, priority, time and text.

    Events have no query by id; another event of that device and priority at
    the very same time whose text contains this one's would match too.
    """
    return EventQuery(
        text=event.text or event.id,
        priorities=[event.priority],
        devices=[event.device],
        start=event.time,
        end=event.time,
    )


class EventWidget(QtWidgets.QWidget):
    #: what a deletion did, or why it could not (for the status bar)
    message = QtCore.pyqtSignal(str)

    def __init__(self, link: Link, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.offset = 0
        self.shown: tuple[str, ...] | None = None
        #: the events of the rows shown
        self.events: tuple[Event, ...] = ()
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
        self.delete_button = QtWidgets.QToolButton(text="Delete")
        self.delete_button.setPopupMode(QtWidgets.QToolButton.InstantPopup)
        delete = QtWidgets.QMenu(self.delete_button)
        self.delete_selected_action = delete.addAction(
            "the selected events", self.ask_delete_selected
        )
        self.delete_matching_action = delete.addAction(
            "every event the filter shows", self.ask_delete_matching
        )
        self.delete_button.setMenu(delete)
        filters.addWidget(self.delete_button)

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
        """Ask the logger for the page shown (the window's slow timer calls this)."""
        query = self.query()
        self.link.reads.ask(READ, lambda view: view.event_page(query), self.show_page)

    def _query_changed(self) -> None:
        """Another filter or page: a page asked for before is dropped when it comes."""
        self.link.reads.invalidate(READ)
        self.refresh()

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
        self.events = page.events
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

    def selected(self) -> list[Event]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.events[row] for row in sorted(rows) if row < len(self.events)]

    def ask_delete_selected(self) -> None:
        chosen = self.selected()
        if not chosen:
            self.message.emit("select the events to delete first")
            return
        if self._confirm(f"Delete the {len(chosen)} selected event(s), in memory and storage?"):
            self.delete([exactly(event) for event in chosen])

    def ask_delete_matching(self) -> None:
        if self._confirm(
            f"Delete all {self.total} events the filter shows (every page), in memory and storage?"
        ):
            self.delete([attrs.evolve(self.query(), offset=0)])

    def _confirm(self, question: str) -> bool:
        answer = QtWidgets.QMessageBox.question(self, "Delete events", question)
        return answer == QtWidgets.QMessageBox.Yes

    def delete(self, queries: list[EventQuery]) -> int:
        """Delete every event each query matches; how many went."""
        deleted = 0
        try:
            for query in queries:
                deleted += self.link.act(lambda view, query=query: view.delete_events(query))
        except Exception as error:  # the logger's refusal (a read-only view) is the answer
            self.message.emit(f"cannot delete events: {error}")
        else:
            self.message.emit(f"{deleted} event(s) deleted")
        self.shown = None
        self.offset = 0
        self._query_changed()
        return deleted

    def _filter_changed(self, *_: object) -> None:
        self.offset = 0
        self._query_changed()

    def _page(self, step: int) -> None:
        self.offset = max(0, min(self.offset + step, max(self.total - 1, 0)))
        self._query_changed()
