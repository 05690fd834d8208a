"""A device's own widget in the device widget: an RTOC 2.x plugin's ``loadGUI()`` (from
``$RTOC_HOME/devices``, as RTOC loaded it) and a new device's through ``rtoc_gui_widget``."""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator

import pytest
from PyQt5 import QtWidgets

import rtoc
from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc_gui.app import build_window
from rtoc_gui.device_gui import REMOTE
from rtoc_gui.mainwindow import MainWindow

WAIT = 5000  # ms

RTOC_PLUGIN = """
try:
    from LoggerPlugin import LoggerPlugin
except ImportError:
    from RTOC.LoggerPlugin import LoggerPlugin

from PyQt5 import QtWidgets

DEVICENAME = "{name}"


class Plugin(LoggerPlugin):
    def __init__(self, *args, **kwargs):
        super(Plugin, self).__init__(*args, **kwargs)
        self.setDeviceName(DEVICENAME)
        self.smallGUI = {small}

    def loadGUI(self):
        self.widget = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(self.widget)
        self.widget.sayButton = QtWidgets.QPushButton("Say hello")
        self.widget.sayButton.clicked.connect(self._say)
        layout.addWidget(self.widget.sayButton)
        return self.widget

    def _say(self):
        self.event("hello from the panel", sname="Panel")
"""


class Dial(rtoc.Device):
    """A new-style device whose plugin gives it a widget through the hook."""

    samplerate = 0.0
    position = 0.0


class Plain(rtoc.Device):
    samplerate = 0.0


def dial_widget(device):
    if not isinstance(device, Dial):
        return None
    widget = QtWidgets.QDoubleSpinBox(objectName="dialPosition")
    widget.valueChanged.connect(lambda value: device.set_parameter("position", value))
    return {"widget": widget, "small": True}


@contextlib.contextmanager
def window_on(qtbot, registry: PluginRegistry) -> Iterator[tuple[MainWindow, Logger]]:
    with Logger(Config(), plugins=registry) as logger:
        window = build_window(logger, "this computer", logger.config.gui)
        qtbot.addWidget(window)
        yield window, logger
        window.close()


@pytest.mark.parametrize("small", [True, False])
def test_an_rtoc_plugins_loadgui_widget_appears(qtbot, tmp_path, small):
    name = "KnobSmall" if small else "KnobWindow"
    devices = tmp_path / "devices" / name
    devices.mkdir(parents=True)
    (devices / f"{name}.py").write_text(textwrap.dedent(RTOC_PLUGIN.format(name=name, small=small)))
    registry = PluginRegistry.load(tmp_path, entry_points=False)
    with window_on(qtbot, registry) as (window, logger):
        qtbot.waitUntil(lambda: name in window.devices.buttons, timeout=WAIT)
        row = window.devices.rows[name]
        assert row.gui is None and row.more.isHidden()  # installed, not attached: no widget yet
        window.devices.press(name)  # RTOC made the plugin (and its GUI) when it was started
        assert row.gui is not None and row.gui.small is small
        assert not row.more.isHidden()
        entries = [action.text() for action in row.more.menu().actions()]
        if small:
            assert entries == ["Show its panel"]
            assert row.panel.isHidden()
            row.more.menu().actions()[0].trigger()
            assert not row.panel.isHidden()
            holder = row.panel
        else:
            assert entries == ["Open its window"]
            row.more.menu().actions()[0].trigger()
            holder = row.window
            assert holder.isVisible() and holder.windowTitle() == f"rtoc — {name}"
        say = holder.findChild(QtWidgets.QPushButton)
        assert say.text() == "Say hello"
        say.click()
        assert [e.text for e in logger.events if e.device == name] == ["hello from the panel"]


def test_a_device_widget_through_the_hook(qtbot):
    registry = PluginRegistry.load(entry_points=False)
    plugin = type("DialPlugin", (), {})()
    plugin.rtoc_devices = rtoc.hookimpl(lambda: [Dial, Plain])
    plugin.rtoc_gui_widget = rtoc.hookimpl(dial_widget)
    registry.register(plugin, PluginInfo("dial", "rtoc-device-dial 1"))
    registry.collect_devices()
    with window_on(qtbot, registry) as (window, logger):
        logger.attach_installed("Dial")
        logger.attach_installed("Plain")
        window.slow_tick()
        dial, plain = window.devices.rows["Dial"], window.devices.rows["Plain"]
        assert plain.gui is None and plain.more.isHidden()
        assert dial.gui is not None and dial.gui.small
        spin = dial.panel.findChild(QtWidgets.QDoubleSpinBox, "dialPosition")
        spin.setValue(2.5)
        assert logger.get_parameter("Dial", "position") == 2.5


def test_a_widget_that_is_no_widget_is_reported(qtbot):
    registry = PluginRegistry.load(entry_points=False)
    plugin = type("BadPlugin", (), {})()
    plugin.rtoc_devices = rtoc.hookimpl(lambda: [Dial])
    plugin.rtoc_gui_widget = rtoc.hookimpl(lambda device: {"widgit": 1})
    registry.register(plugin, PluginInfo("bad", "rtoc-device-bad 1"))
    registry.collect_devices()
    with window_on(qtbot, registry) as (window, logger):
        messages: list[str] = []
        window.devices.failed.connect(lambda _name, text: messages.append(text))
        logger.attach_installed("Dial")
        window.slow_tick()
        expected = (
            "Dial: rtoc_gui_widget of bad returned a dict with ['widgit']; "
            "it takes 'widget' and optionally 'small'"
        )
        assert messages == [expected]
        assert [a.text() for a in window.devices.rows["Dial"].more.menu().actions()] == [expected]
        window.slow_tick()  # reported once, not every refresh
        assert messages == [expected]


def test_a_remote_loggers_devices_say_their_widget_cannot_run_here(qtbot, logger):
    from rtoc_gui.link import Link

    window = MainWindow(Link(logger, "elsewhere:5050", local=False), logger.config.gui)
    qtbot.addWidget(window)
    logger.attach_installed("Generator")
    window.slow_tick()  # a remote link's reads answer on the GUI thread when they come
    qtbot.waitUntil(lambda: "Generator" in window.devices.rows, timeout=5000)
    row = window.devices.rows["Generator"]
    assert row.gui is None and not row.more.isHidden()
    (only,) = row.more.menu().actions()
    assert only.text() == REMOTE and not only.isEnabled()
    window.close()
