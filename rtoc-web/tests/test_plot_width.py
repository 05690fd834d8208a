"""Points per trace against the width the trace is drawn in (issue 13: at most 2 x plot width).

The page reports the graph element's width, margins and all; the trace is
drawn in Plotly's plot area, 90 px narrower (margins l 70 + r 20), and the
server makes its buckets for that (``rtoc_web.figure.plot_area_width``).
"""

from __future__ import annotations

from browser import choose_mode, select_signal, signal_traces, wait_for_traces

#: The width of the plot area in pixels, as Plotly laid it out.
PLOT_AREA = "() => document.querySelector('#plot-graph .js-plotly-plot')._fullLayout._size.w"


def test_an_aggregated_trace_has_at_most_two_points_per_pixel_of_the_plot_area(page, url) -> None:
    page.goto(url)
    choose_mode(page, "all")
    select_signal(page, "Sim.Big [A]")
    found = wait_for_traces(page, "ts[0].name.includes('min/max of')")
    points = signal_traces(found)[0]["n"]
    assert points <= 2 * page.evaluate(PLOT_AREA)
