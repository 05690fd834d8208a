"""Long recordings: drop old data (retention) or keep fewer samples of it (resampling).

Both work on whole stored batches (rows of ``chunks``), never on part of one,
and both run inside the caller's transaction, so a failure changes nothing.
Rollups are left as they are by resampling: min/max/mean plots of old data
stay exact after its samples were thinned.

Resampling cuts time into bins of ``1/rate`` seconds on a fixed grid and
keeps one sample per bin: the mean of its x and of its y, at the seq of the
bin's first sample, so the order of a signal is kept. Consecutive old batches
are treated as one run, so a bin that spans batches still becomes one sample;
each day of the run becomes one ``chunks`` row that remembers the rate (so
retention can still drop old data day by day), and is not resampled again
unless to a lower rate.
"""

from __future__ import annotations

from typing import Any

from psycopg2 import sql

from rtoc_postgres.rollups import WIDTHS


def delete_before(cursor: Any, s: sql.Identifier, cutoff: float) -> int:
    """Drop batches whose newest sample is older than ``cutoff``, their rollups, and
    older events; return the number of samples dropped."""
    parameters = {"cutoff": float(cutoff)}
    cursor.execute(
        sql.SQL(
            "WITH gone AS (DELETE FROM {s}.chunks WHERE x_max < %(cutoff)s"
            "  RETURNING signal_id, first_seq, last_seq),"
            " removed AS (DELETE FROM {s}.samples p USING gone g"
            "  WHERE p.signal_id = g.signal_id AND p.seq BETWEEN g.first_seq AND g.last_seq"
            "  RETURNING p.signal_id)"
            " SELECT signal_id, count(*) FROM removed GROUP BY signal_id"
        ).format(s=s),
        parameters,
    )
    removed = cursor.fetchall()
    for signal_id, count in removed:
        cursor.execute(
            sql.SQL(
                "UPDATE {s}.signals SET count = count - %(n)s,"
                " x_min = (SELECT min(x_min) FROM {s}.chunks WHERE signal_id = %(id)s)"
                " WHERE id = %(id)s"
            ).format(s=s),
            {"n": count, "id": signal_id},
        )
    levels = sql.SQL(", ").join(
        sql.SQL("({}, {})").format(sql.Literal(level), sql.Literal(width))
        for level, width in enumerate(WIDTHS)
    )
    # rollup buckets wholly before what is left of each signal
    cursor.execute(
        sql.SQL(
            "DELETE FROM {s}.rollups r USING (VALUES {levels}) AS w (level, width),"
            " (SELECT s.id, least(%(cutoff)s, coalesce(s.x_min, %(cutoff)s)) AS edge"
            "  FROM {s}.signals s) e"
            " WHERE r.level = w.level AND r.signal_id = e.id"
            " AND (r.bucket + 1) * w.width <= e.edge"
        ).format(s=s, levels=levels),
        parameters,
    )
    cursor.execute(sql.SQL("DELETE FROM {}.events WHERE time < %(cutoff)s").format(s), parameters)
    return sum(count for _, count in removed)


def resample_before(cursor: Any, s: sql.Identifier, cutoff: float, rate: float) -> tuple[int, int]:
    """Thin batches older than ``cutoff`` to one mean sample per ``1/rate`` s.

    Returns (samples before, samples after) of what was resampled.
    """
    if not rate > 0:
        raise ValueError(f"resample rate must be > 0 Hz, got {rate!r}")
    parameters = {"cutoff": float(cutoff), "rate": float(rate)}
    # The old batches, each with the run of consecutive old batches it belongs
    # to: within a run, first_seq minus the lengths before it stays constant.
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE old_chunks ON COMMIT DROP AS"
            " SELECT signal_id, first_seq, last_seq,"
            "  first_seq - sum(last_seq - first_seq + 1) OVER w"
            "   + (last_seq - first_seq + 1) AS run"
            " FROM {s}.chunks"
            " WHERE x_max < %(cutoff)s AND (rate IS NULL OR rate > %(rate)s)"
            " WINDOW w AS (PARTITION BY signal_id ORDER BY first_seq)"
        ).format(s=s),
        parameters,
    )
    cursor.execute(
        sql.SQL(
            "DELETE FROM {s}.chunks c USING old_chunks o"
            " WHERE c.signal_id = o.signal_id AND c.first_seq = o.first_seq"
        ).format(s=s)
    )
    cursor.execute(
        "CREATE TEMP TABLE binned (signal_id int, run bigint, seq bigint, x float8, y float8,"
        " n bigint) ON COMMIT DROP"
    )
    cursor.execute(
        sql.SQL(
            "WITH gone AS (DELETE FROM {s}.samples p USING old_chunks o"
            "  WHERE p.signal_id = o.signal_id AND p.seq BETWEEN o.first_seq AND o.last_seq"
            "  RETURNING p.signal_id, o.run, p.seq, p.x, p.y)"
            " INSERT INTO binned"
            " SELECT signal_id, run, min(seq), avg(x), avg(y), count(*) FROM gone"
            " GROUP BY signal_id, run, floor(x * %(rate)s)"
        ).format(s=s),
        parameters,
    )
    cursor.execute(
        sql.SQL(
            "INSERT INTO {s}.samples (signal_id, seq, x, y) SELECT signal_id, seq, x, y FROM binned"
        ).format(s=s)
    )
    # One chunk per day of each run (in seq order, so chunks never overlap),
    # so that retention can still drop old data day by day.
    cursor.execute(
        sql.SQL(
            "INSERT INTO {s}.chunks (signal_id, first_seq, last_seq, x_min, x_max, rate)"
            " SELECT signal_id, min(seq), max(seq),"
            "  min(x) FILTER (WHERE x <> 'NaN'), max(x) FILTER (WHERE x <> 'NaN'), %(rate)s"
            " FROM (SELECT signal_id, run, seq, x,"
            "  sum(new_day) OVER (PARTITION BY signal_id, run ORDER BY seq) AS piece"
            "  FROM (SELECT signal_id, run, seq, x,"
            "   (floor(x / 86400) IS DISTINCT FROM lag(floor(x / 86400))"
            "    OVER (PARTITION BY signal_id, run ORDER BY seq))::int AS new_day"
            "   FROM binned) marked) pieces"
            " GROUP BY signal_id, run, piece"
        ).format(s=s),
        parameters,
    )
    cursor.execute(
        sql.SQL(
            "WITH change AS (SELECT signal_id, sum(n)::bigint AS before, count(*) AS after"
            "  FROM binned GROUP BY signal_id)"
            " UPDATE {s}.signals t SET count = t.count - c.before + c.after,"
            "  x_min = (SELECT min(x_min) FROM {s}.chunks WHERE signal_id = t.id),"
            "  x_max = (SELECT max(x_max) FROM {s}.chunks WHERE signal_id = t.id)"
            " FROM change c WHERE t.id = c.signal_id RETURNING c.before, c.after"
        ).format(s=s)
    )
    changes = cursor.fetchall()
    return sum(before for before, _ in changes), sum(after for _, after in changes)
