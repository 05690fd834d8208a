"""Browser input for the plot page: signals, latest N, from-to, zoom, the time zone."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from rtoc_web.localtime import format_local, from_plot, parse_local, to_plot, zone
from rtoc_web.plotrange import (
    BadInput,
    between,
    parse_last,
    parse_signals,
    signal_value,
    zoom_from_relayout,
)

BERLIN = zone("Europe/Berlin")


def test_signal_values_survive_dots_in_names() -> None:
    key = ("Dev.1", "U.rms")
    assert parse_signals([signal_value(key)]) == [key]
    with pytest.raises(BadInput):
        parse_signals(["Dev.1.U"])


@pytest.mark.parametrize("value", ["abc", None, 0, -5, 2.5, float("nan"), 10**7 + 1])
def test_latest_values_must_be_a_whole_number_within_the_cap(value: object) -> None:
    with pytest.raises(BadInput):
        parse_last(value, 10**7)


def test_the_cap_message_says_what_to_do_instead() -> None:
    with pytest.raises(BadInput, match=r"at most 10,000,000 samples.*time range"):
        parse_last(20_000_000, 10_000_000)
    assert parse_last("250", 10**7) == 250


def test_from_to_is_read_in_the_browsers_zone() -> None:
    start, end = between("2026-07-01 12:00", "2026-07-01T13:30", BERLIN)
    assert start == datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc).timestamp()  # CEST
    assert end - start == 5400
    for bad in (("", "2026-01-01"), ("2026-01-02", "2026-01-01"), ("soon", "later")):
        with pytest.raises(BadInput):
            between(*bad, BERLIN)


def test_zoom_comes_back_as_epoch_seconds() -> None:
    t = parse_local("2026-12-06 20:00:00", BERLIN)
    shown = format_local(t, BERLIN)
    assert zoom_from_relayout(
        {"xaxis.range[0]": shown, "xaxis.range[1]": "2026-12-06 21:00"}, BERLIN
    ) == (
        t,
        t + 3600,
    )
    assert zoom_from_relayout({"xaxis2.range": [shown, "2026-12-06 20:30"]}, BERLIN) == (
        t,
        t + 1800,
    )
    assert zoom_from_relayout({"xaxis.autorange": True}, BERLIN) == "reset"
    assert zoom_from_relayout({"yaxis.range[0]": 1, "yaxis.range[1]": 2}, BERLIN) is None
    assert zoom_from_relayout({"autosize": True}, BERLIN) is None


@pytest.mark.parametrize(
    "relayout",
    [
        {"xaxis.range[0]": "garbage", "xaxis.range[1]": "2026-12-06"},
        {"xaxis.range[0]": "2026-12-06"},
        {"xaxis.range[0]": "2026-12-06", "xaxis.range[1]": "2026-12-06"},
    ],
)
def test_a_zoom_that_is_no_range_is_bad_input(relayout: dict) -> None:
    with pytest.raises(BadInput):
        zoom_from_relayout(relayout, BERLIN)


def test_plot_values_are_local_wall_time_across_a_daylight_saving_change() -> None:
    before = parse_local("2026-03-29 01:30", BERLIN)  # CET, +1 h
    after = parse_local("2026-03-29 03:30", BERLIN)  # CEST, +2 h
    assert after - before == 3600
    shifted = to_plot(np.array([before, after]), BERLIN)
    assert shifted.tolist() == [(before + 3600) * 1000, (after + 7200) * 1000]
    assert from_plot(float(shifted[1]), BERLIN) == after
    assert zone("Not/AZone").key == "UTC"
