"""The plot page in Chromium against a real logger on SQLite."""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pytest
from browser import (
    choose_mode,
    plot_width,
    select_signal,
    signal_traces,
    traces,
    wait_for_traces,
)
from web_data import BIG_X, BIG_Y, SPIKE_HIGH, SPIKE_LOW, TZ, ZONE

from rtoc_web.localtime import format_local, from_plot

pytestmark = pytest.mark.timeout(90)


def test_two_units_make_two_linked_panels_in_the_browsers_zone(page, url) -> None:
    page.goto(url)
    select_signal(page, "Sim.Big [A]")
    select_signal(page, "Sim.Volt [V]")
    wait_for_traces(page, "ts.filter(t => !t.meta.events).length == 2")
    layout = page.evaluate("() => document.querySelector('#plot-graph .js-plotly-plot').layout")
    assert layout["yaxis"]["title"]["text"] == "A"
    assert layout["yaxis2"]["title"]["text"] == "V"
    assert layout["xaxis2"]["matches"] == "x"
    assert layout["xaxis2"]["title"]["text"] == f"Time ({ZONE})"
    assert page.locator("#plot-graph .cartesianlayer .subplot").count() == 2


def test_zoom_is_aggregated_again_on_the_server_and_keeps_the_peaks(page, url) -> None:
    page.goto(url)
    choose_mode(page, "all")
    select_signal(page, "Sim.Big [A]")
    whole = wait_for_traces(page, "ts[0].name.includes('min/max of')")
    width = plot_width(page)
    assert 0 < whole[0]["n"] <= 2 * width
    marks = next(t for t in whole if t["meta"].get("events"))
    assert "error: Pump.Flow: pump failed" in marks["text"]
    assert "warning: Tank.Level: tank low" in marks["text"]
    # zoom as a drag does: local wall-clock text, to ten minutes around both spikes
    start, end = BIG_X[SPIKE_HIGH[0]] - 300, BIG_X[SPIKE_LOW[0]] + 300
    page.evaluate(
        "([a, b]) => Plotly.relayout(document.querySelector('#plot-graph .js-plotly-plot'),"
        " {'xaxis.range[0]': a, 'xaxis.range[1]': b})",
        [format_local(start, TZ), format_local(end, TZ)],
    )
    zoomed = wait_for_traces(page, "ts[0].name != arg", whole[0]["name"])
    big = signal_traces(zoomed)[0]
    assert "min/max of" in big["name"]
    assert 0 < big["n"] <= 2 * width
    inside = (start <= BIG_X) & (end >= BIG_X)
    assert max(big["y"]) == BIG_Y[inside].max() == SPIKE_HIGH[1]
    assert min(big["y"]) == BIG_Y[inside].min() == SPIKE_LOW[1]
    # every point is a sample inside the range (x sent as local wall time)
    offset = datetime.fromtimestamp(start, TZ).utcoffset().total_seconds()
    seconds = np.array(big["x"]) / 1000.0 - offset
    assert np.isin(np.round(seconds, 3), np.round(BIG_X[inside], 3)).all()


def test_few_samples_in_the_zoomed_range_are_drawn_raw(page, url) -> None:
    page.goto(url)
    choose_mode(page, "all")
    select_signal(page, "Sim.Big [A]")
    whole = wait_for_traces(page, "ts[0].name.includes('min/max of')")
    start = BIG_X[1000]
    page.evaluate(
        "([a, b]) => Plotly.relayout(document.querySelector('#plot-graph .js-plotly-plot'),"
        " {'xaxis.range[0]': a, 'xaxis.range[1]': b})",
        [format_local(start, TZ), format_local(start + 5, TZ)],
    )
    raw = wait_for_traces(page, "ts[0].name != arg", whole[0]["name"])
    assert raw[0]["name"] == "Sim.Big"
    low, high = (from_plot(format_local(t, TZ), TZ) for t in (start, start + 5))
    inside = (low <= BIG_X) & (high >= BIG_X)
    assert raw[0]["n"] == int(inside.sum())
    assert raw[0]["y"] == BIG_Y[inside].tolist()


def test_the_plot_follows_new_samples(page, url, logger) -> None:
    page.goto(url)
    logger.stream(1.0, "Live", "Sim", unit="K")
    select_signal(page, "Sim.Live [K]")
    first = wait_for_traces(page, "ts[0].n >= 1")[0]["n"]
    for value in (2.0, 3.0, 4.0):
        logger.stream(value, "Live", "Sim", unit="K")
    grown = wait_for_traces(page, "ts[0].n >= arg + 3", first)
    assert grown[0]["y"][-1] == 4.0


def test_two_browsers_zoom_independently(browser, url) -> None:
    from web_data import ZONE as zone

    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1200, "height": 900}, timezone_id=zone)
        page = context.new_page()
        page.goto(url)
        choose_mode(page, "all")
        select_signal(page, "Sim.Big [A]")
        pages.append((context, page))
    names = [
        wait_for_traces(page, "ts[0].name.includes('min/max of')")[0]["name"] for _, page in pages
    ]
    first = pages[0][1]
    start = BIG_X[100_000]
    first.evaluate(
        "([a, b]) => Plotly.relayout(document.querySelector('#plot-graph .js-plotly-plot'),"
        " {'xaxis.range[0]': a, 'xaxis.range[1]': b})",
        [format_local(start, TZ), format_local(start + 600, TZ)],
    )
    wait_for_traces(first, "ts[0].name != arg", names[0])
    second = pages[1][1]
    second.wait_for_timeout(1000)  # several live ticks of the second page
    assert traces(second)[0]["name"] == names[1]
    for context, _ in pages:
        context.close()


def test_bad_input_is_told_and_nothing_breaks(page, url) -> None:
    page.goto(url)
    select_signal(page, "Sim.Volt [V]")
    wait_for_traces(page, "ts[0].n == 50")
    page.fill("#plot-last", "20000000")
    page.press("#plot-last", "Enter")
    message = page.locator("#plot-message")
    message.filter(has_text="at most 10,000,000 samples").wait_for()
    choose_mode(page, "from-to")
    page.fill("#plot-from", "yesterday-ish")
    page.press("#plot-from", "Enter")
    page.fill("#plot-to", "2026-13-45 99:00")
    page.press("#plot-to", "Enter")
    message.filter(has_text="not a date and time").wait_for()
    page.evaluate(
        "() => Plotly.relayout(document.querySelector('#plot-graph .js-plotly-plot'),"
        " {'xaxis.range[0]': 'garbage', 'xaxis.range[1]': 'more garbage'})"
    )
    message.filter(has_text="zoom:").wait_for()
    choose_mode(page, "latest values")
    page.fill("#plot-last", "10")
    page.press("#plot-last", "Enter")
    found = wait_for_traces(page, "ts[0].n == 10")
    assert found[0]["y"][-1] == 5.0
    assert time.time() > 0
