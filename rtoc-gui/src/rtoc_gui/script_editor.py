"""The script editor: monospaced, highlighted, numbered lines, a failed line marked.

Errors name the user's line (``script heater, line 3: ...``), so the editor
numbers its lines in a gutter and :meth:`ScriptEditor.mark_error` shows the
line in red and puts the cursor there; the mark goes at the next edit.
"""

from __future__ import annotations

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc_gui.script_syntax import ScriptHighlighter

ERROR_BACKGROUND = "#8b1e1e"
ERROR_FOREGROUND = "#ffffff"
#: Spaces a Tab key inserts (Python's indentation).
INDENT = "    "


class LineNumbers(QtWidgets.QWidget):
    """The gutter left of the text: each visible line's number."""

    def __init__(self, editor: ScriptEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        editor = self.editor
        painter = QtGui.QPainter(self)
        painter.fillRect(event.rect(), self.palette().color(QtGui.QPalette.AlternateBase))
        painter.setPen(self.palette().color(QtGui.QPalette.Disabled, QtGui.QPalette.Text))
        block = editor.firstVisibleBlock()
        top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
        height = editor.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                painter.drawText(
                    0,
                    round(top),
                    self.width() - 4,
                    height,
                    QtCore.Qt.AlignRight,
                    str(block.blockNumber() + 1),
                )
            top += editor.blockBoundingRect(block).height()
            block = block.next()


class ScriptEditor(QtWidgets.QPlainTextEdit):
    """A script's text; ``highlighter.set_devices`` says which names are devices."""

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        self.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(INDENT))
        self.highlighter = ScriptHighlighter(self.document())
        self.gutter = LineNumbers(self)
        #: The line marked as failed (1-based), or None.
        self.error_line: int | None = None
        self.blockCountChanged.connect(self._fit_gutter)
        self.updateRequest.connect(self._scroll_gutter)
        self.textChanged.connect(self.clear_error)
        self.setPlainText(text)
        self.document().setModified(False)
        self._fit_gutter()

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 8 + self.fontMetrics().horizontalAdvance("9") * max(digits, 2)

    def _fit_gutter(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QtCore.QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self.gutter.setGeometry(
            QtCore.QRect(area.left(), area.top(), self.gutter_width(), area.height())
        )

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() == QtCore.Qt.Key_Tab and not event.modifiers():
            self.insertPlainText(INDENT)
            return
        super().keyPressEvent(event)

    def insert(self, text: str) -> None:
        """Put ``text`` at the cursor (replacing a selection) and give the editor focus."""
        self.insertPlainText(text)
        self.setFocus()

    def mark_error(self, line: int) -> None:
        """Show ``line`` (1-based) as the one that failed and move the cursor to it."""
        block = self.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return
        cursor = QtGui.QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        mark = QtWidgets.QTextEdit.ExtraSelection()
        mark.format.setBackground(QtGui.QColor(ERROR_BACKGROUND))
        mark.format.setForeground(QtGui.QColor(ERROR_FOREGROUND))
        mark.format.setProperty(QtGui.QTextFormat.FullWidthSelection, True)
        mark.cursor = cursor
        self.setExtraSelections([mark])
        self.error_line = line

    def clear_error(self) -> None:
        if self.error_line is not None:
            self.error_line = None
            self.setExtraSelections([])
