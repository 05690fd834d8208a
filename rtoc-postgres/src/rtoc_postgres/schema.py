"""The tables rtoc keeps in PostgreSQL, created and migrated on first connect.

Everything lives in one PostgreSQL schema (``rtoc`` unless told otherwise),
so a shared database stays tidy and ``SELECT * FROM rtoc.readings`` works by
hand::

    meta(key, value)                        schema_version
    devices(id, name)
    signals(id, device_id, name, unit, count, x_min, x_max, next_seq)
    samples(signal_id, seq, x, y)           one row per sample; seq counts per signal
    chunks(signal_id, first_seq, last_seq, x_min, x_max, rate)
                                            one row per stored batch: the time index;
                                            rate: Hz it was resampled to, NULL if raw (v4)
    batches(uid, stored)                    batches already stored (idempotent retries),
                                            forgotten after 30 days (version 3)
    events(uid, time, text, device, signal, priority, id, value)
    rollups(signal_id, level, bucket, n, y_min, y_max, y_sum, x_first, x_last, x_of_min, x_of_max)
                                            min/max/sum per bucket, for plots (version 2);
                                            smallest/largest x, x of min/max (version 5)
    readings                                view: device, signal, unit, time, x, value
    samples_between(device, signal, t0, t1) function: a signal's samples in a time range

``x`` is unix seconds as float8, exactly what the logger holds (a
``timestamptz`` would round to microseconds); ``readings.time`` shows it as a
timestamp. Samples are indexed by (signal, seq) only: a time range finds its
batches in ``chunks`` and reads their seq ranges. One index instead of two
roughly doubles ingest.
"""

from __future__ import annotations

from collections.abc import Callable

from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from rtoc_postgres.rollups import WIDTHS

SCHEMA_VERSION = 5

