"""What the rtoc-gui tests share: the GUI settings they run with, and ``rtoc run --device
Generator`` with its TCP server on 127.0.0.1 as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from rtoc.config import GuiConfig
from rtoc.testing.installed import rtoc_command

#: Faster than the default 8 Hz so that tests wait less; inactivity shows quickly.
GUI = GuiConfig(plotRate=20.0, signalInactivityTimeout=0.5, plotLegendEnabled=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A real rtoc logger; :meth:`stop` ends it as Ctrl-C would, :meth:`start` runs it again."""

    def __init__(self, home: Path, password: str = "", port: int | None = None) -> None:
        self.home = home
        self.password = password
        self.port = port or free_port()
        config = {
            "tcp": {"active": True, "host": "127.0.0.1", "port": self.port, "password": password},
            "backup": {"active": False},
        }
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.json").write_text(json.dumps(config), encoding="utf-8")
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def start(self, timeout: float = 20) -> Server:
        listening = threading.Event()
        process = subprocess.Popen(
            rtoc_command(self.home, "run", "--device", "Generator"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.process = process

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                self.lines.append(line)
                if f"TCP server listening on 127.0.0.1:{self.port}" in line:
                    listening.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not listening.wait(0.05):
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("rtoc did not start its TCP server:\n" + "".join(self.lines))
        return self

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
