"""The embedded default backend: one SQLite file in WAL mode.

Samples are stored in chunks, one row per appended batch per signal, with
``x`` and ``y`` as float64 little-endian blobs. A row costs a few B-tree
inserts however many samples it holds, which is what lets Python write
millions of samples a second. Each chunk row keeps its smallest and largest
timestamp, indexed, so a time range reads only the chunks that overlap it, and
"the last N" reads chunks newest-first until it has N. Batches longer than
:data:`MAX_CHUNK` samples are split, so that reading a short range out of a
huge import does not load all of it. Each signal row keeps its sample count
and time span up to date, so listing signals never scans chunks.

Schema (``meta.schema_version`` = 2)::

    meta(key, value)
    signals(id, device, name, unit, count, x_min, x_max)    unique (device, name)
    chunks(seq, signal_id, count, x_min, x_max, x, y)
    chunk_blocks(seq, stats)                                 (version 2)
    events(uid, time, text, device, signal, priority, id, value)

``chunk_blocks.stats`` summarises each block of :data:`BLOCK` samples of a
chunk (count, min, max, first and last x, x of min and max; see
:func:`rtoc.storage.buckets.summarize_blocks`), written with the chunk, so
that :meth:`SQLiteStorage.read_buckets` reads O(samples / BLOCK) summaries and
the raw samples of only the blocks that straddle a bucket edge. It is a table
of its own because SQLite stores a row's columns in order: behind the 1 MiB
blobs, a summary would cost reading them. A version 1 file gets its summaries
computed once, when this rtoc first opens it.

``x_min``/``x_max`` ignore NaN timestamps and are NULL when there are only
NaN ones (SQLite has no NaN), so such chunks match no bounded range, just as
NaN fails ``start <= x``. For the same reason an event value of NaN reads
back as None.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rtoc.events import Event
from rtoc.signals import Samples, SignalKey, between, empty_samples, in_range
from rtoc.storage.base import (
    EVENT_COLUMNS,
    AlreadyStored,
    SampleBatch,
    SignalInfo,
    StorageError,
    batch_arrays,
    event_from_row,
    event_row,
    taken,
    time_bounds,
)
from rtoc.storage.buckets import (
    BLOCK_FIELDS,
    Buckets,
    Grid,
    Summaries,
    UnknownSignal,
    block_summaries,
    check_range,
    merge,
    summarize_blocks,
)
from rtoc.storage.resample import bin_means, in_period, thinned

if TYPE_CHECKING:
    from rtoc.config import Config

SCHEMA_VERSION = 2

#: Samples per block summary: a bucketed read reads at most this many raw
#: samples per bucket edge (for samples logged in time order).
BLOCK = 256

#: The most samples one chunk row holds (1 MiB per blob).
MAX_CHUNK = 1 << 17

FILE_NAME = "rtoc.sqlite"

_BLOB = np.dtype("<f8")

#: An event with this uid, or one whose text names it (an import's record that
#: reached a logger over TCP, which keeps the text but gives the event its own uid).
_NAMED = "SELECT 1 FROM events WHERE uid = ? OR instr(text, ?) > 0 LIMIT 1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 0,
    x_min REAL,
    x_max REAL,
    UNIQUE (device, name)
);
CREATE TABLE IF NOT EXISTS chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    x_min REAL,
    x_max REAL,
    x BLOB NOT NULL,
    y BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_signal ON chunks (signal_id);
CREATE INDEX IF NOT EXISTS chunks_by_end ON chunks (signal_id, x_max, x_min);
CREATE INDEX IF NOT EXISTS chunks_by_start ON chunks (signal_id, x_min, x_max);
CREATE TABLE IF NOT EXISTS chunk_blocks (
    seq INTEGER PRIMARY KEY,
    stats BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    uid TEXT PRIMARY KEY,
    time REAL NOT NULL,
    text TEXT NOT NULL,
    device TEXT NOT NULL,
    signal TEXT NOT NULL,
    priority INTEGER NOT NULL,
    id TEXT NOT NULL,
    value REAL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (time);
"""

