"""rtoc.export / rtoc.load in scripts, and importData's folder and duplicate rules."""

from __future__ import annotations

import csv

import pytest

from rtoc.automation.script import ScriptError
from rtoc.io.csv_import import CsvImporter
from rtoc.io.ingest import AlreadyImported, import_file
from rtoc.io.load import LoadError, import_data
from rtoc.logger import Logger
from rtoc.net.requests import RequestHandler
from rtoc.storage.sqlite import SQLiteStorage

LAB_CSV = "t;U [V];I [A]\n1;0,5;2\n2;1,5;3\n"


@pytest.fixture
def logger(tmp_path):
    logger = Logger(home=tmp_path)
    logger.start()
    logger.stream_many([1.0, 2.0, 3.0], [3.0, 4.5, 6.0], "S", "D", "V")
    logger.stream(7.0, "T", "D", x=5.0)
    logger.event("early", "D", "S", time=1.5)
    logger.event("late", "D", "S", time=4.5)
    yield logger
    logger.close()


@pytest.fixture
def lab(tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "lab.csv").write_text(LAB_CSV, encoding="utf-8")
    return folder / "lab.csv"


def rows(path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def test_rtoc_export_writes_chosen_signals_in_a_span_as_csv(logger, tmp_path):
    printed = logger.automation.run('print(rtoc.export([D.S, "D.T"], "day1/part", start=2, end=5))')
    path = tmp_path / "export" / "day1" / "part.csv"
    assert printed == [str(path)]
    assert rows(path) == [
        ["device", "signal", "unit", "x", "y"],
        ["D", "S", "V", "2.0", "4.5"],
        ["D", "S", "V", "3.0", "6.0"],
        ["D", "T", "", "5.0", "7.0"],
    ]


def test_rtoc_export_takes_iso_times_and_any_registered_format(logger, tmp_path):
    import json

    script = 'print(rtoc.export(D.S, "s", "json", start="1970-01-01T00:00:02Z"))'
    (printed,) = logger.automation.run(script)
    data = json.loads((tmp_path / "export" / "s.json").read_text(encoding="utf-8"))
    assert printed.endswith("s.json")
    assert data["signals"] == {"D.S": {"x": [2.0, 3.0], "y": [4.5, 6.0], "unit": "V"}}
    assert [event["text"] for event in data["events"]] == ["late"]


def test_rtoc_export_is_held_to_the_export_folder(logger, tmp_path):
    outside = str(tmp_path.parent / "escaped.csv")
    reply = RequestHandler(logger).handle(
        {"logger": {"runScript": f"rtoc.export(filename={outside!r})"}}
    )
    assert reply["error"] is True
    assert f"rtoc.export writes only into {tmp_path / 'export'}: {outside!r}" in reply["message"]
    assert not (tmp_path / "export").exists()


def test_rtoc_load_fills_signals_and_the_library_is_still_there(logger, lab):
    printed = logger.automation.run(
        'print(rtoc.load("lab.csv", "Bench"))\n'
        'print(rtoc.mean(Bench.U), rtoc.stats(Bench.I)["max"])'
    )
    assert printed == ["['Bench.U', 'Bench.I']", "1.0 3.0"]
    x, y, unit = logger.read("Bench", "U")
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [0.5, 1.5] and unit == "V"


def test_a_second_load_into_the_same_signals_is_refused_unless_forced(logger, lab):
    assert import_data(logger, "lab.csv", "Bench") == ["Bench.U", "Bench.I"]
    (record,) = [event for event in logger.events if event.id == "import"]
    assert record.device == "rtoc" and "imported lab.csv: 2 signals, 4 samples" in record.text
    with pytest.raises(AlreadyImported, match=r"lab\.csv was imported into these signals before"):
        import_data(logger, "lab.csv", "Bench")
    for script in ('rtoc.load("lab.csv", "Bench")', 'importData("lab.csv", "Bench")'):
        with pytest.raises(ScriptError, match=r"AlreadyImported: .*lab\.csv was imported"):
            logger.automation.run(script)
    assert logger.read("Bench", "U").y.tolist() == [0.5, 1.5]
    logger.automation.run('importData("lab.csv", "Bench", force=True)')
    assert logger.read("Bench", "U").y.tolist() == [0.5, 1.5, 0.5, 1.5]
    assert logger.automation.run('print(rtoc.load("lab.csv", "Other"))') == [
        "['Other.U', 'Other.I']"
    ]


def test_a_file_rtoc_import_stored_is_refused_by_a_logger_on_that_storage(tmp_path, lab):
    database = tmp_path / "rtoc.sqlite"
    storage = SQLiteStorage(database)
    import_file(storage, lab, CsvImporter(), device="Bench")
    storage.close()
    logger = Logger(storage=SQLiteStorage(database), home=tmp_path)
    logger.start()
    try:
        with pytest.raises(ScriptError, match=r"AlreadyImported: .*lab\.csv was imported"):
            logger.automation.run('rtoc.load("lab.csv", "Bench")')
        logger.automation.run('rtoc.load("lab.csv", "Bench", force=True)')
        assert logger.read("Bench", "I").y.tolist()[-2:] == [2.0, 3.0]
    finally:
        logger.close()


@pytest.mark.parametrize("call", ["importData", "rtoc.load"])
@pytest.mark.parametrize("name", ["ABSOLUTE", "../secret.csv", "sub/../../secret.csv", "~/x.csv"])
def test_a_script_sent_over_tcp_cannot_load_from_outside_the_import_folder(
    logger, tmp_path, lab, call, name
):
    secret = tmp_path / "secret.csv"
    secret.write_text(LAB_CSV, encoding="utf-8")
    name = str(secret) if name == "ABSOLUTE" else name
    reply = RequestHandler(logger).handle({"logger": {"runScript": f"{call}({name!r}, 'X')"}})
    assert reply["error"] is True
    assert (
        f"{call} reads only from {tmp_path / 'import'}: {name!r} leads out of it"
        in reply["message"]
    )
    assert ("X", "U") not in logger.store


def test_a_link_out_of_the_import_folder_is_refused_and_a_name_inside_normalized(
    logger, tmp_path, lab
):
    (tmp_path / "secret.csv").write_text(LAB_CSV, encoding="utf-8")
    (lab.parent / "out").symlink_to(tmp_path)
    with pytest.raises(LoadError, match="leads out of it"):
        import_data(logger, "out/secret.csv", "X")
    assert import_data(logger, "day1/../lab.csv", "Y") == ["Y.U", "Y.I"]
