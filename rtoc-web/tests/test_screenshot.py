"""The picture of the dashboard in the docs: live Generator and System signals, two units.

With ``RTOC_SCREENSHOTS=1`` the test writes ``docs/images/rtoc-web.png``
(overwriting it); without, it drives the same page and checks that both
panels drew, so a CI run leaves the tree clean.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_stub import OpenAuth
from browser import select_signal, wait_for_traces
from web_data import ZONE

from rtoc.config import load_config
from rtoc.devices.generator import Generator
from rtoc.devices.system import System
from rtoc.logger import Logger
from rtoc.storage.sqlite import open_sqlite
from rtoc_web.app import create_app
from rtoc_web.serve import Server

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "rtoc-web.png"
#: Samples of each signal drawn before the picture is taken: two sine periods.
GENERATOR_POINTS, SYSTEM_POINTS = 160, 8

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[str]:
    """A logger recording a Generator (20 Hz, a 4 s sine) and the System monitor (4 Hz),
    and the dashboard's URL."""
    config = load_config(tmp_path)
    logger = Logger(config, storage=open_sqlite(config, tmp_path), home=tmp_path)
    logger.start()
    generator = logger.add_device(Generator)
    generator.samplerate, generator.frequency = 20.0, 0.25
    system = logger.add_device(System)
    system.samplerate = 4.0
    for device in (generator, system):
        device.start()
    server = Server(create_app(logger, auth=OpenAuth()).server, "127.0.0.1", 0).start()
    yield server.url
    server.stop()
    logger.close()


def test_the_dashboard_picture_shows_two_units_live(live: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 860}, timezone_id=ZONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(live)
        select_signal(page, "Generator.Sine [V]")
        select_signal(page, "System.CPU [%]")
        drawn = wait_for_traces(
            page,
            "ts.length == 2 && ts[0].n >= arg[0] && ts[1].n >= arg[1]",
            [GENERATOR_POINTS, SYSTEM_POINTS],
        )
        assert [trace["name"] for trace in drawn] == ["Generator.Sine", "System.CPU"]
        titles = page.evaluate(
            "() => { const l = document.querySelector('#plot-graph .js-plotly-plot').layout;"
            " return [l.yaxis.title.text, l.yaxis2.title.text]; }"
        )
        assert titles == ["V", "%"]  # one panel per unit
        page.mouse.move(0, 0)  # no hover label in the picture
        if os.environ.get("RTOC_SCREENSHOTS"):
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        context.close()
