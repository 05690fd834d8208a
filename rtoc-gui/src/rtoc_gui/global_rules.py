"""Global events and global actions (manual 5.7.7, 5.5): list, add, edit, switch, delete.

A global event raises an event when its condition holds (``cond``, per its
``trigger``); a global action runs its script when an event with one of its
ids is raised. Everything goes through the LoggerView's automation calls
(``automation_state``, ``set_rule``, ``set_rule_active``, ``remove_rule``,
``set_automation_active``), so a remote logger is edited the same way. The
logger checks an entry before it keeps it: its refusal names the key (and,
for code, the line), and is shown at that key's field in the editor.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PyQt5 import QtCore, QtWidgets

from rtoc.automation.rules import ACTION_DEFAULTS, EVENT_DEFAULTS, TRIGGERS
from rtoc_gui.link import Offline
from rtoc_gui.marks import confirm, error_label, mark

if TYPE_CHECKING:
    from rtoc.frontend import AutomationState, RuleKind, RuleState
    from rtoc_gui.link import Link

#: ``event 'hot': cond does not compile: ...``: the key a refusal is about.
REFUSED_KEY = re.compile(r"""(?:event|action) (?:'[^']*'|"[^"]*"): (\w+)""")
PRIORITIES = ("0 information", "1 warning", "2 error")
CODE_FONT = "font-family: monospace;"


