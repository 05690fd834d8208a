"""A real Logger on real SQLite, the dashboard served by werkzeug, and Debian's Chromium."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rtoc.devices.generator import Generator
from rtoc.logger import Logger
from rtoc.storage.sqlite import SQLiteStorage
from rtoc_web.app import create_app
from rtoc_web.serve import Server

sys.path.insert(0, str(Path(__file__).parent))
from auth_stub import OpenAuth
from web_data import BIG_X, BIG_Y, T_END, ZONE, config, record

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def logger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logger]:
    folder = tmp_path_factory.mktemp("web")
    logger = Logger(config(), storage=SQLiteStorage(folder / "rtoc.sqlite"), home=folder)
    logger.start()
    record(logger, BIG_X, BIG_Y, "Big", "Sim", "A")
    volts = T_END - np.arange(50)[::-1]
    logger.stream_many(volts, np.linspace(1, 5, 50), "Volt", "Sim", "V")
    for index in range(120):
        logger.event(
            f"routine check {index}",
            device="Sim",
            signal="Big",
            priority=0,
            time=T_END - 3000 + index,
        )
    logger.event("pump failed", device="Pump", signal="Flow", priority=2, time=T_END - 1800)
    logger.event("tank low", device="Tank", signal="Level", priority=1, time=T_END - 1700, id="low")
    logger.add_device(Generator)
    yield logger
    logger.close()


@pytest.fixture(scope="module")
def serve(logger: Logger) -> Iterator[Callable[..., str]]:
    """``serve(auth=..., **create_app keywords)`` -> the URL of the app on a free port."""
    servers: list[Server] = []

    def start(auth: Any = None, **keywords: Any) -> str:
        app = create_app(logger, auth=auth or OpenAuth(), **keywords)
        server = Server(app.server, "127.0.0.1", 0).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def url(serve: Callable[..., str]) -> str:
    return serve()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM} (apt install chromium)"
        if os.environ.get("RTOC_REQUIRE_SERVICES"):
            raise RuntimeError(f"{reason} (RTOC_REQUIRE_SERVICES is set)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own per-browser state) at 1200 x 900 in ZONE."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, timezone_id=ZONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
