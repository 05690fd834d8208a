"""Running one script: once, repeatedly at a rate, or when chosen signals get samples.

Every run is ``LoggerView.run_script`` through the window's
:class:`rtoc_gui.link.Link`, so it happens in the logger, local or remote,
with the logger's names, its time limit, and ``global`` values and ``trig``
states kept between runs of the same script. Runs go one at a time through
one worker thread, so a slow script (or a slow network) never freezes the
window; the result comes back to the GUI thread as :attr:`ScriptRunner.finished`.

Why a QTimer here and not the logger's script jobs (``addJob``): a job's
runs report only to the logger's output log and error events, while the
widget needs each run's output, value and error line, and
``LoggerView`` has no job API. So the schedule lives here, as RTOC's widget
had it, and behaves like a job's: a repeat tick that comes while a run is
under way is skipped and counted, and samples that arrive during a run fold
into one more run afterwards. Signal triggers are found by polling the
chosen signals' latest timestamps (one ``latest(keys)`` per poll, through the
link's reads: off the GUI thread on a remote logger, a poll skipped while
the one before is under way).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal

from PyQt5 import QtCore

from rtoc.frontend import ScriptResult
from rtoc_gui.link import Offline

if TYPE_CHECKING:
    from rtoc.logger import Reading
    from rtoc.signals import SignalKey
    from rtoc_gui.link import Link

Mode = Literal["stopped", "repeat", "signals"]

#: Bounds of the repeat rate, runs a second (the core's job bounds: at most 1000).
SLOWEST, FASTEST = 0.001, 1000.0
#: How often the chosen signals' latest timestamps are asked, in ms (the plot's rate).
POLL_INTERVAL = 125


class ScriptRunner(QtCore.QObject):
    """Runs one script as asked; :attr:`finished` brings every run's result."""

    #: a ScriptResult, in the GUI thread
    finished = QtCore.pyqtSignal(object)
    #: the mode, as :meth:`describe` words it, whenever it changes
    mode_changed = QtCore.pyqtSignal(str)
    _done = QtCore.pyqtSignal(object)  # (result, whether answered), from the worker thread

    def __init__(
        self, link: Link, poll_interval: int = POLL_INTERVAL, parent: QtCore.QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.mode: Mode = "stopped"
        self.hertz = 1.0
        self.keys: tuple[SignalKey, ...] = ()
        self.runs = 0
        #: repeat ticks missed because a run was under way
        self.skipped = 0
        #: sample arrivals folded into a pending run
        self.folded = 0
        self._source = ""
        self._name = "script"
        self._busy = 0  # runs handed to the worker and not finished
        self._pending = False  # new samples came during a run
        self._seen: dict[SignalKey, float] = {}
        #: the name of this runner's polls (:class:`rtoc_gui.reads.Reads`)
        self._watch = f"script watch {id(self):x}"
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="rtoc-gui-script")
        self._repeat = QtCore.QTimer(self)
        self._repeat.timeout.connect(self._tick)
        self._poll = QtCore.QTimer(self, interval=poll_interval)
        self._poll.timeout.connect(self._look)
        self._done.connect(self._finished)

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def describe(self) -> str:
        if self.mode == "repeat":
            return f"running {self.hertz:g} times a second"
        if self.mode == "signals":
            return "running on new samples of " + ", ".join(f"{d}.{s}" for d, s in self.keys)
        return "stopped"

    # -- what the buttons do ------------------------------------------------------------

    def run_once(self, source: str, name: str) -> None:
        """One run now (after a run under way); the schedule, if any, goes on."""
        self._submit(source, name)

    def repeat(self, source: str, name: str, hertz: float) -> None:
        """Run now and then ``hertz`` times a second until :meth:`stop`."""
        if not SLOWEST <= hertz <= FASTEST:
            raise ValueError(f"a script repeats {SLOWEST:g} to {FASTEST:g} times a second")
        self.stop()
        self._source, self._name, self.hertz = source, name, hertz
        self._set_mode("repeat")
        self._repeat.start(max(1, round(1000 / hertz)))
        self._tick()

    def on_signals(self, source: str, name: str, keys: Iterable[SignalKey]) -> None:
        """Run whenever one of ``keys`` has a sample newer than when this was called.

        ValueError without keys; what the logger raises when it refuses them.
        """
        keys = tuple(dict.fromkeys(keys))
        if not keys:
            raise ValueError("choose at least one signal to trigger the script")
        self.stop()
        self._source, self._name, self.keys = source, name, keys
        latest = self.link.read(lambda view: view.latest(keys), {})
        self._seen = {key: reading.x for key, reading in latest.items()}
        self.link.reads.invalidate(self._watch)  # a poll under way asks for other keys
        self._set_mode("signals")
        self._poll.start()

    def stop(self) -> None:
        """No more scheduled runs; a run under way ends by itself (or at its time limit)."""
        self._repeat.stop()
        self._poll.stop()
        self._pending = False
        self._set_mode("stopped")

    def shutdown(self) -> None:
        """Stop, and let the worker thread end once its run is over."""
        self.stop()
        self._worker.shutdown(wait=False)

    # -- internals ----------------------------------------------------------------------

    def _set_mode(self, mode: Mode) -> None:
        if mode != self.mode:
            self.mode = mode
            self.mode_changed.emit(self.describe())

    def _tick(self) -> None:
        if self.busy:
            self.skipped += 1
            return
        self._submit(self._source, self._name)

    def _look(self) -> None:
        keys = self.keys
        self.link.reads.ask(
            self._watch, lambda view: view.latest(keys), self._looked, self._cannot_look
        )

    def _cannot_look(self, error: Exception) -> None:
        """The logger refused the names (a signal deleted)."""
        if self.mode == "signals":
            self.stop()
            self.finished.emit(ScriptResult("", None, f"stopped watching: {error}", None))

    def _looked(self, latest: dict[SignalKey, Reading]) -> None:
        if self.mode != "signals" or not latest:
            return
        fresh = False
        for key, reading in latest.items():
            if reading.x > self._seen.get(key, float("-inf")):
                self._seen[key] = reading.x
                fresh = True
        if not fresh:
            return
        if self.busy:
            self.folded += self._pending
            self._pending = True
        else:
            self._submit(self._source, self._name)

    def _submit(self, source: str, name: str) -> None:
        self._busy += 1
        self._worker.submit(self._work, source, name)

    def _work(self, source: str, name: str) -> None:
        """In the worker thread: one run; any failure to run at all is the result's error."""
        answered: bool | OSError = True  # or False: not asked; an OSError: unreachable
        try:
            self.link.check()
            result = self.link.view.run_script(source, name)
        except Offline as error:
            answered = False
            result = ScriptResult("", None, f"not run: {error}", None)
        except OSError as error:  # the link's state changes in the GUI thread (_finished)
            answered = error
            where = self.link.where
            result = ScriptResult("", None, f"not run: no connection to {where}: {error}", None)
        except Exception as error:  # refused (ControlUnavailable, a RemoteError)
            result = ScriptResult("", None, f"not run: {error}", None)
        with contextlib.suppress(RuntimeError):  # the widget is gone: nobody to tell
            self._done.emit((result, answered))

    def _finished(self, outcome: tuple[ScriptResult, bool | OSError]) -> None:
        result, answered = outcome
        if isinstance(answered, OSError):
            self.link.lost(answered)
        elif answered:
            self.link.answered()
        self._busy -= 1
        self.runs += 1
        self.finished.emit(result)
        if self._pending and self.mode == "signals":
            self._pending = False
            self._submit(self._source, self._name)
