"""Events: things that happened, with a priority, kept in a bounded log."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from enum import IntEnum

import attrs


class Priority(IntEnum):
    """RTOC's three event levels."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def log_level(self) -> int:
        """The :mod:`logging` level of the same weight."""
        return (logging.INFO, logging.WARNING, logging.ERROR)[self]


def _new_uid() -> str:
    return uuid.uuid4().hex


def _priority(value: object) -> Priority:
    try:
        return Priority(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValueError(f"event priority must be 0, 1 or 2, got {value!r}") from None


@attrs.frozen(kw_only=True)
class Event:
    """One event.

    ``id`` is the user's event id that global actions listen for (RTOC's
    ``id``, may be empty); ``uid`` identifies this one occurrence and makes
    storing it idempotent.
    """

    text: str = attrs.field(converter=str)
    device: str = ""
    signal: str = ""
    time: float = attrs.field(factory=time.time, converter=float)
    priority: Priority = attrs.field(default=Priority.INFO, converter=_priority)
    id: str = attrs.field(default="", converter=lambda v: "" if v is None else str(v))
    value: float | None = attrs.field(
        default=None, converter=lambda v: None if v is None else float(v)
    )
    uid: str = attrs.field(factory=_new_uid)

    @property
    def where(self) -> str:
        """``Device.Signal``, or whichever of the two is set, as events are shown."""
        return ".".join(part for part in (self.device, self.signal) if part)


EventListener = Callable[[Event], None]


class RepeatFilter:
    """Lets the same report through at most once per ``period`` seconds.

    A device failing at 1 kHz or a script failing on every run must not
    flood the event log; the report that does get through says how many
    were held back.
    """

    def __init__(self, period: float = 60.0) -> None:
        self.period = period
        self._seen: dict[Hashable, list[float]] = {}  # key -> [last let through, held back]
        self._lock = threading.Lock()

    def admit(self, key: Hashable) -> int | None:
        """None: hold this one back; else how many were held back since the last."""
        now = time.monotonic()
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last[0] < self.period:
                last[1] += 1
                return None
            self._seen[key] = [now, 0]
            return int(last[1]) if last else 0

    @staticmethod
    def suffix(held_back: int) -> str:
        return f" (repeated {held_back} times)" if held_back else ""


class EventLog:
    """The newest ``capacity`` events, oldest first, with listeners for new ones.

    Listeners run in the thread that raised the event; one that raises is
    reported through ``on_listener_error`` and never stops the others.
    """

    def __init__(
        self,
        capacity: int = 100_000,
        on_listener_error: Callable[[EventListener, Event, BaseException], None] | None = None,
    ) -> None:
        self._events: deque[Event] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._listeners: list[EventListener] = []
        self._on_listener_error = on_listener_error

    @property
    def capacity(self) -> int:
        return self._events.maxlen or 0

    def subscribe(self, listener: EventListener) -> None:
        self._listeners = [*self._listeners, listener]

    def unsubscribe(self, listener: EventListener) -> None:
        # ==, not is: a bound method is a new object each time it is looked up
        self._listeners = [other for other in self._listeners if other != listener]

    def add(self, event: Event) -> Event:
        with self._lock:
            self._events.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception as error:  # a broken listener must not lose the event
                if self._on_listener_error is not None:
                    self._on_listener_error(listener, event, error)
        return event

    def load(self, events: Iterable[Event]) -> int:
        """Put already-stored events back without telling listeners; return how many
        were new here (events held already, by uid, are not doubled)."""
        with self._lock:
            held = {event.uid for event in self._events}
            new = [event for event in events if event.uid not in held]
            merged = sorted([*new, *self._events], key=lambda event: event.time)
            self._events.clear()
            self._events.extend(merged)  # the newest, as many as fit
            return len(new)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def remove(self, uids: Iterable[str]) -> int:
        """Drop the events with these uids; return how many were held."""
        wanted = set(uids)
        with self._lock:
            kept = [event for event in self._events if event.uid not in wanted]
            removed = len(self._events) - len(kept)
            self._events.clear()
            self._events.extend(kept)
            return removed

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self):
        with self._lock:
            return iter(list(self._events))

    def for_signal(self, device: str, signal: str) -> list[Event]:
        return [e for e in self if e.device == device and e.signal == signal]

    def latest(self, count: int) -> list[Event]:
        with self._lock:
            return list(self._events)[-count:] if count > 0 else []
