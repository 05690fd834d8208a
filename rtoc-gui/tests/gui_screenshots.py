"""The README's screenshots: every widget of the window on a logger with live data, in real
windows on a real X server.

``python gui_screenshots.py OUT HOME`` (with ``DISPLAY`` and ``QT_QPA_PLATFORM=xcb``, as
test_gui_screenshot.py runs it under Xvfb) builds a logger in ``HOME`` with a Generator
and a System device running, twenty minutes of a greenhouse, events of each priority, a
global event and action, opens each widget and writes ``OUT/<name>.png`` for every name
of :data:`SHOTS`. Each picture is taken from the X server's screen
(``QScreen.grabWindow``), so it shows what a user sees, popup menus included, and is
saved as a palette PNG (Pillow's quantizer) to keep the README light.

It runs as a process of its own: the other GUI tests share one offscreen QApplication,
and Qt takes its platform once per process.
"""

from __future__ import annotations

import io
import json
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from PyQt5 import QtCore, QtWidgets
from PyQt5.QtTest import QTest

from rtoc.config import CONFIG_FILE, load_config
from rtoc.frontend import EventQuery
from rtoc.logger import Logger
from rtoc.plugins import PluginRegistry
from rtoc_gui.app import build_window
from rtoc_gui.import_plan import Definition
from rtoc_gui.mainwindow import MainWindow

#: The pictures, by file name (``.png``), in the README's order.
SHOTS = (
    "rtoc-gui",
    "rtoc-gui-plot-window",
    "rtoc-gui-events",
    "rtoc-gui-devicesraw",
    "rtoc-gui-scripts",
    "rtoc-gui-import",
    "rtoc-gui-signal-menu",
    "rtoc-gui-connect",
    "rtoc-gui-settings",
    "rtoc-gui-rules",
    "rtoc-gui-rule-editor",
    "rtoc-gui-plugins",
)

#: The size of each picture taken of a window of its own (the docks' pictures are as big as
#: the main window's layout makes them).
SIZES = {
    "rtoc-gui": (1500, 900),
    "rtoc-gui-plot-window": (1150, 520),
    "rtoc-gui-settings": (640, 560),
    "rtoc-gui-rules": (900, 300),
    "rtoc-gui-rule-editor": (600, 560),
    "rtoc-gui-import": (1300, 560),
    "rtoc-gui-plugins": (900, 640),
    "rtoc-gui-connect": (520, 200),
}

SCRIPT = """\
# the greenhouse over the last ten minutes
t = Greenhouse.Temperature
print("now", t.latest, t.unit)
print("mean", round(rtoc.mean(t, n=1200), 2), t.unit)
print("generator", round(Generator.Sine.latest, 3), "V")
heater = Greenhouse.Heater.latest
"""


def wait(ms: int) -> None:
    """Let Qt run (timers, paints) for ``ms`` milliseconds."""
    QTest.qWait(ms)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        wait(20)


def shown(widget: QtWidgets.QWidget, x: int, y: int, name: str) -> None:
    """``widget`` as a window at (x, y), as big as :data:`SIZES` says, on top and drawn."""
    widget.setGeometry(x, y, *SIZES[name])
    widget.show()
    widget.raise_()
    if not QTest.qWaitForWindowExposed(widget, 5000):
        raise TimeoutError(f"{widget.windowTitle()!r} was never shown on the screen")
    wait(150)


def screen_rect(widget: QtWidgets.QWidget) -> QtCore.QRect:
    """Where ``widget`` is on the screen."""
    return QtCore.QRect(widget.mapToGlobal(QtCore.QPoint(0, 0)), widget.size())


def save(rect: QtCore.QRect, out: Path, name: str) -> None:
    """What the screen shows in ``rect``, as ``out/name.png`` of at most 256 colours."""
    assert name in SHOTS, name
    wait(100)
    pixmap = QtWidgets.QApplication.primaryScreen().grabWindow(
        0, rect.x(), rect.y(), rect.width(), rect.height()
    )
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.WriteOnly)
    if not pixmap.save(buffer, "PNG"):
        raise OSError(f"Qt could not encode the picture of {rect}")
    image = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    # maximum coverage refined by k-means keeps flat areas within 3 of their colour (median
    # cut tints them); no dithering: text and lines stay crisp
    palette = image.quantize(
        256, method=Image.Quantize.MAXCOVERAGE, kmeans=2, dither=Image.Dither.NONE
    )
    palette.save(out / f"{name}.png", optimize=True)


def prepare_home(home: Path) -> None:
    """config.json as a user of the GUI might have it: legend on, two loggers known."""
    home.mkdir(parents=True, exist_ok=True)
    config = {
        "GUI": {"plotLegendEnabled": True, "signalInactivityTimeout": 5.0},
        "backup": {"active": False},
        "tcp": {
            "knownHosts": {
                "raspberrypi:5050": ["greenhouse", ""],
                "192.168.1.20:5050": ["lab bench", ""],
            }
        },
    }
    (home / CONFIG_FILE).write_text(json.dumps(config), encoding="utf-8")


