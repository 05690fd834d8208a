"""Event marks of a live plot: the newest of the range, read once a second, not every tick."""

from __future__ import annotations

from typing import Any

from rtoc.frontend import EventPage, EventQuery
from rtoc.logger import Logger
from rtoc_web.plots import MAX_EVENT_MARKS, EventMarks


class Counting:
    """A logger's event_page, counted."""

    def __init__(self, logger: Logger) -> None:
        self.logger, self.queries = logger, []

    def event_page(self, query: EventQuery) -> EventPage:
        self.queries.append(query)
        return self.logger.event_page(query)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.logger, name)


def test_ticks_within_a_second_share_one_read_and_the_newest_are_shown() -> None:
    logger = Logger()
    for index in range(500):
        logger.event(f"e{index}", time=1000.0 + index)
    view = Counting(logger)
    marks = EventMarks(view, ttl=60)
    first = marks((1000.2, 1499.7))
    assert len(first) == MAX_EVENT_MARKS and first[0].text == "e499"
    assert marks((1000.4, 1499.9)) == first  # the next tick, same whole seconds
    assert len(view.queries) == 1
    assert [e.text for e in marks((1100.0, 1102.0))] == ["e102", "e101", "e100"]
    assert len(view.queries) == 2
    assert marks((float("nan"), 1.0)) == []