# A batch adds to its signal's count and time span; a non-empty unit replaces
# the stored one. (SQLite's two-argument min/max return NULL if either is NULL.)
_UPDATE_SIGNAL = """
UPDATE signals SET
    count = count + :count,
    x_min = coalesce(min(x_min, :low), x_min, :low),
    x_max = coalesce(max(x_max, :high), x_max, :high),
    unit = coalesce(nullif(:unit, ''), unit)
WHERE id = :id
"""


class SQLiteStorage:
    """Samples and events in one SQLite file.

    One connection serves a writer thread and reader threads; a lock
    serialises every use of it. ``timeout`` is how long a write waits for a
    lock held by another connection before it fails. ``max_pages`` caps the
    file at that many pages (``PRAGMA max_page_count``): writes past it fail
    as on a full disk.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        timeout: float = 5.0,
        max_pages: int | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._lock = threading.Lock()
        #: (device, name) -> id in the signals table
        self._ids: dict[SignalKey, int] = {}
        if read_only and not self.path.is_file():
            raise StorageError(f"cannot read {self.location}: no such file (nothing stored yet?)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(
                f"cannot create {self.path.parent}: {error.strerror or error}"
            ) from error
        try:
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro" if read_only else self.path,
                timeout=timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=read_only,
            )
        except sqlite3.Error as error:
            raise StorageError(f"cannot open {self.location}: {error}") from error
        try:
            if read_only:
                self._check_version()
            else:
                self._prepare(max_pages)
        except sqlite3.Error as error:
            self._db.close()
            raise StorageError(f"cannot open {self.location}: {error}") from error
        except StorageError:
            self._db.close()
            raise

    def _prepare(self, max_pages: int | None) -> None:
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if max_pages is not None:
            db.execute(f"PRAGMA max_page_count={int(max_pages)}")
        db.execute("BEGIN IMMEDIATE")
        try:  # executescript() would commit: run the statements one by one
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            (version,) = db.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            if version == "1":
                _summarize_chunks(db)
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                    (str(SCHEMA_VERSION),),
                )
            elif version != str(SCHEMA_VERSION):
                raise StorageError(
                    f"cannot open {self.location}: it has schema version {version}, "
                    f"this rtoc reads version {SCHEMA_VERSION}"
                )
            db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _check_version(self) -> None:
        """A read-only connection changes nothing: the file must be of this schema already."""
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.Error as error:
            raise StorageError(f"cannot read {self.location}: {error}") from error
        if row is None or row[0] != str(SCHEMA_VERSION):
            found = "no schema version" if row is None else f"schema version {row[0]}"
            raise StorageError(
                f"cannot read {self.location}: it has {found}, this rtoc reads version "
                f"{SCHEMA_VERSION} (run rtoc once on it to upgrade)"
            )

    # -- transactions ----------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole, or rolled back and StorageError."""
        with self._lock, self._transaction() as db:
            yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``_writing`` with ``self._lock`` held by the caller."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        except sqlite3.Error as error:
            raise StorageError(f"cannot write to {self.location}: {error}") from error

    @contextmanager
    def _written_once(self) -> Iterator[None]:
        """A rollback journal instead of the WAL for one big transaction, when this is the
        only connection to the file (``self._lock`` held by the caller).

        In WAL mode every page is written twice, into the WAL and then by the
        checkpoint into the file; a rollback journal keeps only the pages
        that change, and an import adds pages, so its samples are written
        once (``bench/bench_io.py --compare-wal``: a Parquet file of 10 M
        samples imported in 0.9 s instead of 1.4 s, issue 14). While
        another connection has the file open, SQLite refuses to leave WAL
        mode, and the transaction runs in WAL mode as any other.
        ``synchronous=FULL`` meanwhile: in rollback mode NORMAL is not safe
        from a power cut. A crash leaves the file in rollback mode with a hot
        journal, which the next open rolls back before it sets WAL again.
        """
        db = self._db
        try:
            switched = db.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
        except sqlite3.OperationalError:  # database is locked: someone else has it open
            switched = False
        if switched:
            db.execute("PRAGMA synchronous=FULL")
        try:
            yield
        finally:
            if switched:
                with suppress(sqlite3.Error):  # else it stays in rollback mode until reopened
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as error:
                raise StorageError(f"cannot read from {self.location}: {error}") from error

    def _rollback(self) -> None:
        # signal rows inserted in the failed transaction are gone again
        self._ids.clear()
        # SQLite rolls back by itself on some errors (a full disk, for one)
        if self._db.in_transaction:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    # -- samples ---------------------------------------------------------------

    def append_samples(self, batches: Sequence[SampleBatch]) -> None:
        arrays = [batch_arrays(batch) for batch in batches]
        pending = [(batch, x, y) for batch, (x, y) in zip(batches, arrays, strict=True) if len(x)]
        if not pending:
            return
        with self._writing() as db:
            for batch, x, y in pending:
                self._append(db, batch, x, y)

    def _append(
        self, db: sqlite3.Connection, batch: SampleBatch, x: np.ndarray, y: np.ndarray
    ) -> None:
        signal_id = self._signal_id(db, batch.key)
        for start in range(0, len(x), MAX_CHUNK):
            stop = start + MAX_CHUNK
            _insert_chunk(db, signal_id, x[start:stop], y[start:stop])
        low, high = time_bounds(x)
        db.execute(
            _UPDATE_SIGNAL,
            {"count": len(x), "low": low, "high": high, "unit": batch.unit, "id": signal_id},
        )

    def append_atomically(
        self,
        batches: Iterable[SampleBatch],
        finish: Callable[[], tuple[Sequence[Event], str | None]],
    ) -> None:
        """Store every batch ``batches`` yields, then the events ``finish()`` returns, in one
        transaction: if iterating raises, or ``finish`` names a uid (its second value) of
        an event stored already, or named in a stored event's text
        (:class:`AlreadyStored`), nothing is stored.

        For an import of a large file (:mod:`rtoc.io.ingest`): the batches
        are written as they are read, through a rollback journal when nobody
        else has the file open (:meth:`_written_once`). Readers wait meanwhile.
        """
        with self._lock, self._written_once(), self._transaction() as db:
            for batch in batches:
                x, y = batch_arrays(batch)
                if len(x):
                    self._append(db, batch, x, y)
            events, once = finish()
            if once and db.execute(_NAMED, (once, once)).fetchone():
                raise AlreadyStored(f"an event {once} is stored already")
            db.executemany(
                f"INSERT OR IGNORE INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [event_row(event) for event in events],
            )

    def _signal_id(self, db: sqlite3.Connection, key: SignalKey) -> int:
        """The id of the signal ``key``, inserting its row when it is new.

        The id is cached at once: if the transaction fails, the rollback
        empties the cache.
        """
        signal_id = self._ids.get(key)
        if signal_id is None:
            row = db.execute("SELECT id FROM signals WHERE device = ? AND name = ?", key).fetchone()
            if row is None:  # (no RETURNING: Raspberry Pi OS 11 ships SQLite 3.34)
                signal_id = db.execute(
                    "INSERT INTO signals (device, name) VALUES (?, ?)", key
                ).lastrowid
            else:
                signal_id = row[0]
            self._ids[key] = signal_id
        return signal_id

    def read(
        self, device: str, name: str, start: float | None = None, end: float | None = None
    ) -> Samples:
        with self._reading() as db:
            signal = _signal_row(db, device, name)
            if signal is None:
                return empty_samples()
            query = _range_query(*signal, start, end)
            rows = [] if query is None else db.execute(*query).fetchall()
        rows.sort(key=lambda row: row[0])  # insertion order
        x, y = _join([(x, y) for _, x, y in rows])
        return between(x, y, start, end)

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        """At most ``buckets`` equal buckets of ``start..end`` (see :mod:`rtoc.storage.buckets`).

        Exact, from the block summaries: a block whose samples all fall into
        one bucket adds its summary; a block that straddles a bucket edge (or
        the range's ends) is read raw, only its own bytes of the chunk's blobs
        (incremental blob I/O on Python 3.11+, whole chunks on 3.10). For a
        signal logged in time order that is at most one block per edge, so a
        full-range view of 10 M samples reads 40 k summaries and about
        ``buckets`` x :data:`BLOCK` raw samples, not 10 M.
        """
        start, end, buckets = check_range(start, end, buckets)
        grid = Grid(start, end, buckets)
        with self._reading() as db:
            signal = _signal_row(db, device, name)
            if signal is None:
                raise UnknownSignal(device, name)
            query = _range_query(
                *signal,
                start,
                end,
                select="seq, count, stats",
                join="JOIN chunk_blocks USING (seq)",
            )
            rows = [] if query is None else db.execute(*query).fetchall()
            if not rows:
                return Buckets.empty()
            tables = [
                np.frombuffer(stats, dtype=_BLOB).reshape(-1, BLOCK_FIELDS) for *_, stats in rows
            ]
            blocks = np.concatenate(tables).astype(np.float64)
            sizes = [len(table) for table in tables]
            chunk = np.repeat(np.arange(len(rows)), sizes)
            number = np.concatenate([np.arange(size) for size in sizes])
            count, first, last = blocks[:, 0], blocks[:, 3], blocks[:, 4]
            live = (count > 0) & (last >= start) & (first <= end)
            whole = live & (first >= start) & (last <= end)
            whole[whole] = grid.index(first[whole]) == grid.index(last[whole])
            straddling = np.flatnonzero(live & ~whole)
            x, y = self._raw_blocks(
                db,
                [(rows[chunk[at]][0], rows[chunk[at]][1], int(number[at])) for at in straddling],
            )
        inside = (x >= start) & (x <= end)
        summaries = Summaries.joined(
            [block_summaries(blocks[whole]), Summaries.of_samples(x[inside], y[inside])]
        )
        return merge(summaries, grid.index(summaries.first), grid)

    def _raw_blocks(
        self, db: sqlite3.Connection, blocks: Sequence[tuple[int, int, int]]
    ) -> Samples:
        """The samples of blocks given as (chunk seq, chunk count, block number)."""
        parts: list[tuple[bytes, bytes]] = []
        by_chunk: dict[tuple[int, int], list[int]] = {}
        for seq, count, number in blocks:
            by_chunk.setdefault((seq, count), []).append(number)
        for (seq, count), numbers in by_chunk.items():
            spans = [
                (
                    number * BLOCK * _BLOB.itemsize,
                    min(BLOCK, count - number * BLOCK) * _BLOB.itemsize,
                )
                for number in numbers
            ]
            if hasattr(db, "blobopen"):  # Python 3.11+: read only these bytes
                with (
                    db.blobopen("chunks", "x", seq, readonly=True) as x,
                    db.blobopen("chunks", "y", seq, readonly=True) as y,
                ):
                    for offset, length in spans:
                        x.seek(offset)
                        y.seek(offset)
                        parts.append((x.read(length), y.read(length)))
            else:
                x, y = db.execute("SELECT x, y FROM chunks WHERE seq = ?", (seq,)).fetchone()
                parts.extend((x[o : o + n], y[o : o + n]) for o, n in spans)
        return _join(parts)

    def read_last(self, device: str, name: str, count: int) -> Samples:
        if count <= 0:
            return empty_samples()
        rows: list[tuple[bytes, bytes]] = []
        found = 0
        with self._reading() as db:
            cursor = db.execute(
                "SELECT c.count, c.x, c.y FROM chunks c JOIN signals s ON c.signal_id = s.id"
                " WHERE s.device = ? AND s.name = ? ORDER BY c.seq DESC",
                (device, name),
            )
            for chunk_count, x, y in cursor:  # newest first, only as far as needed
                rows.append((x, y))
                found += chunk_count
                if found >= count:
                    break
            cursor.close()
        rows.reverse()
        x, y = _join(rows)
        skip = max(0, len(x) - count)
        return Samples(x[skip:], y[skip:])

    def signals(self) -> list[SignalInfo]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT device, name, unit, count, x_min, x_max FROM signals ORDER BY device, name"
            ).fetchall()
        return [
            SignalInfo(device=device, name=name, unit=unit, count=count, first=first, last=last)
            for device, name, unit, count, first, last in rows
        ]

    def delete(self, device: str, name: str) -> None:
        with self._writing() as db:
            for table in ("chunk_blocks", "chunks"):
                db.execute(
                    f"DELETE FROM {table} WHERE seq IN (SELECT c.seq FROM chunks c"
                    " JOIN signals s ON s.id = c.signal_id WHERE s.device = ? AND s.name = ?)",
                    (device, name),
                )
            db.execute("DELETE FROM signals WHERE device = ? AND name = ?", (device, name))
            self._ids.pop((device, name), None)

    def delete_samples(self, device: str, name: str, start: float | None, end: float | None) -> int:
        """Rewrite the chunks that hold samples in the range (their block summaries
        too); a chunk left empty goes."""
        removed = 0
        with self._writing() as db:
            signal = _signal_row(db, device, name)
            if signal is None:
                return 0
            query = _range_query(*signal, start, end)
            rows = [] if query is None else db.execute(*query).fetchall()
            for seq, x_blob, y_blob in rows:
                x, y = _join([(x_blob, y_blob)])
                gone = in_range(x, start, end)
                count = int(gone.sum())
                if not count:
                    continue
                removed += count
                _rewrite_chunk(db, seq, x[~gone], y[~gone])
            if removed:
                _recount(db, signal[0], -removed)
        return removed

    def resample_samples(
        self, device: str, name: str, rate: float, start: float | None, end: float | None
    ) -> tuple[int, int]:
        """Two passes over the chunks that hold samples in the period, in stored
        order: the bins' sums, then each chunk rewritten (block summaries too), so
        memory holds the bins and one chunk, not the period."""
        with self._writing() as db:
            signal = _signal_row(db, device, name)
            if signal is None:
                return 0, 0
            query = _range_query(*signal, start, end, select="seq")
            if query is None:
                return 0, 0
            seqs = [seq for (seq,) in db.execute(query[0] + " ORDER BY seq", query[1])]
            bins = bin_means((_chunk(db, seq) for seq in seqs), rate, start, end)
            if not bins.before:
                return 0, 0
            for number, seq in enumerate(seqs):
                x, y = _chunk(db, seq)
                if in_period(x, start, end).any():
                    _rewrite_chunk(db, seq, *thinned(number, x, y, bins, start, end))
            _recount(db, signal[0], bins.after - bins.before)
        return bins.before, bins.after

    def rename_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        with self._writing() as db:
            signal = _signal_row(db, device, name)
            if signal is None:
                return
            if _signal_row(db, new_device, new_name) is not None:
                raise taken(new_device, new_name)
            db.execute(
                "UPDATE signals SET device = ?, name = ? WHERE id = ?",
                (new_device, new_name, signal[0]),
            )
            self._ids.pop((device, name), None)

    def copy_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        with self._writing() as db:
            signal = _signal_row(db, device, name)
            if signal is None:
                return
            if _signal_row(db, new_device, new_name) is not None:
                raise taken(new_device, new_name)
            copy_id = db.execute(
                "INSERT INTO signals (device, name, unit, count, x_min, x_max)"
                " SELECT ?, ?, unit, count, x_min, x_max FROM signals WHERE id = ?",
                (new_device, new_name, signal[0]),
            ).lastrowid
            seqs = db.execute(
                "SELECT seq FROM chunks WHERE signal_id = ? ORDER BY seq", (signal[0],)
            ).fetchall()
            for (seq,) in seqs:  # one by one: each copy's block summaries go with its new seq
                new_seq = db.execute(
                    "INSERT INTO chunks (signal_id, count, x_min, x_max, x, y)"
                    " SELECT ?, count, x_min, x_max, x, y FROM chunks WHERE seq = ?",
                    (copy_id, seq),
                ).lastrowid
                db.execute(
                    "INSERT INTO chunk_blocks (seq, stats) SELECT ?, stats FROM chunk_blocks"
                    " WHERE seq = ?",
                    (new_seq, seq),
                )

    def set_unit(self, device: str, name: str, unit: str) -> None:
        with self._writing() as db:
            db.execute(
                "UPDATE signals SET unit = ? WHERE device = ? AND name = ?", (unit, device, name)
            )

    # -- events ----------------------------------------------------------------

    def append_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        with self._writing() as db:
            db.executemany(
                f"INSERT OR IGNORE INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [event_row(event) for event in events],
            )

    def events(
        self, start: float | None = None, end: float | None = None, limit: int | None = None
    ) -> list[Event]:
        if limit is not None and limit <= 0:
            return []
        conditions, parameters = _bounded([("time >= ?", start), ("time <= ?", end)])
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        parameters.append(-1 if limit is None else limit)
        with self._reading() as db:
            rows = db.execute(
                f"SELECT {EVENT_COLUMNS} FROM events{where} ORDER BY time DESC, rowid DESC LIMIT ?",
                parameters,
            ).fetchall()
        return [event_from_row(row) for row in reversed(rows)]

    def delete_events(self, uids: Iterable[str]) -> int:
        with self._writing() as db:
            before = db.total_changes
            db.executemany("DELETE FROM events WHERE uid = ?", [(uid,) for uid in set(uids)])
            return db.total_changes - before

    def clear_events(self) -> None:
        with self._writing() as db:
            db.execute("DELETE FROM events")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _insert_chunk(db: sqlite3.Connection, signal_id: int, x: np.ndarray, y: np.ndarray) -> None:
    seq = db.execute(
        "INSERT INTO chunks (signal_id, count, x_min, x_max, x, y) VALUES (?, ?, ?, ?, ?, ?)",
        (signal_id, len(x), *time_bounds(x), _to_blob(x), _to_blob(y)),
    ).lastrowid
    _insert_blocks(db, seq, x, y)