def fill(logger: Logger) -> None:
    """Twenty minutes of a greenhouse, events of each priority, a global event and action,
    a Generator and the System device running."""
    now = time.time()
    x = np.arange(now - 1200, now, 0.5)
    rng = np.random.default_rng(7)
    temperature = 21 + 1.8 * np.sin((x - now) / 300) + rng.normal(0, 0.06, len(x))
    humidity = 55 - 8 * np.sin((x - now) / 300 + 0.6) + rng.normal(0, 0.3, len(x))
    logger.stream_many(x, temperature, "Temperature", "Greenhouse", unit="°C")
    logger.stream_many(x, humidity / 4, "Humidity/4", "Greenhouse", unit="%")
    soil_x = x[1000:-60]  # a sensor plugged in after ten minutes, silent for the last 30 s
    soil = 8 - np.linspace(0, 1.5, len(soil_x)) + rng.normal(0, 0.05, len(soil_x))
    logger.stream_many(soil_x, soil, "Soil moisture", "Greenhouse", unit="%")
    events = [
        ("watering started", "Greenhouse", "", 0, 1150),
        ("fan on: above 22 °C", "Greenhouse", "Temperature", 0, 930),
        ("backup written", "rtoc", "", 0, 760),
        ("door opened", "Greenhouse", "", 1, 560),
        ("door closed", "Greenhouse", "", 0, 430),
        ("humidity sensor timeout", "Greenhouse", "Humidity/4", 2, 250),
        ("soil sensor: no reply", "Greenhouse", "Soil moisture", 2, 30),
    ]
    for text, device, signal, priority, ago in events:
        logger.event(text, device, signal, priority=priority, time=now - ago)
    logger.set_rule(
        "event",
        "too warm",
        {
            "cond": "Greenhouse.Temperature.latest > 23",
            "text": "too warm in the greenhouse",
            "priority": 1,
            "id": "warm",
            "dname": "Greenhouse",
            "sname": "Temperature",
        },
    )
    logger.set_rule(
        "action",
        "open the window",
        {"listenID": ["warm"], "script": 'event("window opened", dname="Greenhouse")'},
    )
    logger.set_rule(
        "event",
        "frost",
        {"cond": "Greenhouse.Temperature.latest < 3", "text": "frost", "priority": 2},
    )
    logger.set_automation_active(events=True, actions=True)
    logger.attach_installed("Generator")
    logger.set_parameter("Generator", "amplitude", 2.0)
    logger.set_parameter("Generator", "frequency", 0.5)
    logger.set_parameter("Generator", "samplerate", 25.0)
    logger.start_device("Generator")
    logger.attach_installed("System")
    logger.set_parameter("System", "samplerate", 5.0)
    logger.start_device("System")


