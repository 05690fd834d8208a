"""The dashboard on a read-only view of storage, controlling a logger over TCP (web.logger)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from auth_stub import OpenAuth
from browser import open_tab, select_signal, wait_for_traces

from rtoc.config import load_config
from rtoc.devices.generator import Generator
from rtoc.logger import Logger
from rtoc.net import ServerSettings, TcpServer
from rtoc.net.remote import RemoteLogger
from rtoc.plugins import PluginRegistry
from rtoc.storage.sqlite import open_sqlite
from rtoc.storage.view import open_view
from rtoc_web.app import create_app
from rtoc_web.serve import Server

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A logger recording to SQLite with a TCP server, and a read-only view of its file."""
    home = tmp_path_factory.mktemp("standalone")
    config = load_config(home)
    logger = Logger(config, storage=open_sqlite(config, home), home=home)
    logger.start()
    logger.add_device(Generator)
    logger.stream_many([1.0, 2.0], [3.0, 4.0], "T", "Oven", "°C")
    logger.writer.flush()
    tcp = TcpServer()
    _, port = tcp.serve(logger, ServerSettings(port=0))
    view = open_view(config, home, PluginRegistry.load())
    remote = RemoteLogger("127.0.0.1", port)
    servers = {
        name: Server(create_app(view, auth=OpenAuth(), control=control).server, "127.0.0.1", 0)
        for name, control in (("alone", None), ("with_logger", remote))
    }
    for server in servers.values():
        server.start()
    yield {"logger": logger, **{name: server.url for name, server in servers.items()}}
    for server in servers.values():
        server.stop()
    remote.close()
    tcp.stop()
    view.close()
    logger.close()


def test_read_only_storage_says_why_there_are_no_controls(page, site) -> None:
    page.goto(site["alone"])
    open_tab(page, "Devices")
    reason = page.locator("#devices-no-control")
    reason.filter(has_text="Devices cannot be controlled here").wait_for()
    assert page.locator('[id*="dev-run"]').count() == 0


def test_devices_are_controlled_through_the_logger_named_in_web_logger(page, site) -> None:
    page.goto(site["with_logger"])
    open_tab(page, "Devices")
    page.locator('[id*="dev-run"][id*="Generator"]').filter(has_text="Start").click()
    page.locator('[id*="dev-status"][id*="Generator"]').filter(has_text="running").wait_for()
    logger: Logger = site["logger"]
    assert logger.devices["Generator"].running
    page.locator('[id*="dev-run"][id*="Generator"]').filter(has_text="Stop").click()
    page.locator('[id*="dev-status"][id*="Generator"]').filter(has_text="stopped").wait_for()
    assert not logger.devices["Generator"].running


def test_the_plot_reads_the_stored_file(page, site) -> None:
    page.goto(site["alone"])
    select_signal(page, "Oven.T [°C]")
    found = wait_for_traces(page, "ts[0].n == 2")
    assert found[0]["y"] == [3.0, 4.0]
