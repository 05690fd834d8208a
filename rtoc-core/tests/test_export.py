"""exportData: signals and events to JSON or CSV files under $RTOC_HOME/export."""

from __future__ import annotations

import csv
import json

import pytest

from rtoc.io.export import ExportError, export_data
from rtoc.logger import Logger
from rtoc.net.requests import RequestHandler
from rtoc.testing.waiting import wait_until


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
    path = export_data(logger, "day1/out.csv", "csv", ["D.S"])
    assert path == tmp_path / "export" / "day1" / "out.csv"
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


OUTSIDE = "exportData writes only into {}: {!r} leads out of it"


@pytest.mark.parametrize("name", ["ABSOLUTE", "../escaped.csv", "day1/../../escaped.csv", "~/x"])
def test_a_script_sent_over_tcp_cannot_export_outside_the_export_folder(logger, tmp_path, name):
    target = tmp_path.parent / "escaped.csv"
    name = str(target) if name == "ABSOLUTE" else name
    handler = RequestHandler(logger)
    reply = handler.handle({"logger": {"runScript": f"exportData({name!r}, 'csv')"}})
    assert reply["error"] is True
    assert OUTSIDE.format(tmp_path / "export", name) in reply["message"]
    assert not target.exists() and not (tmp_path / "export").exists()


def test_a_link_out_of_the_export_folder_is_refused_too(logger, tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "out").symlink_to(tmp_path.parent)
    with pytest.raises(ExportError, match="leads out of it"):
        export_data(logger, "out/escaped.csv", "csv")


def test_jobs_and_global_actions_sent_over_tcp_are_held_to_the_export_folder(logger, tmp_path):
    handler = RequestHandler(logger)
    outside = str(tmp_path.parent / "escaped.csv")
    script = f"exportData({outside!r}, 'csv')"
    job = {"name": "a-job", "script": script, "once": True}
    reply = handler.handle({"logger": {"addJob": job}})
    assert reply["error"] is False, reply
    action = {"listenID": ["dump"], "parameters": "", "script": script, "active": True}
    for command in ({"setGlobalAction": {"an-action": action}}, {"globalActionsActivated": True}):
        assert handler.handle({"logger": command})["error"] is False
    logger.event("dump now", "D", id="dump")

    def refusals() -> list[str]:
        return [e.text for e in logger.events if "exportData writes only into" in e.text]

    wait_until(lambda: len(refusals()) == 2)
    assert sorted(text.split(",")[0] for text in refusals()) == [
        "script a-job",
        "script an-action",
    ]
    assert not (tmp_path.parent / "escaped.csv").exists()


def test_a_name_inside_the_folder_is_kept_normalized(logger, tmp_path):
    printed = logger.automation.run('print(exportData("day1/../day2/s", "csv"))')
    assert printed == [str(tmp_path / "export" / "day2" / "s.csv")]
    assert (tmp_path / "export" / "day2" / "s.csv").is_file()
