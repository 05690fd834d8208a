"""``rtoc web`` standalone: a real subprocess serving what an earlier ``rtoc run`` stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from test_plugin import free_port

from rtoc.config import load_config
from rtoc.logger import Logger
from rtoc.storage.sqlite import open_sqlite

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
RTOC = str(Path(sys.executable).with_name("rtoc"))


def fetch(url: str, deadline: float) -> bytes:
    """GET ``url``, retrying until the server answers or ``deadline`` (monotonic) passes."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.read()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stored_home(home: Path) -> None:
    """What ``rtoc run`` leaves behind: config.json and rtoc.sqlite with one signal."""
    config = load_config(home)
    logger = Logger(config, storage=open_sqlite(config, home), home=home)
    logger.stream_many([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], "T", "Oven", "°C")
    logger.event("door open", device="Oven", time=2.5)
    logger.close()


def test_rtoc_web_serves_the_storage_read_only_and_stops_on_sigterm(tmp_path: Path) -> None:
    stored_home(tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [RTOC, "--home", str(tmp_path), "web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "RTOC_HOME": str(tmp_path)},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        assert b"rtoc" in fetch(f"{base}/", deadline)
        signal_value = quote(json.dumps(["Oven", "T"]))
        csv = fetch(f"{base}/download?signal={signal_value}&last=5", deadline).decode()
        assert csv.splitlines()[1:] == [
            "Oven,T,°C,1.0,10.0",
            "Oven,T,°C,2.0,20.0",
            "Oven,T,°C,3.0,30.0",
        ]
        layout = fetch(f"{base}/_dash-layout", deadline).decode()
        assert "Devices cannot be controlled here" in layout
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert f"127.0.0.1:{port}" in output


def test_rtoc_web_refuses_a_public_address_without_users(tmp_path: Path) -> None:
    stored_home(tmp_path)
    done = subprocess.run(
        [RTOC, "--home", str(tmp_path), "web", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "rtoc users add" in done.stderr


def test_rtoc_run_serves_the_dashboard_when_web_is_active(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "config.json").write_text(
        json.dumps({"web": {"active": True}, "global": {"webserver_port": port}})
    )
    process = subprocess.Popen(
        [RTOC, "--home", str(tmp_path), "run", "--device", "Generator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        assert b"rtoc" in fetch(f"{base}/", deadline)
        signal_value = quote(json.dumps(["Generator", "Sine"]))
        while True:  # the generator's first samples arrive within a second
            csv = fetch(f"{base}/download?signal={signal_value}&last=1", deadline).decode()
            if len(csv.splitlines()) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert csv.splitlines()[1].startswith("Generator,Sine,V,")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
