"""Long signals are drawn from an overview read once, and stay exact in their min and max."""

from __future__ import annotations

import time

import numpy as np
import pytest
from gui_helpers import GUI

from rtoc.config import Config, GlobalConfig
from rtoc.logger import Logger
from rtoc_gui.app import build_window
from rtoc_gui.overview import BUCKETS, MIN_SAMPLES, Overview
from rtoc_gui.trace import read_trace

COUNT = MIN_SAMPLES + 200_000
KEY = ("Lab", "Long")


@pytest.fixture
def long_logger():
    config = Config(gui=GUI, global_=GlobalConfig(recordLength=2 * COUNT))
    with Logger(config) as logger:
        x = time.time() - COUNT / 1000 + np.arange(COUNT) / 1000
        y = np.sin(np.arange(COUNT) / 20_000) + np.random.default_rng(3).normal(0, 0.01, COUNT)
        y[700_001] = 9.0
        y[900_002] = -7.0
        logger.stream_many(x, y, KEY[1], KEY[0])
        yield logger, x


def info_of(logger):
    return next(info for info in logger.signal_infos() if info.key == KEY)


def test_overview_points_keep_every_extreme_where_it_occurred(long_logger):
    logger, x = long_logger
    overview = Overview.read(logger, info_of(logger))
    assert int(overview.buckets.count.sum()) == COUNT
    start, end = x[500_000], x[1_100_000]
    assert overview.fine_enough(start, end, 1000)
    assert not overview.fine_enough(x[0], x[0] + 100 * overview.width, 1000)
    drawn = overview.points(start, end, 1000)
    assert len(drawn) <= 1001
    assert drawn.maximum.max() == 9.0 and drawn.x_of_max[drawn.maximum.argmax()] == x[700_001]
    assert drawn.minimum.min() == -7.0 and drawn.x_of_min[drawn.minimum.argmin()] == x[900_002]
    direct = logger.read_buckets(*KEY, start, end, 1000)
    assert drawn.count.sum() == pytest.approx(direct.count.sum(), rel=2 * 1000 / BUCKETS)


def test_trace_from_overview_adds_samples_that_arrived_since(long_logger):
    logger, x = long_logger
    overview = Overview.read(logger, info_of(logger))
    later = x[-1] + 1.0
    logger.stream(42.0, KEY[1], KEY[0], x=later)
    assert not overview.stale(info_of(logger))  # one sample more: the overview still serves
    tx, ty, aggregated = read_trace(logger, *KEY, x[0], later, 1200, COUNT, overview)
    assert aggregated and len(tx) <= 2 * 2 * 1200
    assert ty.max() == 42.0 and tx.max() == later
    assert ty.min() == -7.0


def test_plot_uses_an_overview_for_a_long_signal(qtbot, long_logger):
    logger, x = long_logger
    window = build_window(logger, "this computer", GUI)
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: KEY in window.plot.overviews, timeout=5000)
        _, shown_y = window.plot.curve_data(KEY)
        assert shown_y.max() == 9.0 and shown_y.min() == -7.0
        # zoomed in far: read from the logger, raw
        window.plot.set_follow(False)
        window.plot.viewbox.setXRange(x[700_000], x[700_010], padding=0)
        window.plot.redraw()
        shown_x, shown_y = window.plot.curve_data(KEY)
        assert set(x[700_000:700_011]) <= set(shown_x) and 9.0 in shown_y
    finally:
        window.close()
