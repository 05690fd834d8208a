"""``rtoc run`` with ``postgresql.active``: a user's whole path, in subprocesses."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import psycopg2
import pytest

from rtoc.config import load_config
from rtoc.plugins import PluginRegistry
from rtoc.storage.view import open_view
from rtoc.testing.installed import run_rtoc
from rtoc.testing.waiting import wait_until
from rtoc_postgres.plugin import SPOOL_FILE
from rtoc_postgres.spool import Spool
from rtoc_postgres.spooled import SpooledStorage
from rtoc_postgres.storage import PostgresStorage


@pytest.mark.timeout(120)
def test_rtoc_run_records_into_postgresql_and_loads_back(database, tmp_path):
    home = tmp_path / "home"
    for key, value in [
        ("postgresql.active", "true"),
        ("postgresql.database", database["dbname"]),
        ("postgresql.host", database["host"]),
        ("postgresql.port", str(database["port"])),
    ]:
        assert run_rtoc(home, "config", "set", key, value).returncode == 0
    first = run_rtoc(home, "run", "--device", "Generator", "--duration", "1.5")
    assert first.returncode == 0, first.stderr
    where = f"postgresql://postgres@127.0.0.1:{database['port']}/{database['dbname']} (schema rtoc)"
    assert f"Recording to {where} (postgresql)." in first.stdout
    assert "everything stored" in first.stdout

    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT signal, count(*) FROM rtoc.readings WHERE device = 'Generator' GROUP BY signal"
        )
        counts = dict(cursor.fetchall())
    assert set(counts) == {"Sine", "Square", "Wave"} and min(counts.values()) >= 10

    second = run_rtoc(home, "run", "--duration", "0.2")
    assert second.returncode == 0, second.stderr
    assert "Loaded 3 signals" in second.stdout


def test_wrong_postgresql_settings_are_named_by_config(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text(json.dumps({"postgresql": {"spoolKeep": "all"}}))
    result = run_rtoc(home, "run", "--duration", "0.1")
    assert result.returncode != 0
    assert "postgresql.spoolKeep" in result.stderr + result.stdout


@pytest.mark.timeout(120)
def test_two_loggers_share_one_database_and_it_reads_with_none_running(database, tmp_path):
    """Two machines' loggers (here: two homes, two processes at once) under their own
    device names; then a reader, as the dashboard will be, with no logger running."""
    homes = [tmp_path / "lab", tmp_path / "greenhouse"]
    settings = {"active": True, **{k: database[k] for k in ("host", "port")}}
    settings["database"] = database["dbname"]
    for home in homes:
        home.mkdir()
        (home / "config.json").write_text(json.dumps({"postgresql": settings}))
    command = [sys.executable, "-m", "rtoc", "--home"]
    runs = [
        subprocess.Popen(
            [*command, str(home), "run", "--device", device, "--duration", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for home, device in zip(homes, ["Generator", "System"], strict=True)
    ]
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0 and "everything stored" in out, err

    # what rtoc web standalone opens: the configured storage's reader, no logger
    registry = PluginRegistry.load(homes[0])
    config = load_config(homes[0], registry.config_sections())
    with open_view(config, homes[0], registry) as view:
        assert "stored data only" in view.control_unavailable
        devices = {info.device for info in view.signal_infos()}
        assert {"Generator", "System"} <= devices
        x, y, _ = view.read("Generator", "Sine")
        assert len(x) >= 10 and np.all(np.diff(x) > 0) and np.all(np.abs(y) <= 1.0)
        cpu = next(info for info in view.signal_infos() if info.device == "System")
        assert view.read("System", cpu.name, last=1).x.size == 1
        assert {key[0] for key in view.latest()} >= {"Generator", "System"}
        buckets = view.read_buckets("Generator", "Sine", x[0], x[-1], 4)
        assert int(buckets.count.sum()) == len(x)


def _count(database: dict) -> int:
    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('rtoc.samples') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT count(*) FROM rtoc.samples")
        return cursor.fetchone()[0]


def _home_through(proxy, database: dict, home, **settings) -> None:
    home.mkdir()
    section = {"active": True, "host": "127.0.0.1", "port": proxy.port, **settings}
    section["database"] = database["dbname"]
    (home / "config.json").write_text(json.dumps({"postgresql": section}))


@pytest.mark.timeout(90)
def test_sigterm_during_a_stalled_database_stops_soon_and_keeps_everything(
    own_database, proxy, tmp_path
):
    """The database stops answering mid-run (the connection stays open); SIGTERM
    ends rtoc within a few postgresql.timeout, and what it did not store is in the
    spool, from where it reaches the database once it answers again."""
    home = tmp_path / "home"
    _home_through(proxy, own_database, home, timeout=1)
    run = subprocess.Popen(
        [sys.executable, "-m", "rtoc", "--home", str(home), "run", "--device", "Generator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: _count(own_database) > 0, 20, "samples in the database")
        proxy.stall()
        time.sleep(1.5)  # a write or two now waits for an answer that never comes
        stopping = time.monotonic()
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=30)
        took = time.monotonic() - stopping
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, err
    assert took < 9, f"stopping took {took:.1f} s"  # three waits of 1-2 s at most
    assert "no answer within 1 s (postgresql.timeout)" in err
    written = int(re.search(r"Stopped: (\d+) samples", out).group(1))
    spool = Spool(home / SPOOL_FILE, 1_000_000)
    try:
        assert spool.samples > 0 and f"{spool.samples} samples stay in" in err
    finally:
        spool.close()

    proxy.flow()
    settings = {**own_database, "port": proxy.port}
    storage = SpooledStorage(
        lambda: PostgresStorage(settings), Spool(home / SPOOL_FILE, 1_000_000), "replay"
    )
    wait_until(lambda: storage.backlog == 0, 15, "the spool to be replayed")
    storage.close()
    assert _count(own_database) == written  # each sample once


@pytest.mark.timeout(90)
def test_rtoc_run_starts_while_the_database_is_down_and_loads_once_it_is_back(
    own_database, proxy, tmp_path
):
    """The README's promise, with the default backup.loadOnOpen: rtoc run starts and
    records into the spool, loads what was stored once the database answers, and
    stores nothing twice."""
    home = tmp_path / "home"
    _home_through(proxy, own_database, home)
    first = run_rtoc(home, "run", "--device", "Generator", "--duration", "1.5")
    assert first.returncode == 0, first.stderr
    earlier = int(re.search(r"Stopped: (\d+) samples", first.stdout).group(1))
    assert _count(own_database) == earlier > 0

    proxy.cut()
    run = subprocess.Popen(
        [sys.executable, "-m", "rtoc", "--home", str(home), "run", "--device", "Generator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(run.stderr), daemon=True)
    reader.start()
    try:
        wait_until(
            lambda: (
                any("stored data not loaded yet" in line for line in lines)
                or run.poll() is not None
            ),
            20,
            "rtoc to start without the database",
        )
        assert run.poll() is None, "".join(lines)
        time.sleep(1)  # records into the spool meanwhile
        proxy.restore()
        wait_until(
            lambda: any("stored samples and" in line for line in lines),
            20,
            "the stored data to be loaded",
        )
        run.send_signal(signal.SIGTERM)
        out, _ = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    reader.join(5)
    assert run.returncode == 0, "".join(lines)
    loaded = next(line for line in lines if "stored samples and" in line)
    assert f"loaded {earlier} stored samples" in loaded
    written = int(re.search(r"Stopped: (\d+) samples", out).group(1))
    assert "everything stored" in out
    wait_until(lambda: _count(own_database) == earlier + written, 5, "each sample once")