def _chunk(db: sqlite3.Connection, seq: int) -> Samples:
    return _join([db.execute("SELECT x, y FROM chunks WHERE seq = ?", (seq,)).fetchone()])


def _rewrite_chunk(db: sqlite3.Connection, seq: int, x: np.ndarray, y: np.ndarray) -> None:
    """Chunk ``seq`` holds ``x, y`` now (block summaries too); none left: it goes."""
    if not len(x):
        db.execute("DELETE FROM chunks WHERE seq = ?", (seq,))
        db.execute("DELETE FROM chunk_blocks WHERE seq = ?", (seq,))
        return
    db.execute(
        "UPDATE chunks SET count = ?, x_min = ?, x_max = ?, x = ?, y = ? WHERE seq = ?",
        (len(x), *time_bounds(x), _to_blob(x), _to_blob(y), seq),
    )
    db.execute(
        "UPDATE chunk_blocks SET stats = ? WHERE seq = ?",
        (_to_blob(summarize_blocks(x, y, BLOCK)), seq),
    )


def _recount(db: sqlite3.Connection, signal_id: int, change: int) -> None:
    """The signal's count moved by ``change``; its span from its chunks as they are now."""
    db.execute(
        "UPDATE signals SET count = count + ?,"
        " x_min = (SELECT min(x_min) FROM chunks WHERE signal_id = signals.id),"
        " x_max = (SELECT max(x_max) FROM chunks WHERE signal_id = signals.id)"
        " WHERE id = ?",
        (change, signal_id),
    )


