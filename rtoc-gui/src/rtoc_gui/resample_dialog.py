"""Data ▸ Resample…: recorded samples of a period replaced by one mean sample per 1/rate s.

The dialog asks the rate, which signals (all, or those the plot shows) and
optionally a period; :meth:`ResampleDialog.ask` checks them at their fields
and asks before anything changes. The work is the logger's
(:meth:`rtoc.frontend.LoggerView.resample_signals`, in memory and storage),
so it works on a remote logger too; the main window's status bar shows the
report.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtWidgets

from rtoc.frontend import ResampleReport, resample_rate
from rtoc_gui.marks import confirm, error_label, mark

if TYPE_CHECKING:
    from rtoc.signals import SignalKey
    from rtoc_gui.mainwindow import MainWindow

#: The period offered at first: the last hour.
DEFAULT_SPAN = 3600


class ResampleDialog(QtWidgets.QDialog):
    """Rate, signals and period; :meth:`ask` confirms, then :meth:`resample` does it."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Resample data")
        self.window_ = window
        #: the question asked before resampling, while it is open
        self.question: QtWidgets.QMessageBox | None = None
        self.rate = QtWidgets.QLineEdit(placeholderText="samples per second, e.g. 1 or 0.1")
        self.rate.setObjectName("rate")
        self.rate_error = error_label()
        self.shown = sorted(window.plot.visible)
        self.all = QtWidgets.QRadioButton("All signals", checked=True)
        self.in_plot = QtWidgets.QRadioButton(f"The signals the plot shows ({len(self.shown)})")
        self.in_plot.setEnabled(bool(self.shown))
        self.bounded = QtWidgets.QCheckBox("Only from")
        now = QtCore.QDateTime.fromSecsSinceEpoch(int(time.time()))
        self.start = QtWidgets.QDateTimeEdit(now.addSecs(-DEFAULT_SPAN), calendarPopup=True)
        self.end = QtWidgets.QDateTimeEdit(now, calendarPopup=True)
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
            edit.setEnabled(False)
            self.bounded.toggled.connect(edit.setEnabled)
        self.period_error = error_label()
        period = QtWidgets.QHBoxLayout()
        period.addWidget(self.bounded)
        period.addWidget(self.start)
        period.addWidget(QtWidgets.QLabel("to"))
        period.addWidget(self.end)
        form = QtWidgets.QFormLayout()
        form.addRow("Rate (Hz)", self.rate)
        form.addRow("", self.rate_error)
        form.addRow("Signals", self.all)
        form.addRow("", self.in_plot)
        form.addRow("Period", period)
        form.addRow("", self.period_error)
        note = QtWidgets.QLabel(
            "Each 1/rate seconds of the period (all of it unless bounded) become one sample: "
            "the mean of its times and of its values, in memory and in storage.",
            wordWrap=True,
        )
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Cancel)
        buttons.addButton("Resample…", QtWidgets.QDialogButtonBox.AcceptRole)
        buttons.accepted.connect(self.ask)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def choice(self) -> tuple[float, list[SignalKey] | None, float | None, float | None]:
        """(rate, keys or None for all, start, end) as entered; ValueError naming the
        field that is wrong, which is marked."""
        mark(self.rate, self.rate_error, "")
        mark(self.start, self.period_error, "")
        text = self.rate.text().strip().replace(",", ".")
        try:
            rate = resample_rate(float(text))
        except ValueError as error:
            if not text:
                message = "the rate is missing"
            elif "resampling rate" in str(error):  # a number, but out of bounds
                message = str(error)
            else:
                message = f"the rate must be a number of samples per second, got {text!r}"
            mark(self.rate, self.rate_error, message)
            raise ValueError(message) from None
        start = end = None
        if self.bounded.isChecked():
            start = float(self.start.dateTime().toSecsSinceEpoch())
            end = float(self.end.dateTime().toSecsSinceEpoch())
            if start > end:
                message = "the period starts after it ends"
                mark(self.start, self.period_error, message)
                raise ValueError(message)
        keys = self.shown if self.in_plot.isChecked() else None
        return rate, keys, start, end

    def ask(self) -> QtWidgets.QMessageBox | None:
        """Check the fields; if they are good, ask before resampling (None otherwise)."""
        try:
            rate, keys, start, end = self.choice()
        except ValueError:
            return None
        which = (
            "every signal"
            if keys is None
            else ", ".join(f"{device}.{name}" for device, name in keys)
        )
        when = "all of their time" if start is None else f"{self.start.text()} to {self.end.text()}"
        self.question = confirm(
            self,
            "Resample data",
            f"Resample {which} ({when}) to {rate:g} Hz, one mean sample per {1 / rate:g} s, "
            f"in memory and storage of the logger on {self.window_.link.where}? "
            "This cannot be undone.",
            "Resample",
            lambda: self.resample(rate, keys, start, end),
        )
        return self.question

    def resample(
        self, rate: float, keys: list[SignalKey] | None, start: float | None, end: float | None
    ) -> ResampleReport | None:
        """Resample through the logger; the report (or the refusal) in the status bar."""
        menus = self.window_.menus
        try:
            report = self.window_.link.act(
                lambda view: view.resample_signals(rate, keys, start, end)
            )
        except Exception as error:  # ControlUnavailable, the connection, a remote refusal
            menus.warn("Resample data", f"Not resampled: {error}")
            return None
        self.accept()
        changed = sum(1 for signal in report.signals if signal.before)
        menus.tell(
            f"Resampled {changed} of {len(report.signals)} signals to {report.rate:g} Hz: "
            f"{report.before:,} samples became {report.after:,}."
        )
        self.window_.tick()
        return report
