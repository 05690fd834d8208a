"""A real in-process Logger with the built-in devices, and the main window on it, offscreen;
a real X server (Xvfb) for the test that runs the GUI in real windows."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PyQt5 import QtCore

from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.plugins import PluginRegistry
from rtoc_gui.app import build_window
from rtoc_gui.collector import collect_anywhere, collect_in_gui_thread
from rtoc_gui.mainwindow import MainWindow

sys.path.insert(0, str(Path(__file__).parent))
from gui_helpers import GUI, Xvfb


@pytest.fixture(scope="module", autouse=True)
def collector(qapp) -> Iterator[None]:
    """Garbage collected in the GUI thread, as ``rtoc gui`` does (a widget destroyed by a
    collection in a logger's thread crashes Qt); Python's own collection again after the
    module, for the tests of other folders in the same run."""
    collect_in_gui_thread()
    yield
    collect_anywhere()


@pytest.fixture(autouse=True)
def collected(qapp) -> Iterator[None]:
    """After each test (and after pytest-qt closed its widgets): the widgets deleted and
    the garbage collected now, in this thread. With automatic collection off, the
    Python wrappers of deleted Qt objects would otherwise outlive many tests, and a
    wrapper found again for a new object at a reused address crashes PyQt."""
    yield
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    gc.collect()


@pytest.fixture
def logger() -> Iterator[Logger]:
    registry = PluginRegistry.load(entry_points=False)
    with Logger(Config(gui=GUI), plugins=registry) as running:
        yield running


@pytest.fixture
def window(qtbot, logger: Logger) -> Iterator[MainWindow]:
    shown = build_window(logger, "this computer", logger.config.gui)
    qtbot.addWidget(shown)
    yield shown
    shown.close()


@pytest.fixture(scope="session")
def xvfb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ``DISPLAY`` of an Xvfb started for this test run. Without Xvfb the test is
    skipped, or fails where every service is required (``RTOC_REQUIRE_SERVICES``, CI)."""
    try:
        server = Xvfb(tmp_path_factory.mktemp("xvfb") / "Xvfb.log")
    except FileNotFoundError as error:
        if os.environ.get("RTOC_REQUIRE_SERVICES"):
            pytest.fail(f"{error}; RTOC_REQUIRE_SERVICES is set")
        pytest.skip(f"{error}: the GUI runs in real windows on it")
    try:
        yield server.display
    finally:
        server.stop()
