import importlib.util
import sys
import textwrap
import time
import types

import numpy as np
import pytest

from rtoc.compat import LoggerPlugin, install_import_aliases, qt_standin
from rtoc.device import DeviceError
from rtoc.logger import Logger
from rtoc.plugins import PluginRegistry
from rtoc.userdir import PACKAGE, FailedDevice, LoadedDevice, load_user_devices

# The manual's Template.py (RTOC 2.0 docs, 5.3.2), with its unconditional PyQt5
# imports (PyQt5 is not installed here: the stand-ins of rtoc.compat.qt_standin
# take its place) and SAMPLERATE raised from 1 to 20 Hz to keep the test short.
TEMPLATE = '''
"""
This template shows, how to implement plugins in RTOC

RTOC version 2.0
"""
try:
    from LoggerPlugin import LoggerPlugin
except ImportError:
    from RTOC.LoggerPlugin import LoggerPlugin

import sys
import time
from PyQt5 import uic
from PyQt5 import QtWidgets
import numpy as np

DEVICENAME = "Template"
"""Definition of the devicename outside of plugin-class"""

AUTORUN = True
"""If true, the thread to collect data will run right after initializing this plugin"""

SAMPLERATE = 20
"""The thread, which is supposed to collect data will be executed with 20 Hz"""


class Plugin(LoggerPlugin):
    def __init__(self, *args, **kwargs):
        super(Plugin, self).__init__(*args, **kwargs)
        """Call this to initialize RTOC.LoggerPlugin"""

        self.setDeviceName(DEVICENAME)
        self.smallGUI = True
        self._firstrun = True
        self.setPerpetualTimer(self._updateT, samplerate=SAMPLERATE)
        if AUTORUN:
            self.start()

    def _updateT(self):
        y1 = np.sin(time.time())
        y2 = np.cos(time.time())
        self.stream([y1, y2], snames=['Sinus', 'Cosinus'], unit=["kg", "m"])
        self.plot([-10, 0], [2, 1], sname='Plot', unit='Wow')
        if self._firstrun:
            self.event('Test event', sname='Plot', id='testID')
            self._firstrun = False

    def loadGUI(self):
        self.widget = QtWidgets.QWidget()
        packagedir = self.getDir(__file__)
        uic.loadUi(packagedir+"/Template/template.ui", self.widget)
        self.widget.teleMessageButton.clicked.connect(self._teleMessageAction)
        self.widget.telePhotoButton.clicked.connect(self._telePhotoAction)
        self.widget.teleFileButton.clicked.connect(self._teleFileAction)
        return self.widget

    def _teleMessageAction(self):
        text = 'Hello world!'
        self.telegram_send_message(text, onlyAdmin=False)

    def _telePhotoAction(self):
        path = self.getDir(__file__)+"/examplePhoto.png"
        self.telegram_send_photo(path, onlyAdmin=False)

    def _teleFileAction(self):
        path = self.getDir(__file__)+"/examplePhoto.png"
        self.telegram_send_document(path, onlyAdmin=False)


hasGUI = True

if __name__ == "__main__":
    if hasGUI:
        app = QtWidgets.QApplication(sys.argv)
        myapp = QtWidgets.QMainWindow()
        widget = Plugin()
        widget.loadGUI()
        myapp.setCentralWidget(widget.widget)
        myapp.show()
        app.exec_()
    widget.run = False
    sys.exit()
'''

# Both import spellings, the module-as-base-class of the manual's TCP example,
# and the older RTOC constructor ``(stream, plot, event)``.
SPELLINGS = '''
from LoggerPlugin import LoggerPlugin as TopLevel
from RTOC.LoggerPlugin import LoggerPlugin as FromPackage
import RTOC.LoggerPlugin as LoggerPlugin

assert TopLevel is FromPackage

devicename = "Spellings"


class Plugin(LoggerPlugin):
    def __init__(self, stream=None, plot=None, event=None):
        super(Plugin, self).__init__(stream, plot, event)
        self.setDeviceName(devicename)
        self.gain = 2.0
        self.setPerpetualTimer(self._read, interval=0.05)

    def _read(self):
        self.stream(1.5 * self.gain, snames="Value", unit="V")

    def reset(self):
        """Set the gain back to 1."""
        self.gain = 1.0
'''

