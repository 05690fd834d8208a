"""An input's error shown at the input: a red border and the message right below it."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5 import QtCore, QtWidgets

ERROR_STYLE = "border: 1px solid #e53935;"


def error_label() -> QtWidgets.QLabel:
    """A hidden red label for one input's error (object name ``error``)."""
    label = QtWidgets.QLabel(wordWrap=True)
    label.setObjectName("error")
    label.setStyleSheet("color: #e53935;")
    label.hide()
    return label


def mark(editor: QtWidgets.QWidget, label: QtWidgets.QLabel, text: str) -> None:
    """Show ``text`` at ``editor`` ("" clears it)."""
    label.setText(text)
    label.setVisible(bool(text))
    editor.setStyleSheet(ERROR_STYLE if text else "")


def confirm(
    parent: QtWidgets.QWidget, title: str, text: str, yes: str, on_yes: Callable[[], object]
) -> QtWidgets.QMessageBox:
    """A question with ``yes`` and Cancel, opened without blocking; ``on_yes`` runs when
    ``yes`` is pressed (tests press it: see :func:`yes_button`)."""
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Question, title, text, parent=parent)
    button = box.addButton(yes, QtWidgets.QMessageBox.AcceptRole)
    box.addButton(QtWidgets.QMessageBox.Cancel)
    box.buttonClicked.connect(lambda pressed: on_yes() if pressed is button else None)
    box.setAttribute(QtCore.Qt.WA_DeleteOnClose)
    box.open()
    return box


def yes_button(box: QtWidgets.QMessageBox) -> QtWidgets.QAbstractButton:
    return next(b for b in box.buttons() if box.buttonRole(b) == QtWidgets.QMessageBox.AcceptRole)
