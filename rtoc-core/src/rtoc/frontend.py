"""What frontends (web dashboard, Telegram bot, GUI) see of a logger, and what they are to rtoc.

Every frontend is written against :class:`LoggerView`, which three sources
implement, so the same pages work in three places:

- :class:`rtoc.logger.Logger`, in the same process (``rtoc run`` with a frontend);
- :class:`rtoc.net.remote.RemoteLogger`, over TCP;
- :class:`rtoc.storage.view.StorageView`, read-only on a storage several
  loggers may write into (``rtoc web`` standalone).

A frontend never reaches past this interface into a logger's internals; when
it needs something, the interface grows (and ``tests/test_frontend_view.py``
holds all three sources to it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import attrs

from rtoc.events import Event, Priority

if TYPE_CHECKING:
    import numpy as np

    from rtoc.config import Config
    from rtoc.device import DeviceDescription
    from rtoc.logger import Logger, Reading, SignalData
    from rtoc.signals import SignalKey
    from rtoc.storage.base import SignalInfo
    from rtoc.storage.buckets import Buckets


class Frontend(Protocol):
    """Started by ``rtoc run`` after the logger, stopped before it closes."""

    name: str

    def start(self, logger: Logger, config: Config) -> None: ...

    def stop(self) -> None: ...


class ControlUnavailable(Exception):
    """The source cannot change anything (a read-only view on storage); the text says why."""


class SignalNotFound(KeyError):
    """A signal to change that the source does not have (in memory or storage)."""

    def __init__(self, key: SignalKey) -> None:
        super().__init__(f"no signal {key[0]}.{key[1]}")
        self.key = key

    def __str__(self) -> str:  # KeyError's own would quote the text
        return str(self.args[0])


def signal_key(value: object, what: str = "signal") -> SignalKey:
    """``value`` as a signal key: a pair of non-empty texts (device, name); else a
    ValueError naming ``what`` and the value."""
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(part, str) and part for part in value)
    ):
        return (value[0], value[1])
    raise ValueError(f"{what} must be a (device, signal) pair of non-empty texts, got {value!r}")


def period(start: object, end: object) -> tuple[float | None, float | None]:
    """``start``/``end`` of a period to delete: each None or a finite number (unix
    seconds), ``start`` not after ``end``; else a ValueError saying which."""
    bounds = []
    for name, value in (("start", start), ("end", end)):
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ValueError(f"the period's {name} must be a finite number or None, got {value!r}")
        bounds.append(None if value is None else float(value))
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise ValueError(f"the period starts ({bounds[0]}) after it ends ({bounds[1]})")
    return bounds[0], bounds[1]


#: The highest resampling rate (Hz): a bin of a microsecond is about as fine as a
#: float64 unix time resolves (0.24 us today), and ``floor(x * rate)`` stays exact.
MAX_RESAMPLE_RATE = 1e6


def resample_rate(value: object) -> float:
    """``value`` as a resampling rate: a number of samples per second above 0 and at
    most :data:`MAX_RESAMPLE_RATE`; else a ValueError naming it."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value <= MAX_RESAMPLE_RATE
    ):
        raise ValueError(
            f"the resampling rate must be a number of samples per second above 0 and at most "
            f"{MAX_RESAMPLE_RATE:g} Hz, got {value!r}"
        )
    return float(value)


@attrs.frozen
class SignalResampled:
    """What resampling did to one signal's samples in the period.

    Counted as :meth:`LoggerView.signal_infos` counts a signal: the larger of
    memory's and storage's count (storage holds every sample, memory the
    newest ``recordLength``; with ``backup.resample`` storage holds fewer).
    """

    key: SignalKey
    #: Samples in the period before, and after (one per bin that had samples).
    before: int
    after: int


@attrs.frozen
class ResampleReport:
    """The answer of :meth:`LoggerView.resample_signals`: the rate and period asked
    for, and each signal chosen (in the order given, all of them sorted; those with
    nothing in the period too)."""

    rate: float
    start: float | None
    end: float | None
    signals: tuple[SignalResampled, ...]

    @property
    def before(self) -> int:
        return sum(signal.before for signal in self.signals)

    @property
    def after(self) -> int:
        return sum(signal.after for signal in self.signals)


#: Most events one page may hold: a frontend pages, it never asks for all of them.
MAX_PAGE = 1000

RuleKind = Literal["event", "action"]


def _priorities(value: Iterable[int | Priority] | None) -> frozenset[Priority] | None:
    return None if value is None else frozenset(Priority(int(p)) for p in value)


