"""Garbage collection in the GUI thread only.

Python's cyclic garbage collector runs in whichever thread happens to allocate
when a threshold is passed. In rtoc gui that is as often one of the logger's,
the devices' or the window's worker threads, and a reference cycle that holds a
Qt object (a closed plot window, a dialog, a pyqtgraph item) would then be
destroyed outside the GUI thread: Qt crashes (seen as "a plot axis deleted while
it was being drawn"). So the GUI turns automatic collection off and collects on a
timer in the GUI thread, with pyqtgraph's :class:`GarbageCollector`.
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

#: seconds between two collections
INTERVAL = 1.0

_collectors: list[GarbageCollector] = []


def collect_in_gui_thread() -> None:
    """From now on, collect only on a timer in this (the GUI) thread; once per process."""
    if not _collectors:
        _collectors.append(GarbageCollector(interval=INTERVAL))


def collect_anywhere() -> None:
    """Collect what is due now, then let Python collect on its own again (tests: the GUI's
    tests are done, and the rest of the suite runs in the same process)."""
    while _collectors:
        _collectors.pop().timer.stop()
    gc.collect()
    gc.enable()