# An RTOC plugin that samples in its own thread, as RTOC's built-in ones did.
OWN_THREAD = """
from threading import Thread
import time

from LoggerPlugin import LoggerPlugin


class Plugin(LoggerPlugin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setDeviceName("Looper")
        self.run = True
        self.__updater = Thread(target=self.__loop, daemon=True)
        self.__updater.start()

    def __loop(self):
        while self.run:
            self.stream([1.0], ["Tick"], "Looper", [""])
            time.sleep(0.01)
"""

PLAIN = '''
import rtoc


class Thermometer(rtoc.Device):
    """A pretend sensor."""

    samplerate = 5.0

    def sample(self):
        self.stream(21.5, "Temperature", unit="°C")


class _Base(rtoc.Device):
    """Private helpers are not devices."""
'''

METER_MAIN = """
import rtoc
from meterscale import scale  # a sibling module in the plugin's folder


class Meter(rtoc.Device):
    def sample(self):
        self.stream(scale(2.0), "Reading", unit="mV")
"""

# an RTOC plugin whose LoggerPlugin is not rtoc's (e.g. the original RTOC's)
FOREIGN = """
class LoggerPlugin:
    pass


class Plugin(LoggerPlugin):
    pass
"""

PROBE_INIT = """
from .driver import Probe
"""

PROBE_DRIVER = """
import rtoc


class Probe(rtoc.Device):
    pass
"""


# Qt used the ways RTOC plugins use it: at class level, subclassed, signals.
QT_PLUGIN = """
from PyQt5 import QtWidgets
from PyQt5.QtCore import Qt, pyqtSignal
from RTOC.LoggerPlugin import LoggerPlugin


class Panel(QtWidgets.QWidget):
    def __init__(self):
        super().__init__()
        self.setLayout(QtWidgets.QVBoxLayout())


class Plugin(LoggerPlugin):
    Alignment = Qt.AlignLeft
    changed = pyqtSignal(float)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setDeviceName("{name}")
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def isolated_imports(tmp_path):
    """Forget the modules and sys.path entries the plugins of one test brought in."""
    path = list(sys.path)
    yield
    sys.path[:] = path
    for name, module in list(sys.modules.items()):
        if name.startswith(PACKAGE + ".") or str(getattr(module, "__file__", "") or "").startswith(
            str(tmp_path)
        ):
            del sys.modules[name]
    if qt_standin.installed():
        for name in ["PyQt5", *(f"PyQt5.{sub}" for sub in qt_standin.SUBMODULES)]:
            del sys.modules[name]


@pytest.fixture
def devices(tmp_path):
    directory = tmp_path / "devices"
    directory.mkdir()
    return directory


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


def by_name(results):
    return {result.source.rsplit("/", 1)[-1]: result for result in results}


def test_loads_good_plugins_and_reports_each_bad_one(devices):
    write(devices / "Thermometer.py", PLAIN)
    write(devices / "Template" / "Template.py", TEMPLATE)
    write(devices / "Meter" / "Meter.py", METER_MAIN)
    write(devices / "Meter" / "meterscale.py", "def scale(value):\n    return value * 1000\n")
    write(devices / "Probe" / "__init__.py", PROBE_INIT)
    write(devices / "Probe" / "driver.py", PROBE_DRIVER)
    write(devices / "Broken.py", "def oops(:\n    pass\n")
    write(devices / "Raises.py", "raise RuntimeError('no sensor attached')\n")
    write(devices / "Exits.py", "import sys\nsys.exit(3)\n")
    write(devices / "Empty.py", "import math\nVALUE = math.pi\n")
    write(
        devices / "Foreign.py",
        "class LoggerPlugin:\n    pass\n\nclass Plugin(LoggerPlugin):\n    pass\n",
    )
    write(devices / "Odd" / "helper.py", "X = 1\n")
    # skipped: hidden, private, caches, resources and other files
    write(devices / ".Hidden.py", PLAIN)
    write(devices / ".hidden" / ".hidden.py", PLAIN)
    write(devices / "_helpers.py", PLAIN)
    write(devices / "__pycache__" / "Thermometer.cpython-311.py", PLAIN)
    write(devices / "Generator" / "gen.ui", "<ui/>")
    write(devices / "README.txt", "notes")

    results = by_name(load_user_devices(devices))

    assert sorted(results) == sorted(
        ["Thermometer.py", "Template", "Meter", "Probe", "Broken.py", "Raises.py", "Exits.py",
         "Empty.py", "Foreign.py", "Odd"]
    )  # fmt: skip
    loaded = {name: r.cls for name, r in results.items() if isinstance(r, LoadedDevice)}
    assert {name: cls.__name__ for name, cls in loaded.items()} == {
        "Thermometer.py": "Thermometer",
        "Template": "Plugin",
        "Meter": "Meter",
        "Probe": "Probe",
    }
    assert issubclass(loaded["Template"], LoggerPlugin)
    assert loaded["Template"].name == "Template"  # from DEVICENAME, before construction
    assert loaded["Meter"].__module__ == f"{PACKAGE}.Meter"

    failed = {name: r for name, r in results.items() if isinstance(r, FailedDevice)}
    assert "SyntaxError" in failed["Broken.py"].error
    assert "Broken.py" in failed["Broken.py"].error
    assert "SyntaxError" in failed["Broken.py"].traceback
    assert failed["Raises.py"].error == (
        "importing Raises.py raised RuntimeError: no sensor attached"
    )
    assert "raise RuntimeError" in failed["Raises.py"].traceback
    assert failed["Exits.py"].error == "importing Exits.py raised SystemExit: 3"
    assert failed["Empty.py"].error == (
        f"no Device subclass or RTOC Plugin class found in {devices / 'Empty.py'}"
    )
    assert failed["Foreign.py"].error.startswith("no Device subclass or RTOC Plugin class found")
    assert f"derives from {PACKAGE}.Foreign.LoggerPlugin" in failed["Foreign.py"].error
    assert "neither Odd/Odd.py (in any case) nor Odd/__init__.py" in failed["Odd"].error
    assert not any(name.startswith(f"{PACKAGE}.Broken") for name in sys.modules)


def test_a_plugin_that_blocks_at_import_fails_after_the_time_limit_and_others_load(
    devices, tmp_path
):
    release = tmp_path / "release"
    write(
        devices / "Blocks.py",
        f"""
        import os, time
        while not os.path.exists({str(release)!r}):  # waits for a device that is not there
            time.sleep(0.02)
        """,
    )
    write(devices / "Thermometer.py", PLAIN)
    started = time.monotonic()
    try:
        results = by_name(load_user_devices(devices, time_limit=0.5))
    finally:
        release.touch()  # let the left-behind import end
    assert time.monotonic() - started < 3
    assert isinstance(results["Thermometer.py"], LoadedDevice)
    assert results["Blocks.py"].error.startswith(
        "importing Blocks.py did not finish within 0.5 s: it blocks at import"
    )


# RTOC 2.1.8's own System plugin begins so (RTOC/RTLogger/plugins/System.py), shortened
RTOC_SYSTEM = """
from LoggerPlugin import LoggerPlugin

