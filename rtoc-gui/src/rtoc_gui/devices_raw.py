"""The DevicesRAW widget: every parameter and function of every device, usable.

A parameter's field takes a Python literal (text parameters take the text
as typed, :mod:`rtoc_gui.literal`); Enter sets it through the logger, which
converts and validates it, and a refused value shows the device's message
beside the field. A function takes its arguments as in a call
(``1.5, mode='fast'``) and shows what it returned or raised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PyQt5 import QtCore, QtWidgets

from rtoc_gui.literal import parse_arguments, parse_value

if TYPE_CHECKING:
    from rtoc.device import DeviceDescription, Function, Parameter
    from rtoc_gui.link import Link

ERROR_STYLE = "color: #ff6b6b;"
OK_STYLE = "color: #3ddc84;"


def shown_value(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


class ParameterRow:
    """A parameter's field and the message beside it."""

    def __init__(self, widget: DevicesRawWidget, device: str, parameter: Parameter) -> None:
        self.widget = widget
        self.device = device
        self.name = parameter.name
        self.type = parameter.type
        self.field = QtWidgets.QLineEdit(shown_value(parameter.value))
        self.field.setObjectName(f"{device}.{parameter.name}")
        self.field.setToolTip(f"{parameter.type}; Enter sets it")
        self.field.returnPressed.connect(self.submit)
        self.message = QtWidgets.QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.shown = parameter.value

    def show(self, value: Any) -> None:
        """The logger's value, unless the user is typing in the field."""
        if self.field.hasFocus() or self.field.isModified() or value == self.shown:
            return
        self.shown = value
        self.field.setText(shown_value(value))

    def submit(self) -> None:
        text = self.field.text()
        try:
            value = parse_value(text, self.type)
            self.widget.link.act(lambda view: view.set_parameter(self.device, self.name, value))
            now = self.widget.link.act(lambda view: view.get_parameter(self.device, self.name))
        except Exception as error:  # the device's own message is what the user needs
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(str(error))
            return
        self.field.setModified(False)
        self.shown = now
        self.field.setText(shown_value(now))
        self.message.setStyleSheet(OK_STYLE)
        self.message.setText("set")


class FunctionRow:
    """A function's argument field, its call button and what it returned."""

    def __init__(self, widget: DevicesRawWidget, device: str, function: Function) -> None:
        self.widget = widget
        self.device = device
        self.name = function.name
        arguments = function.signature.partition("(")[2].rpartition(")")[0]
        self.field = QtWidgets.QLineEdit(placeholderText=arguments or "no arguments")
        self.field.setObjectName(f"{device}.{function.name}()")
        self.field.setToolTip(f"arguments as in a call: {function.name}{function.signature}")
        self.field.returnPressed.connect(self.call)
        self.button = QtWidgets.QPushButton(f"{function.name}()")
        self.button.setToolTip(f"{function.name}{function.signature}\n\n{function.doc}".strip())
        self.button.clicked.connect(self.call)
        self.message = QtWidgets.QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)

    def call(self) -> None:
        try:
            args, kwargs = parse_arguments(self.field.text())
            result = self.widget.link.act(
                lambda view: view.call(self.device, self.name, *args, **kwargs)
            )
        except Exception as error:  # shown at the function: what it raised, or why not called
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(f"{type(error).__name__}: {error}")
            return
        self.message.setStyleSheet(OK_STYLE)
        self.message.setText(f"→ {result!r}")


class DevicesRawWidget(QtWidgets.QScrollArea):
    """One box per device: its parameters, then its functions."""

    def __init__(self, link: Link, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.layout_key: tuple[Any, ...] | None = None
        self.parameters: dict[tuple[str, str], ParameterRow] = {}
        self.functions: dict[tuple[str, str], FunctionRow] = {}
        self.setWidgetResizable(True)
        self.setWidget(QtWidgets.QWidget())

    def update_devices(self, devices: list[DeviceDescription]) -> None:
        """Rebuild when devices, parameters or functions change, else refresh the values."""
        key = tuple(
            (d.name, d.running, tuple(p.name for p in d.parameters), d.functions) for d in devices
        )
        if key != self.layout_key:
            self.layout_key = key
            self._build(devices)
            return
        for device in devices:
            for parameter in device.parameters:
                self.parameters[device.name, parameter.name].show(parameter.value)

    def _build(self, devices: list[DeviceDescription]) -> None:
        self.parameters.clear()
        self.functions.clear()
        inner = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(inner)
        column.setContentsMargins(4, 4, 4, 4)
        for device in sorted(devices, key=lambda d: (not d.running, d.name)):
            state = "running" if device.running else "stopped"
            box = QtWidgets.QGroupBox(f"{device.name} ({state})")
            grid = QtWidgets.QGridLayout(box)
            grid.setColumnStretch(1, 3)
            grid.setColumnStretch(2, 2)
            row = 0
            for parameter in device.parameters:
                line = ParameterRow(self, device.name, parameter)
                self.parameters[device.name, parameter.name] = line
                grid.addWidget(QtWidgets.QLabel(parameter.name), row, 0)
                grid.addWidget(line.field, row, 1)
                grid.addWidget(line.message, row, 2)
                row += 1
            for function in device.functions:
                call = FunctionRow(self, device.name, function)
                self.functions[device.name, function.name] = call
                grid.addWidget(call.button, row, 0)
                grid.addWidget(call.field, row, 1)
                grid.addWidget(call.message, row, 2)
                row += 1
            column.addWidget(box)
        column.addStretch(1)
        self.setWidget(inner)
