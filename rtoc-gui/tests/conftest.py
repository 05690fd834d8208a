"""A real in-process Logger with the built-in devices, and the main window on it, offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest

from rtoc.config import Config, GuiConfig
from rtoc.logger import Logger
from rtoc.plugins import PluginRegistry
from rtoc_gui.app import build_window
from rtoc_gui.mainwindow import MainWindow

#: Faster than the default 8 Hz so that tests wait less; inactivity shows quickly.
GUI = GuiConfig(plotRate=20.0, signalInactivityTimeout=0.5, plotLegendEnabled=True)


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