devicename = "System"


class Plugin(LoggerPlugin):
    def __init__(self, *args, **kwargs):
        super(Plugin, self).__init__(*args, **kwargs)
        self.setDeviceName(devicename)
"""


def test_main_module_named_like_its_folder_in_another_case_loads_under_its_own_name(devices):
    write(
        devices / "benchdev" / "BenchDev.py",
        """
        from RTOC.LoggerPlugin import LoggerPlugin

        class Plugin(LoggerPlugin):
            def ping(self, a=0):
                return a + 1
        """,
    )
    write(devices / "twice" / "Twice.py", PLAIN)
    write(devices / "twice" / "TWICE.py", PLAIN)
    results = by_name(load_user_devices(devices))
    assert results["benchdev"].cls.name == "BenchDev"  # RTOC's name: the file's
    assert "has TWICE.py and Twice.py: which is its main module?" in results["twice"].error


def test_a_user_plugin_named_like_a_built_in_replaces_it_with_a_warning(tmp_path, caplog):
    write(tmp_path / "devices" / "MySystem" / "MySystem.py", RTOC_SYSTEM)
    for load in (
        lambda: PluginRegistry.load(tmp_path, entry_points=False),
        lambda: _then_user_devices(PluginRegistry.load(entry_points=False), tmp_path),
    ):  # rtoc run loads the home's devices after the rest; PluginRegistry.load(home) alike
        caplog.clear()
        registry = load()
        entry = registry.devices["System"]
        assert entry.plugin.source == str(tmp_path / "devices" / "MySystem")
        assert issubclass(entry.cls, LoggerPlugin) and not registry.failed
        assert f"device System from {entry.plugin.source} replaces the System of rtoc-core" in (
            caplog.text
        )


def _then_user_devices(registry, home):
    registry.load_user_devices(home / "devices")
    return registry


def test_loaded_plain_device_and_sibling_import_work(devices, logger):
    write(devices / "Meter" / "Meter.py", METER_MAIN)
    write(devices / "Meter" / "meterscale.py", "def scale(value):\n    return value * 1000\n")
    [result] = load_user_devices(devices)
    meter = logger.add_device(result.cls)
    meter.sample()
    assert logger.store.get("Meter", "Reading").latest[1] == 2000.0


def test_template_plugin_streams_raises_its_event_and_stops_with_cancel(devices, logger, caplog):
    write(devices / "Template" / "Template.py", TEMPLATE)
    write(devices / "Template" / "Template" / "template.ui", TEMPLATE_UI)
    [result] = load_user_devices(devices)

    plugin = logger.add_device(result.cls)  # constructed as cls(logger); AUTORUN starts it
    assert plugin.name == "Template"
    assert plugin.run and plugin.running
    sinus = lambda: logger.store.get("Template", "Sinus")  # noqa: E731
    wait_for(lambda: sinus() is not None and len(sinus()) >= 3)

    cosinus = logger.store.get("Template", "Cosinus")
    assert (sinus().unit, cosinus.unit) == ("kg", "m")
    assert np.all(np.abs(sinus().y) <= 1.0)
    spectrum = logger.store.get("Template", "Plot")
    np.testing.assert_array_equal(spectrum.x, [-10, 0])
    np.testing.assert_array_equal(spectrum.y, [2, 1])
    assert spectrum.unit == "Wow"
    [event] = [event for event in logger.events if event.id == "testID"]
    assert (event.text, event.device, event.signal) == ("Test event", "Template", "Plot")

    description = plugin.describe()
    assert [p.name for p in description.parameters] == ["samplerate"]
    assert description.parameters[0].value == 20.0
    assert description.functions == ()  # loadGUI is RTOC plumbing, the rest is private
    assert description.doc.startswith("This template shows, how to implement plugins in RTOC")
    assert plugin.getDir(result.source + "/Template.py") == result.source
    assert_gui_loads(plugin)

    caplog.clear()
    with caplog.at_level("WARNING", logger="rtoc.compat.loggerplugin"):
        plugin._teleMessageAction()
        plugin._teleMessageAction()
    assert [r.getMessage() for r in caplog.records] == [
        "Template: no Telegram frontend handles telegram_send_message yet; nothing was sent"
    ]

    assert plugin.cancel() is True
    assert not plugin.run and not plugin.running
    count = len(sinus())
    time.sleep(0.15)
    assert len(sinus()) == count


def test_qt_stand_ins_only_when_pyqt5_is_missing_and_with_one_warning(devices, caplog):
    if importlib.util.find_spec("PyQt5") is not None:
        pytest.skip("PyQt5 is installed here: plugins get the real one")
    write(devices / "A.py", QT_PLUGIN.format(name="A"))
    write(devices / "B.py", QT_PLUGIN.format(name="B"))
    write(devices / "C.py", "import PyQt5.QtBluetooth\n")  # a module the stand-in lacks
    write(devices / "D.py", "import notinstalled\n")
    with caplog.at_level("WARNING", logger="rtoc.userdir"):
        results = by_name(load_user_devices(devices))
    assert isinstance(results["A.py"], LoadedDevice) and isinstance(results["B.py"], LoadedDevice)
    assert "No module named 'PyQt5.QtBluetooth'" in results["C.py"].error
    assert "No module named 'notinstalled'" in results["D.py"].error
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "A.py imports PyQt5, which is not installed: its Qt GUI parts are inert stand-ins, "
        "its data collection runs as written"
    ]
    cls = results["A.py"].cls
    assert issubclass(cls.Alignment, qt_standin.StandIn)


def test_both_import_spellings_and_the_old_constructor(devices, logger):
    write(devices / "Spellings.py", SPELLINGS)
    [result] = load_user_devices(devices)
    assert result.cls.name == "Spellings"

    plugin = logger.add_device(result.cls)
    assert not plugin.running  # no AUTORUN
    description = plugin.describe()
    assert {p.name: p.value for p in description.parameters} == {"gain": 2.0, "samplerate": 20.0}
    assert [f.name for f in description.functions] == ["reset"]

    plugin.set_parameter("samplerate", 40)
    assert plugin.samplerate == 40
    plugin.set_parameter("samplerate", "25.5")
    assert plugin.samplerate == 25.5
    with pytest.raises(DeviceError, match="has no parameter 'run'"):
        plugin.set_parameter("run", True)
    with pytest.raises(DeviceError, match="has no function 'cancel'"):
        plugin.call("cancel")
    plugin.call("reset")
    assert plugin.gain == 1.0

    assert plugin.start() is True
    wait_for(lambda: logger.store.get("Spellings", "Value") is not None)
    signal = logger.store.get("Spellings", "Value")
    assert signal.unit == "V" and signal.latest[1] == 1.5
    plugin.stop()
    assert not plugin.running and not plugin.run


def test_own_thread_plugin_runs_until_stopped(devices, logger):
    write(devices / "Looper.py", OWN_THREAD)
    [result] = load_user_devices(devices)
    plugin = logger.add_device(result.cls)
    assert plugin.running  # its own thread, following self.run
    ticks = lambda: logger.store.get("Looper", "Tick")  # noqa: E731
    wait_for(lambda: ticks() is not None and len(ticks()) >= 3)
    assert plugin.start() is False  # RTOC's answer: no perpetual timer configured
    logger.stop_device("Looper")
    assert not plugin.running
    plugin._Plugin__updater.join(2)
    assert not plugin._Plugin__updater.is_alive()


# RTOC plugins keep state in plain private names (self._thread, self._lock, ...);
# Device's own sampling-loop state is name-mangled so that they cannot clash.
CLASHING = """
from threading import Thread
import time

