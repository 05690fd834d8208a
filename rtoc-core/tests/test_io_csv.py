"""CSV import: sniffing, time columns, bad rows; the arrow and python engines agree."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from rtoc.io.csv_export import CsvExporter
from rtoc.io.csv_import import BLOCK_ROWS, CsvImporter
from rtoc.io.formats import ExportSignal, FileFormatError, ImportOptions
from rtoc.io.ingest import read_file

DATA = Path(__file__).parent / "data"
ENGINES = [
    "python",
    pytest.param(
        "arrow",
        marks=pytest.mark.skipif(
            not __import__("importlib").util.find_spec("pyarrow"), reason="pyarrow is not installed"
        ),
    ),
]


@pytest.fixture(params=ENGINES)
def importer(request):
    return CsvImporter(engine=request.param)


def read(importer, path, **options):
    """{(device, signal): (x, y, unit)} and the skipped rows of ``path``."""
    device = options.pop("device", None)
    mapping = options.pop("mapping", None)
    with read_file(path, importer, ImportOptions(**options), device, mapping) as parsed:
        signals = {}
        for key, summary in parsed.signals.items():
            x, y = parsed.samples(key)
            signals[key] = (np.array(x), np.array(y), summary.unit)
        return signals, list(parsed.skipped)


def write(tmp_path, text: str, name="data.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_german_semicolon_file_with_decimal_commas_and_local_times(importer):
    signals, skipped = read(importer, DATA / "german-semicolon.csv")
    assert not skipped
    start = datetime(2024, 3, 1, 12).timestamp()  # no zone: local time
    x, y, unit = signals[("german-semicolon", "Spannung")]
    assert x.tolist() == [start, start + 1, start + 2]
    assert y.tolist() == [1.5, 1.75, 2.0] and unit == "V"
    x, y, unit = signals[("german-semicolon", "Temperatur")]
    assert y.tolist() == [20.25, -0.5, 1e-3] and unit == "°C"  # Windows-1252 read right


def test_excel_file_with_bom_unix_seconds_and_empty_cells(importer):
    signals, _ = read(importer, DATA / "excel-bom.csv", device="Lab")
    x, y, unit = signals[("Lab", "Temperature")]
    assert x.tolist() == [1709294400.0, 1709294460.0, 1709294520.0]
    assert y[:2].tolist() == [21.5, 21.75] and np.isnan(y[2]) and unit == "°C"
    _, humidity, _ = signals[("Lab", "Humidity")]
    assert humidity[:2].tolist() == [40.0, 41.5] and np.isnan(humidity[2])  # empty: a gap


def test_utf16_tab_separated_excel_export(importer, tmp_path):
    text = "Zeit\tU [mV]\n1.5\t3\n2.5\t-4\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    signals, _ = read(importer, path, device="D")
    assert signals[("D", "U")][0].tolist() == [1.5, 2.5]
    assert signals[("D", "U")][1].tolist() == [3.0, -4.0]
    assert signals[("D", "U")][2] == "mV"


def test_latin1_file(importer, tmp_path):
    path = write(tmp_path, "t,Druck [µbar]\n1,2\n", encoding="latin-1")
    signals, _ = read(importer, path, device="D")
    assert signals[("D", "Druck")][2] == "µbar"


def test_without_header_the_first_column_is_time_and_one_column_counts_rows(importer, tmp_path):
    signals, _ = read(importer, write(tmp_path, "10,1\n20,2\n"), device="D")
    assert signals[("D", "col2")][0].tolist() == [10.0, 20.0]
    signals, _ = read(importer, write(tmp_path, "5\n6\n7\n", "one.csv"), device="D")
    assert signals[("D", "col1")][0].tolist() == [0.0, 1.0, 2.0]
    assert signals[("D", "col1")][1].tolist() == [5.0, 6.0, 7.0]


def test_time_column_0_numbers_the_rows(importer, tmp_path):
    signals, _ = read(importer, write(tmp_path, "t,U\n10,1\n20,2\n"), device="D", time_column="0")
    assert signals[("D", "t")][0].tolist() == [0.0, 1.0]
    assert signals[("D", "U")][1].tolist() == [1.0, 2.0]


def test_chosen_columns_leave_a_text_column_unread(importer, tmp_path):
    path = write(tmp_path, "t,note,U [V],I\n1,ok,2,3\n2,door open,4,5\n")
    signals, _ = read(importer, path, device="D", columns=("U", "4"))
    assert set(signals) == {("D", "U"), ("D", "I")}
    assert signals[("D", "U")][0].tolist() == [1.0, 2.0]
    assert signals[("D", "I")][1].tolist() == [3.0, 5.0] and signals[("D", "U")][2] == "V"
    with pytest.raises(FileFormatError, match=r"data\.csv:2 column 'note': 'ok' is not a number"):
        read(importer, path, device="D", columns=("note",))
    with pytest.raises(FileFormatError, match=r"no column 'Q'; columns: t, note, U, I \(or 1..4\)"):
        read(importer, path, device="D", columns=("Q",))


def test_iso_times_with_zones_and_named_time_column(importer, tmp_path):
    text = "U,when\n1,2024-01-01T00:00:00Z\n2,2024-01-01T01:00:00+01:00\n"
    signals, _ = read(importer, write(tmp_path, text), device="D", time_column="when")
    assert signals[("D", "U")][0].tolist() == [1704067200.0, 1704067200.0]


def test_excel_serial_days(importer, tmp_path):
    signals, _ = read(importer, write(tmp_path, "Datum;U\n45352,5;1\n"), device="D")
    assert signals[("D", "U")][0].tolist() == [datetime(2024, 3, 1, 12).timestamp()]


def test_bad_cell_names_file_line_and_column_and_nothing_is_imported(importer, tmp_path):
    rows = "".join(f"{i},{i * 0.5}\n" for i in range(BLOCK_ROWS + 10))
    path = write(tmp_path, "t,U\n" + rows + "99,n/a\n1,2\n")
    line = BLOCK_ROWS + 12
    with pytest.raises(FileFormatError) as caught:
        read(importer, path, device="D")
    assert str(caught.value) == f"{path}:{line} column 'U': 'n/a' is not a number"
    assert (caught.value.row, caught.value.column) == (line, "U")


def test_skip_bad_skips_and_counts_the_rows(importer, tmp_path):
    path = write(tmp_path, "t,U\n1,1\n2,n/a\n3\nx,4\n5,5\n")
    signals, skipped = read(importer, path, device="D", skip_bad=True)
    assert signals[("D", "U")][0].tolist() == [1.0, 5.0]
    assert [(bad.row, bad.column) for bad in skipped] == [(3, "U"), (4, ""), (5, "t")]
    assert skipped[1].reason == "has 1 cells, expected 2"


def test_nan_and_inf_cells_are_kept(importer, tmp_path):
    signals, _ = read(importer, write(tmp_path, "t,U\n1,nan\n2,inf\n3,-inf\n"), device="D")
    y = signals[("D", "U")][1]
    assert np.isnan(y[0]) and y[1] == np.inf and y[2] == -np.inf


def test_binary_data_is_no_text_table(importer, tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(FileFormatError, match=r"image.csv: binary data, not a text table \(a NUL"):
        read(importer, path)


def test_empty_and_header_only_files_give_no_signals(importer, tmp_path):
    assert read(importer, write(tmp_path, ""), device="D") == ({}, [])
    signals, _ = read(importer, write(tmp_path, "t,U\n", "header.csv"), device="D")
    assert signals == {}


def test_map_renames_columns_and_an_unknown_column_is_refused(importer, tmp_path):
    path = write(tmp_path, "t,U,I\n1,2,3\n")
    signals, _ = read(importer, path, mapping={"U": "PSU.Voltage"}, device="D")
    assert set(signals) == {("PSU", "Voltage"), ("D", "I")}
    with pytest.raises(FileFormatError, match=r"--map names columns the file lacks: \['Q'\]"):
        read(importer, path, mapping={"Q": "A.B"})


def test_export_reads_back_bit_for_bit(importer, tmp_path):
    """rtoc's own CSV (device,signal,unit,x,y) keeps names and float64 values, large or small."""
    rng = np.random.default_rng(7)
    big = 150_000  # beyond ARROW_FROM: written by pyarrow where installed
    signals = [
        ExportSignal("Dev", "A", "V", np.arange(big) / 3.0, rng.normal(size=big) * 1e-300),
        ExportSignal("Dev", "B, quoted", "°C", np.array([1.0, 2.0]), np.array([np.nan, np.inf])),
    ]
    out = io.BytesIO()
    CsvExporter().write(out, signals, [])
    path = tmp_path / "export.csv"
    path.write_bytes(out.getvalue())
    read_back, _ = read(importer, path)
    for signal in signals:
        x, y, unit = read_back[(signal.device, signal.name)]
        assert unit == signal.unit
        assert x.tobytes() == signal.x.tobytes() and y.tobytes() == signal.y.tobytes()


