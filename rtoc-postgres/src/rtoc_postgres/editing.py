"""Changing stored samples in place: deleting or resampling a time range, copying a signal.

Each runs inside the caller's transaction, so a failure changes nothing.
Deleting or resampling a range keeps the time index and the rollups exact:
the batches (``chunks`` rows) that held changed samples get their span
recomputed (or go, when nothing is left of them), and every rollup bucket
the range touched is computed again, in the database, from the samples that
are there now.
"""

from __future__ import annotations

import math
from typing import Any

from psycopg2 import sql

from rtoc_postgres.rollups import WIDTHS


def delete_samples(
    cursor: Any, s: sql.Identifier, signal_id: int, start: float | None, end: float | None
) -> int:
    """Delete the samples of ``signal_id`` with ``start <= x <= end`` (a None bound does
    not limit; NaN timestamps fail a bound); return how many went."""
    parameters = {"id": signal_id, "start": start, "end": end}
    bounded = start is not None or end is not None
    # PostgreSQL sorts NaN above every number, so NaN must be excluded by name
    sample_bounds = (
        " AND p.x <> 'NaN'"
        + (" AND p.x >= %(start)s" if start is not None else "")
        + (" AND p.x <= %(end)s" if end is not None else "")
        if bounded
        else ""
    )
    chunk_bounds = (" AND x_max >= %(start)s" if start is not None else "") + (
        " AND x_min <= %(end)s" if end is not None else ""
    )
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE touched ON COMMIT DROP AS SELECT first_seq, last_seq"
            " FROM {s}.chunks WHERE signal_id = %(id)s" + (chunk_bounds if bounded else "")
        ).format(s=s),
        parameters,
    )
    cursor.execute(
        sql.SQL(
            "WITH gone AS (DELETE FROM {s}.samples p USING touched t"
            "  WHERE p.signal_id = %(id)s AND p.seq BETWEEN t.first_seq AND t.last_seq"
            + sample_bounds
            + "  RETURNING p.x)"
            " SELECT count(*), min(x) FILTER (WHERE x NOT IN ('NaN', 'Infinity', '-Infinity')),"
            " max(x) FILTER (WHERE x NOT IN ('NaN', 'Infinity', '-Infinity')) FROM gone"
        ).format(s=s),
        parameters,
    )
    removed, low, high = cursor.fetchone()
    if removed:
        _rebuild_chunks(cursor, s, signal_id)
        if low is not None:  # rollups hold finite timestamps only
            _rebuild_rollups(cursor, s, signal_id, low, high)
        if not bounded:  # NaN timestamps too: no rollup holds them, none is left
            cursor.execute(
                sql.SQL("DELETE FROM {}.rollups WHERE signal_id = %s").format(s), (signal_id,)
            )
        cursor.execute(
            sql.SQL(
                "UPDATE {s}.signals SET count = count - %(n)s,"
                " x_min = (SELECT min(x_min) FROM {s}.chunks WHERE signal_id = %(id)s),"
                " x_max = (SELECT max(x_max) FROM {s}.chunks WHERE signal_id = %(id)s)"
                " WHERE id = %(id)s"
            ).format(s=s),
            {"n": removed, "id": signal_id},
        )
    cursor.execute("DROP TABLE touched")
    return int(removed)


def resample_samples(
    cursor: Any,
    s: sql.Identifier,
    signal_id: int,
    rate: float,
    start: float | None,
    end: float | None,
) -> tuple[int, int]:
    """Replace the samples of ``signal_id`` with a finite x in ``start <= x <= end`` by
    one per bin of ``1/rate`` s; (samples before, samples after).

    The rule of :mod:`rtoc.storage.resample`, as :func:`rtoc_postgres.thinning.resample_before`
    bins (``floor(x * rate)``, the bin's sample at the seq of its first one, so
    the signal's order is kept): the mean of x, taken from the bin's start so
    that it keeps float8's precision and kept within the bin's first and last
    x, and the mean of y. Unlike that thinning of old batches, which keeps the
    rollups of the raw samples, a resampled period's rollups are computed
    again from its new samples: the signal's buckets follow what ``read``
    returns, as for every change a frontend makes.
    """
    parameters = {"id": signal_id, "rate": rate, "start": start, "end": end}
    sample_bounds = (
        " AND p.x NOT IN ('NaN', 'Infinity', '-Infinity')"
        + (" AND p.x >= %(start)s" if start is not None else "")
        + (" AND p.x <= %(end)s" if end is not None else "")
    )
    chunk_bounds = (" AND x_max >= %(start)s" if start is not None else "") + (
        " AND x_min <= %(end)s" if end is not None else ""
    )
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE touched ON COMMIT DROP AS SELECT first_seq, last_seq"
            " FROM {s}.chunks WHERE signal_id = %(id)s" + chunk_bounds
        ).format(s=s),
        parameters,
    )
    cursor.execute(
        "CREATE TEMP TABLE binned (seq bigint, x float8, y float8, n bigint, low float8,"
        " high float8) ON COMMIT DROP"
    )
    cursor.execute(
        sql.SQL(
            "WITH gone AS (DELETE FROM {s}.samples p USING touched t"
            "  WHERE p.signal_id = %(id)s AND p.seq BETWEEN t.first_seq AND t.last_seq"
            + sample_bounds
            + "  RETURNING p.seq, p.x, p.y, floor(p.x * %(rate)s) AS bin)"
            " INSERT INTO binned"
            " SELECT min(seq), least(greatest("
            "  bin / %(rate)s + avg(x - bin / %(rate)s), min(x)), max(x)),"
            " avg(y), count(*), min(x), max(x) FROM gone GROUP BY bin"
        ).format(s=s),
        parameters,
    )
    cursor.execute("SELECT coalesce(sum(n), 0), count(*), min(low), max(high) FROM binned")
    before, after, low, high = cursor.fetchone()
    if before:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {s}.samples (signal_id, seq, x, y)"
                " SELECT %(id)s, seq, x, y FROM binned"
            ).format(s=s),
            parameters,
        )
        _rebuild_chunks(cursor, s, signal_id)
        _rebuild_rollups(cursor, s, signal_id, low, high)
        cursor.execute(
            sql.SQL(
                "UPDATE {s}.signals SET count = count - %(before)s + %(after)s,"
                " x_min = (SELECT min(x_min) FROM {s}.chunks WHERE signal_id = %(id)s),"
                " x_max = (SELECT max(x_max) FROM {s}.chunks WHERE signal_id = %(id)s)"
                " WHERE id = %(id)s"
            ).format(s=s),
            {"before": before, "after": after, "id": signal_id},
        )
    cursor.execute("DROP TABLE touched, binned")
    return int(before), int(after)


