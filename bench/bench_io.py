"""Import and export (issue 14): one JSON line per figure on stdout.

A CSV of ``--rows`` rows (10 M by default) with a time column and two value
columns is written to a temporary folder (not timed). Then, each in a fresh
child process so that its peak memory (``ru_maxrss``) is its own, timed from
after the libraries are imported:

- ``pyarrow.csv.read_csv`` of the file, the yardstick, and ``rtoc import``'s
  work (:func:`rtoc.io.ingest.import_file` into a fresh SQLite), alternated
  ``--repeat`` times; the median of each counts;
- export of one signal of ``--rows`` samples from SQLite to CSV and to
  Parquet, Parquet written and read by the format alone (no storage), and
  the Parquet file imported into a fresh SQLite (``--repeat`` times, median).

``--compare-wal`` adds, alternated with each import, the same import with
SQLite kept in WAL mode (as before the rollback journal of
``SQLiteStorage._written_once``), and prints its median too. ``--big-rows N``
adds the import of a CSV of N rows made the same way (70 M rows: 2.1 GB),
for its peak memory: the file is streamed, never read whole.

    python bench/bench_io.py                 # 10 M rows: ~600 MB of CSV, ~1 GB of disk in all
    python bench/bench_io.py --rows 1000000
    python bench/bench_io.py --compare-wal
    python bench/bench_io.py --rows 1000000 --repeat 1 --big-rows 70000000  # ~5 GB of disk
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from figures import emit

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
import pyarrow.compute, pyarrow.csv, pyarrow.parquet  # imported before the clock starts
from rtoc.io import exporters, importers
from rtoc.io.export import export_stored
from rtoc.io.formats import ExportSignal, ImportOptions
from rtoc.io.ingest import import_file
from rtoc.io.parquet import ParquetFormat
from rtoc.storage.sqlite import SQLiteStorage
work, job = Path(sys.argv[1]), sys.argv[2]
began = time.perf_counter()
extra = {}
if job == "pyarrow":
    extra["rows"] = pyarrow.csv.read_csv(work / "data.csv").num_rows
elif job.startswith("import-"):
    if job.endswith("-wal"):  # the import as it was before the rollback journal
        import contextlib
        SQLiteStorage._written_once = lambda self: contextlib.nullcontext()
    files = {"csv": ("data.csv", "csv.sqlite"), "parquet": ("out.parquet", "pq.sqlite"),
             "big": ("big.csv", "big.sqlite")}
    name, db = files[job.split("-")[1]]
    for stale in (db, db + "-wal", db + "-shm", db + "-journal"):
        (work / stale).unlink(missing_ok=True)
    began = time.perf_counter()
    storage = SQLiteStorage(work / db)
    path = work / name
    parsed = import_file(storage, path, importers()[path.suffix[1:]], device="Bench")
    extra["samples"] = sum(summary.count for summary in parsed.signals.values())
    storage.close()
elif job == "parquet-write":
    n = int(sys.argv[3])
    x = 1_764_000_000.0 + np.arange(n) / 1000.0
    y = np.random.default_rng(1).normal(size=n)
    began = time.perf_counter()  # the arrays are made before the clock starts
    ParquetFormat().write(work / "alone.parquet", [ExportSignal("Bench", "U", "V", x, y)], [])
    extra["samples"] = n
elif job == "parquet-read":
    blocks = ParquetFormat().read(work / "alone.parquet", ImportOptions())
    extra["samples"] = sum(len(block.x) for block in blocks)
else:
    storage = SQLiteStorage(work / "csv.sqlite")
    fmt = job.split("-")[1]
    target = work / ("out.csv" if fmt == "csv" else "out.parquet")
    extra["samples"] = export_stored(storage, target, exporters()[fmt], ["Bench.U"])
    storage.close()
elapsed = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak": peak, **extra}))
"""