_CREATE = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.meta (
    key text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.devices (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS {s}.signals (
    id serial PRIMARY KEY,
    device_id int NOT NULL REFERENCES {s}.devices (id),
    name text NOT NULL,
    unit text NOT NULL DEFAULT '',
    count bigint NOT NULL DEFAULT 0,
    x_min float8,
    x_max float8,
    next_seq bigint NOT NULL DEFAULT 0,
    UNIQUE (device_id, name)
);
CREATE TABLE IF NOT EXISTS {s}.samples (
    signal_id int NOT NULL,
    seq bigint NOT NULL,
    x float8 NOT NULL,
    y float8 NOT NULL,
    PRIMARY KEY (signal_id, seq)
);
CREATE TABLE IF NOT EXISTS {s}.chunks (
    signal_id int NOT NULL,
    first_seq bigint NOT NULL,
    last_seq bigint NOT NULL,
    x_min float8,
    x_max float8,
    PRIMARY KEY (signal_id, first_seq)
);
CREATE INDEX IF NOT EXISTS chunks_by_time ON {s}.chunks (signal_id, x_min, x_max);
CREATE TABLE IF NOT EXISTS {s}.batches (
    uid text PRIMARY KEY,
    stored timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.events (
    uid text PRIMARY KEY,
    time float8 NOT NULL,
    text text NOT NULL,
    device text NOT NULL,
    signal text NOT NULL,
    priority int2 NOT NULL,
    id text NOT NULL,
    value float8
);
CREATE INDEX IF NOT EXISTS events_by_time ON {s}.events (time);
CREATE OR REPLACE VIEW {s}.readings AS
    SELECT d.name AS device, s.name AS signal, s.unit,
           CASE WHEN p.x = 'NaN' THEN NULL ELSE to_timestamp(p.x) END AS time,
           p.x, p.y AS value, p.seq
    FROM {s}.samples p
    JOIN {s}.signals s ON s.id = p.signal_id
    JOIN {s}.devices d ON d.id = s.device_id;
CREATE OR REPLACE FUNCTION {s}.samples_between(device text, signal text, t0 float8, t1 float8)
RETURNS TABLE ("time" timestamptz, x float8, value float8) LANGUAGE sql STABLE AS $$
    SELECT to_timestamp(p.x), p.x, p.y
    FROM {s}.devices d
    JOIN {s}.signals s ON s.device_id = d.id AND s.name = $2
    JOIN {s}.chunks c ON c.signal_id = s.id AND c.x_max >= $3 AND c.x_min <= $4
    JOIN {s}.samples p ON p.signal_id = s.id AND p.seq BETWEEN c.first_seq AND c.last_seq
    WHERE d.name = $1 AND p.x BETWEEN $3 AND $4 AND p.x <> 'NaN'
    ORDER BY p.seq
$$;
"""

# Version 2: min/max/sum buckets per signal and width (see rtoc_postgres.rollups),
# filled from the samples already stored.
_ADD_ROLLUPS = """
CREATE TABLE IF NOT EXISTS {s}.rollups (
    signal_id int NOT NULL,
    level int2 NOT NULL,
    bucket bigint NOT NULL,
    n bigint NOT NULL,
    y_min float8 NOT NULL,
    y_max float8 NOT NULL,
    y_sum float8 NOT NULL,
    PRIMARY KEY (signal_id, level, bucket)
);
INSERT INTO {s}.rollups (signal_id, level, bucket, n, y_min, y_max, y_sum)
    SELECT p.signal_id, w.level, floor(p.x / w.width)::bigint, count(*),
           min(p.y), max(p.y), sum(p.y)
    FROM {s}.samples p
    CROSS JOIN (VALUES LEVELS) AS w (level, width)
    WHERE p.x NOT IN ('NaN', 'Infinity', '-Infinity') AND p.y <> 'NaN'
    GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;
"""

# Version 3: stored batch uids are forgotten after a while (see BATCH_MEMORY).
_INDEX_BATCH_AGE = """
CREATE INDEX IF NOT EXISTS batches_by_age ON {s}.batches (stored);
"""

# Version 4: old samples can be resampled in place (rtoc_postgres.thinning); a
# chunk remembers the rate it was resampled to, so it is not done again.
_ADD_CHUNK_RATE = """
ALTER TABLE {s}.chunks ADD COLUMN IF NOT EXISTS rate float8;
"""

# Version 5: the rollups know their smallest and largest x, and the x of their
# min and max, so that bucketed reads answer exact first/last x (the core's
# read_buckets). Filled from the samples still stored; a row whose samples were
# resampled away keeps NULL (its bucket's start stands in for first and last x).
_ADD_ROLLUP_X = """
ALTER TABLE {s}.rollups ADD COLUMN IF NOT EXISTS x_first float8,
    ADD COLUMN IF NOT EXISTS x_last float8,
    ADD COLUMN IF NOT EXISTS x_of_min float8,
    ADD COLUMN IF NOT EXISTS x_of_max float8;
UPDATE {s}.rollups r SET x_first = found.x_first, x_last = found.x_last
    FROM (SELECT p.signal_id, w.level, floor(p.x / w.width)::bigint AS bucket,
                 min(p.x) AS x_first, max(p.x) AS x_last
          FROM {s}.samples p
          CROSS JOIN (VALUES LEVELS) AS w (level, width)
          WHERE p.x NOT IN ('NaN', 'Infinity', '-Infinity') AND p.y <> 'NaN'
          GROUP BY 1, 2, 3) AS found
    WHERE r.signal_id = found.signal_id AND r.level = found.level AND r.bucket = found.bucket;
"""

_LEVELS = ", ".join(f"({level}, {width!r})" for level, width in enumerate(WIDTHS))

#: What brings a schema from the version before to this one.
MIGRATIONS = {
    1: _CREATE,
    2: _ADD_ROLLUPS.replace("LEVELS", _LEVELS),
    3: _INDEX_BATCH_AGE,
    4: _ADD_CHUNK_RATE,
    5: _ADD_ROLLUP_X.replace("LEVELS", _LEVELS),
}


class SchemaError(Exception):
    """The database holds a schema this version cannot use."""


def ensure_schema(
    connection: Connection, schema: str, migrating: Callable[[], None] = lambda: None
) -> int:
    """Create the tables, or check and migrate them; return the schema version.

    An advisory lock serialises loggers that connect to a new database at
    the same moment. ``migrating`` is called before tables are created or
    migrated, work that may take long on a big database.
    """
    name = sql.Identifier(schema)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rtoc schema {schema}",))
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{_quoted(schema)}.meta",))
        (exists,) = cursor.fetchone()
        version = 0
        if exists:
            cursor.execute(
                sql.SQL("SELECT value FROM {}.meta WHERE key = 'schema_version'").format(name)
            )
            row = cursor.fetchone()
            version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            connection.rollback()
            raise SchemaError(
                f"schema {schema} is at version {version}, newer than this rtoc-postgres "
                f"understands ({SCHEMA_VERSION}); upgrade rtoc-postgres"
            )
        if version < SCHEMA_VERSION:
            migrating()
            for step in range(version + 1, SCHEMA_VERSION + 1):
                cursor.execute(sql.SQL(MIGRATIONS[step]).format(s=name))
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {}.meta (key, value) VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ).format(name),
                (str(SCHEMA_VERSION),),
            )
    connection.commit()
    return SCHEMA_VERSION


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
