"""What a trace gets: raw samples when they fit, min/max per bucket when not (no browser)."""

from __future__ import annotations

import numpy as np
import pytest

from rtoc.logger import Logger
from rtoc.storage.buckets import Buckets, UnknownSignal, minmax_points
from rtoc_web.aggregate import (
    TraceData,
    clamp_width,
    duration_text,
    read_last,
    read_trace,
    trace_label,
)


@pytest.fixture
def logger() -> Logger:
    logger = Logger()
    x = 1_700_000_000 + np.arange(100_000) / 10
    y = np.sin(np.arange(100_000) / 50)
    y[5_000], y[70_000] = 9.0, -9.0
    logger.stream_many(x, y, "Y", "D", "V")
    return logger


def test_min_and_max_of_each_bucket_in_x_order_at_their_x() -> None:
    buckets = Buckets(
        bucket_start=[0, 10],
        bucket_stop=[10, 20],
        count=[5, 3],
        minimum=[-1, 2],
        maximum=[4, 3],
        first=[0, 11],
        last=[9, 19],
        x_of_min=[7, np.nan],
        x_of_max=[2, np.nan],
    )
    x, y = minmax_points(buckets)
    assert x.tolist() == [2, 7, 15, 15]  # max came first; unknown x: middle of the samples
    assert y.tolist() == [4, -1, 2, 3]


def test_a_range_with_few_samples_is_raw(logger: Logger) -> None:
    data = read_trace(logger, "D", "Y", 1_700_000_000, 1_700_000_099.9, 1000)
    assert not data.aggregated
    assert len(data.x) == 1000 and data.x[0] == 1_700_000_000


def test_a_range_with_many_samples_is_min_max_at_most_twice_the_width(logger: Logger) -> None:
    data = read_trace(logger, "D", "Y", 1_700_000_000, 1_700_009_999.9, 800)
    assert data.aggregated and data.buckets == 800
    assert len(data.x) <= 1600
    assert data.y.max() == 9.0 and data.y.min() == -9.0
    assert (np.diff(data.x) >= 0).all()
    assert data.x[np.argmax(data.y)] == 1_700_000_500.0  # drawn where it happened


def test_the_latest_values_are_aggregated_when_many(logger: Logger) -> None:
    assert len(read_last(logger, "D", "Y", 500, 1000).x) == 500
    many = read_last(logger, "D", "Y", 50_000, 1000)
    assert many.aggregated and many.y.min() == -9.0 and len(many.x) <= 2000


def test_unknown_signal_and_bad_range_raise_for_the_page(logger: Logger) -> None:
    with pytest.raises(UnknownSignal):
        read_trace(logger, "D", "Nope", 0, 1, 1000)
    with pytest.raises(ValueError):
        read_trace(logger, "D", "Y", 10, 1, 1000)


def test_the_label_says_how_a_trace_was_made() -> None:
    raw = TraceData(np.zeros(3), np.zeros(3))
    assert trace_label("DPS", "U", raw) == "DPS.U"
    made = TraceData(np.zeros(3), np.zeros(3), buckets=2000, bucket_seconds=1.8)
    assert trace_label("DPS", "U", made) == "DPS.U (min/max of 2,000 buckets, 1.8 s each)"
    assert duration_text(0.25) == "250 ms" and duration_text(7200) == "2 h"


@pytest.mark.parametrize(
    ("given", "width"), [(None, 1000), ("x", 1000), (0, 100), (1234.6, 1234), (10**9, 8000)]
)
def test_a_width_from_the_browser_is_made_usable(given: object, width: int) -> None:
    assert clamp_width(given) == width
