"""What the rtoc-gui tests share: the GUI settings they run with, ``rtoc run --device
Generator`` with its TCP server on 127.0.0.1 as a subprocess, and a real X server (Xvfb)."""

from __future__ import annotations

import json
import os
import select
import shutil
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


#: The screen of the X server the screenshot test draws on: the biggest window fits.
XVFB_SCREEN = "1600x1000x24"


class Xvfb:
    """A virtual X server on a display of its own; :attr:`display` is its ``DISPLAY``.

    Xvfb picks a display number no other X server uses (``-displayfd``) and writes it
    once it accepts connections, so two test runs on one machine never collide.
    """

    def __init__(self, log: Path, timeout: float = 15) -> None:
        executable = shutil.which("Xvfb")
        if executable is None:
            raise FileNotFoundError("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)")
        read, write = os.pipe()
        with log.open("wb") as errors:
            self.process = subprocess.Popen(
                [executable, "-displayfd", str(write), "-screen", "0", XVFB_SCREEN,
                 "-nolisten", "tcp"],
                pass_fds=(write,),
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )  # fmt: skip
        os.close(write)
        try:
            number = self._read_display(read, timeout)
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error}; its output: {log.read_text(errors='replace')}") from None
        finally:
            os.close(read)
        self.display = f":{number}"
        socket_path = Path(f"/tmp/.X11-unix/X{number}")
        deadline = time.monotonic() + timeout
        while not socket_path.exists():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Xvfb said display {self.display} but has no {socket_path}")
            time.sleep(0.02)

    def _read_display(self, fd: int, timeout: float) -> int:
        text = b""
        deadline = time.monotonic() + timeout
        while not text.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise RuntimeError(f"Xvfb gave no display number within {timeout} s")
            chunk = os.read(fd, 32)
            if not chunk:
                raise RuntimeError(f"Xvfb ended (exit status {self.process.wait()})")
            text += chunk
        return int(text)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
