"""A real in-process Logger with the built-in devices, and the main window on it, offscreen."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest

from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.plugins import PluginRegistry
from rtoc_gui.app import build_window
from rtoc_gui.mainwindow import MainWindow

sys.path.insert(0, str(Path(__file__).parent))
from gui_helpers import GUI


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
