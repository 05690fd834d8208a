"""Driving the dashboard in Chromium: choosing signals, reading what the figure holds."""

from __future__ import annotations

from typing import Any

#: The figure the page shows, as Plotly holds it: per trace name, point count, x/y arrays.
TRACES = """() => {
    const gd = document.querySelector('#plot-graph .js-plotly-plot');
    if (!gd || !gd.data) { return []; }
    return gd.data.map(t => ({
        name: t.name, meta: t.meta || {},
        n: t.x ? t.x.length : 0,
        x: Array.from(t.x || []), y: Array.from(t.y || []), text: t.hovertext || [],
    }));
}"""


def select_signal(page: Any, label: str) -> None:
    """Pick ``label`` (``Sim.Big [A]``) in the signal dropdown, through its search box."""
    page.click("#plot-signals")
    page.keyboard.type(label.split(" ")[0])
    page.get_by_role("option", name=label).click()
    page.keyboard.press("Escape")


def choose_mode(page: Any, label: str) -> None:
    page.locator("#plot-mode").get_by_label(label, exact=True).check()


def traces(page: Any) -> list[dict]:
    return page.evaluate(TRACES)


def wait_for_traces(page: Any, condition: str, arg: Any = None) -> list[dict]:
    """Wait until ``condition`` (JS, given the traces as ``ts`` and ``arg``) holds."""
    page.wait_for_function(
        f"(arg) => {{ const ts = ({TRACES})(); return ts.length > 0 && ({condition}); }}",
        arg=arg,
    )
    return traces(page)


def signal_traces(found: list[dict]) -> list[dict]:
    return [t for t in found if not t["meta"].get("events")]


def plot_width(page: Any) -> int:
    return page.evaluate(
        "() => Math.round(document.getElementById('plot-graph').getBoundingClientRect().width)"
    )


def open_tab(page: Any, label: str) -> None:
    page.locator("#tabs").get_by_text(label, exact=True).click()