def test_small_export_is_plain_readable_csv():
    out = io.BytesIO()
    CsvExporter().write(out, [ExportSignal("D", "S", "V", np.array([1.0]), np.array([0.1]))], [])
    assert list(csv.reader(io.StringIO(out.getvalue().decode()))) == [
        ["device", "signal", "unit", "x", "y"],
        ["D", "S", "V", "1.0", "0.1"],
    ]


def test_arrow_hands_over_to_python_mid_file_without_losing_or_repeating_rows(
    tmp_path, monkeypatch
):
    import rtoc.io.csv_import as csv_import

    monkeypatch.setattr(csv_import, "ARROW_BLOCK_BYTES", 4096)  # many small arrow batches
    rows = [f"{i},{i * 0.25}\n" for i in range(5000)]
    rows[4000] = "4000,oops\n"
    path = write(tmp_path, "t,U\n\n" + "".join(rows))  # (an empty line is no row)
    signals, skipped = read(CsvImporter("arrow"), path, device="D", skip_bad=True)
    x, y, _ = signals[("D", "U")]
    expected = [i for i in range(5000) if i != 4000]
    assert x.tolist() == expected and y.tolist() == [i * 0.25 for i in expected]
    assert [(bad.row, bad.column) for bad in skipped] == [(4003, "U")]


def test_into_view_streams_to_a_logger_and_refuses_a_second_time(tmp_path):
    from rtoc.config import Config
    from rtoc.io.ingest import AlreadyImported, into_view
    from rtoc.logger import Logger

    path = write(tmp_path, "t,U [V]\n1,2\n2,4\n")
    sizes: list[int] = []
    with Logger(Config()) as logger, read_file(path, CsvImporter(), device="D") as parsed:
        assert into_view(parsed, logger, advance=sizes.append) == 2 and sizes == [2]
        stored = logger.read("D", "U")
        assert (stored.x.tolist(), stored.y.tolist(), stored.unit) == ([1.0, 2.0], [2.0, 4.0], "V")
        (record,) = [event for event in logger.events if event.id == "import"]
        assert record.time == 1.0 and parsed.uid in record.text
        with pytest.raises(AlreadyImported, match="was imported into these signals before"):
            into_view(parsed, logger)
        assert into_view(parsed, logger, force=True) == 2
