"""The dialog that styles one signal's curve: colour, line width and style, point symbol."""

from __future__ import annotations

from PyQt5 import QtGui, QtWidgets

from rtoc_gui.styles import LINES, MAX_SYMBOL_SIZE, MAX_WIDTH, SYMBOLS, PlotStyle


class StyleDialog(QtWidgets.QDialog):
    """Shows ``style``; :meth:`style` is what the user chose."""

    def __init__(self, title: str, style: PlotStyle, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.colour = style.colour
        self.colour_button = QtWidgets.QPushButton()
        self.colour_button.clicked.connect(self.choose_colour)
        self.width = QtWidgets.QSpinBox(minimum=1, maximum=MAX_WIDTH, value=style.width)
        self.line = QtWidgets.QComboBox()
        for number, name in LINES.items():
            self.line.addItem(name, number)
        self.line.setCurrentIndex(self.line.findData(style.line))
        self.symbol = QtWidgets.QComboBox()
        for code, name in SYMBOLS.items():
            self.symbol.addItem(name, code)
        self.symbol.setCurrentIndex(self.symbol.findData(style.symbol))
        self.symbol_size = QtWidgets.QSpinBox(
            minimum=1, maximum=MAX_SYMBOL_SIZE, value=style.symbol_size
        )
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Colour", self.colour_button)
        form.addRow("Line width", self.width)
        form.addRow("Line style", self.line)
        form.addRow("Symbol", self.symbol)
        form.addRow("Symbol size", self.symbol_size)
        form.addRow(buttons)
        self._show_colour()

    def choose_colour(self) -> None:
        chosen = QtWidgets.QColorDialog.getColor(QtGui.QColor(self.colour), self, "Curve colour")
        if chosen.isValid():
            self.colour = chosen.name()
            self._show_colour()

    def _show_colour(self) -> None:
        self.colour_button.setText(self.colour)
        self.colour_button.setStyleSheet(f"background: {self.colour};")

    def style(self) -> PlotStyle:
        return PlotStyle(
            colour=self.colour,
            width=self.width.value(),
            line=self.line.currentData(),
            symbol=self.symbol.currentData(),
            symbol_size=self.symbol_size.value(),
        )
