"""exportData: signals and events to JSON or CSV files under $RTOC_HOME/export."""

from __future__ import annotations

import csv
import json

import pytest

from rtoc.io.export import ExportError, export_data
from rtoc.logger import Logger


@pytest.fixture
def logger(tmp_path):
    logger = Logger(home=tmp_path)
    logger.start()
    logger.stream_many([1.0, 2.0], [3.0, 4.5], "S", "D", "V")
    logger.stream(7.0, "T", "D", x=5.0)
    logger.event("hello", "D", "S", priority=1, id="greet", value=2.0, time=1.5)
    yield logger
    logger.close()


def test_json_session_has_every_signal_and_event(logger, tmp_path):
    path = export_data(logger, "session")
    assert path == tmp_path / "export" / "session.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["signals"] == {
        "D.S": {"x": [1.0, 2.0], "y": [3.0, 4.5], "unit": "V"},
        "D.T": {"x": [5.0], "y": [7.0], "unit": ""},
    }
    (event,) = data["events"]
    assert event["text"] == "hello" and event["priority"] == 1 and event["id"] == "greet"


def test_csv_has_one_row_per_sample_for_chosen_signals(logger, tmp_path):
    path = export_data(logger, tmp_path / "out.csv", "csv", ["D.S"])
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows == [
        ["device", "signal", "unit", "x", "y"],
        ["D", "S", "V", "1.0", "3.0"],
        ["D", "S", "V", "2.0", "4.5"],
    ]


def test_without_a_name_the_file_is_named_after_the_time(logger, tmp_path):
    path = export_data(logger)
    assert path.parent == tmp_path / "export" and path.name.startswith("rtoc-")


def test_bad_format_and_unknown_signal_are_refused_and_nothing_is_written(logger, tmp_path):
    with pytest.raises(
        ExportError, match="one of json, csv, parquet, mat, wav, xlsx, ods, got 'x'"
    ):
        export_data(logger, "x", "x")
    with pytest.raises(ExportError, match=r"no signal D\.Nope to export"):
        export_data(logger, "x", "csv", ["D.Nope"])
    assert not (tmp_path / "export").exists()


def test_scripts_export_with_rtoc_s_name(logger, tmp_path):
    printed = logger.automation.run('print(exportData("from-script", "csv"))')
    assert printed == [str(tmp_path / "export" / "from-script.csv")]
    assert "D,T,,5.0,7.0" in (tmp_path / "export" / "from-script.csv").read_text(encoding="utf-8")


def test_scripts_load_a_file_into_memory_with_import_data(logger, tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "lab.csv").write_text("t;U [V]\n1;0,5\n2;1,5\n", encoding="utf-8")
    printed = logger.automation.run('print(importData("lab.csv", "Bench"))')
    assert printed == ["['Bench.U']"]
    x, y, unit = logger.read("Bench", "U")
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [0.5, 1.5] and unit == "V"
