"""/download: CSV of the chosen signals and range, streamed in slices, behind the login."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from auth_stub import OpenAuth
from web_data import config

from rtoc.logger import Logger
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.users import Role
from rtoc_web import download
from rtoc_web.app import create_app
from rtoc_web.plotrange import signal_value

X = 1_700_000_000 + np.arange(250_000) / 100
Y = np.cos(np.arange(250_000) / 1000)


@pytest.fixture
def logger(tmp_path: Path) -> Iterator[Logger]:
    logger = Logger(config(), storage=SQLiteStorage(tmp_path / "rtoc.sqlite"))
    logger.start()
    for at in range(0, len(X), 50_000):  # 150,000 in storage only, the newest 100,000 in memory
        logger.stream_many(X[at : at + 50_000], Y[at : at + 50_000], "Y", "D", "V")
        logger.writer.flush()
    logger.stream_many(X[:3], [1.0, 2.0, 3.0], "Z", "D", "A")
    yield logger
    logger.close()


def get(logger: Logger, query: list, role: Role = Role.READ):
    client = create_app(logger, auth=OpenAuth(role)).server.test_client()
    return client.get("/download", query_string=query)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_range_across_storage_and_memory_comes_whole_in_slices(logger, monkeypatch) -> None:
    monkeypatch.setattr(download, "SLICE_SAMPLES", 7_000)  # many slices
    start, end = float(X[1_000]), float(X[240_000])
    answer = get(logger, [("signal", signal_value(("D", "Y"))), ("start", start), ("end", end)])
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.is_streamed
    table = rows(answer.get_data(as_text=True))
    assert table[0] == ["device", "signal", "unit", "x", "y"]
    x = np.array([float(row[3]) for row in table[1:]])
    assert len(x) == 239_001 and (np.diff(x) > 0).all()  # none twice, none missing
    assert x[0] == start and x[-1] == end
    assert float(table[1][4]) == Y[1_000]


def test_the_latest_values_of_two_signals(logger) -> None:
    query = [("signal", signal_value(("D", "Y"))), ("signal", signal_value(("D", "Z")))]
    table = rows(get(logger, [*query, ("last", 2)]).get_data(as_text=True))
    assert [row[:3] for row in table[1:]] == [["D", "Y", "V"]] * 2 + [["D", "Z", "A"]] * 2
    assert [float(row[4]) for row in table[3:]] == [2.0, 3.0]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([], "choose at least one signal"),
        ([("signal", "D.Y")], "not a signal"),
        ([("signal", signal_value(("D", "Nope"))), ("last", 5)], "no such signal: D.Nope"),
        ([("signal", signal_value(("D", "Y"))), ("start", "x"), ("end", 2)], "unix seconds"),
        ([("signal", signal_value(("D", "Y"))), ("start", 5), ("end", 2)], "start before end"),
        ([("signal", signal_value(("D", "Y"))), ("last", 10**9)], "at most"),
    ],
)
def test_bad_requests_are_told_why(logger, query: list, message: str) -> None:
    answer = get(logger, query)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)


def test_a_blocked_user_gets_nothing(logger) -> None:
    answer = get(logger, [("signal", signal_value(("D", "Z"))), ("last", 2)], Role.BLOCKED)
    assert answer.status_code == 403
    assert "download signals needs the read role" in answer.get_data(as_text=True)
