"""The web section of config.json and the frontend ``rtoc run`` starts."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from auth_stub import OpenAuth

from rtoc.config import ConfigError, load_config, set_value
from rtoc.logger import Logger
from rtoc.plugins import PluginRegistry
from rtoc_web.auth import BindRefused
from rtoc_web.config import WebConfig
from rtoc_web.plugin import WebFrontend


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(home: Path, web: dict, port: int = 8050) -> None:
    text = json.dumps({"web": web, "global": {"webserver_port": port}})
    (home / "config.json").write_text(text)


def test_the_installed_plugin_registers_the_section_and_the_frontend(tmp_path: Path) -> None:
    registry = PluginRegistry.load()
    assert registry.config_sections()["web"] is WebConfig
    assert any(isinstance(frontend, WebFrontend) for frontend in registry.frontends())
    config = load_config(tmp_path, registry.config_sections())
    assert config.section("web") == WebConfig()
    changed = set_value(config, "web.plotRate", "2")
    assert changed.section("web").plotRate == 2.0


def test_a_bad_value_names_the_key(tmp_path: Path) -> None:
    write_config(tmp_path, {"plotRate": 1000})
    with pytest.raises(ConfigError, match=r"web\.plotRate"):
        load_config(tmp_path, {"web": WebConfig})


def test_the_frontend_serves_while_started_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    write_config(tmp_path, {"active": True}, port)
    config = load_config(tmp_path, {"web": WebConfig})
    logger = Logger(config, home=tmp_path)
    homes = []

    def auth(home: Path, open_access: bool) -> OpenAuth:
        homes.append((home, open_access))
        return OpenAuth()

    frontend = WebFrontend(auth)
    frontend.start(logger, config)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.status == 200 and b"rtoc" in answer.read()
        assert homes == [(tmp_path, True)]
    finally:
        frontend.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def test_an_inactive_frontend_serves_nothing(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"web": WebConfig})
    frontend = WebFrontend(lambda home, open_access: OpenAuth())
    frontend.start(Logger(config, home=tmp_path), config)
    assert frontend.server is None
    frontend.stop()


def test_the_frontend_will_not_listen_beyond_loopback_without_users(tmp_path: Path) -> None:
    write_config(tmp_path, {"active": True, "host": "0.0.0.0"}, free_port())
    config = load_config(tmp_path, {"web": WebConfig})
    frontend = WebFrontend(lambda home, open_access: OpenAuth())
    with pytest.raises(BindRefused, match="rtoc users add"):
        frontend.start(Logger(config, home=tmp_path), config)
    assert frontend.server is None