def child(work: Path, job: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(work), job, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def _median(runs: list[dict]) -> dict:
    """The run with the median time."""
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def make_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv

    rng = np.random.default_rng(1)
    options = pyarrow.csv.WriteOptions(quoting_style="none")
    schema = pa.schema([("time", pa.float64()), ("U", pa.float64()), ("I", pa.float64())])
    with pyarrow.csv.CSVWriter(path, schema, write_options=options) as out:
        for first in range(0, rows, 1_000_000):
            index = np.arange(first, min(first + 1_000_000, rows), dtype=np.float64)
            out.write_table(
                pa.table(
                    {
                        "time": 1_764_000_000.0 + index / 1000.0,
                        "U": np.round(rng.normal(230, 2, len(index)), 3),
                        "I": np.round(rng.normal(1, 0.1, len(index)), 4),
                    }
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each import")
    parser.add_argument(
        "--compare-wal", action="store_true", help="also import with SQLite in WAL mode"
    )
    parser.add_argument("--big-rows", type=int, default=0, help="also import a CSV this long")
    args = parser.parse_args()
    rows = args.rows
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        make_csv(work / "data.csv", rows)
        size = (work / "data.csv").stat().st_size
        variants = ("import-csv", "import-csv-wal") if args.compare_wal else ("import-csv",)
        runs: dict[str, list[dict]] = {job: [] for job in ("pyarrow", *variants)}
        for _ in range(args.repeat):  # alternated, so that all see the same machine load
            for job in runs:
                runs[job].append(child(work, job))
        base = _median(runs["pyarrow"])
        imported = _median(runs["import-csv"])
        emit("pyarrow.csv.read_csv alone", base["seconds"], "s", "yardstick", rows=rows,
             bytes=size, peak_bytes=base["peak"], runs=args.repeat)  # fmt: skip
        extra = {"samples": imported["samples"]}
        emit("import CSV into SQLite", imported["seconds"], "s", "<= 5 s (10 M rows, 3 columns)",
             rows=rows, runs=args.repeat, **extra)  # fmt: skip
        emit("import CSV / pyarrow.csv.read_csv", imported["seconds"] / base["seconds"], "x",
             "<= 2", rows=rows)  # fmt: skip
        emit("peak memory importing the CSV", imported["peak"] / 2**20, "MiB", "< 1024 MiB",
             0, rows=rows)  # fmt: skip
        if args.compare_wal:
            wal = _median(runs["import-csv-wal"])
            emit("import CSV into SQLite in WAL mode (before)", wal["seconds"], "s",
                 "comparison", rows=rows, runs=args.repeat)  # fmt: skip
        for job, target in (("export-csv", "<= 3 s"), ("export-parquet", "<= 1 s")):
            done = child(work, job)
            figure = f"{job.replace('-', ' to ')} from SQLite, one signal"
            emit(figure, done["seconds"], "s", f"{target} (10 M samples)",
                 samples=done["samples"], peak_bytes=done["peak"])  # fmt: skip
        for job in ("parquet-write", "parquet-read"):
            done = child(work, job, str(rows))
            figure = f"{job.replace('-', ' ')} alone (no storage), one signal"
            emit(figure, done["seconds"], "s", "<= 1 s (10 M samples)",
                 samples=done["samples"], peak_bytes=done["peak"])  # fmt: skip
        variants = (
            ("import-parquet", "import-parquet-wal") if args.compare_wal else ("import-parquet",)
        )
        runs = {job: [] for job in variants}
        for _ in range(args.repeat):
            for job in runs:
                runs[job].append(child(work, job))
        done = _median(runs["import-parquet"])
        emit("import Parquet into SQLite", done["seconds"], "s", "<= 1 s (10 M samples)",
             samples=done["samples"], peak_bytes=done["peak"], runs=args.repeat)  # fmt: skip
        if args.compare_wal:
            wal = _median(runs["import-parquet-wal"])
            emit("import Parquet into SQLite in WAL mode (before)", wal["seconds"], "s",
                 "comparison", samples=wal["samples"], runs=args.repeat)  # fmt: skip
        if args.big_rows:
            (work / "data.csv").unlink()  # room for the big one
            make_csv(work / "big.csv", args.big_rows)
            size = (work / "big.csv").stat().st_size
            done = child(work, "import-big")
            emit(f"peak memory importing a CSV of {size / 1e9:.1f} GB into SQLite",
                 done["peak"] / 2**20, "MiB", "< 1024 MiB", 0, rows=args.big_rows, bytes=size,
                 seconds=round(done["seconds"], 1), samples=done["samples"])  # fmt: skip


if __name__ == "__main__":
    main()