class RuleEditor(QtWidgets.QWidget):
    """One global event or action as a form; :meth:`save` hands it to the logger."""

    #: (kind, name) once the logger kept it
    saved = QtCore.pyqtSignal(str, str)

    def __init__(
        self,
        link: Link,
        kind: RuleKind,
        rule: RuleState | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent, QtCore.Qt.Window)
        self.link = link
        self.kind = kind
        #: the name the rule had (None: a new one)
        self.original = rule.name if rule is not None else None
        defaults = EVENT_DEFAULTS if kind == "event" else ACTION_DEFAULTS
        values: dict[str, Any] = {**defaults, **(rule.fields if rule is not None else {})}
        self.kept = values  # keys without a field (RTOC's "parameters") are saved as they were
        label = "global event" if kind == "event" else "global action"
        self.setWindowTitle(f"rtoc — {label} {rule.name if rule else '(new)'}")
        self.inputs: dict[str, QtWidgets.QWidget] = {}
        self.messages: dict[str, QtWidgets.QLabel] = {}
        self.form = QtWidgets.QFormLayout()
        self._line("name", "Name", rule.name if rule else "")
        if kind == "event":
            self._code("cond", "Condition", values["cond"])
            self._line("text", "Event text", values["text"])
            self._choice("priority", "Priority", list(enumerate(PRIORITIES)), values["priority"])
            self._line("id", "Event id", values["id"])
            self._choice("trigger", "Trigger", [(t, t) for t in TRIGGERS], values["trigger"])
            self._line("dname", "Device", values["dname"])
            self._line("sname", "Signal", values["sname"])
            self._line("return", "Return", values["return"])
        else:
            listen = values["listenID"]
            listen = [str(i) for i in listen] if isinstance(listen, list) else [str(listen)]
            self._line("listenID", "Event ids", ", ".join(listen))
            self._code("script", "Script", values["script"])
        self.active = QtWidgets.QCheckBox("active", checked=bool(values["active"]))
        self.form.addRow("", self.active)
        self.message = error_label()
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.Save | QtWidgets.QDialogButtonBox.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(self.form, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(560, 420)

    def _row(self, key: str, label: str, editor: QtWidgets.QWidget) -> None:
        editor.setObjectName(key)
        message = error_label()
        box = QtWidgets.QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(editor)
        box.addWidget(message)
        self.form.addRow(label, box)
        self.inputs[key] = editor
        self.messages[key] = message

    def _line(self, key: str, label: str, value: str) -> None:
        self._row(key, label, QtWidgets.QLineEdit(str(value)))

    def _code(self, key: str, label: str, value: str) -> None:
        editor = QtWidgets.QPlainTextEdit(str(value))
        editor.setStyleSheet(CODE_FONT)
        self._row(key, label, editor)

    def _choice(self, key: str, label: str, choices: list[tuple[Any, str]], value: Any) -> None:
        editor = QtWidgets.QComboBox()
        for data, text in choices:
            editor.addItem(text, data)
        editor.setCurrentIndex(max(editor.findData(value), 0))
        self._row(key, label, editor)

    def value(self, key: str) -> Any:
        editor = self.inputs[key]
        if isinstance(editor, QtWidgets.QPlainTextEdit):
            return editor.toPlainText()
        if isinstance(editor, QtWidgets.QComboBox):
            return editor.currentData()
        return editor.text().strip() if key in ("name", "listenID") else editor.text()

    def fields(self) -> dict[str, Any]:
        """The entry as the logger's rules file keeps it."""
        fields = {key: self.value(key) for key in self.inputs if key != "name"}
        if self.kind == "action":
            fields["listenID"] = [i.strip() for i in fields["listenID"].split(",") if i.strip()]
            fields["parameters"] = self.kept["parameters"]
        fields["active"] = self.active.isChecked()
        return fields

    def show_error(self, text: str) -> None:
        """Put the logger's refusal at the field it names (else below the form)."""
        for key, editor in self.inputs.items():
            mark(editor, self.messages[key], "")
        self.message.setText("")
        self.message.hide()
        found = REFUSED_KEY.search(text)
        key = found.group(1) if found else ""
        if key in self.inputs:
            mark(self.inputs[key], self.messages[key], text)
        elif text:
            self.message.setText(text)
            self.message.show()

    def error(self, key: str) -> str:
        return self.messages[key].text()

    def _taken(self, name: str) -> bool:
        state = self.link.act(lambda view: view.automation_state())
        return any(rule.kind == self.kind and rule.name == name for rule in state.rules)

    def save(self) -> bool:
        """Give the entry to the logger; on a refusal show it and keep the form open."""
        name = self.value("name")
        if not name:
            mark(self.inputs["name"], self.messages["name"], "Give it a name.")
            return False
        fields = self.fields()
        try:
            if name != self.original and self._taken(name):
                mark(self.inputs["name"], self.messages["name"], f"{name!r} exists already.")
                return False
            self.link.act(lambda view: view.set_rule(self.kind, name, fields))
            if self.original is not None and self.original != name:
                original = self.original
                self.link.act(lambda view: view.remove_rule(self.kind, original))
        except Exception as error:  # the logger's refusal, or the connection's
            self.show_error(str(error))
            return False
        self.show_error("")
        self.original = name
        self.saved.emit(self.kind, name)
        self.close()
        return True


class RulesWidget(QtWidgets.QWidget):
    """Both lists, each with its on/off switch as a whole, and the buttons to change them."""

    COLUMNS = {
        "event": ("active", "name", "condition", "event text", "id", "problem"),
        "action": ("active", "name", "event ids", "script", "problem"),
    }

    def __init__(self, link: Link, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, QtCore.Qt.Window)
        self.setWindowTitle(f"rtoc — global events and actions ({link.where})")
        self.link = link
        self.state: AutomationState | None = None
        self.editors: list[RuleEditor] = []
        self.switches: dict[RuleKind, QtWidgets.QCheckBox] = {}
        self.tables: dict[RuleKind, QtWidgets.QTableWidget] = {}
        self.tabs = QtWidgets.QTabWidget()
        for kind, title in (("event", "Global events"), ("action", "Global actions")):
            self.tabs.addTab(self._page(kind), title)
        self.message = error_label()
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self.resize(820, 460)
        self.refresh()

    def _page(self, kind: RuleKind) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        switch = QtWidgets.QCheckBox(
            f"Global {kind}s on (global.global{kind.title()}sActivated while rtoc runs)"
        )
        switch.clicked.connect(lambda on, kind=kind: self.switch_all(kind, on))
        table = QtWidgets.QTableWidget(0, len(self.COLUMNS[kind]))
        table.setHorizontalHeaderLabels(self.COLUMNS[kind])
        table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        table.setSelectionMode(QtWidgets.QAbstractItemView.SingleSelection)
        table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        table.horizontalHeader().setStretchLastSection(True)
        table.itemChanged.connect(lambda item, kind=kind: self._switched(kind, item))
        table.cellDoubleClicked.connect(
            lambda row, _, kind=kind: self.edit(kind, self._name(kind, row))
        )
        buttons = QtWidgets.QHBoxLayout()
        for text, act in (
            ("Add…", lambda _=False, kind=kind: self.edit(kind)),
            ("Edit…", lambda _=False, kind=kind: self.edit(kind, self._selected(kind))),
            ("Delete…", lambda _=False, kind=kind: self.ask_remove(kind, self._selected(kind))),
        ):
            button = QtWidgets.QPushButton(text)
            button.clicked.connect(act)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QtWidgets.QVBoxLayout(page)
        layout.addWidget(switch)
        layout.addWidget(table, 1)
        layout.addLayout(buttons)
        self.switches[kind] = switch
        self.tables[kind] = table
        return page

    def refresh(self) -> None:
        """Read both lists again."""
        try:
            state = self.link.act(lambda view: view.automation_state())
        except Exception as error:
            self._tell(str(error))
            return
        self.state = state
        self.switches["event"].setChecked(state.events_active)
        self.switches["action"].setChecked(state.actions_active)
        for kind, table in self.tables.items():
            rules = [rule for rule in state.rules if rule.kind == kind]
            table.blockSignals(True)
            table.setRowCount(len(rules))
            for row, rule in enumerate(rules):
                switch = QtWidgets.QTableWidgetItem()
                switch.setFlags(
                    QtCore.Qt.ItemIsUserCheckable
                    | QtCore.Qt.ItemIsEnabled
                    | QtCore.Qt.ItemIsSelectable
                )
                switch.setCheckState(QtCore.Qt.Checked if rule.active else QtCore.Qt.Unchecked)
                table.setItem(row, 0, switch)
                for column, text in enumerate(self._cells(rule), start=1):
                    table.setItem(row, column, QtWidgets.QTableWidgetItem(text))
            table.resizeColumnsToContents()
            table.blockSignals(False)

    @staticmethod
    def _cells(rule: RuleState) -> list[str]:
        fields = rule.fields
        if rule.kind == "event":
            return [
                rule.name,
                str(fields.get("cond", "")),
                str(fields.get("text", "")),
                str(fields.get("id", "")),
                rule.error,
            ]
        listen = fields.get("listenID", [])
        ids = ", ".join(listen) if isinstance(listen, list) else str(listen)
        script = str(fields.get("script", "")).replace("\n", " ⏎ ")
        return [rule.name, ids, script, rule.error]

    def names(self, kind: RuleKind) -> list[str]:
        table = self.tables[kind]
        return [self._name(kind, row) for row in range(table.rowCount())]

    def _name(self, kind: RuleKind, row: int) -> str:
        return self.tables[kind].item(row, 1).text()

    def _selected(self, kind: RuleKind) -> str | None:
        rows = self.tables[kind].selectionModel().selectedRows()
        return self._name(kind, rows[0].row()) if rows else None

    def rule(self, kind: RuleKind, name: str) -> RuleState | None:
        rules = self.state.rules if self.state is not None else ()
        return next((r for r in rules if r.kind == kind and r.name == name), None)

    def edit(self, kind: RuleKind, name: str | None = None) -> RuleEditor:
        """The editor of ``name`` (None: a new entry), shown."""
        editor = RuleEditor(self.link, kind, self.rule(kind, name) if name else None, self)
        editor.saved.connect(lambda *_: self.refresh())
        self.editors.append(editor)
        editor.show()
        return editor

    def set_active(self, kind: RuleKind, name: str, active: bool) -> None:
        self._do(lambda view: view.set_rule_active(kind, name, active))

    def _switched(self, kind: RuleKind, item: QtWidgets.QTableWidgetItem) -> None:
        if item.column() == 0:
            name = self._name(kind, item.row())
            self.set_active(kind, name, item.checkState() == QtCore.Qt.Checked)

    def switch_all(self, kind: RuleKind, on: bool) -> None:
        if kind == "event":
            self._do(lambda view: view.set_automation_active(events=on))
        else:
            self._do(lambda view: view.set_automation_active(actions=on))

    def ask_remove(self, kind: RuleKind, name: str | None) -> QtWidgets.QMessageBox | None:
        if name is None:
            self._tell(f"Choose the global {kind} to delete.")
            return None
        return confirm(
            self,
            f"Delete global {kind}",
            f"Delete the global {kind} {name!r}?",
            "Delete",
            lambda: self.remove(kind, name),
        )

    def remove(self, kind: RuleKind, name: str) -> None:
        self._do(lambda view: view.remove_rule(kind, name))

    def _do(self, change) -> None:
        try:
            self.link.act(change)
        except Offline as error:
            self._tell(str(error))
            return
        except Exception as error:  # the logger's refusal: say it, show the lists as they are
            self._tell(str(error))
        else:
            self._tell("")
        self.refresh()

    def _tell(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
