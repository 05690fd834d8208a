"""The README's screenshots, taken of real windows on a real X server (Xvfb).

gui_screenshots.py runs in a process of its own (DISPLAY of the ``xvfb`` fixture,
``QT_QPA_PLATFORM=xcb``): the other tests' QApplication is offscreen, and Qt takes one
platform per process. Every run checks every picture; ``RTOC_SCREENSHOTS=1 pytest
rtoc-gui/tests/test_gui_screenshot.py`` also writes them to ``rtoc-gui/docs/images``
(otherwise they go to the test's temporary folder, so CI leaves the tree clean).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui_screenshots import SHOTS, SIZES
from PIL import Image

from rtoc_gui.import_dialog import READY, REFUSED
from rtoc_gui.marks import ERROR_STYLE
from rtoc_gui.measure import MARKER_COLOURS
from rtoc_gui.scripts import ERROR_COLOUR as SCRIPT_ERROR
from rtoc_gui.theme import CURVE_COLOURS, EVENT_COLOURS, STALE

SCRIPT = Path(__file__).with_name("gui_screenshots.py")
DOCS = Path(__file__).parents[1] / "docs" / "images"
#: The README's pictures stay light.
MAX_BYTES = 200_000
FIELD_ERROR = ERROR_STYLE.rsplit(" ", 1)[1].rstrip(";")  # the red of a refused input
RAW_OK = "#3ddc84"
#: Pixels of a colour each picture must show (the palette moves a colour a little).
MUST_SHOW: dict[str, list[tuple[str, int]]] = {
    # the event lines and their labels, the soil sensor's stale button
    "rtoc-gui": [*((colour, 150) for colour in EVENT_COLOURS), (STALE, 2000)],
    # marker B's line, the sine curve
    "rtoc-gui-plot-window": [(MARKER_COLOURS[1], 250), (CURVE_COLOURS[0], 250)],
    # warnings and errors shown, by their colours
    "rtoc-gui-events": [(EVENT_COLOURS[1], 60), (EVENT_COLOURS[2], 36)],
    # the error's text below, its line marked in the editor
    "rtoc-gui-scripts": [(SCRIPT_ERROR, 300), ("#8b1e1e", 5000)],
    # the refused waveform's message, the function's result
    "rtoc-gui-devicesraw": [(SCRIPT_ERROR, 200), (RAW_OK, 15)],
    "rtoc-gui-settings": [(FIELD_ERROR, 500)],
    "rtoc-gui-rule-editor": [(FIELD_ERROR, 500)],
    # definitions ready and refused
    "rtoc-gui-import": [(READY, 5000), (REFUSED, 2000)],
    "rtoc-gui-connect": [(FIELD_ERROR, 300)],
}


def near(pixels: np.ndarray, colour: str, tolerance: int = 24) -> int:
    """How many pixels are within ``tolerance`` of ``colour`` in every channel."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels.astype(int) - rgb).max(axis=2) <= tolerance).sum())


@pytest.mark.timeout(180)
def test_every_widget_is_pictured_in_a_real_window(xvfb: str, tmp_path: Path):
    out = DOCS if os.environ.get("RTOC_SCREENSHOTS") == "1" else tmp_path / "images"
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "DISPLAY": xvfb,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_RUNTIME_DIR": str(runtime),
        "RTOC_HOME": str(tmp_path / "home"),
    }
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), str(tmp_path / "home")],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    if "Could not load the Qt platform plugin" in run.stderr:
        why = (
            "Qt cannot open windows on X here (its xcb plugin needs libxcb-icccm4, "
            "libxcb-keysyms1 and libxcb-xinerama0): " + run.stderr.strip().splitlines()[0]
        )
        if os.environ.get("RTOC_REQUIRE_SERVICES"):
            pytest.fail(why)
        pytest.skip(why)
    assert run.returncode == 0, run.stderr

    for name in SHOTS:
        path = out / f"{name}.png"
        assert path.stat().st_size < MAX_BYTES, f"{name}: {path.stat().st_size} bytes"
        image = Image.open(path)
        assert image.mode == "P", f"{name}: not a palette image"
        pixels = np.asarray(image.convert("RGB"))
        height, width, _ = pixels.shape
        if name in SIZES:
            assert (width, height) == SIZES[name], name
        else:  # a dock or a menu over the window: smaller than the window, not a sliver
            assert 300 <= width <= 1500 and 200 <= height <= 900, (name, width, height)
        grey = pixels.mean(axis=2)
        assert grey.std() > 12, f"{name}: nearly one colour"
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 24, f"{name}: too few colours"
        # drawn everywhere: no quarter of it is a single flat colour (an unpainted window)
        for quarter in (grey[: height // 2, : width // 2], grey[height // 2 :, width // 2 :]):
            assert len(np.unique(quarter)) > 2, f"{name}: a quarter of it is blank"
        for colour, least in MUST_SHOW.get(name, []):
            found = near(pixels, colour)
            assert found >= least, f"{name}: {found} pixels of {colour}, expected {least}+"

    main = np.asarray(Image.open(out / "rtoc-gui.png").convert("RGB"))
    curves = [colour for colour in CURVE_COLOURS[:-1] if near(main, colour, 16) > 300]  # not grey
    assert len(curves) >= 3, f"the main plot shows {curves}: expected the greenhouse's three"


def test_the_readme_shows_every_picture_and_only_those():
    readme = (DOCS.parents[1] / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\(docs/images/([\w-]+)\.png\)", readme)
    assert shown == list(SHOTS)
    assert sorted(path.stem for path in DOCS.glob("*.png")) == sorted(SHOTS)