def _insert_blocks(db: sqlite3.Connection, seq: int, x: np.ndarray, y: np.ndarray) -> None:
    db.execute(
        "INSERT INTO chunk_blocks (seq, stats) VALUES (?, ?)",
        (seq, _to_blob(summarize_blocks(x, y, BLOCK))),
    )


def _summarize_chunks(db: sqlite3.Connection) -> None:
    """Schema 1 to 2: the block summaries of every stored chunk, a hundred chunks at a time."""
    last = -1
    while True:
        rows = db.execute(
            "SELECT seq, x, y FROM chunks WHERE seq > ? ORDER BY seq LIMIT 100", (last,)
        ).fetchall()
        if not rows:
            return
        for seq, x, y in rows:
            _insert_blocks(db, seq, np.frombuffer(x, dtype=_BLOB), np.frombuffer(y, dtype=_BLOB))
        last = rows[-1][0]


def _signal_row(
    db: sqlite3.Connection, device: str, name: str
) -> tuple[int, float | None, float | None] | None:
    """``(id, x_min, x_max)`` of a stored signal, None when it was never stored."""
    return db.execute(
        "SELECT id, x_min, x_max FROM signals WHERE device = ? AND name = ?", (device, name)
    ).fetchone()


def _range_query(
    signal_id: int,
    first: float | None,
    last: float | None,
    start: float | None,
    end: float | None,
    *,
    select: str = "seq, x, y",
    join: str = "",
) -> tuple[str, list[object]] | None:
    """SQL for ``select`` of the chunks of one signal that may hold ``start <= x <= end``.

    None when no stored timestamp can match. Of the two interval indexes the
    query uses the one that should skip more, judged by where the range lies
    within the signal's first..last: without statistics SQLite cannot tell,
    and for a signal logged for months the wrong one scans most of its chunks.
    """
    if start is None and end is None:
        index = "chunks_by_signal"
    else:
        if first is None or last is None:  # only NaN timestamps: none is in any range
            return None
        low = -math.inf if start is None else start
        high = math.inf if end is None else end
        if low > last or high < first:
            return None
        index = "chunks_by_end" if last - low <= high - first else "chunks_by_start"
    conditions, parameters = _bounded(
        [("signal_id = ?", signal_id), ("x_max >= ?", start), ("x_min <= ?", end)]
    )
    sql = f"SELECT {select} FROM chunks INDEXED BY {index} {join} WHERE {' AND '.join(conditions)}"
    return sql, parameters


