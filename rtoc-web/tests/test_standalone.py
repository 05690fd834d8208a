"""``rtoc web`` standalone beside running loggers, all real subprocesses (issue 13).

On SQLite, ``rtoc web`` reads the file a running ``rtoc run`` writes in the
same home (it must not need the home lock the logger holds); on PostgreSQL,
one dashboard shows what two loggers in two homes write into one database.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import open_tab, select_signal, wait_for_traces
from test_plugin import free_port

from rtoc.testing.installed import rtoc_command
from rtoc.testing.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


class Running:
    """A subprocess whose output is collected by a thread, so it never blocks on a pipe."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        self.lines.extend(self.process.stdout)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def said(self, text: str) -> bool:
        """Whether the process printed ``text``; fails at once when it ended instead."""
        if any(text in line for line in self.lines):
            return True
        assert self.process.poll() is None, f"ended ({self.process.returncode}):\n{self.output}"
        return False

    def stop(self) -> int:
        """SIGINT, as Ctrl-C; the exit code (killed after 30 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        return self.process.returncode


@contextlib.contextmanager
def running(home: Path, *args: str, ready: str) -> Iterator[Running]:
    """``rtoc --home HOME ARGS`` until the block ends; entered once it printed ``ready``."""
    process = Running(rtoc_command(home, *args))
    try:
        wait_until(lambda: process.said(ready), 30, f"{' '.join(args)}: {ready!r}", poll=0.05)
        yield process
    finally:
        code = process.stop()
    assert code == 0, process.output


def write_config(home: Path, config: dict[str, Any]) -> None:
    home.mkdir(exist_ok=True)
    (home / "config.json").write_text(json.dumps(config), encoding="utf-8")


def signal_options(url: str) -> list[str]:
    """The labels of the plot page's signal dropdown, through Dash's callback route."""
    body = {
        "output": "plot-signals.options",
        "outputs": {"id": "plot-signals", "property": "options"},
        "inputs": [{"id": "clock", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["clock.n_intervals"],
        "state": [{"id": "plot-signals", "property": "options", "value": []}],
    }
    request = urllib.request.Request(
        f"{url}_dash-update-component",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        response = json.load(answer)
    return [option["label"] for option in response["response"]["plot-signals"]["options"]]


def test_rtoc_web_shows_samples_as_a_running_rtoc_run_stores_them(tmp_path: Path, page) -> None:
    home = tmp_path / "home"
    write_config(home, {"web": {"plotRate": 4}})
    port = free_port()
    with running(home, "run", "--device", "Generator", ready="Press Ctrl-C"):
        wait_until(lambda: (home / "rtoc.sqlite").exists(), 15, "the logger's SQLite file")
        with running(home, "web", "--port", str(port), ready=f"127.0.0.1:{port}"):
            page.goto(f"http://127.0.0.1:{port}/")
            select_signal(page, "Generator.Sine [V]")
            first = wait_for_traces(page, "ts[0].n > 0")[0]
            newest = max(first["x"])
            grown = wait_for_traces(page, "ts[0].x[ts[0].x.length - 1] > arg", newest)[0]
            assert grown["n"] > first["n"]  # new samples, not a shifted window of the same
            open_tab(page, "Devices")
            reason = page.locator("#devices-no-control")
            reason.filter(has_text="Devices cannot be controlled here").wait_for()
            assert "no logger runs here" in reason.inner_text()
            open_tab(page, "Automation")
            automation = page.locator("#page-automation")
            automation.filter(has_text="no logger runs here").wait_for()
            assert page.locator('[id*="rule-active"]').count() == 0


@pytest.fixture
def database() -> Iterator[dict[str, Any]]:
    """A database of this test alone on the server at 127.0.0.1:5432, dropped after it."""
    reason = ""
    try:
        import psycopg2
    except ImportError:
        reason = "rtoc-postgres (psycopg2) is not installed"
    else:
        try:
            admin = psycopg2.connect(connect_timeout=3, **POSTGRES)
        except psycopg2.OperationalError as error:
            reason = f"no PostgreSQL server at 127.0.0.1:5432: {str(error).strip()}"
    if reason:
        if os.environ.get("RTOC_REQUIRE_SERVICES"):
            pytest.fail(f"{reason} (RTOC_REQUIRE_SERVICES is set)")
        pytest.skip(reason)
    admin.autocommit = True
    name = f"rtoc_web_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"host": POSTGRES["host"], "port": POSTGRES["port"], "database": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_one_dashboard_on_postgresql_lists_the_signals_of_two_loggers(
    tmp_path: Path, database: dict[str, Any]
) -> None:
    postgresql = {"active": True, **database}
    lab, greenhouse, site = tmp_path / "lab", tmp_path / "greenhouse", tmp_path / "site"
    for home in (lab, greenhouse, site):
        write_config(home, {"postgresql": postgresql})
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with (
        running(lab, "run", "--device", "Generator", ready="Press Ctrl-C"),
        running(greenhouse, "run", "--device", "System", ready="Press Ctrl-C"),
        running(site, "web", "--port", str(port), ready=f"127.0.0.1:{port}"),
    ):
        wanted = {"Generator.Sine [V]", "System.CPU [%]"}  # one signal of each logger
        wait_until(lambda: wanted <= set(signal_options(url)), 30, f"{wanted} listed", poll=0.5)
        layout = urllib.request.urlopen(f"{url}_dash-layout", timeout=10).read().decode()
        assert "Devices cannot be controlled here" in layout
