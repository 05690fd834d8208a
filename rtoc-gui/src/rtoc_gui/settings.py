"""The settings widget (manual 5.7.8): every section of config.json as a form, one tab each.

The forms are made from the core's config model: the attrs class of each
section (``rtoc.config``, and those distributions register through
``rtoc_config_sections``), a field per key by its type: a check box for
true/false, a choice for a fixed set of values, a line for anything else
(numbers, text, lists and objects as JSON). Nothing is checked here: every
changed value goes through :func:`rtoc.config.set_value`, and what the core
refuses is shown at its field (red border, the core's message below it).
Only when every changed value is accepted is anything written, one key at a
time the way ``rtoc config set`` writes (:func:`rtoc.config.change_config_file`),
so a key changed meanwhile by another program (``tcp.knownHosts``) is kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

import attrs
from PyQt5 import QtCore, QtWidgets

from rtoc.config import (
    CONFIG_FILE,
    ConfigError,
    Limits,
    change_config_file,
    config_to_dict,
    load_config,
    save_change,
    set_value,
)
from rtoc_gui.marks import error_label, mark

if TYPE_CHECKING:
    from rtoc.config import Config, Sections
    from rtoc.plugins import PluginRegistry

#: Keys whose text is hidden as it is typed.
SECRET = ("password", "token")


def _kind(type_: Any) -> tuple[str, Any]:
    """(``"bool"``, ``"choice"``, ``"text"`` or ``"json"``, the choices or the limits)."""
    if type_ is bool:
        return "bool", None
    if get_origin(type_) is Literal:
        return "choice", get_args(type_)
    if type_ is str:
        return "text", None
    limits = None
    if hasattr(type_, "__metadata__"):
        limits = next((m for m in type_.__metadata__ if isinstance(m, Limits)), None)
    return "json", limits


class Field(QtWidgets.QWidget):
    """One key of config.json: its editor and, below it, the core's refusal."""

    def __init__(self, key: str, type_: Any, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.kind, extra = _kind(type_)
        if self.kind == "bool":
            self.editor: QtWidgets.QWidget = QtWidgets.QCheckBox()
        elif self.kind == "choice":
            self.editor = QtWidgets.QComboBox()
            for choice in extra:
                self.editor.addItem(str(choice), choice)
        else:
            self.editor = QtWidgets.QLineEdit()
            if any(word in key.lower() for word in SECRET):
                self.editor.setEchoMode(QtWidgets.QLineEdit.PasswordEchoOnEdit)
            if isinstance(extra, Limits):
                self.editor.setToolTip(extra.describe())
            elif self.kind == "json":
                self.editor.setToolTip("JSON: a number, true/false, [list] or {object}")
        self.editor.setObjectName(key)
        self.message = error_label()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.editor)
        layout.addWidget(self.message)
        #: the text the field had when it was filled, as ``raw`` gives it
        self.loaded = ""
        #: the index of its section's tab
        self.tab = 0

    def set_value(self, value: Any) -> None:
        if self.kind == "bool":
            self.editor.setChecked(bool(value))
        elif self.kind == "choice":
            index = next(
                (i for i in range(self.editor.count()) if self.editor.itemData(i) == value), -1
            )
            self.editor.setCurrentIndex(index)
        elif self.kind == "text":
            self.editor.setText(str(value))
        else:
            self.editor.setText(json.dumps(value, ensure_ascii=False))
        self.loaded = self.raw()
        self.show_error("")

    def raw(self) -> str:
        """The value as ``rtoc config set KEY VALUE`` takes it (JSON, else plain text)."""
        if self.kind == "bool":
            return json.dumps(self.editor.isChecked())
        if self.kind == "choice":
            return json.dumps(self.editor.currentData())
        if self.kind == "text":
            return json.dumps(self.editor.text(), ensure_ascii=False)
        return self.editor.text().strip()

    @property
    def changed(self) -> bool:
        return self.raw() != self.loaded

    def show_error(self, text: str) -> None:
        mark(self.editor, self.message, text)

    @property
    def error(self) -> str:
        return self.message.text()


def _refusal(error: ConfigError, key: str) -> str:
    """The core's message about ``key`` without the ``config.json: key:`` it starts with."""
    lines = str(error).splitlines()
    mine = [line for line in lines if f": {key}: " in line] or lines
    return mine[0].split(f": {key}: ", 1)[-1]


