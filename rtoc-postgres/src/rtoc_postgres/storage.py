"""Samples and events in PostgreSQL (see :mod:`rtoc_postgres.schema` for the tables).

One call of :meth:`PostgresStorage.append_samples` is one transaction: the
signals' counters move on, every sample goes in through one binary COPY, each
batch gets its time-index row and its ``uid`` is recorded. A batch whose uid
is already recorded is skipped, so a retry after a commit whose answer was
lost stores nothing twice. Reads come back through binary COPY as well and
are turned into numpy arrays without a Python loop.

Any database failure rolls the transaction back and raises
:class:`~rtoc.storage.base.StorageError`; the next call reconnects. So does a
database that stops answering: connecting, and every transaction, must finish
within ``timeout`` seconds, or the connection is cut (see
:mod:`rtoc_postgres.deadline`) and the call fails as if the network had.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np
import psycopg2
import psycopg2.extras
from psycopg2 import sql

from rtoc.events import Event
from rtoc.signals import Samples, SignalKey, empty_samples
from rtoc.storage.base import (
    EVENT_COLUMNS,
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
    Buckets,
    Cuts,
    Summaries,
    UnknownSignal,
    bucket_samples,
    check_range,
    merge,
)
from rtoc_postgres import editing, thinning
from rtoc_postgres.copy import HEADER, TRAILER, sample_rows
from rtoc_postgres.deadline import DEADLINES, Guard
from rtoc_postgres.rollups import WIDTHS, cuts, merged, rollup_rows
from rtoc_postgres.schema import SchemaError, ensure_schema

#: A row of ``COPY (SELECT x, y ...) TO STDOUT (FORMAT binary)``.
_XY_ROW = np.dtype(
    [("fields", ">i2"), ("x_length", ">i4"), ("x", ">f8"), ("y_length", ">i4"), ("y", ">f8")]
)
#: A signal's samples with start <= x <= end, through the chunk index.
_RANGE = sql.SQL(
    "SELECT p.x, p.y FROM {s}.chunks c JOIN {s}.samples p"
    " ON p.signal_id = c.signal_id AND p.seq BETWEEN c.first_seq AND c.last_seq"
    " WHERE c.signal_id = %(id)s AND c.x_max >= %(start)s AND c.x_min <= %(end)s"
    " AND p.x BETWEEN %(start)s AND %(end)s"
)
#: The samples of one rollup row within start..end (which the row lies in).
_ROLLUP_ROW = sql.SQL(
    "SELECT p.x, p.y FROM {s}.chunks c JOIN {s}.samples p"
    " ON p.signal_id = c.signal_id AND p.seq BETWEEN c.first_seq AND c.last_seq"
    " WHERE c.signal_id = %(id)s AND c.x_max >= %(start)s AND c.x_min <= %(end)s"
    " AND p.x BETWEEN %(start)s AND %(end)s AND floor(p.x / %(width)s) = %(bucket)s"
)
#: How long a stored batch's uid is remembered, to recognise a retry of it.
BATCH_MEMORY_DAYS = 30
#: Seconds a connect or a transaction may take (``postgresql.timeout``).
TIMEOUT = 10.0


class PostgresStorage:
    """The ``postgresql`` storage backend.

    ``dsn`` is anything :func:`psycopg2.connect` takes (a dict of keyword
    arguments here); ``schema`` the PostgreSQL schema for rtoc's tables. One
    connection serves the writer thread and readers; a lock serialises them.
    ``timeout``: seconds that connecting, and each transaction, may take
    before the connection is cut and the call fails; None for no limit (a
    long maintenance run), where only :meth:`abort` ends a call early.
    A schema migration is never cut short: it runs once, and may take long.
    """

    def __init__(
        self, dsn: dict[str, Any], schema: str = "rtoc", timeout: float | None = TIMEOUT
    ) -> None:
        # libpq counts whole seconds, at least 2; the rest it takes as it is
        connect_timeout = 5 if timeout is None else max(2, math.ceil(timeout))
        limits: dict[str, Any] = {"connect_timeout": connect_timeout}
        if timeout is not None:  # sent data unacknowledged this long: the peer is gone
            limits["tcp_user_timeout"] = int(timeout * 1000)
        self.dsn = {**limits, **dsn}
        self.schema = schema
        self.timeout = timeout
        self.location = describe(self.dsn, schema)
        self._s = sql.Identifier(schema)
        self._lock = threading.RLock()
        self._connection: psycopg2.extensions.connection | None = None
        self._guard: Guard | None = None  # of the call in progress
        self._ids: dict[SignalKey, int] = {}
        with self._transaction():
            pass  # connect and create or check the schema now, so errors show at start

    # -- connection --------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[psycopg2.extensions.cursor]:
        """A cursor in a transaction, committed at the end; StorageError on any failure."""
        with self._lock:
            self._guard = None
            try:
                connection = self._connect()
                with self._guarded(connection) as guard, connection.cursor() as cursor:
                    yield cursor
                    connection.commit()
                if guard.expired:  # cut just as it finished: the connection is of no use now
                    self._abandon()
            except (psycopg2.Error, SchemaError) as error:
                self._abandon()
                raise StorageError(f"{self.location}: {self._failure(error)}") from error
            except BaseException:
                self._abandon()
                raise

    @contextmanager
    def _guarded(self, connection: psycopg2.extensions.connection) -> Iterator[Guard]:
        """Cut ``connection`` when the block outlasts ``timeout`` (or :meth:`abort` runs)."""
        with DEADLINES.guard(connection.fileno(), self.timeout) as guard:
            self._guard = guard
            yield guard

    def _failure(self, error: BaseException) -> str:
        if self._guard is not None and self._guard.expired:
            if self.timeout is None:
                return "connection cut: rtoc is stopping"
            return f"no answer within {self.timeout:g} s (postgresql.timeout): connection cut"
        return _message(error)

    def abort(self) -> None:
        """Cut the connection of a call in progress (from another thread): it fails now."""
        guard = self._guard
        if guard is not None:
            DEADLINES.cut(guard)

    def _connect(self) -> psycopg2.extensions.connection:
        if self._connection is None or self._connection.closed:
            self._connection = None
            self._ids.clear()
            connection = psycopg2.connect(
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=3,
                keepalives_count=3,
                **self.dsn,
            )
            try:
                with self._guarded(connection) as guard:
                    self._prepare(connection, guard)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _prepare(self, connection: psycopg2.extensions.connection, guard: Guard) -> None:
        """Create, check or migrate the schema; forget batch ids of long ago."""
        ensure_schema(connection, self.schema, migrating=lambda: DEADLINES.lift(guard))
        with connection.cursor() as cursor:  # retries come within days, not months
            cursor.execute(
                sql.SQL(
                    "DELETE FROM {}.batches WHERE stored < now() - %s * interval '1 day'"
                ).format(self._s),
                (BATCH_MEMORY_DAYS,),
            )
        connection.commit()

    def _abandon(self) -> None:
        """Roll back; drop a connection that may be broken (the next call reconnects)."""
        connection, self._connection = self._connection, None
        self._ids.clear()
        if connection is not None:
            with suppress(psycopg2.Error):
                connection.rollback()
            if connection.closed or connection.get_transaction_status() != 0:
                connection.close()
            else:
                self._connection = connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- samples -------------------------------------------------------------------

    def append_samples(self, batches: Sequence[SampleBatch]) -> None:
        arrays = [(batch, *batch_arrays(batch)) for batch in batches]  # all checked first
        arrays = [(batch, x, y) for batch, x, y in arrays if len(x)]
        if not arrays:
            return
        with self._transaction() as cursor:
            cursor.execute(
                sql.SQL("SELECT uid FROM {}.batches WHERE uid = ANY(%s)").format(self._s),
                ([batch.uid for batch, _, _ in arrays],),
            )
            stored = {uid for (uid,) in cursor.fetchall()}
            rows = io.BytesIO()
            rows.write(HEADER)
            chunks: list[tuple] = []
            rollups: list[tuple] = []
            for batch, x, y in arrays:
                if batch.uid in stored:
                    continue
                signal_id = self._signal_id(cursor, batch.device, batch.name)
                low, high = time_bounds(x)
                cursor.execute(
                    sql.SQL(
                        "UPDATE {}.signals SET next_seq = next_seq + %(n)s, count = count + %(n)s,"
                        " x_min = least(x_min, %(low)s), x_max = greatest(x_max, %(high)s),"
                        " unit = coalesce(nullif(%(unit)s, ''), unit)"
                        " WHERE id = %(id)s RETURNING next_seq - %(n)s"
                    ).format(self._s),
                    {"n": len(x), "low": low, "high": high, "unit": batch.unit, "id": signal_id},
                )
                (first,) = cursor.fetchone()
                rows.write(sample_rows(signal_id, first, x, y))
                chunks.append((signal_id, first, first + len(x) - 1, low, high))
                rollups.extend(rollup_rows(signal_id, x, y))
            if not chunks:
                return
            rows.write(TRAILER)
            rows.seek(0)
            cursor.copy_expert(
                sql.SQL("COPY {}.samples FROM STDIN WITH (FORMAT binary)")
                .format(self._s)
                .as_string(cursor),
                rows,
            )
            psycopg2.extras.execute_values(
                cursor,
                sql.SQL(
                    "INSERT INTO {}.chunks (signal_id, first_seq, last_seq, x_min, x_max) VALUES %s"
                )
                .format(self._s)
                .as_string(cursor),
                chunks,
            )
            if rollups:
                psycopg2.extras.execute_values(
                    cursor,
                    sql.SQL(
                        "INSERT INTO {s}.rollups AS r"
                        " (signal_id, level, bucket, n, y_min, y_max, y_sum,"
                        " x_first, x_last, x_of_min, x_of_max) VALUES %s"
                        " ON CONFLICT (signal_id, level, bucket) DO UPDATE SET"
                        " n = r.n + excluded.n, y_min = least(r.y_min, excluded.y_min),"
                        " y_max = greatest(r.y_max, excluded.y_max),"
                        " y_sum = r.y_sum + excluded.y_sum,"
                        " x_first = least(r.x_first, excluded.x_first),"
                        " x_last = greatest(r.x_last, excluded.x_last),"
                        " x_of_min = CASE WHEN excluded.y_min < r.y_min"
                        " THEN excluded.x_of_min ELSE r.x_of_min END,"
                        " x_of_max = CASE WHEN excluded.y_max > r.y_max"
                        " THEN excluded.x_of_max ELSE r.x_of_max END"
                    )
                    .format(s=self._s)
                    .as_string(cursor),
                    merged(rollups),
                    page_size=1000,
                )
            psycopg2.extras.execute_values(
                cursor,
                sql.SQL("INSERT INTO {}.batches (uid) VALUES %s").format(self._s).as_string(cursor),
                [(batch.uid,) for batch, _, _ in arrays if batch.uid not in stored],
            )

    def _signal_id(self, cursor: Any, device: str, name: str) -> int:
        """The signal's id, creating its device and signal rows when new."""
        found = self._ids.get((device, name))
        if found is not None:
            return found
        cursor.execute(
            sql.SQL(
                "INSERT INTO {s}.devices (name) VALUES (%s) ON CONFLICT (name) DO NOTHING"
            ).format(s=self._s),
            (device,),
        )
        cursor.execute(
            sql.SQL(
                "INSERT INTO {s}.signals (device_id, name)"
                " SELECT id, %s FROM {s}.devices WHERE name = %s"
                " ON CONFLICT (device_id, name) DO NOTHING"
            ).format(s=self._s),
            (name, device),
        )
        found = self._lookup(cursor, device, name)
        assert found is not None
        self._ids[(device, name)] = found
        return found

    def _lookup(self, cursor: Any, device: str, name: str) -> int | None:
        cursor.execute(
            sql.SQL(
                "SELECT s.id FROM {s}.signals s JOIN {s}.devices d ON d.id = s.device_id"
                " WHERE d.name = %s AND s.name = %s"
            ).format(s=self._s),
            (device, name),
        )
        row = cursor.fetchone()
        return None if row is None else row[0]

    def read(
        self, device: str, name: str, start: float | None = None, end: float | None = None
    ) -> Samples:
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                return empty_samples()
            if start is None and end is None:
                query = sql.SQL(
                    "SELECT x, y FROM {s}.samples WHERE signal_id = %(id)s ORDER BY seq"
                )
            else:
                query = sql.SQL(
                    "SELECT p.x, p.y FROM {s}.chunks c JOIN {s}.samples p"
                    " ON p.signal_id = c.signal_id AND p.seq BETWEEN c.first_seq AND c.last_seq"
                    " WHERE c.signal_id = %(id)s AND p.x <> 'NaN'"
                    + (
                        " AND c.x_max >= %(start)s AND p.x >= %(start)s"
                        if start is not None
                        else ""
                    )
                    + (" AND c.x_min <= %(end)s AND p.x <= %(end)s" if end is not None else "")
                    + " ORDER BY p.seq"
                )
            bounds = {"start": _float(start), "end": _float(end)}  # not numpy's repr
            return self._copy_out(cursor, query, {"id": signal_id, **bounds})

    def read_last(self, device: str, name: str, count: int) -> Samples:
        if count <= 0:
            return empty_samples()
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                return empty_samples()
            # not "seq >= next_seq - count": resampled old data leaves gaps in seq
            query = sql.SQL(
                "SELECT x, y FROM (SELECT seq, x, y FROM {s}.samples WHERE signal_id = %(id)s"
                " ORDER BY seq DESC LIMIT %(count)s) newest ORDER BY seq"
            )
            return self._copy_out(cursor, query, {"id": signal_id, "count": count})

    def _copy_out(self, cursor: Any, query: sql.Composable, parameters: dict[str, Any]) -> Samples:
        select = cursor.mogrify(query.format(s=self._s).as_string(cursor), parameters).decode()
        buffer = io.BytesIO()
        cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT binary)", buffer)
        data = buffer.getvalue()
        body = data[len(HEADER) : len(data) - len(TRAILER)]
        rows = np.frombuffer(body, dtype=_XY_ROW)
        return Samples(rows["x"].astype(np.float64), rows["y"].astype(np.float64))

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        """At most ``buckets`` buckets of ``start..end``, from the rollups (see
        :mod:`rtoc_postgres.rollups`): inner edges at multiples of the rollup
        width nearest to equal edges; rows across the range's ends read raw.

        Ranges shorter than ``buckets`` tenths of a second are bucketed from
        the samples, on equal edges.
        """
        start, end, buckets = check_range(start, end, buckets)
        level, inner = cuts(start, end, buckets)
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                raise UnknownSignal(device, name)
            if level is None:
                x, y = self._copy_out(cursor, _RANGE, {"id": signal_id, "start": start, "end": end})
                return bucket_samples(x, y, start, end, buckets)
            width = WIDTHS[level]
            cursor.execute(
                sql.SQL(
                    "SELECT n, y_min, y_max, coalesce(x_first, bucket * %(width)s),"
                    " coalesce(x_last, bucket * %(width)s), x_of_min, x_of_max, bucket"
                    " FROM {s}.rollups WHERE signal_id = %(id)s AND level = %(level)s"
                    " AND bucket BETWEEN floor(%(start)s / %(width)s)"
                    " AND floor(%(end)s / %(width)s)"
                ).format(s=self._s),
                {"id": signal_id, "level": level, "width": width, "start": start, "end": end},
            )
            rows = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 8)
            edges = Cuts(start, end, inner)
            first, last = rows[:, 3], rows[:, 4]
            whole = (first >= start) & (last <= end)
            whole[whole] = edges.index(first[whole]) == edges.index(last[whole])
            raw = [
                self._copy_out(
                    cursor,
                    _ROLLUP_ROW,
                    {
                        "id": signal_id,
                        "start": max(start, float(bucket - 1) * width),
                        "end": min(end, float(bucket + 2) * width),
                        "width": width,
                        "bucket": int(bucket),
                    },
                )
                for bucket in rows[~whole, 7]
            ]
        kept = rows[whole]
        summaries = Summaries.joined(
            [
                Summaries(
                    kept[:, 0].astype(np.int64), *(kept[:, column] for column in range(1, 7))
                ),
                *(Summaries.of_samples(x, y) for x, y in raw),
            ]
        )
        return merge(summaries, edges.index(summaries.first), edges)

    def signals(self) -> list[SignalInfo]:
        with self._transaction() as cursor:
            cursor.execute(
                sql.SQL(
                    "SELECT d.name, s.name, s.unit, s.count, s.x_min, s.x_max"
                    " FROM {s}.signals s JOIN {s}.devices d ON d.id = s.device_id"
                    " WHERE s.count > 0 ORDER BY d.name, s.name"
                ).format(s=self._s)
            )
            rows = cursor.fetchall()
        return [
            SignalInfo(device=device, name=name, unit=unit, count=count, first=first, last=last)
            for device, name, unit, count, first, last in rows
        ]

    def summary(self) -> dict[str, Any]:
        """Schema version, what is stored and its size on disk (``rtoc postgres status``)."""
        with self._transaction() as cursor:
            cursor.execute(
                sql.SQL(
                    "SELECT (SELECT value FROM {s}.meta WHERE key = 'schema_version'),"
                    " (SELECT count(*) FROM {s}.devices),"
                    " (SELECT count(*) FROM {s}.signals WHERE count > 0),"
                    " (SELECT coalesce(sum(count), 0)::bigint FROM {s}.signals),"
                    " (SELECT min(x_min) FROM {s}.signals), (SELECT max(x_max) FROM {s}.signals),"
                    " (SELECT count(*) FROM {s}.events),"
                    " (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
                    "  WHERE n.nspname = %s AND c.relkind = 'r')"
                ).format(s=self._s),
                (self.schema,),
            )
            row = cursor.fetchone()
        keys = ("schema_version", "devices", "signals", "samples", "first", "last", "events")
        summary: dict[str, Any] = dict(zip(keys, row[:-1], strict=True))
        summary["schema_version"] = int(summary["schema_version"])
        summary["bytes"] = int(row[-1])
        return summary

    def delete(self, device: str, name: str) -> None:
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                return
            for table in ("samples", "chunks", "rollups"):
                cursor.execute(
                    sql.SQL("DELETE FROM {}.{} WHERE signal_id = %s").format(
                        self._s, sql.Identifier(table)
                    ),
                    (signal_id,),
                )
            cursor.execute(
                sql.SQL("DELETE FROM {}.signals WHERE id = %s").format(self._s), (signal_id,)
            )
            self._ids.pop((device, name), None)

    def delete_samples(self, device: str, name: str, start: float | None, end: float | None) -> int:
        """See :func:`rtoc_postgres.editing.delete_samples`: chunks and rollups follow."""
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                return 0
            return editing.delete_samples(cursor, self._s, signal_id, _float(start), _float(end))

    def resample_samples(
        self, device: str, name: str, rate: float, start: float | None, end: float | None
    ) -> tuple[int, int]:
        """See :func:`rtoc_postgres.editing.resample_samples`: chunks and rollups follow."""
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                return 0, 0
            return editing.resample_samples(
                cursor, self._s, signal_id, float(rate), _float(start), _float(end)
            )

    def rename_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                return
            if self._lookup(cursor, new_device, new_name) is not None:
                raise taken(new_device, new_name)
            device_id = self._device_id(cursor, new_device)
            cursor.execute(
                sql.SQL("UPDATE {}.signals SET device_id = %s, name = %s WHERE id = %s").format(
                    self._s
                ),
                (device_id, new_name, signal_id),
            )
        self._ids.pop((device, name), None)

    def copy_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is None:
                return
            if self._lookup(cursor, new_device, new_name) is not None:
                raise taken(new_device, new_name)
            editing.copy_signal(
                cursor, self._s, signal_id, self._device_id(cursor, new_device), new_name
            )

    def set_unit(self, device: str, name: str, unit: str) -> None:
        with self._transaction() as cursor:
            signal_id = self._lookup(cursor, device, name)
            if signal_id is not None:
                cursor.execute(
                    sql.SQL("UPDATE {}.signals SET unit = %s WHERE id = %s").format(self._s),
                    (unit, signal_id),
                )

    def _device_id(self, cursor: Any, device: str) -> int:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {s}.devices (name) VALUES (%s) ON CONFLICT (name) DO NOTHING"
            ).format(s=self._s),
            (device,),
        )
        cursor.execute(
            sql.SQL("SELECT id FROM {}.devices WHERE name = %s").format(self._s), (device,)
        )
        return cursor.fetchone()[0]

    def delete_before(self, cutoff: float) -> int:
        """Retention: drop samples and events older than ``cutoff`` (unix seconds).

        Samples go in whole batches: a batch is dropped when its newest sample
        is older than the cutoff, so up to one batch per signal older than the
        cutoff stays. Rollups go with them. Returns the samples dropped.
        """
        with self._transaction() as cursor:
            return thinning.delete_before(cursor, self._s, cutoff)

    def resample_before(self, cutoff: float, rate: float) -> tuple[int, int]:
        """Keep one mean sample per ``1/rate`` s of batches older than ``cutoff``.

        Rollups stay as they were, so buckets of that time stay exact. Returns
        (samples before, samples after); see :mod:`rtoc_postgres.thinning`.
        """
        with self._transaction() as cursor:
            return thinning.resample_before(cursor, self._s, cutoff, rate)

    # -- events --------------------------------------------------------------------

    def append_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        rows = [event_row(event) for event in events]
        with self._transaction() as cursor:
            psycopg2.extras.execute_values(
                cursor,
                sql.SQL(
                    f"INSERT INTO {{}}.events ({EVENT_COLUMNS}) VALUES %s"
                    " ON CONFLICT (uid) DO NOTHING"
                )
                .format(self._s)
                .as_string(cursor),
                rows,
            )

    def events(
        self, start: float | None = None, end: float | None = None, limit: int | None = None
    ) -> list[Event]:
        if limit is not None and limit <= 0:
            return []  # PostgreSQL refuses a negative LIMIT
        conditions = ["TRUE"]
        if start is not None:
            conditions.append("time >= %(start)s")
        if end is not None:
            conditions.append("time <= %(end)s")
        query = sql.SQL(
            f"SELECT {EVENT_COLUMNS} FROM {{}}.events WHERE {' AND '.join(conditions)}"
            " ORDER BY time DESC, uid DESC" + (" LIMIT %(limit)s" if limit is not None else "")
        ).format(self._s)
        with self._transaction() as cursor:
            cursor.execute(query, {"start": _float(start), "end": _float(end), "limit": limit})
            rows = cursor.fetchall()
        return [event_from_row(row) for row in reversed(rows)]

    def delete_events(self, uids: Iterable[str]) -> int:
        wanted = sorted(set(uids))
        if not wanted:
            return 0
        with self._transaction() as cursor:
            cursor.execute(
                sql.SQL("DELETE FROM {}.events WHERE uid = ANY(%s)").format(self._s), (wanted,)
            )
            return cursor.rowcount

    def clear_events(self) -> None:
        with self._transaction() as cursor:
            cursor.execute(sql.SQL("DELETE FROM {}.events").format(self._s))


def describe(dsn: dict[str, Any], schema: str) -> str:
    """Where the data goes, without the password: for ``rtoc run`` and the log."""
    return (
        f"postgresql://{dsn.get('user', '')}@{dsn.get('host', '')}:"
        f"{dsn.get('port', 5432)}/{dsn.get('dbname', '')} (schema {schema})"
    )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _message(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())