from LoggerPlugin import LoggerPlugin


class Plugin(LoggerPlugin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setDeviceName("Clash")
        self._thread = Thread(target=time.sleep, args=(0.5,), daemon=True)
        self._thread.start()
        self.setPerpetualTimer(self._read, samplerate=50)

    def _read(self):
        self.stream(1.0, "Value")
"""


def test_plugin_private_names_do_not_clash_with_device_internals(devices, logger):
    write(devices / "Clash.py", CLASHING)
    [result] = load_user_devices(devices)
    plugin = logger.add_device(result.cls)
    plugin.start()
    wait_for(lambda: logger.store.get("Clash", "Value") is not None, timeout=0.3)


def test_stream_plot_and_event_with_rtoc_signatures(logger):
    class Plugin(LoggerPlugin):
        pass

    plugin = Plugin(logger=logger)
    plugin.setDeviceName("Bench")
    assert plugin.stream([1, 2], ["A", "B"], unit="V", x=[10.0, 11.0])
    assert plugin.stream(3, "C", dname="Other", x=12.0)
    assert logger.store.get("Bench", "A").latest == (10.0, 1.0)
    assert logger.store.get("Bench", "B").latest == (11.0, 2.0)
    assert logger.store.get("Bench", "B").unit == "V"
    assert logger.store.get("Other", "C").latest == (12.0, 3.0)
    with pytest.raises(DeviceError, match="2 values for 1 signal names"):
        plugin.stream([1, 2], ["A"])

    plugin.plot([5, 6, 7])  # only x given: those are y at 0, 1, 2
    plot = logger.store.get("Bench", "noName")
    np.testing.assert_array_equal(plot.x, [0, 1, 2])
    np.testing.assert_array_equal(plot.y, [5, 6, 7])
    plugin.plot([2, 3], [7, 8], hold="mergeX")  # x=2 is held already
    np.testing.assert_array_equal(plot.x, [0, 1, 2, 3])
    np.testing.assert_array_equal(plot.y, [5, 6, 7, 8])
    plugin.plot([4, 5], [8, 9], hold="mergeY")  # y=8 is held already
    np.testing.assert_array_equal(plot.y, [5, 6, 7, 8, 9])
    plugin.plot([0], [1], hold="on")
    assert len(plot) == 6
    with pytest.raises(DeviceError, match="hold must be one of off, on, mergeX, mergeY"):
        plugin.plot([0], [1], hold="sometimes")

    assert plugin.event("Door open", sname="Door", priority=1, id="door", value=1, x=20.0)
    [event] = list(logger.events)
    assert (event.device, event.signal, event.priority, event.id, event.value, event.time) == (
        "Bench", "Door", 1, "door", 1.0, 20.0
    )  # fmt: skip


def test_one_number_for_one_signal_in_every_spelling_rtoc_plugins_use(logger):
    plugin = LoggerPlugin(logger=logger)
    plugin.setDeviceName("Bench")
    before = time.time()
    assert plugin.stream(y=1.5, snames=["A"], unit=["V"])  # RTOC's own benchmark's call
    assert plugin.stream(np.float64(2.5), ("A",), unit="V", x=7)
    assert plugin.stream(True, "B", dname="Other", unit=None)
    assert plugin.stream(4, ["C"], unit=[], x=np.float64(8.0))  # no unit: the slow path
    assert plugin.stream(np.int64(5), ["D"], unit=["A", "ignored"])  # a unit per signal
    signal = logger.store.get("Bench", "A")
    assert signal.y.tolist() == [1.5, 2.5] and signal.unit == "V"
    assert before <= signal.x[0] <= time.time() and signal.x[1] == 7.0
    assert logger.store.get("Other", "B").latest[1] == 1.0
    assert logger.store.get("Bench", "C").latest == (8.0, 4.0)
    assert logger.store.get("Bench", "D").unit == "A"
    with pytest.raises(ValueError, match="a sample is a number"):
        plugin.stream("x", ["E"])
    with pytest.raises(DeviceError, match="1 values for 2 signal names"):
        plugin.stream(1.0, ["A", "B"])


def test_a_plugin_without_logger_warns_and_sends_nothing(caplog):
    class Plugin(LoggerPlugin):
        pass

    plugin = Plugin(None, None, None)
    with caplog.at_level("WARNING", logger="rtoc.compat.loggerplugin"):
        assert plugin.stream([1.0], ["A"]) is False
        assert plugin.event("nothing") is False
    assert len(caplog.records) == 1
    assert "is not attached to an rtoc logger" in caplog.records[0].getMessage()


@pytest.fixture
def no_aliases():
    """Run a test as if no RTOC module names were registered yet."""
    names = ("LoggerPlugin", "RTOC", "RTOC.LoggerPlugin")
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    yield
    for name in names:
        sys.modules.pop(name, None)
    sys.modules.update(saved)


def test_aliases_never_shadow_an_imported_rtoc(no_aliases):
    real = types.ModuleType("RTOC")
    sys.modules["RTOC"] = real
    install_import_aliases()
    assert sys.modules["RTOC"] is real
    assert "RTOC.LoggerPlugin" not in sys.modules
    from LoggerPlugin import LoggerPlugin as aliased

    assert aliased is LoggerPlugin


def test_aliases_never_shadow_an_installed_rtoc(no_aliases, tmp_path, monkeypatch):
    write(tmp_path / "site" / "RTOC" / "__init__.py", "REAL = True\n")
    write(tmp_path / "site" / "RTOC" / "LoggerPlugin.py", "class LoggerPlugin:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    install_import_aliases()
    assert "RTOC" not in sys.modules
    from RTOC.LoggerPlugin import LoggerPlugin as real

    assert real is not LoggerPlugin
    assert sys.modules["RTOC"].REAL


def assert_gui_loads(plugin) -> None:
    """``loadGUI`` is never called by the logger, only by a GUI. Without PyQt5 it gives
    the inert stand-in; with the real one (rtoc-gui installed) a widget, which Qt
    can only make once a QApplication exists, as in the GUI."""
    if qt_standin.installed():
        widget = plugin.loadGUI()
        assert not widget and "not installed" in type(widget).__module__
        return
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    widget = plugin.loadGUI()
    assert isinstance(widget, QtWidgets.QWidget)
    assert widget.teleMessageButton.text() == "Send message"  # from the .ui file
    widget.deleteLater()
    app.processEvents()


#: The widget RTOC's Template loads with ``uic.loadUi`` (its three Telegram buttons).
TEMPLATE_UI = """<?xml version="1.0" encoding="UTF-8"?>
<ui version="4.0">
 <class>Form</class>
 <widget class="QWidget" name="Form">
  <layout class="QVBoxLayout" name="layout">
   <item><widget class="QPushButton" name="teleMessageButton">
    <property name="text"><string>Send message</string></property></widget></item>
   <item><widget class="QPushButton" name="telePhotoButton">
    <property name="text"><string>Send photo</string></property></widget></item>
   <item><widget class="QPushButton" name="teleFileButton">
    <property name="text"><string>Send file</string></property></widget></item>
  </layout>
 </widget>
</ui>
"""
