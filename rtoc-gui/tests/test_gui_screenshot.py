"""The README's screenshot: the window drawn with live data. ``RTOC_SCREENSHOTS=1 pytest
tests/test_gui_screenshot.py`` also writes it to ``docs/images/rtoc-gui.png``; without
it the picture goes to the test's temporary folder, so CI leaves the tree clean."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PyQt5 import QtGui

from rtoc_gui.import_plan import Definition
from rtoc_gui.mainwindow import MainWindow

IMAGE = Path(__file__).parents[1] / "docs" / "images" / "rtoc-gui.png"
IMPORT_IMAGE = IMAGE.with_name("rtoc-gui-import.png")


def fill(logger) -> None:
    """Twenty minutes of a greenhouse, a running generator, a few events."""
    now = time.time()
    x = np.arange(now - 1200, now, 0.5)
    rng = np.random.default_rng(7)
    temperature = 21 + 3 * np.sin((x - now) / 300) + rng.normal(0, 0.08, len(x))
    humidity = 55 - 8 * np.sin((x - now) / 300 + 0.6) + rng.normal(0, 0.3, len(x))
    logger.stream_many(x, temperature, "Temperature", "Greenhouse", unit="°C")
    logger.stream_many(x, humidity / 4, "Humidity/4", "Greenhouse", unit="%")
    soil = 8 - np.linspace(0, 1.5, len(x) - 60) + rng.normal(0, 0.05, len(x) - 60)
    logger.stream_many(x[:-60], soil, "Soil moisture", "Greenhouse", unit="%")
    logger.event("fan on: above 23 °C", "Greenhouse", "Temperature", priority=0, time=now - 1030)
    logger.event("door opened", "Greenhouse", priority=1, time=now - 640)
    logger.event("humidity sensor timeout", "Greenhouse", "Humidity/4", priority=2, time=now - 250)
    logger.attach_installed("Generator")
    logger.set_parameter("Generator", "amplitude", 2.0)
    logger.start_device("Generator")


def test_screenshot(qtbot, window: MainWindow, logger, tmp_path):
    fill(logger)
    window.resize(1500, 900)
    qtbot.waitUntil(lambda: len(window.signals.buttons) >= 6, timeout=5000)
    qtbot.waitUntil(lambda: window.events.total >= 3, timeout=5000)
    window.signals.buttons[("Generator", "Square")].click()
    window.signals.buttons[("Generator", "Wave")].click()
    window.tick()
    window.show_values()
    qtbot.wait(1500)  # the generator adds samples
    now = time.time()  # fresh samples: only soil moisture, silent for 30 s, is shown yellow
    logger.stream(21.3, "Temperature", "Greenhouse", unit="°C", x=now)
    logger.stream(12.6, "Humidity/4", "Greenhouse", unit="%", x=now)
    window.tick()
    window.show_values()
    image = IMAGE if os.environ.get("RTOC_SCREENSHOTS") == "1" else tmp_path / IMAGE.name
    image.parent.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(image))
    saved = QtGui.QImage(str(image))
    assert (saved.width(), saved.height()) == (1500, 900)
    assert len({saved.pixel(x, 450) for x in range(0, 1500, 10)}) > 3  # drawn, not blank


def test_import_dialog_screenshot(qtbot, window: MainWindow, tmp_path):
    """A semicolon file with decimal commas and a column of notes; one definition refused,
    one cell edited."""
    start = 1_709_294_400  # 2024-03-01 12:00 UTC
    rows = [
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(start + 10 * i))};"
        f"{12 + 0.01 * i:.2f};{0.5 + 0.003 * i:.3f};{21 + 0.02 * i:.2f};".replace(".", ",")
        + ("door open" if i == 3 else "")
        for i in range(40)
    ]
    path = tmp_path / "bench-2024-03-01.csv"
    path.write_text("Zeit;U [V];I [A];T [°C];Notiz\n" + "\n".join(rows) + "\n", encoding="utf-8")
    window.import_files([str(path)])
    (dialog,) = window.importing.dialogs
    dialog.resize(1300, 560)
    dialog.add_definition(Definition("note", 5, 1, "Bench"))
    model = dialog.table.model()
    assert model.setData(model.index(2, 1), "12,25")
    assert dialog.edits_info.text().startswith("1 cell edited")
    image = IMPORT_IMAGE if os.environ.get("RTOC_SCREENSHOTS") == "1" else tmp_path / "import.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(image))
    assert QtGui.QImage(str(image)).width() == 1300