def _devices(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(str(d) for d in value)


def _limit(_query: object, _attribute: object, value: int) -> None:
    if not 1 <= value <= MAX_PAGE:
        raise ValueError(f"an event page holds 1 to {MAX_PAGE} events, not {value}")


def _offset(_query: object, _attribute: object, value: int) -> None:
    if value < 0:
        raise ValueError(f"an event page cannot start before the newest event (offset {value})")


def _time(_query: object, attribute: attrs.Attribute, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"the events' {attribute.name} time must be a finite number, not {value}")


@attrs.frozen(kw_only=True)
class EventQuery:
    """Which events to show, newest first: filters, then one page of them.

    ``text`` matches text, device, signal and id, without regard to case;
    ``priorities`` and ``devices`` keep only the listed ones (None: all);
    ``start``/``end`` bound the event time. A bad value is a ValueError that
    names it, so a frontend can pass its user's input straight in.
    """

    text: str = attrs.field(default="", converter=lambda v: str(v or "").strip())
    priorities: frozenset[Priority] | None = attrs.field(default=None, converter=_priorities)
    devices: frozenset[str] | None = attrs.field(default=None, converter=_devices)
    start: float | None = attrs.field(default=None, validator=_time)
    end: float | None = attrs.field(default=None, validator=_time)
    offset: int = attrs.field(default=0, converter=int, validator=_offset)
    limit: int = attrs.field(default=100, converter=int, validator=_limit)

    def matches(self, event: Event) -> bool:
        if self.priorities is not None and event.priority not in self.priorities:
            return False
        if self.devices is not None and event.device not in self.devices:
            return False
        if self.start is not None and event.time < self.start:
            return False
        if self.end is not None and event.time > self.end:
            return False
        if self.text:
            needle = self.text.casefold()
            return any(
                needle in part.casefold()
                for part in (event.text, event.device, event.signal, event.id)
            )
        return True


@attrs.frozen
class EventPage:
    """One page of events, newest first, and how many match the query in all."""

    events: tuple[Event, ...]
    total: int
    #: Devices that have events at all (for a filter's choices), sorted.
    devices: tuple[str, ...]


def page_of(events: Sequence[Event], query: EventQuery) -> EventPage:
    """The page ``query`` asks for of ``events`` (in any order)."""
    newest_first = sorted(events, key=lambda event: event.time, reverse=True)
    hits = [event for event in newest_first if query.matches(event)]
    return EventPage(
        events=tuple(hits[query.offset : query.offset + query.limit]),
        total=len(hits),
        devices=tuple(sorted({event.device for event in events})),
    )


@attrs.frozen
class RuleState:
    """A global event or action as a frontend lists it."""

    kind: RuleKind
    name: str
    active: bool
    #: The rule's fields as in its JSON file (``cond``, ``text``... or ``listenID``, ``script``...).
    fields: dict[str, Any]
    #: Why it does not run (invalid entry, condition switched off), or "".
    error: str


@attrs.frozen
class AutomationState:
    """Every global event and action, and whether each kind is switched on as a whole."""

    events_active: bool
    actions_active: bool
    rules: tuple[RuleState, ...]


@attrs.frozen
class ScriptResult:
    """One run of a script through :meth:`LoggerView.run_script`.

    ``value`` is the value of the script's last line when that is an
    expression (None otherwise); from a remote logger, its JSON form, or its
    ``repr`` where it has none. ``error`` is empty when the run succeeded;
    else the message, which names the script and ``line``, the user's line
    (None when there is none to show: a run stopped at its time limit).
    """

    #: What the script printed, one line per ``print``.
    output: str
    value: Any = None
    error: str = ""
    line: int | None = None


@runtime_checkable
class LoggerView(Protocol):
    """What a frontend may read of and do to a logger, wherever the logger is.

    Reads raise :class:`rtoc.storage.buckets.UnknownSignal` for a signal the
    source does not have and ``ValueError`` for a bad range; control raises
    :class:`ControlUnavailable` where the source cannot control (with the
    reason to show), :class:`rtoc.device.DeviceError` for a refused value.
    """

    #: "" when the source can start/stop devices, set parameters and so on; else why not.
    control_unavailable: str

    def signal_infos(self) -> list[SignalInfo]: ...

    def latest(self, keys: Iterable[SignalKey] | None = None) -> dict[SignalKey, Reading]: ...

    def read(
        self,
        device: str,
        name: str,
        start: float | None = None,
        end: float | None = None,
        last: int | None = None,
    ) -> SignalData: ...

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets: ...

    def event_page(self, query: EventQuery) -> EventPage: ...

    def describe_devices(self) -> list[DeviceDescription]: ...

    def start_device(self, name: str) -> Any: ...

    def stop_device(self, name: str) -> None: ...

    def get_parameter(self, device: str, name: str) -> Any: ...

    def set_parameter(self, device: str, name: str, value: Any) -> None: ...

    def call(self, device: str, function: str, *args: Any, **kwargs: Any) -> Any: ...

    def stream(
        self, y: float, sname: str, dname: str, unit: str | None = None, x: float | None = None
    ) -> None:
        """Append one sample (``x`` defaults to now), as a device would: a value a user
        measured by hand; ValueError when ``y`` or ``x`` is not a number."""
        ...

    def stream_many(
        self,
        x: Sequence[float] | np.ndarray | None,
        y: Sequence[float] | np.ndarray,
        sname: str,
        dname: str,
        unit: str | None = None,
    ) -> None:
        """Append a block of samples to one signal (``x=None`` stamps them all now): a
        loaded session, a file a user imported; ValueError when a value is not a number."""
        ...

    def event(
        self,
        text: str,
        device: str = "",
        signal: str = "",
        priority: int | Priority = Priority.INFO,
        id: str = "",
        value: float | None = None,
        time: float | None = None,
    ) -> Any:
        """Record an event as a device would (a user's manual event, a frontend's own news);
        it is notified and stored like every other."""
        ...

    def automation_state(self) -> AutomationState: ...

    def set_rule_active(self, kind: RuleKind, name: str, active: bool) -> None: ...

    def set_rule(self, kind: RuleKind, name: str, fields: dict[str, Any]) -> None:
        """Add or replace a global event or action (its condition or script is code the
        logger runs: offer it to admins only); ValueError naming what is not valid."""
        ...

    def remove_rule(self, kind: RuleKind, name: str) -> None: ...

    def set_automation_active(
        self, events: bool | None = None, actions: bool | None = None
    ) -> None:
        """Switch all global events and/or actions on or off while the logger runs."""
        ...

    def run_script(self, code: str, name: str = "script") -> ScriptResult:
        """Run a script once in the logger, with the logger's script names and its time
        limit (code the logger runs: offer it to admins only). A script that fails to
        compile or raises is a :class:`ScriptResult` with ``error`` and ``line``, not an
        exception. Runs of the same ``name`` and code keep ``global`` values and
        ``trig`` states between them, as a job's runs do."""
        ...

    # -- changing recorded data ---------------------------------------------------------

    def delete_signals(
        self,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[SignalKey]:
        """Delete signals (``keys``; None: every one) from memory and long-term storage:
        whole ones without ``start``/``end``, else only their samples with
        ``start <= x <= end`` (one bound alone is open on the other side).
        Returns the keys touched. :class:`SignalNotFound` (a KeyError) naming an
        unknown key, ValueError for a bad key or period; nothing changed then."""
        ...

    def delete_events(self, query: EventQuery) -> int:
        """Delete every event ``query`` matches (time range, text, priorities, devices;
        its offset and limit are ignored) from memory and storage; return how many."""
        ...

    def rename_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        """Give a signal (memory and storage) a new key; ValueError naming ``new_key``
        when a signal has it already."""
        ...

    def set_unit(self, key: SignalKey, unit: str) -> None: ...

    def copy_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        """Duplicate a signal as a new one: all its samples (memory and storage) under
        ``new_key``; ValueError naming ``new_key`` when a signal has it already."""
        ...

    def resample_signals(
        self,
        rate: float,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> ResampleReport:
        """Replace the samples of signals (``keys``; None: every one) with
        ``start <= x <= end`` (None: unbounded) by one sample per ``1/rate`` s, in
        memory and long-term storage.

        The rule (:mod:`rtoc.storage.resample`, as ``backup.resample`` and
        ``rtoc postgres resample``): time is cut into bins of ``1/rate`` s on a
        fixed grid (``floor(x * rate)``); each bin with samples in the period
        becomes one sample, the mean of its x and the mean of its y, in the
        place of the bin's first sample. So the new first and last time lie
        within the first and last bin and never outside the period. Samples
        with a NaN or infinite time stay. :class:`SignalNotFound` naming an
        unknown key, ValueError for a bad rate, key or period; nothing changed
        then."""
        ...

    @property
    def record_length(self) -> int:
        """Samples each signal keeps in memory (``recordLength``)."""
        ...

    def resize(self, record_length: int) -> None:
        """Set ``recordLength``; all or nothing (a ValueError says why nothing changed)."""
        ...
