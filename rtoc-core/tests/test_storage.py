"""The storage contract for the built-in backends, and SQLite's failures for real."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rtoc.events import Event
from rtoc.storage.base import SampleBatch, SignalInfo, StorageError
from rtoc.storage.buckets import bucket_samples
from rtoc.storage.memory import MemoryStorage, open_memory
from rtoc.storage.sqlite import SQLiteStorage, open_sqlite
from rtoc.testing.storage_contract import (
    T0,
    StorageContract,
    assert_buckets,
    assert_samples,
    ramp,
)


class TestMemory(StorageContract):
    @pytest.fixture
    def storage(self) -> Iterator[MemoryStorage]:
        store = MemoryStorage()
        yield store
        store.close()


class TestSQLite(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SQLiteStorage]:
        store = SQLiteStorage(tmp_path / "x.sqlite")
        yield store
        store.close()

    def reopen(self, storage: SQLiteStorage) -> SQLiteStorage:  # type: ignore[override]
        storage.close()
        return SQLiteStorage(storage.path)


def batch(name: str, start: int, stop: int) -> SampleBatch:
    return SampleBatch("d", name, *ramp(start, stop))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "rtoc.sqlite"


def test_sqlite_creates_parent_directories_and_uses_wal(path: Path) -> None:
    store = SQLiteStorage(path)
    store.close()
    assert path.is_file()
    probe = sqlite3.connect(path)
    try:
        assert probe.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert probe.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            "2",
        )
    finally:
        probe.close()


def test_sqlite_locked_file_fails_within_timeout_then_recovers(path: Path) -> None:
    store = SQLiteStorage(path, timeout=0.2)
    store.append_samples([batch("s", 0, 10)])
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        began = time.monotonic()
        with pytest.raises(StorageError, match="locked") as failure:
            store.append_samples([batch("s", 10, 20), batch("t", 0, 5)])
        assert time.monotonic() - began < 2
        assert str(path) in str(failure.value)
        assert_samples(store.read("d", "s"), *ramp(0, 10))  # readers are not blocked by WAL
        other.execute("ROLLBACK")
    finally:
        other.close()
    store.append_samples([batch("s", 10, 20), batch("t", 0, 5)])
    assert_samples(store.read("d", "s"), *ramp(0, 20))
    assert_samples(store.read("d", "t"), *ramp(0, 5))
    store.close()


def test_sqlite_full_disk_keeps_what_was_stored(path: Path) -> None:
    store = SQLiteStorage(path, max_pages=40)  # 160 KiB with 4 KiB pages
    store.append_samples([batch("s", 0, 1000)])
    store.append_events([Event(text="before", time=T0, uid="e1")])
    with pytest.raises(StorageError, match="full") as failure:
        # the new signal fits, the big batch does not: neither may stay
        store.append_samples([batch("new", 0, 10), batch("s", 1000, 100_000)])
    assert str(path) in str(failure.value)
    assert_samples(store.read("d", "s"), *ramp(0, 1000))
    assert_samples(store.read("d", "new"), [], [])
    assert store.signals() == [SignalInfo("d", "s", "", 1000, T0, T0 + 99.9)]
    store.append_samples([batch("s", 1000, 1010)])  # what fits is written afterwards
    assert_samples(store.read("d", "s"), *ramp(0, 1010))
    assert [event.text for event in store.events()] == ["before"]
    store.close()


def test_sqlite_write_failing_halfway_leaves_nothing_of_the_call(path: Path) -> None:
    store = SQLiteStorage(path)
    store.append_samples([batch("s", 0, 10)])
    unbindable = SampleBatch(("not", "a", "str"), "n", *ramp(0, 3))  # type: ignore[arg-type]
    with pytest.raises(StorageError, match=re.escape(f"cannot write to {path}")):
        # SQLite rolls back by itself on a full disk, not on this: rtoc must
        store.append_samples([batch("s", 10, 20), batch("new", 0, 5), unbindable])
    assert_samples(store.read("d", "s"), *ramp(0, 10))
    assert [info.key for info in store.signals()] == [("d", "s")]
    store.append_samples([batch("new", 0, 5)])  # the cached ids were forgotten
    assert_samples(store.read("d", "new"), *ramp(0, 5))
    store.close()


def test_sqlite_rejects_a_file_that_is_not_a_database(path: Path) -> None:
    path.parent.mkdir()
    path.write_bytes(b"this is no SQLite database\n" * 200)
    with pytest.raises(StorageError, match="not a database") as failure:
        SQLiteStorage(path)
    assert str(path) in str(failure.value)


def test_sqlite_rejects_a_newer_schema(path: Path) -> None:
    SQLiteStorage(path).close()
    other = sqlite3.connect(path)
    with other:
        other.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    other.close()
    with pytest.raises(StorageError, match="schema version 3") as failure:
        SQLiteStorage(path)
    assert str(path) in str(failure.value)


def test_sqlite_reports_reads_and_writes_after_close(path: Path) -> None:
    store = SQLiteStorage(path)
    store.close()
    with pytest.raises(StorageError, match=re.escape(f"cannot read from {path}")):
        store.read("d", "s")
    with pytest.raises(StorageError, match=re.escape(f"cannot write to {path}")):
        store.append_samples([batch("s", 0, 1)])


def test_sqlite_splits_huge_batches_into_chunks(path: Path) -> None:
    store = SQLiteStorage(path)
    store.append_samples([batch("s", 0, 300_000)])
    store.close()
    probe = sqlite3.connect(path)
    try:
        counts = [row[0] for row in probe.execute("SELECT count FROM chunks ORDER BY seq")]
    finally:
        probe.close()
    assert counts == [131_072, 131_072, 37_856]


def test_sqlite_range_reads_only_overlapping_chunks(path: Path) -> None:
    store = SQLiteStorage(path)
    for index in range(100):
        store.append_samples([batch("s", index * 10, index * 10 + 10)])
    x, y = ramp(0, 1000)
    trace: list[str] = []
    store._db.set_trace_callback(trace.append)  # see which chunks SQLite is asked for
    assert_samples(store.read("d", "s", x[995], None), x[995:], y[995:])
    assert_samples(store.read("d", "s", x[3], x[12]), x[3:13], y[3:13])
    store.close()
    assert any("INDEXED BY chunks_by_end" in line for line in trace)
    assert any("INDEXED BY chunks_by_start" in line for line in trace)


def logged(store: MemoryStorage | SQLiteStorage, count: int, batches: int) -> tuple:
    """``count`` samples of a random walk, appended in ``batches`` batches."""
    x, _ = ramp(0, count)
    y = np.cumsum(np.random.default_rng(3).normal(size=count))
    for part in np.array_split(np.arange(count), batches):
        store.append_samples([SampleBatch("d", "s", x[part], y[part])])
    return x, y


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_buckets_are_the_equal_grid_of_the_raw_samples(backend: str, path: Path) -> None:
    store = MemoryStorage() if backend == "memory" else SQLiteStorage(path)
    x, y = logged(store, 50_000, 37)
    for start, end, count in ((x[0], x[-1], 640), (x[777] + 0.03, x[4321], 99)):
        found = store.read_buckets("d", "s", start, end, count)
        want = bucket_samples(x, y, start, end, count)
        for field in ("bucket_start", "bucket_stop", "count", "minimum", "maximum", "first"):
            np.testing.assert_array_equal(getattr(found, field), getattr(want, field))
        for field in ("last", "x_of_min", "x_of_max"):  # no ties in a random walk
            np.testing.assert_array_equal(getattr(found, field), getattr(want, field))
    store.close()


def test_sqlite_buckets_read_raw_only_blocks_at_bucket_edges(path: Path) -> None:
    store = SQLiteStorage(path)
    x, y = logged(store, 400_000, 40)
    raw: list[int] = []
    read_raw = store._raw_blocks

    def counted(db: sqlite3.Connection, blocks: list) -> object:
        raw.append(len(blocks))
        return read_raw(db, blocks)

    store._raw_blocks = counted  # type: ignore[method-assign]
    found = store.read_buckets("d", "s", x[0], x[-1], 100)
    assert_buckets(found, x, y, x[0], x[-1], 100)
    (blocks,) = raw
    assert 0 < blocks <= 99  # at most one per inner edge, of 1,580 blocks
    store.close()


def test_sqlite_migrates_a_version_1_file(path: Path) -> None:
    store = SQLiteStorage(path)
    x, y = logged(store, 20_000, 7)
    store.close()
    old = sqlite3.connect(path)  # a version 1 file: the same but for the block summaries
    with old:
        old.execute("DROP TABLE chunk_blocks")
        old.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    old.close()
    store = SQLiteStorage(path)
    assert_buckets(store.read_buckets("d", "s", x[0], x[-1], 30), x, y, x[0], x[-1], 30)
    (version,) = store._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    (summarized,) = store._db.execute("SELECT count(*) FROM chunk_blocks").fetchone()
    assert (version, summarized) == ("2", 7)
    store.close()


def test_open_sqlite_puts_the_file_in_backup_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cases = {"": home, "logs": home / "logs", str(tmp_path / "abs"): tmp_path / "abs"}
    for configured, directory in cases.items():
        store = open_sqlite(SimpleNamespace(backup=SimpleNamespace(path=configured)), home)
        store.close()
        assert store.location == str(directory / "rtoc.sqlite")
        assert (directory / "rtoc.sqlite").is_file()


def test_open_sqlite_expands_the_user_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    store = open_sqlite(SimpleNamespace(backup=SimpleNamespace(path="~/rtoc")), tmp_path)
    store.close()
    assert store.path == tmp_path / "user" / "rtoc" / "rtoc.sqlite"


def test_open_memory() -> None:
    store = open_memory(SimpleNamespace(backup=SimpleNamespace(path="")), Path("/nowhere"))
    assert isinstance(store, MemoryStorage)
    assert store.location == "memory"
    store.append_samples([batch("s", 0, 3)])
    assert_samples(store.read_last("d", "s", 2), *ramp(1, 3))
    assert np.all(store.read("d", "s").y == [0, 1, 2])