def _rebuild_chunks(cursor: Any, s: sql.Identifier, signal_id: int) -> None:
    """The touched batches: gone when empty, else their span from what is left."""
    cursor.execute(
        sql.SQL(
            "DELETE FROM {s}.chunks c USING touched t"
            " WHERE c.signal_id = %(id)s AND c.first_seq = t.first_seq AND NOT EXISTS"
            " (SELECT 1 FROM {s}.samples p WHERE p.signal_id = %(id)s"
            "  AND p.seq BETWEEN t.first_seq AND t.last_seq)"
        ).format(s=s),
        {"id": signal_id},
    )
    cursor.execute(
        sql.SQL(
            "UPDATE {s}.chunks c SET x_min = m.low, x_max = m.high FROM"
            " (SELECT t.first_seq, min(p.x) FILTER (WHERE p.x <> 'NaN') AS low,"
            "  max(p.x) FILTER (WHERE p.x <> 'NaN') AS high"
            "  FROM touched t JOIN {s}.samples p"
            "  ON p.signal_id = %(id)s AND p.seq BETWEEN t.first_seq AND t.last_seq"
            "  GROUP BY t.first_seq) m"
            " WHERE c.signal_id = %(id)s AND c.first_seq = m.first_seq"
        ).format(s=s),
        {"id": signal_id},
    )


def _rebuild_rollups(
    cursor: Any, s: sql.Identifier, signal_id: int, low: float, high: float
) -> None:
    """Every rollup bucket from ``low`` to ``high`` (the deleted samples' span), at
    each width, computed again from the samples left in it (the same rules as
    :func:`rtoc_postgres.rollups.rollup_rows`: finite x, y not NaN; the x of the
    first minimum and maximum in stored order)."""
    for level, width in enumerate(WIDTHS):
        parameters = {
            "id": signal_id,
            "level": level,
            "width": width,
            "first": math.floor(low / width),  # as floor(p.x / width) in SQL
            "last": math.floor(high / width),
        }
        cursor.execute(
            sql.SQL(
                "DELETE FROM {s}.rollups WHERE signal_id = %(id)s AND level = %(level)s"
                " AND bucket BETWEEN %(first)s AND %(last)s"
            ).format(s=s),
            parameters,
        )
        cursor.execute(
            sql.SQL(
                "INSERT INTO {s}.rollups (signal_id, level, bucket, n, y_min, y_max, y_sum,"
                " x_first, x_last, x_of_min, x_of_max)"
                " SELECT %(id)s, %(level)s, bucket, count(*), min(y), max(y), sum(y),"
                " min(x), max(x), (array_agg(x ORDER BY y, seq))[1],"
                " (array_agg(x ORDER BY y DESC, seq))[1]"
                " FROM (SELECT floor(p.x / %(width)s)::bigint AS bucket, p.x, p.y, p.seq"
                "  FROM {s}.chunks c JOIN {s}.samples p"
                "  ON p.signal_id = c.signal_id AND p.seq BETWEEN c.first_seq AND c.last_seq"
                "  WHERE c.signal_id = %(id)s AND c.x_max >= %(first)s * %(width)s"
                "  AND c.x_min < (%(last)s + 1) * %(width)s"
                "  AND p.x NOT IN ('NaN', 'Infinity', '-Infinity') AND p.y <> 'NaN') kept"
                " WHERE bucket BETWEEN %(first)s AND %(last)s GROUP BY bucket"
            ).format(s=s),
            parameters,
        )


def copy_signal(cursor: Any, s: sql.Identifier, signal_id: int, device_id: int, name: str) -> None:
    """A new signal ``name`` of ``device_id`` with every sample, batch and rollup of
    ``signal_id``."""
    cursor.execute(
        sql.SQL(
            "INSERT INTO {s}.signals (device_id, name, unit, count, x_min, x_max, next_seq)"
            " SELECT %s, %s, unit, count, x_min, x_max, next_seq FROM {s}.signals WHERE id = %s"
            " RETURNING id"
        ).format(s=s),
        (device_id, name, signal_id),
    )
    (copy_id,) = cursor.fetchone()
    for table, columns in (
        ("samples", "seq, x, y"),
        ("chunks", "first_seq, last_seq, x_min, x_max, rate"),
        (
            "rollups",
            "level, bucket, n, y_min, y_max, y_sum, x_first, x_last, x_of_min, x_of_max",
        ),
    ):
        cursor.execute(
            sql.SQL(
                "INSERT INTO {s}.{table} (signal_id, {columns})"
                " SELECT %s, {columns} FROM {s}.{table} WHERE signal_id = %s"
            ).format(s=s, table=sql.Identifier(table), columns=sql.SQL(columns)),
            (copy_id, signal_id),
        )