class SettingsWidget(QtWidgets.QWidget):
    """config.json of ``home`` as forms; ``refusal``: why it may not be changed from here."""

    #: the Config as saved
    saved = QtCore.pyqtSignal(object)

    def __init__(
        self,
        home: Path,
        plugins: PluginRegistry | None = None,
        refusal: str = "",
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent, QtCore.Qt.Window)
        self.setWindowTitle(f"rtoc — settings ({home / CONFIG_FILE})")
        self.home = home
        self.plugins = plugins
        self.sections: Sections = plugins.config_sections() if plugins is not None else {}
        self.fields: dict[str, Field] = {}
        self.tabs = QtWidgets.QTabWidget()
        self.notice = QtWidgets.QLabel(wordWrap=True)
        self.notice.setObjectName("settingsNotice")
        self.save_button = QtWidgets.QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        revert = QtWidgets.QPushButton("Revert")
        revert.clicked.connect(self.reload)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.notice, 1)
        buttons.addWidget(revert)
        buttons.addWidget(self.save_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        self.resize(640, 640)
        self.config: Config | None = None
        self.reload()
        if refusal:
            self.tabs.setEnabled(False)
            self.save_button.setEnabled(False)
            revert.setEnabled(False)
            self.notice.setText(refusal)

    def reload(self) -> None:
        """Fill the forms from the file as it is now."""
        try:
            self.config = load_config(self.home, self.sections)
        except ConfigError as error:
            self.config = None
            self.notice.setText(f"{error}\nRepair it with: rtoc config set SECTION.KEY VALUE")
            self.save_button.setEnabled(False)
            return
        data = config_to_dict(self.config)
        for section in data:
            if section in self.config.unknown_sections:
                continue
            cls = type(self.config.section(section))
            attrs.resolve_types(cls)
            for field in attrs.fields(cls):
                key = f"{section}.{field.name}"
                if key not in self.fields:
                    self._add(section, key, field.type)
                self.fields[key].set_value(data[section][field.name])
        self.notice.setText("")

    def _add(self, section: str, key: str, type_: Any) -> None:
        index = next((i for i in range(self.tabs.count()) if self.tabs.tabText(i) == section), -1)
        if index < 0:
            form = QtWidgets.QWidget()
            QtWidgets.QFormLayout(form)
            scroll = QtWidgets.QScrollArea(widgetResizable=True)
            scroll.setWidget(form)
            index = self.tabs.addTab(scroll, section)
        form = self.tabs.widget(index).widget()
        field = Field(key, type_)
        field.tab = index
        form.layout().addRow(key.split(".", 1)[1], field)
        self.fields[key] = field

    def changes(self) -> dict[str, str]:
        """The changed keys and their values as ``rtoc config set`` takes them."""
        return {key: field.raw() for key, field in self.fields.items() if field.changed}

    def check(self) -> Config | None:
        """The config with every change, or None: then each refused field shows why."""
        if self.config is None:
            return None
        config = self.config
        wrong: list[Field] = []
        for key, raw in self.changes().items():
            field = self.fields[key]
            try:
                config = set_value(config, key, raw)
                if key == "backup.backend" and self.plugins is not None:
                    self.plugins.storage_backend(config.backup.backend)
            except ConfigError as error:
                field.show_error(_refusal(error, key))
                wrong.append(field)
            except LookupError as error:
                field.show_error(str(error.args[0]))
                wrong.append(field)
            else:
                field.show_error("")
        if wrong:
            self.tabs.setCurrentIndex(wrong[0].tab)
            self.tabs.widget(wrong[0].tab).ensureWidgetVisible(wrong[0])
            return None
        return config

    def save(self) -> bool:
        """Write every change, or nothing while one is refused."""
        config = self.check()
        if config is None:
            self.notice.setText("Not saved: correct the fields marked red.")
            return False
        changes = self.changes()
        try:
            for key, raw in changes.items():
                save_change(change_config_file(self.home, key, raw, self.sections), self.home)
        except (ConfigError, OSError) as error:
            self.notice.setText(f"Not saved: {error}")
            return False
        self.reload()
        self.notice.setText(
            f"Saved {len(changes)} change(s) to {self.home / CONFIG_FILE}; "
            "most take effect when rtoc starts again."
        )
        self.saved.emit(self.config)
        return True
