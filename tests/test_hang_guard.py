"""Scripts that never return to Python end ``rtoc run`` (exit 1) instead of freezing it.

``sum(iter(int, 1))`` loops in C holding the GIL: no Python thread runs again,
so neither the script watchdog nor SIGTERM's handler can act. The hang guard
(faulthandler's C timer) ends the process with every thread's traceback in
``hang.log``; the next start reports it and switches off the rule that hung.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from rtoc.net import Client
from rtoc.testing.installed import rtoc_command, run_rtoc
from rtoc.testing.waiting import wait_until

HANGS = "sum(iter(int, 1))"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def configure(home: Path, port: int) -> None:
    config = {
        "tcp": {"active": True, "port": port},
        "global": {"hangLimit": 1, "globalEventsActivated": True},
    }
    (home / "config.json").write_text(json.dumps(config), encoding="utf-8")


def start(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        rtoc_command(home, "run"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def ended(process: subprocess.Popen[str], seconds: float) -> int:
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"rtoc run did not end within {seconds} s of the hang")


@pytest.mark.timeout(60)
def test_run_script_that_never_returns_ends_the_process_with_its_traceback(home):
    port = free_port()
    configure(home, port)
    process = start(home)
    client = wait_until(lambda: _connected(port), 15, "the TCP server")
    try:
        with pytest.raises(OSError):  # no answer: the process is gone first
            client.request(logger={"runScript": {"script": HANGS, "timeout": 3}})
        sent = time.monotonic()
        assert ended(process, 10) == 1
        assert time.monotonic() - sent < 5  # the 1 s limit, re-armed every 0.25 s
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
    report = (home / "hang.log").read_text()
    assert report.startswith("Timeout (0:00:01)!")
    assert 'File "<script remote>", line 1 in <module>' in report


@pytest.mark.timeout(60)
def test_a_condition_that_hangs_is_switched_off_at_the_restart(home):
    port = free_port()
    configure(home, port)
    events = {"stuck": {"cond": f"clock > 0 and {HANGS}", "id": "stuck"}}
    (home / "globalEvents.json").write_text(json.dumps(events), encoding="utf-8")
    first = start(home)  # conditions that read no signal are evaluated at once
    assert ended(first, 20) == 1
    assert 'File "<condition stuck>", line 1' in (home / "hang.log").read_text()

    again = run_rtoc(home, "run", "--duration", "1.5", timeout=30)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        "The previous run hung (no Python ran for global.hangLimit seconds) and was ended; "
        f"every thread's traceback is in {home / 'hang.log.old'}. Switched off until you turn "
        "them on again: global event stuck (line 1 was running)."
    ) in again.stdout
    assert json.loads((home / "globalEvents.json").read_text())["stuck"]["active"] is False
    assert not (home / "hang.log").exists()  # a run that ends cleanly leaves no report


def _connected(port: int) -> Client | None:
    try:
        return Client("127.0.0.1", port, timeout=10)
    except OSError:
        return None
