"""``rtoc import --remote``: a file into a real ``rtoc run`` over its TCP server."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtoc.cli import cli
from rtoc.net.client import Client
from rtoc.plugins import PluginRegistry
from rtoc.storage.sqlite import SQLiteStorage

DATA = Path(__file__).parent / "data"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def running(tmp_path):
    """(home, port) of ``rtoc run`` with the TCP server on and storage off."""
    for home, port, _ in rtoc_run(tmp_path, storage=False):
        yield home, port


@pytest.fixture
def running_with_storage(tmp_path):
    """(home, port, process) of ``rtoc run`` with the TCP server on and SQLite storage."""
    yield from rtoc_run(tmp_path, storage=True)


def rtoc_run(tmp_path, storage: bool):
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    config = {"tcp": {"active": True, "port": port}, "backup": {"active": storage}}
    (home / "config.json").write_text(json.dumps(config), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "rtoc", "--home", str(home), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    listening = threading.Event()
    lines: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if f"listening on 127.0.0.1:{port}" in line:
                listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not listening.wait(20):
        process.kill()
        pytest.fail("rtoc run did not start its TCP server:\n" + "".join(lines))
    yield home, port, process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(20)
    reader.join(5)


def test_import_into_a_running_logger_over_tcp(running):
    home, port = running
    registry = PluginRegistry.load(entry_points=False)
    path = str(DATA / "excel-bom.csv")

    def rtoc(*args: str):
        return CliRunner().invoke(cli, ["--home", str(home), *args], obj={"registry": registry})

    refused = rtoc("import", path)
    assert refused.exit_code == 1
    assert "cannot import into the storage while a logger runs" in refused.output
    assert "--remote 127.0.0.1" in refused.output
    sent = rtoc("import", path, "--device", "Lab", "--remote", "127.0.0.1", "-p", str(port))
    assert sent.exit_code == 0, sent.output
    assert sent.output.endswith(f"Sent 6 samples to 127.0.0.1:{port}.\n")
    with Client("127.0.0.1", port) as client:
        reply = client.request(getSignal=["Lab.Temperature"])
    x, y, unit = reply["signals"]["Lab.Temperature"]
    assert x == [1709294400.0, 1709294460.0, 1709294520.0] and unit == "°C"
    assert y[:2] == [21.5, 21.75]


def test_a_second_remote_import_of_the_file_is_refused_unless_forced(running):
    home, port = running
    registry = PluginRegistry.load(entry_points=False)
    path = str(DATA / "excel-bom.csv")
    remote = ("--remote", "127.0.0.1", "-p", str(port))

    def rtoc(*args: str):
        return CliRunner().invoke(cli, ["--home", str(home), *args], obj={"registry": registry})

    def temperatures() -> int:
        with Client("127.0.0.1", port) as client:
            reply = client.request(getSignal=["Lab.Temperature"])
        return len(reply["signals"]["Lab.Temperature"][0])

    first = rtoc("import", path, "--device", "Lab", *remote)
    assert first.exit_code == 0, first.output
    again = rtoc("import", path, "--device", "Lab", *remote)
    assert again.exit_code == 1
    assert f"Error: {path} was imported into these signals before (imported excel-bom.csv" in (
        again.output
    )
    assert "nothing was written" in again.output
    assert temperatures() == 3
    other = rtoc("import", path, "--device", "Other", *remote)  # other signals: a new import
    assert other.exit_code == 0, other.output
    forced = rtoc("import", path, "--device", "Lab", "--force", *remote)
    assert forced.exit_code == 0, forced.output
    assert temperatures() == 6  # what the refusal prevented
    with Client("127.0.0.1", port) as client:
        events = client.request(getEventList=True)["events"]
    records = [row for row in events.values() if "imported excel-bom.csv" in str(row)]
    assert len(records) == 3


def test_a_file_sent_to_a_logger_is_not_imported_again_into_its_storage(running_with_storage):
    """The record a remote import leaves (stored by the logger with its own uid, the import's
    uid in its text) stops a local import of the file once the logger is gone."""
    home, port, process = running_with_storage
    registry = PluginRegistry.load(entry_points=False)
    path = str(DATA / "excel-bom.csv")

    def rtoc(*args: str):
        return CliRunner().invoke(cli, ["--home", str(home), *args], obj={"registry": registry})

    sent = rtoc("import", path, "--device", "Lab", "--remote", "127.0.0.1", "-p", str(port))
    assert sent.exit_code == 0, sent.output
    process.send_signal(signal.SIGINT)  # the logger stores what it holds and lets go of the home
    assert process.wait(20) == 0
    again = rtoc("import", path, "--device", "Lab")
    assert again.exit_code == 1, again.output
    assert f"{path} was imported into these signals before" in again.output
    other = rtoc("import", path, "--device", "Other")
    assert other.exit_code == 0, other.output
    storage = SQLiteStorage(home / "rtoc.sqlite", read_only=True)
    counts = {info.key: info.count for info in storage.signals()}
    storage.close()
    assert counts[("Lab", "Temperature")] == 3 and counts[("Other", "Temperature")] == 3
