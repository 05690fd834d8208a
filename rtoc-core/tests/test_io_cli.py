"""``rtoc import`` / ``rtoc export`` on a real SQLite home, through click's CliRunner."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from rtoc.cli import cli
from rtoc.homelock import HomeLock
from rtoc.plugins import PluginRegistry
from rtoc.storage.sqlite import SQLiteStorage

DATA = Path(__file__).parent / "data"


def rtoc(home: Path, *args: str) -> Result:
    registry = PluginRegistry.load(entry_points=False)
    return CliRunner().invoke(cli, ["--home", str(home), *args], obj={"registry": registry})


def stored(home: Path) -> SQLiteStorage:
    return SQLiteStorage(home / "rtoc.sqlite")


@pytest.fixture
def bad_csv(tmp_path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("t,U,I\n1,1,1\n2,n/a,2\n3,3,3\n", encoding="utf-8")
    return path


def test_dry_run_prints_signals_units_counts_and_skipped_rows_and_stores_nothing(tmp_path, bad_csv):
    home = tmp_path / "home"
    result = rtoc(home, "import", str(bad_csv), "--dry-run", "--skip-bad", "--device", "Lab")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{bad_csv}: 2 signals, 0 events",
        "  Lab.U: 2 samples, 1970-01-01T00:00:01.000+00:00 .. 1970-01-01T00:00:03.000+00:00",
        "  Lab.I: 2 samples, 1970-01-01T00:00:01.000+00:00 .. 1970-01-01T00:00:03.000+00:00",
        "  skipped 1 bad rows:",
        f"    {bad_csv}:3 column 'U': 'n/a' is not a number",
    ]
    assert not (home / "rtoc.sqlite").exists()


def test_a_bad_row_imports_nothing_and_names_file_row_and_column(tmp_path, bad_csv):
    home = tmp_path / "home"
    result = rtoc(home, "import", str(bad_csv))
    assert result.exit_code == 1
    assert f"Error: {bad_csv}:3 column 'U': 'n/a' is not a number" in result.output
    storage = stored(home)
    assert storage.signals() == [] and storage.events() == []
    storage.close()


def test_import_stores_samples_once_and_a_second_import_is_refused(tmp_path):
    home = tmp_path / "home"
    path = DATA / "german-semicolon.csv"
    first = rtoc(home, "import", str(path), "--device", "Lab")
    assert first.exit_code == 0, first.output
    assert first.output.endswith(f"Imported 6 samples into {home / 'rtoc.sqlite'}.\n")
    again = rtoc(home, "import", str(path), "--device", "Lab")
    assert again.exit_code == 1 and "was imported into these signals before" in again.output
    elsewhere = rtoc(home, "import", str(path), "--map", "Spannung=Other.U")
    assert elsewhere.exit_code == 0, elsewhere.output  # other signals: a new import
    storage = stored(home)
    counts = {info.key: info.count for info in storage.signals()}
    assert counts == {
        ("Lab", "Spannung"): 3,
        ("Lab", "Temperatur"): 3,
        ("Other", "U"): 3,
        ("german-semicolon", "Temperatur"): 3,
    }
    (marker, _) = [e for e in storage.events() if e.id == "import"]
    assert marker.device == "rtoc" and marker.text.startswith("imported german-semicolon.csv")
    storage.close()


def test_import_is_refused_while_a_logger_holds_the_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    lock = HomeLock(home)
    lock.acquire()
    try:
        result = rtoc(home, "import", str(DATA / "excel-bom.csv"))
    finally:
        lock.release()
    assert (
        result.exit_code == 1
        and "cannot import into the storage while a logger runs" in result.output
    )


def test_export_to_stdout_is_csv_and_formats_round_trip_bit_for_bit(tmp_path):
    home = tmp_path / "home"
    storage = stored(home)
    from rtoc.events import Event
    from rtoc.storage.base import SampleBatch

    rng = np.random.default_rng(3)
    x = 1.7e9 + np.cumsum(rng.random(1000))
    y = rng.normal(size=1000) * 1e-9
    y[5], y[6] = np.nan, -np.inf
    storage.append_samples([SampleBatch("Dev", "S", x, y, "mV"), SampleBatch("Dev", "T", x, y * 2)])
    storage.append_events([Event(text="hi", device="Dev", signal="S", time=x[0], priority=2)])
    storage.close()

    out = rtoc(home, "export", "--signals", "Dev.S", "-o", "-")
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["device", "signal", "unit", "x", "y"] and len(rows) == 1001
    between = (x[9] + x[10]) / 2
    start = datetime.fromtimestamp(between, timezone.utc).isoformat()  # ISO or unix seconds
    end = str(float(x[19]))
    out = rtoc(
        home, "export", "--signals", "Dev.S,Dev.T", "--start", start, "--end", end, "-o", "-"
    )
    rows = list(csv.reader(io.StringIO(out.stdout)))[1:]
    assert [float(row[3]) for row in rows] == [*x[10:20], *x[10:20]]

    for suffix in ("parquet", "json", "csv", "mat", "ods"):
        other = tmp_path / f"other-{suffix}"
        path = tmp_path / f"all.{suffix}"
        exported = rtoc(home, "export", "-o", str(path))
        assert exported.exit_code == 0, exported.output
        imported = rtoc(other, "import", str(path))
        assert imported.exit_code == 0, imported.output
        copy = stored(other)
        for name, values in (("S", y), ("T", y * 2)):  # (a NaN keeps no sign in text)
            got_x, got_y = copy.read("Dev", name)
            assert got_x.tobytes() == x.tobytes() and got_y.tobytes() == values.tobytes()
        assert {info.key: info.unit for info in copy.signals()}[("Dev", "S")] == "mV"
        texts = [e.text for e in copy.events() if e.id != "import"]
        assert texts == (["hi"] if suffix == "json" else [])
        copy.close()


def test_export_of_an_unknown_signal_and_a_missing_format_are_clear(tmp_path):
    home = tmp_path / "home"
    stored(home).close()
    result = rtoc(home, "export", "--signals", "No.Such", "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "no signal No.Such to export" in result.output
    result = rtoc(home, "export", "-o", str(tmp_path / "x.xyz"))
    assert result.exit_code == 1 and "no format reads .xyz" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_a_bad_row_after_blocks_already_written_rolls_the_whole_import_back(tmp_path):
    from rtoc.io.csv_import import BLOCK_ROWS

    home = tmp_path / "home"
    path = tmp_path / "long.csv"
    rows = "".join(f"{i},{i}\n" for i in range(3 * BLOCK_ROWS))
    path.write_text("t,U\n" + rows + "0,bad\n", encoding="utf-8")
    result = rtoc(home, "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:{3 * BLOCK_ROWS + 2} column 'U': 'bad' is not a number" in result.output
    storage = stored(home)
    assert storage.signals() == [] and storage.events() == []
    storage.close()
    assert rtoc(home, "import", str(path), "--skip-bad").exit_code == 0
    storage = stored(home)
    assert [info.count for info in storage.signals()] == [3 * BLOCK_ROWS]
    storage.close()


def wal_bytes(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


@pytest.mark.parametrize("reader_open", [False, True])
def test_a_big_import_skips_the_wal_unless_another_connection_has_the_file(tmp_path, reader_open):
    """The samples go through a rollback journal, written once, and WAL mode comes back;
    with a reader on the file SQLite keeps WAL mode and the import goes through the WAL."""
    from rtoc.io.csv_import import CsvImporter
    from rtoc.io.ingest import import_file

    path = tmp_path / "big.csv"
    count = 500_000
    values = np.column_stack([np.arange(count), np.arange(count) / 7])
    np.savetxt(path, values, "%.17g", ",", header="t,U", comments="")
    db = tmp_path / "rtoc.sqlite"
    storage = SQLiteStorage(db)
    reader = SQLiteStorage(db, read_only=True) if reader_open else None
    if reader is not None:
        assert reader.signals() == []
    parsed = import_file(storage, path, CsvImporter(), device="D")
    samples = 16 * count
    assert parsed.signals[("D", "U")].count == count
    if reader_open:
        assert wal_bytes(db) > samples
    else:
        assert wal_bytes(db) < samples / 10
        assert db.stat().st_size > samples
    assert storage._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert storage._db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL again
    x, y = storage.read("D", "U")
    assert x.tolist() == list(range(count)) and y[-1] == (count - 1) / 7
    storage.close()
    if reader is not None:
        reader.close()


IMPORTER = """
import sys
from pathlib import Path
from rtoc.io.csv_import import CsvImporter
from rtoc.io.ingest import import_file
from rtoc.storage.sqlite import SQLiteStorage
import_file(SQLiteStorage(Path(sys.argv[1])), Path(sys.argv[2]), CsvImporter(), device="D")
"""


def test_an_import_killed_halfway_leaves_nothing_and_the_file_in_wal_mode(tmp_path):
    """A hard stop while the rollback journal is in use: the next open rolls the samples back."""
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from rtoc.testing.waiting import wait_until

    path = tmp_path / "big.csv"
    count = 8_000_000  # 128 MB of samples, 120 MB of CSV: removed at the end
    with pacsv.CSVWriter(path, pa.schema([("t", pa.float64()), ("U", pa.float64())])) as out:
        for start in range(0, count, 1_000_000):
            index = np.arange(start, start + 1_000_000, dtype=np.float64)
            out.write_table(pa.table({"t": index, "U": -index}))
    db = tmp_path / "rtoc.sqlite"
    journal = Path(f"{db}-journal")
    process = subprocess.Popen([sys.executable, "-c", IMPORTER, str(db), str(path)])
    try:  # killed once samples reached the file itself, not only the cache
        wait_until(lambda: journal.exists() and db.stat().st_size > 30e6, timeout=60)
    finally:
        process.kill()
        process.wait(10)
    assert journal.exists()  # hot: the transaction did not end
    storage = SQLiteStorage(db)
    assert storage.signals() == [] and storage.events() == []
    assert storage._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    storage.close()
    path.unlink()
    db.unlink()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_stored_record_naming_the_import_in_its_text_refuses_it(tmp_path, backend):
    """As a logger stores the record of a file sent to it over TCP: with its own uid."""
    from rtoc.events import Event
    from rtoc.io.csv_import import CsvImporter
    from rtoc.io.ingest import AlreadyImported, import_file, marker, read_file
    from rtoc.storage.memory import MemoryStorage

    path = DATA / "german-semicolon.csv"
    with read_file(path, CsvImporter(), device="Lab") as parsed:
        record = marker(parsed)
    storage = MemoryStorage() if backend == "memory" else SQLiteStorage(tmp_path / "r.sqlite")
    sent = Event(text=record.text, device=record.device, id=record.id, time=record.time)
    assert sent.uid != record.uid
    storage.append_events([sent])
    with pytest.raises(AlreadyImported, match="was imported into these signals before"):
        import_file(storage, path, CsvImporter(), device="Lab")
    assert storage.signals() == []
    import_file(storage, path, CsvImporter(), device="Lab", force=True)
    assert sorted(info.count for info in storage.signals()) == [3, 3]
    storage.close()


def test_import_into_another_home_and_not_into_two_places(tmp_path):
    home, other = tmp_path / "home", tmp_path / "greenhouse"
    path = DATA / "german-semicolon.csv"
    result = rtoc(home, "import", str(path), "--device", "Lab", "--into", str(other))
    assert result.exit_code == 0, result.output
    assert result.output.endswith(f"Imported 6 samples into {other / 'rtoc.sqlite'}.\n")
    assert not (home / "rtoc.sqlite").exists()
    both = rtoc(home, "import", str(path), "--into", str(other), "--remote", "127.0.0.1")
    assert both.exit_code == 2 and "choose one" in both.output