def import_file(folder: Path) -> Path:
    """A semicolon file with decimal commas and a column of notes."""
    start = 1_709_294_400  # 2024-03-01 12:00 UTC
    rows = [
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(start + 10 * i))};"
        f"{12 + 0.01 * i:.2f};{0.5 + 0.003 * i:.3f};{21 + 0.02 * i:.2f};".replace(".", ",")
        + ("door open" if i == 3 else "")
        for i in range(40)
    ]
    path = folder / "bench-2024-03-01.csv"
    path.write_text("Zeit;U [V];I [A];T [°C];Notiz\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main_window(window: MainWindow, logger: Logger, out: Path) -> None:
    """The greenhouse in the main plot, with the global event it raised and its action's."""
    wait_for(lambda: len(logger.signal_infos()) >= 9, "the devices' signals")
    shown(window, 0, 0, "rtoc-gui")
    window.tick()
    for info in logger.signal_infos():  # the live devices go to the plot window
        if info.device != "Greenhouse":
            window.plot.set_visible((info.device, info.name), False)
    logger.stream(23.4, "Temperature", "Greenhouse", unit="°C")  # too warm: the global event
    wait_for(lambda: logger.event_page(EventQuery()).total >= 9, "the global event, its action")
    wait(2500)  # the generator draws a few periods
    logger.stream(12.6, "Humidity/4", "Greenhouse", unit="%")
    window.slow_tick()
    window.tick()
    wait(600)
    save(window.frameGeometry(), out, "rtoc-gui")


def signal_menu(window: MainWindow, out: Path) -> None:
    button = window.signals.buttons[("Greenhouse", "Temperature")]
    menu = window.signal_actions.menu(button.key)
    menu.popup(button.mapToGlobal(QtCore.QPoint(button.width() - 12, button.height() // 2)))
    wait_for(lambda: menu.isVisible() and menu.windowHandle().isExposed(), "the signal menu")
    wait(200)
    dock = screen_rect(window.signals.parentWidget())
    save(dock.united(menu.geometry()).adjusted(0, -8, 24, 8), out, "rtoc-gui-signal-menu")
    menu.close()


def plot_window(window: MainWindow, out: Path) -> None:
    """The generator's sine and square; the markers on a peak and the next trough."""
    sine, square = ("Generator", "Sine"), ("Generator", "Square")
    plots = window.new_plot_window()
    for key in (sine, square):
        plots.view.set_visible(key, True)
    shown(plots, 150, 120, "rtoc-gui-plot-window")
    measure = plots.view.measure
    measure.set_active(True)
    measure.choose(sine)
    x, y = plots.view.curve_data(sine)
    peak = int(np.argmax(y[: len(x) // 2]))
    next_period = (x > x[peak]) & (x < x[peak] + 2.0)  # the generator runs at 0.5 Hz
    measure.move(0, x[peak])
    measure.move(1, x[next_period][int(np.argmin(y[next_period]))])
    plots.view.set_follow(False)  # the markers stay where they are
    wait(300)
    save(plots.frameGeometry(), out, "rtoc-gui-plot-window")
    plots.hide()


def docks(window: MainWindow, out: Path) -> None:
    """Events filtered, DevicesRAW with a refusal and a result, a script that failed."""
    events = window.events
    events.text.setText("greenhouse")
    events.priorities[0].setChecked(False)
    wait_for(lambda: events.rows() and all(row[1] != "info" for row in events.rows()), "filter")
    save(screen_rect(events.parentWidget()), out, "rtoc-gui-events")

    raw = window.raw
    raw.functions["Generator", "set_waveform"].field.setText("'triangle'")
    raw.functions["Generator", "set_waveform"].call()
    window.slow_tick()
    waveform = raw.parameters["Generator", "waveform"]
    waveform.field.setText("zigzag")
    waveform.submit()
    wait(300)
    save(screen_rect(raw.parentWidget()), out, "rtoc-gui-devicesraw")

    dock = window.scripts.parentWidget()
    dock.raise_()
    window.resizeDocks([dock], [420], QtCore.Qt.Vertical)
    tab = window.scripts.current()
    tab.editor.setPlainText(SCRIPT)
    window.scripts.run_once()
    wait_for(lambda: "line 6" in tab.output.toPlainText(), "the script's error")
    tab.setSizes([150, 210])
    wait(300)
    save(screen_rect(dock), out, "rtoc-gui-scripts")


def dialogs(window: MainWindow, home: Path, out: Path) -> None:
    """Settings, global events and actions, Import, Plugins, Network ▸ Connect."""
    settings = window.menus.show_settings()
    settings.fields["tcp.port"].editor.setText("70000")
    settings.save()
    shown(settings, 200, 100, "rtoc-gui-settings")
    save(settings.frameGeometry(), out, "rtoc-gui-settings")
    settings.hide()

    rules = window.menus.show_rules()
    shown(rules, 200, 100, "rtoc-gui-rules")
    save(rules.frameGeometry(), out, "rtoc-gui-rules")
    editor = rules.edit("event", "too warm")
    editor.inputs["cond"].setPlainText("Greenhouse.Temperature.latest >> 23 and")
    editor.save()
    shown(editor, 300, 150, "rtoc-gui-rule-editor")
    save(editor.frameGeometry(), out, "rtoc-gui-rule-editor")
    editor.close()
    rules.hide()

    window.import_files([str(import_file(home))])
    (dialog,) = window.importing.dialogs
    dialog.add_definition(Definition("note", 5, 1, "Bench"))
    model = dialog.table.model()
    model.setData(model.index(2, 1), "12,25")  # one cell edited: marked, and imported so
    shown(dialog, 100, 100, "rtoc-gui-import")
    save(dialog.frameGeometry(), out, "rtoc-gui-import")
    dialog.close()

    plugins = window.show_plugins()
    wait_for(lambda: not plugins.busy and plugins.plugins, "the installed plugins", 30)
    shown(plugins, 200, 80, "rtoc-gui-plugins")
    save(plugins.frameGeometry(), out, "rtoc-gui-plugins")
    plugins.hide()

    connect = window.menus.ask_connect()
    connect.host.setCurrentText(f"127.0.0.1:{free_port()}")  # nothing listens there
    connect.connect_now()
    shown(connect, 300, 200, "rtoc-gui-connect")
    save(connect.frameGeometry(), out, "rtoc-gui-connect")
    connect.reject()


def main(out: Path, home: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    prepare_home(home)
    registry = PluginRegistry.load(entry_points=False)
    config = load_config(home, registry.config_sections())
    with Logger(config, home=home, plugins=registry) as logger:
        fill(logger)
        window = build_window(logger, "this computer", config.gui, home=home, plugins=registry)
        try:
            main_window(window, logger, out)
            signal_menu(window, out)
            plot_window(window, out)
            docks(window, out)
            dialogs(window, home, out)
        finally:
            window.close()
            for device in list(logger.devices):
                logger.stop_device(device)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
