"""The format registry (hooks), Parquet's wide tables, session JSON, the import summary."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rtoc.events import Event
from rtoc.hookspecs import hookimpl
from rtoc.io.formats import Block, FileFormatError, ImportOptions, MissingExtra, choose, require
from rtoc.io.ingest import read_file, store
from rtoc.io.parquet import ParquetFormat
from rtoc.io.session import SessionFormat
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc.storage.memory import MemoryStorage


class TenSamples:
    """A plugin's reader of ``.ten`` files: ten samples of one signal."""

    name = "ten"
    suffixes = (".ten",)
    extra = None

    def read(self, path: Path, options: ImportOptions):
        yield Block(np.arange(10.0), {"N": np.ones(10)}, units={"N": "1"})


class Plugin:
    @hookimpl
    def rtoc_importers(self):
        return [TenSamples(), "not a format"]


def test_a_plugin_adds_an_importer_and_a_broken_entry_fails_that_plugin_only(tmp_path):
    registry = PluginRegistry.load(entry_points=False)
    registry.register(Plugin(), PluginInfo("ten", "rtoc-io-ten 1.0"))
    importers = registry.importers()
    assert list(importers) == ["csv", "json", "parquet", "mat", "wav", "xlsx", "ods", "ten"]
    assert "no name or read" in registry.plugins["ten"].error
    path = tmp_path / "data.ten"
    path.write_text("whatever")
    with read_file(path, choose(importers, path, None)) as parsed:
        assert parsed.summary()[1].startswith("  data.N [1]: 10 samples")
    assert list(registry.exporters()) == ["json", "csv", "parquet", "mat", "wav", "xlsx", "ods"]


def test_a_missing_library_names_the_extra_to_install():
    with pytest.raises(MissingExtra, match=r"pip install 'rtoc-core\[xlsx\]' to read \.xlsx"):
        require("rtoc_no_such_module", "xlsx", "read .xlsx")


def test_parquet_wide_table_with_a_zoned_timestamp_column(tmp_path):
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    times = [start, start.replace(second=1, microsecond=500000)]
    table = pa.table(
        {
            "U": pa.array([1.5, None]),
            "when": pa.array(times, pa.timestamp("us", "UTC")),
            "count": pa.array([1, 2], pa.int32()),
        }
    )
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path)
    with read_file(path, ParquetFormat(), device="D") as parsed:
        x, y = parsed.samples(("D", "U"))
        assert x.tolist() == [1704067200.0, 1704067201.5]
        assert y[0] == 1.5 and np.isnan(y[1])
        assert parsed.samples(("D", "count"))[1].tolist() == [1.0, 2.0]


def test_parquet_text_column_is_refused_by_name(tmp_path):
    path = tmp_path / "text.parquet"
    pq.write_table(pa.table({"t": [1.0], "note": ["hello"]}), path)
    with pytest.raises(FileFormatError, match=r"column 'note' holds string, not numbers"):
        read_file(path, ParquetFormat())


def test_session_events_are_stored_once_however_often_imported(tmp_path):
    event = Event(text="over", device="D", signal="S", time=2.0, priority=2, uid="e1")
    session = {
        "signals": {"D.S": {"x": [1.0, 2.0], "y": [0.5, "NaN"], "unit": "V"}},
        "events": [
            {"text": "over", "device": "D", "signal": "S", "time": 2.0, "priority": 2, "uid": "e1"}
        ],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(session).replace('"NaN"', "NaN"))
    storage = MemoryStorage()
    for force in (False, True):
        with read_file(path, SessionFormat()) as parsed:
            store(parsed, storage, force=force)
    x, _ = storage.read("D", "S")
    assert x.tolist() == [1.0, 2.0, 1.0, 2.0]  # --force imports the samples again ...
    assert [e for e in storage.events() if e.id != "import"] == [event]  # ... not the event


def test_a_broken_session_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"signals": {\n"D.S": [1, 2\n')
    with pytest.raises(FileFormatError, match=r"broken\.json:3: not JSON"):
        read_file(path, SessionFormat())


def test_summary_tells_of_time_going_back_and_repeated_timestamps(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"signals": {"D.S": {"x": [1, 2, 2, 1, 3], "y": [0] * 5}}}))
    with read_file(path, SessionFormat()) as parsed:
        (line,) = [line for line in parsed.summary() if "D.S" in line]
    assert line.endswith("5 samples, 1970-01-01T00:00:01.000+00:00 .. "
                         "1970-01-01T00:00:03.000+00:00, time goes back 1 times, "
                         "1 repeated timestamps")  # fmt: skip


def test_summary_counts_across_blocks_and_leaves_nan_and_inf_out_of_the_span():
    from rtoc.io.ingest import SignalSummary

    summary = SignalSummary(("D", "S"))
    for block in ([5.0, 6.0, 6.0], [4.0, np.nan, 7.0], [7.0, np.inf], [], [-np.inf]):
        summary.add(np.array(block))
    assert (summary.first, summary.last, summary.count) == (4.0, 7.0, 9)
    assert summary.backwards == 2  # 6 -> 4 across blocks, inf -> -inf
    assert summary.repeated == 2  # 6, 6 within a block and 7, 7 across two
    only_nan = SignalSummary(("D", "S"))
    only_nan.add(np.array([np.nan]))
    assert only_nan.first > only_nan.last and only_nan.count == 1  # "no timestamps"
