"""The plot page's figure from a real logger, without a browser: panels, labels, problems."""

from __future__ import annotations

import numpy as np
import pytest

from rtoc.logger import Logger
from rtoc_web.config import WebConfig
from rtoc_web.localtime import zone
from rtoc_web.plots import EventMarks, plot_figure

UTC = zone("UTC")
X = 1_700_000_000 + np.arange(20_000) / 10


@pytest.fixture
def logger() -> Logger:
    logger = Logger()
    logger.stream_many(X, np.sin(X), "U", "DPS", "V")
    logger.stream_many(X[:10], np.arange(10.0), "I", "DPS", "A")
    logger.stream_many(X[:10], np.arange(10.0), "U2", "Other", "V")
    logger.event("overvoltage", device="DPS", signal="U", priority=2, time=float(X[500]))
    return logger


def figure(logger: Logger, keys: list, mode: str = "all", last: object = 100, **more):
    return plot_figure(
        logger, EventMarks(logger), WebConfig(), keys, mode, last, more.get("start"),
        more.get("end"), more.get("zoom"), UTC, 1000,
    )  # fmt: skip


def test_one_panel_per_unit_in_the_order_chosen(logger: Logger) -> None:
    found, problems, link = figure(logger, [("DPS", "I"), ("DPS", "U"), ("Other", "U2")])
    assert problems == []
    layout = found["layout"]
    assert [layout["yaxis"]["title"]["text"], layout["yaxis2"]["title"]["text"]] == ["A", "V"]
    assert "yaxis3" not in layout
    names = [trace["name"] for trace in found["data"]]
    assert names[0] == "DPS.I" and names[2] == "Other.U2"
    assert names[1].startswith("DPS.U (min/max of 1,000 buckets")
    assert [trace["yaxis"] for trace in found["data"][:3]] == ["y", "y2", "y2"]
    assert names[3] == "Events" and found["data"][3]["hovertext"] == ["error: DPS.U: overvoltage"]
    assert link.startswith("download?signal=")


def test_an_unknown_signal_is_named_and_the_others_are_drawn(logger: Logger) -> None:
    found, problems, _ = figure(logger, [("DPS", "Gone"), ("DPS", "I")])
    assert problems == ["DPS.Gone: no such signal."]
    assert [trace["name"] for trace in found["data"]] == ["DPS.I"]


def test_too_many_latest_values_draw_nothing_and_say_why(logger: Logger) -> None:
    found, problems, link = figure(logger, [("DPS", "U")], "last", 10**8)
    assert found["data"] == [] and link == ""
    assert "at most 10,000,000 samples" in problems[0]


def test_a_zoom_fixes_the_range_and_reads_only_it(logger: Logger) -> None:
    zoom = (float(X[100]), float(X[199]))
    found, problems, link = figure(logger, [("DPS", "U")], zoom=zoom)
    assert problems == []
    trace = found["data"][0]
    assert trace["name"] == "DPS.U" and len(trace["x"]) == 100  # raw: few enough
    assert found["layout"]["xaxis"]["range"] == [zoom[0] * 1000, zoom[1] * 1000]
    assert f"start={zoom[0]!r}" in link