def _bounded(conditions: Sequence[tuple[str, object]]) -> tuple[list[str], list[object]]:
    """The SQL conditions whose value is not None, and their parameters in order."""
    used = [(sql, value) for sql, value in conditions if value is not None]
    return [sql for sql, _ in used], [value for _, value in used]


def _to_blob(values: np.ndarray) -> bytes:
    return values.astype(_BLOB, copy=False).tobytes()


def _join(rows: Sequence[tuple[bytes, bytes]]) -> Samples:
    """Concatenate blob chunks into fresh, writable native float64 arrays."""
    if not rows:
        return empty_samples()
    x = np.concatenate([np.frombuffer(row[0], dtype=_BLOB) for row in rows])
    y = np.concatenate([np.frombuffer(row[1], dtype=_BLOB) for row in rows])
    return Samples(x.astype(np.float64, copy=False), y.astype(np.float64, copy=False))


def open_sqlite(config: Config, home: Path) -> SQLiteStorage:
    """The ``sqlite`` backend factory: ``rtoc.sqlite`` in ``config.backup.path``.

    An empty path means ``home``; ``~`` is expanded and a relative path is
    taken relative to ``home``.
    """
    from rtoc.config import backup_directory

    return SQLiteStorage(backup_directory(config, home) / FILE_NAME)


def read_sqlite(config: Config, home: Path) -> SQLiteStorage:
    """The ``sqlite`` reader: the same file, opened read-only (see :mod:`rtoc.storage.view`)."""
    from rtoc.config import backup_directory

    return SQLiteStorage(backup_directory(config, home) / FILE_NAME, read_only=True)
