"""Edits (cells changed, rows deleted) applied where rtoc.io reads a table, the first rows of a
CSV file with their lines, and a workbook's sheet previewed."""

from __future__ import annotations

import codecs
import zipfile
from datetime import datetime

import openpyxl
import pytest

from rtoc.io.csv_head import head
from rtoc.io.csv_import import CsvImporter
from rtoc.io.csv_sniff import sniff
from rtoc.io.edits import Edits
from rtoc.io.formats import FileFormatError, ImportOptions
from rtoc.io.ingest import read_file
from rtoc.io.spreadsheet import OdsFormat, XlsxFormat
from rtoc.testing.workbooks import write_ods

#: line 3 holds a bad cell, lines 5-6 one row whose cell has a line break, line 4 is blank
LINES = ["t;U", "1;1,5", "2;kaputt", "", '3;"3', '"', *(f"{i};{i},5" for i in range(4, 400))]


def samples(path, importer, **options):
    with read_file(path, importer, ImportOptions(**options), "D") as parsed:
        return {key: tuple(a.tolist() for a in parsed.samples(key)) for key in parsed.signals}


@pytest.mark.parametrize("engine", ["python", "arrow"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_csv_edits_apply_to_their_rows_and_the_rest_streams(tmp_path, engine, newline):
    path = tmp_path / "lab.csv"
    path.write_text(newline.join(LINES) + newline, encoding="utf-8", newline="")
    with pytest.raises(FileFormatError, match=r"lab.csv:3 column 'U': 'kaputt' is not a number"):
        samples(path, CsvImporter(engine))
    edits = Edits(cells=((3, 1, "2,5"), (6, 0, "3.5"), (6, 1, "7")), deleted=frozenset({9}))
    x, y = samples(path, CsvImporter(engine), edits=edits)[("D", "U")]
    assert x[:5] == [1.0, 2.0, 3.5, 4.0, 5.0] and y[:5] == [1.5, 2.5, 7.0, 4.5, 5.5]
    assert 6.0 not in x  # line 9 deleted
    assert len(x) == 398 and (x[-1], y[-1]) == (399.0, 399.5)  # the file's rest, unedited

    # every line keeps its number: an error past the edits names the file's line
    path.write_bytes(path.read_bytes().replace(b"\n300;300,5", b"\n300;n/a"))
    with pytest.raises(FileFormatError) as caught:
        samples(path, CsvImporter(engine), edits=edits)
    assert str(caught.value) == f"{path}:303 column 'U': 'n/a' is not a number"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16-le", "utf-16-be", "cp1252"])
def test_csv_edits_keep_the_file_s_encoding(tmp_path, encoding):
    path = tmp_path / "enc.csv"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    path.write_bytes(bom + "t\tÄ [°C]\n1\t1\n2\tx\n3\t3\n".encode(encoding))
    found = samples(path, CsvImporter(), edits=Edits(cells=((3, 1, "2,25"),)))
    assert found == {("D", "Ä"): ([1.0, 2.0, 3.0], [1.0, 2.25, 3.0])}


def test_a_deleted_row_is_left_out_and_row_numbers_close_up(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("U\n10\nbad\n30\n", encoding="utf-8")
    found = samples(path, CsvImporter(), edits=Edits(deleted=frozenset({3})))
    assert found == {("D", "U"): ([0.0, 1.0], [10.0, 30.0])}
    assert samples(path, CsvImporter(), edits=Edits(deleted=frozenset({2, 3, 4}))) == {}


def test_edits_lengthen_a_short_row_and_name_real_cells():
    edits = Edits(cells=((2, 2, "5"),))
    assert edits.row(2, ["1"]) == ["1", "", "5"] and edits.row(3, ["1"]) == ["1"]
    assert edits.last == 2 and not Edits() and Edits(deleted=frozenset({4})).last == 4
    with pytest.raises(ValueError, match="no cell at line 0, column 1"):
        Edits(cells=((0, 0, "x"),))


def test_head_gives_rows_with_lines_and_a_prefix_that_is_the_same_table(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    dialect = sniff(path, ImportOptions())
    first = head(path, dialect, 4)
    assert first.rows == [
        (2, ["1", "1,5"]),
        (3, ["2", "kaputt"]),
        (6, ["3", "3\n"]),
        (7, ["4", "4,5"]),
    ]
    assert first.more and not head(path, dialect, 1000).more
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes()[: first.size])
    assert head(copy, sniff(copy, ImportOptions()), 1000).rows == first.rows
    undecodable = tmp_path / "utf8.csv"
    undecodable.write_bytes(b"t,U\n1,2\n")
    bad = sniff(undecodable, ImportOptions())
    undecodable.write_bytes(b"t,U\n1,\xff\n")
    with pytest.raises(FileFormatError, match="not utf-8 text throughout: invalid start byte"):
        head(undecodable, bad, 10)


def two_sheets(path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["written by hand"])
    sheet = book.create_sheet("Messung")
    sheet.append(["Zeit", "U [V]", "note", "I [A]"])
    start = datetime(2024, 3, 1, 12)
    for second in range(5):
        sheet.append(
            [start.replace(second=second), second + 0.5, "ok", "kaputt" if second == 2 else 1]
        )
    book.save(path)
    return start.timestamp()


def test_xlsx_preview_names_sheets_and_finds_head_and_time(tmp_path):
    path = tmp_path / "book.xlsx"
    start = two_sheets(path)
    preview = XlsxFormat().preview(path, ImportOptions(sheet="Messung"), 3)
    assert preview.sheets == ("Notes", "Messung") and preview.sheet == "Messung"
    head_ = preview.head
    assert (head_.names, head_.units) == (("Zeit", "U", "note", "I"), ("", "V", "", "A"))
    assert head_.header and head_.time_index == 0 and not head_.long
    assert preview.header[0] == 1 and [line for line, _ in preview.rows] == [2, 3, 4]
    assert preview.rows[0][1][0] == datetime(2024, 3, 1, 12) and preview.more
    first = XlsxFormat().preview(path, ImportOptions(), 10)
    assert first.sheet == "Notes" and first.head.names == ("written by hand",)
    assert first.rows == () and not first.more
    with pytest.raises(FileFormatError, match="no sheet 'Drei'; sheets: Notes, Messung"):
        XlsxFormat().preview(path, ImportOptions(sheet="Drei"), 10)

    # the bad cell, edited, and a row deleted: read as edited
    with pytest.raises(FileFormatError, match=r"book.xlsx:4 column 'I': 'kaputt' is not a number"):
        samples(path, XlsxFormat(), sheet="Messung", columns=("I",))
    edits = Edits(cells=((4, 3, "2,5"), (5, 0, "2024-03-01 12:00:30")), deleted=frozenset({6}))
    found = samples(path, XlsxFormat(), sheet="Messung", columns=("I",), edits=edits)
    assert found == {("D", "I"): ([start, start + 1, start + 2, start + 30], [1.0, 1.0, 2.5, 1.0])}


def test_a_broken_workbook_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.xlsx"
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(FileFormatError, match="not an XLSX file rtoc can read"):
        XlsxFormat().preview(junk, ImportOptions(), 10)
    noise = tmp_path / "noise.ods"
    noise.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FileFormatError, match="not an ODS file rtoc can read"):
        OdsFormat().preview(noise, ImportOptions(), 10)


def test_ods_preview_and_edits(tmp_path):
    path = write_ods(
        tmp_path / "klima.ods",
        {"leer": [], "Klima": [["t", "T"], [1.0, 20.0], [2.0, "n/a"], [3.0, 22.0]]},
    )
    assert OdsFormat().preview(path, ImportOptions(), 10).head is None  # the empty first sheet
    preview = OdsFormat().preview(path, ImportOptions(sheet="Klima"), 10)
    assert preview.sheets == ("leer", "Klima") and preview.head.time_index == 0
    assert preview.rows == ((2, [1.0, 20.0]), (3, [2.0, "n/a"]), (4, [3.0, 22.0]))
    found = samples(path, OdsFormat(), sheet="Klima", edits=Edits(cells=((3, 1, "21"),)))
    assert found == {("D", "T"): ([1.0, 2.0, 3.0], [20.0, 21.0, 22.0])}


def test_the_arrow_engine_reads_the_edited_stream_itself(tmp_path, monkeypatch):
    import rtoc.io.csv_import as csv_import

    def no_python_engine(*_args):
        raise AssertionError("the python engine took over")

    monkeypatch.setattr(csv_import, "_python_blocks", no_python_engine)
    path = tmp_path / "big.csv"
    path.write_text("t,U\n1,1\n2,x\n" + "".join(f"{i},{i}\n" for i in range(3, 100_000)))
    edits = Edits(cells=((3, 1, "2"),), deleted=frozenset({5}))
    x, y = samples(path, CsvImporter("arrow"), edits=edits)[("D", "U")]
    assert x[:4] == [1.0, 2.0, 3.0, 5.0] and y[:4] == x[:4]
    assert len(x) == 99_998 and x[-1] == 99_999.0
