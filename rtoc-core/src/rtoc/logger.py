"""The ``Logger``: the one object devices, scripts and frontends talk to.

It owns the signals (ring buffers in memory), the event log, the running
devices, the automation (script jobs, global events and actions) and the
write-behind writer that keeps everything in storage.
``stream`` is the hot path: a dictionary lookup, a ring-buffer append and,
only where somebody listens to that signal, the listeners.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from rtoc.automation.automation import Automation
from rtoc.device import Device, DeviceDescription, DeviceError, describe
from rtoc.device_parameters import DeviceParameters, apply_parameters
from rtoc.events import Event, EventLog, Priority, RepeatFilter
from rtoc.frontend import (
    AutomationState,
    EventPage,
    EventQuery,
    ResampleReport,
    RuleKind,
    ScriptResult,
    SignalNotFound,
    SignalResampled,
    page_of,
    period,
    resample_rate,
    signal_key,
)
from rtoc.signals import Signal, SignalKey, SignalStore, as_samples
from rtoc.storage.base import SignalInfo, Storage, taken
from rtoc.storage.buckets import (
    Buckets,
    Grid,
    Summaries,
    UnknownSignal,
    bucket_samples,
    check_range,
    merge,
)
from rtoc.storage.loading import StoredData
from rtoc.storage.writer import WriteBehind

if TYPE_CHECKING:
    from rtoc.config import Config
    from rtoc.plugins import PluginRegistry

log = logging.getLogger("rtoc")
#: Every event, at its priority's level (``rtoc run`` shows them on stderr).
event_log = logging.getLogger("rtoc.events")

#: Called as ``listener(signal)`` after new samples reached ``signal``.
SampleListener = Callable[[Signal], None]


class Reading(NamedTuple):
    """A signal's newest sample."""

    x: float
    y: float
    unit: str


class SignalData(NamedTuple):
    """Samples read from a signal, with its unit."""

    x: np.ndarray
    y: np.ndarray
    unit: str


#: How often the same device failure is reported again while it repeats.
FAILURE_REPEAT_SECONDS = 60.0


class Logger:
    """Records signals and events; runs devices; persists through a storage backend."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        storage: Storage | None = None,
        plugins: PluginRegistry | None = None,
        home: Path | None = None,
    ) -> None:
        from rtoc.config import Config  # config imports nothing of ours; keep startup light

        self.config = config or Config()
        self.home = home
        self.plugins = plugins
        self.store = SignalStore(
            capacity=self.config.global_.recordLength, collected=storage is not None
        )
        self.events = EventLog(on_listener_error=self._listener_failed)
        self.devices: dict[str, Device] = {}
        #: Parameters set on a device the plugins provide, before it first starts.
        self.device_parameters: DeviceParameters = {}
        self.storage = storage
        self.writer: WriteBehind | None = None
        if storage is not None:
            self.writer = WriteBehind(
                self.store,
                storage,
                self.config.backup.intervall,
                report=self._writer_report,
                resample=self.config.backup.resample,
            )
            self.events.subscribe(self.writer.add_event)
            if hasattr(storage, "report"):  # a backend with outages of its own to tell
                storage.report = self._writer_report
        self._failures = RepeatFilter(FAILURE_REPEAT_SECONDS)
        self._lock = threading.Lock()
        self._editing = threading.Lock()  # one change of recorded data at a time
        #: The in-process logger controls everything (see :class:`rtoc.frontend.LoggerView`).
        self.control_unavailable = ""
        self._closed = False
        self._stored: StoredData | None = None  # loads stored data (backup.loadOnOpen)
        self.started_at = time.time()
        self.automation = Automation(self)

    # -- samples: the hot path ---------------------------------------------------

    def stream(
        self,
        y: float,
        sname: str,
        dname: str,
        unit: str | None = None,
        x: float | None = None,
    ) -> None:
        """Append one sample; ``x`` (unix seconds) defaults to now."""
        # the store's dict directly: a method call here would cost ~5 % of ingest
        signal = self.store._signals.get((dname, sname))
        if signal is None:
            signal = self.store.signal(dname, sname, unit)
        elif unit and unit != signal.unit:
            signal.unit = unit
        try:
            signal.append(time.time() if x is None else x, y)
        except (TypeError, ValueError):
            raise ValueError(
                f"{dname}.{sname}: a sample is a number, got y={y!r}, x={x!r}"
            ) from None
        if signal.listeners:
            self._notify(signal)

    def stream_many(
        self,
        x: Sequence[float] | np.ndarray | None,
        y: Sequence[float] | np.ndarray,
        sname: str,
        dname: str,
        unit: str | None = None,
    ) -> None:
        """Append a block of samples to one signal; ``x=None`` stamps them all now."""
        ys = self._samples(y, dname, sname, "y")
        xs = np.full(len(ys), time.time()) if x is None else self._samples(x, dname, sname, "x")
        signal = self.store.signal(dname, sname, unit)  # also takes a new unit
        signal.extend(xs, ys)
        if signal.listeners:
            self._notify(signal)

    def plot(
        self,
        x: Sequence[float] | np.ndarray | None,
        y: Sequence[float] | np.ndarray,
        sname: str,
        dname: str,
        unit: str | None = None,
        hold: bool = False,
    ) -> None:
        """Replace a signal with ``x, y`` (``x=None``: 0, 1, 2, ...); ``hold`` appends."""
        ys = self._samples(y, dname, sname, "y")
        xs = (
            np.arange(len(ys), dtype=np.float64)
            if x is None
            else self._samples(x, dname, sname, "x")
        )
        if hold:
            self.stream_many(xs, ys, sname, dname, unit)
            return
        signal = self.store.signal(dname, sname, unit)
        signal.replace(xs, ys)
        if signal.listeners:
            self._notify(signal)

    @staticmethod
    def _samples(values: object, dname: str, sname: str, axis: str) -> np.ndarray:
        try:
            return as_samples(values)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{dname}.{sname}: {axis} must be numbers: {error}") from None

    def subscribe_samples(self, key: SignalKey, listener: SampleListener) -> None:
        """Call ``listener(signal)`` after every write to the signal ``key``.

        The signal need not exist yet. Listeners run in the writing thread, so
        they must be quick: hand real work to another thread.
        """
        self.store.subscribe(key, listener)

    def unsubscribe_samples(self, key: SignalKey, listener: SampleListener) -> None:
        self.store.unsubscribe(key, listener)

    def _notify(self, signal: Signal) -> None:
        for listener in signal.listeners:
            try:
                listener(signal)
            except Exception as error:
                self._listener_failed(listener, signal, error)

    # -- events ------------------------------------------------------------------

    def event(
        self,
        text: str,
        device: str = "",
        signal: str = "",
        priority: int | Priority = Priority.INFO,
        id: str = "",
        value: float | None = None,
        time: float | None = None,
    ) -> Event:
        """Record an event and tell everybody who listens (storage, ``rtoc_event``)."""
        fields: dict[str, Any] = {} if time is None else {"time": time}
        event = Event(
            text=text, device=device, signal=signal, priority=priority, id=id, value=value, **fields
        )
        return self.add_event(event)

    def add_event(self, event: Event) -> Event:
        event_log.log(event.priority.log_level, "%s: %s", event.where or "rtoc", event.text)
        self.events.add(event)
        if self.plugins is not None:
            self.plugins.call_event_hooks(self, event)
        return event

    # -- devices -----------------------------------------------------------------

    def add_device(self, device: Device | type[Device], name: str | None = None) -> Device:
        """Attach a device (an instance, or a class to construct with this logger)."""
        if isinstance(device, type):
            device = device(self, name) if name else device(self)
        if device.rtoc_logger is not self:
            device.attach(self)
        with self._lock:
            taken = device.name in self.devices and self.devices[device.name] is not device
            if not taken:
                self.devices[device.name] = device
        if taken:
            device.stop()  # RTOC plugins may have started themselves in __init__
            raise DeviceError(f"a device named {device.name!r} is already attached")
        return device

    def start_device(self, name: str) -> Device:
        """Start an attached device, or attach and start one the plugins provide."""
        device = self.devices.get(name)
        if device is None:
            device = self.attach_installed(name)
        device.start()
        return device

    def attach_installed(self, name: str) -> Device:
        """Attach the device ``name`` the plugins provide, with its parameters
        from :attr:`device_parameters`, without starting it.

        A refused parameter raises ParameterError and leaves nothing attached.
        """
        if self.plugins is None or name not in self.plugins.devices:
            known = sorted(set(self.devices) | set(self.plugins.devices if self.plugins else {}))
            raise DeviceError(f"no device named {name!r}; known devices: {', '.join(known)}")
        device = self.add_device(self.plugins.devices[name].cls)
        try:
            apply_parameters(device, self.device_parameters.get(name, {}))
        except DeviceError:  # not left attached with half its parameters set
            device.stop()
            with self._lock:
                del self.devices[device.name]
            raise
        return device

    def stop_device(self, name: str) -> None:
        device = self.devices.get(name)
        if device is None:
            raise DeviceError(f"no device named {name!r} is attached")
        device.stop()

    def report_device_failure(
        self, device: Device, error: BaseException, *, stopped: bool = False
    ) -> None:
        """A device's sampling raised: log the traceback, raise an error event.

        ``stopped``: the sampling loop itself failed and has ended. The same
        failure repeating is reported again at most once a minute, with the
        count, so a failing 1 kHz device does not flood the event log.
        """
        message = f"{type(error).__name__}: {error}"
        if stopped:
            message += "; sampling stopped (start the device again)"
        held_back = self._failures.admit((device.name, message))
        if held_back is None:
            return
        repeated = RepeatFilter.suffix(held_back)
        log.error(
            "device %s failed while sampling%s:\n%s",
            device.name,
            repeated,
            "".join(traceback.format_exception(error)),
        )
        self.event(f"{device.name} failed: {message}{repeated}", device=device.name, priority=2)

    # -- reading and control: what frontends and remote clients use ---------------

    def signal_names(self) -> list[SignalKey]:
        return self.store.keys()

    def latest(self, keys: Iterable[SignalKey] | None = None) -> dict[SignalKey, Reading]:
        """The newest sample of each signal (all, or those of ``keys``) that has one."""
        signals = self.store if keys is None else filter(None, (self.store.get(*k) for k in keys))
        found: dict[SignalKey, Reading] = {}
        for signal in signals:
            newest = signal.latest
            if newest is not None:
                found[signal.key] = Reading(*newest, signal.unit)
        return found

    def read(
        self,
        device: str,
        name: str,
        start: float | None = None,
        end: float | None = None,
        last: int | None = None,
    ) -> SignalData:
        """Samples of one signal with ``start <= x <= end``; ``last`` keeps the newest.

        Memory answers when it holds the range; a range reaching back before
        the oldest sample in memory is read from storage.
        """
        signal = self.store.get(device, name)
        in_memory = signal is not None and (
            start is None or (signal.oldest is not None and start >= signal.oldest)
        )
        if not in_memory and self.storage is not None:
            stored = self._read_stored(device, name, start, end, last)
            if stored is not None:
                return stored
        if signal is None:
            raise KeyError(f"no signal {device}.{name}")
        x, y = signal.between(start, end, last)
        return SignalData(x, y, signal.unit)

    def _read_stored(
        self, device: str, name: str, start: float | None, end: float | None, last: int | None
    ) -> SignalData | None:
        storage = self.storage
        assert storage is not None
        if self.writer is not None:
            self.writer.flush()  # what memory holds but storage not yet
        info = next((info for info in storage.signals() if info.key == (device, name)), None)
        if info is None:
            return None
        if start is None and end is None:
            x, y = storage.read_last(device, name, self.store.capacity if last is None else last)
        else:
            x, y = storage.read(device, name, start, end)
            if last is not None:
                keep = max(0, len(x) - last)
                x, y = x[keep:], y[keep:]
        return SignalData(x, y, info.unit)

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        """At most ``buckets`` buckets of ``start..end`` (see :mod:`rtoc.storage.buckets`).

        The part of the range from the oldest sample in memory on is
        bucketed from memory (which holds what storage may not have yet);
        the part before it is read from storage: whole buckets through
        ``storage.read_buckets``, and the one bucket that memory's oldest
        sample falls into from storage's raw samples before it plus memory's
        from it on, so no sample is counted twice or left out. Samples
        memory holds that are older than its oldest one (timestamps that went
        backwards) come from storage only once stored.
        """
        start, end, buckets = check_range(start, end, buckets)
        signal = self.store.get(device, name)
        oldest = None if signal is None else signal.oldest
        if self.storage is None or (oldest is not None and oldest <= start):
            if signal is None:
                raise UnknownSignal(device, name)
            return bucket_samples(*signal.between(start, end), start, end, buckets)
        if oldest is None or oldest > end:
            try:
                return self.storage.read_buckets(device, name, start, end, buckets)
            except UnknownSignal:
                if signal is None:
                    raise
                return Buckets.empty()
        grid = Grid(start, end, buckets)
        split = int(grid.index(np.array([oldest]))[0])  # the bucket memory begins in
        edge = float(grid.edges(np.array([split]))[0][0])
        stored = [Buckets.empty()]
        raw = self.storage.read(device, name, edge, oldest)
        if split > 0:
            with suppress(UnknownSignal):  # not stored yet: memory has it all
                stored = [
                    self.storage.read_buckets(
                        device, name, start, float(np.nextafter(edge, -np.inf)), split
                    )
                ]
        early = raw.x < oldest
        summaries = Summaries.joined(
            [
                Summaries.of_samples(raw.x[early], raw.y[early]),
                Summaries.of_samples(*signal.between(oldest, end)),
            ]
        )
        return Buckets.joined([*stored, merge(summaries, grid.index(summaries.first), grid)])

    def signal_infos(self) -> list[SignalInfo]:
        """Every signal in memory or storage: unit, count and time span of both together.

        ``count`` is the larger of the two counts: memory holds the newest
        samples, storage all it was given, so neither alone is exact while
        samples wait for the writer.
        """
        stored = {}
        if self.storage is not None:
            with suppress(Exception):  # storage down: memory still answers
                stored = {info.key: info for info in self.storage.signals()}
        found = dict(stored)
        for signal in self.store:
            newest, info = signal.latest, stored.get(signal.key)
            spans = [v for v in (signal.oldest, newest and newest[0]) if v is not None]
            if info is not None:
                spans += [v for v in (info.first, info.last) if v is not None]
            found[signal.key] = SignalInfo(
                device=signal.device,
                name=signal.name,
                unit=signal.unit or (info.unit if info else ""),
                count=max(len(signal), info.count if info else 0),
                first=min(spans) if spans else None,
                last=max(spans) if spans else None,
            )
        return [found[key] for key in sorted(found)]

    def event_page(self, query: EventQuery) -> EventPage:
        """A page of the events in memory, newest first (see :class:`rtoc.frontend.EventQuery`)."""
        return page_of(list(self.events), query)

    def automation_state(self) -> AutomationState:
        return self.automation.state()

    def set_rule_active(self, kind: RuleKind, name: str, active: bool) -> None:
        self.automation.set_rule_active(kind, name, active)

    def set_rule(self, kind: RuleKind, name: str, fields: dict[str, Any]) -> None:
        if kind == "event":
            self.automation.set_global_event(name, fields)
        else:
            self.automation.set_global_action(name, fields)

    def remove_rule(self, kind: RuleKind, name: str) -> None:
        if kind == "event":
            self.automation.remove_global_event(name)
        else:
            self.automation.remove_global_action(name)

    def set_automation_active(
        self, events: bool | None = None, actions: bool | None = None
    ) -> None:
        self.automation.activate(events=events, actions=actions)

    def run_script(self, code: str, name: str = "script") -> ScriptResult:
        return self.automation.execute(code, name)

    def events_of(self, keys: Iterable[SignalKey] | None = None) -> list[Event]:
        """Events in memory, oldest first: all, or those raised for ``keys``."""
        if keys is None:
            return list(self.events)
        wanted = set(keys)
        return [event for event in self.events if (event.device, event.signal) in wanted]

    def describe_devices(self) -> list[DeviceDescription]:
        """Every device rtoc knows: attached ones, then installed ones not attached."""
        found = {name: describe(device) for name, device in self.devices.items()}
        if self.plugins is not None:
            for name, entry in self.plugins.devices.items():
                found.setdefault(name, describe(entry.cls))
        return [found[name] for name in sorted(found)]

    def get_parameter(self, device: str, name: str) -> Any:
        return self._attached(device).get_parameter(name)

    def set_parameter(self, device: str, name: str, value: Any) -> None:
        self._attached(device).set_parameter(name, value)

    def check_parameter(self, device: str, name: str, value: Any) -> Any:
        """The value ``set_parameter`` would set; ParameterError if it is refused."""
        return self._attached(device).check_parameter(name, value)

    def call(self, device: str, function: str, *args: Any, **kwargs: Any) -> Any:
        return self._attached(device).call(function, *args, **kwargs)

    def clear(self, keys: Iterable[SignalKey] | None = None) -> list[SignalKey]:
        """Drop signals from memory (all, or ``keys``); return those dropped.

        Stored data stays; samples not yet stored are handed to the writer first.
        """
        dropped = []
        for key in self.store.keys() if keys is None else list(keys):
            signal = self.store.remove(*key)
            if signal is None:
                continue
            if self.writer is not None:
                self.writer.retire(signal)
            dropped.append(key)
        return dropped

    @property
    def record_length(self) -> int:
        """How many samples each signal keeps in memory (``recordLength``)."""
        return self.store.capacity

    def resize(self, record_length: int) -> None:
        """Set how many samples each signal keeps in memory (``recordLength``).

        All or nothing: a CapacityError (a ValueError) says why and nothing
        changed (see :meth:`SignalStore.set_capacity`).
        """
        self.store.set_capacity(record_length, "recordLength")

    # -- changing recorded data: memory and long-term storage together -------------
    #
    # Each change runs with the writer held (WriteBehind.holding): everything
    # queued is written first and nothing is written meanwhile, so no sample
    # waiting for the writer brings back a deleted signal or period, or lands
    # under a signal's old name. Storage that cannot be written now makes the
    # change fail with a StorageError before anything changed.

    def delete_signals(
        self,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[SignalKey]:
        """Delete signals from memory and storage: whole ones, or the samples of a period.

        See :meth:`rtoc.frontend.LoggerView.delete_signals`.
        """
        start, end = period(start, end)
        whole = start is None and end is None
        with self._holding():
            stored = self._stored_keys()
            chosen = self._known(keys, stored)
            for key in chosen:
                if whole:
                    if key in stored:
                        self.storage.delete(*key)  # type: ignore[union-attr]
                    self.store.remove(*key)
                    if self.writer is not None:
                        self.writer.forget(key)
                    continue
                if key in stored:
                    self.storage.delete_samples(*key, start, end)  # type: ignore[union-attr]
                signal = self.store.get(*key)
                if signal is not None:
                    signal.delete_between(start, end)
                if self.writer is not None:
                    self.writer.drop_between(key, start, end)
        return chosen

    def resample_signals(
        self,
        rate: float,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> ResampleReport:
        """One mean sample per ``1/rate`` s of the period, in memory and storage.

        See :meth:`rtoc.frontend.LoggerView.resample_signals`. Storage and
        memory are each resampled by the same rule; memory's oldest bin may
        hold only part of what storage's holds (memory keeps the newest
        samples). Samples that arrive meanwhile stay as they come.
        """
        rate = resample_rate(rate)
        start, end = period(start, end)
        done = []
        with self._holding():
            chosen = self._known(keys, self._stored_keys())
            if self.writer is not None:
                self.writer.settle(chosen, start, end)
            stored = self._stored_keys()
            for key in chosen:
                in_storage = (0, 0)
                if key in stored:
                    in_storage = self.storage.resample_samples(*key, rate, start, end)  # type: ignore[union-attr]
                signal = self.store.get(*key)
                in_memory = (0, 0) if signal is None else signal.resample_between(rate, start, end)
                done.append(
                    SignalResampled(
                        key, max(in_storage[0], in_memory[0]), max(in_storage[1], in_memory[1])
                    )
                )
        return ResampleReport(rate, start, end, tuple(done))

    def delete_events(self, query: EventQuery) -> int:
        """Delete the events ``query`` matches, in memory and storage; return how many."""
        if not isinstance(query, EventQuery):
            raise ValueError(f"events to delete are chosen by an EventQuery, got {query!r}")
        with self._holding():
            uids = {event.uid for event in self.events if query.matches(event)}
            if self.storage is not None:
                stored = [
                    event.uid
                    for event in self.storage.events(query.start, query.end)
                    if query.matches(event)
                ]
                self.storage.delete_events(stored)
                uids.update(stored)
            self.events.remove(uids)
        return len(uids)

    def rename_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        """Move a signal to a new key, in memory and storage (events keep their names)."""
        key, new_key = signal_key(key), signal_key(new_key, "the new signal")
        with self._holding():
            stored = self._stored_keys()
            self._known([key], stored)
            self._free(new_key, stored)
            if key in stored:
                self.storage.rename_signal(*key, *new_key)  # type: ignore[union-attr]
            self.store.rename(key, new_key)
            if self.writer is not None:
                self.writer.renamed(key, new_key)

    def copy_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        """Duplicate a signal under ``new_key``: what memory holds, and what is stored."""
        key, new_key = signal_key(key), signal_key(new_key, "the new signal")
        with self._holding():
            stored = self._stored_keys()
            self._known([key], stored)
            self._free(new_key, stored)
            if key in stored:
                self.storage.copy_signal(*key, *new_key)  # type: ignore[union-attr]
            signal = self.store.get(*key)
            if signal is not None:
                copy = self.store.signal(*new_key, signal.unit)
                copy.extend(*signal.samples())
                if self.writer is not None:  # storage has them already, through its copy
                    copy.mark_collected()

    def set_unit(self, key: SignalKey, unit: str) -> None:
        """Change a signal's unit, in memory and storage."""
        key = signal_key(key)
        if not isinstance(unit, str):
            raise ValueError(f"a unit is a text, got {unit!r}")
        with self._holding():
            stored = self._stored_keys()
            self._known([key], stored)
            signal = self.store.get(*key)
            if signal is not None:
                signal.unit = unit
            if key in stored:
                self.storage.set_unit(*key, unit)  # type: ignore[union-attr]

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """One change of recorded data at a time, with the writer held (see above)."""
        with self._editing:
            if self.writer is None:
                yield
            else:
                with self.writer.holding():
                    yield

    def _stored_keys(self) -> set[SignalKey]:
        return set() if self.storage is None else {info.key for info in self.storage.signals()}

    def _known(self, keys: Iterable[SignalKey] | None, stored: set[SignalKey]) -> list[SignalKey]:
        """``keys`` checked (every key held in memory or storage), or all there are."""
        if keys is None:
            return sorted(set(self.store.keys()) | stored)
        if isinstance(keys, (str, bytes)):
            raise ValueError(f"signals are given as (device, signal) pairs, got {keys!r}")
        chosen = list(dict.fromkeys(signal_key(key) for key in keys))
        for key in chosen:
            if key not in self.store and key not in stored:
                raise SignalNotFound(key)
        return chosen

    def _free(self, key: SignalKey, stored: set[SignalKey]) -> None:
        if key in self.store or key in stored:
            raise taken(*key)

    def info(self) -> dict[str, Any]:
        """A summary for remote users: name, version, uptime, sizes, storage and its backlog."""
        from rtoc import __version__

        return {
            "name": self.config.global_.name,
            "version": __version__,
            "starttime": self.started_at,
            "recordLength": self.store.capacity,
            "signals": len(self.store),
            "samples": sum(len(signal) for signal in self.store),
            "events": len(self.events),
            "devices": sorted(name for name, dev in self.devices.items() if dev.running),
            "storage": None if self.storage is None else self.storage.location,
            "backlog": self.backlog(),
        }

    def backlog(self) -> int:
        """Samples accepted but not yet in long-term storage: the writer's (not yet
        collected, queued or being written), plus a backend's own (the PostgreSQL
        spool while the database is away)."""
        queued = self.writer.backlog if self.writer is not None else 0
        return queued + int(getattr(self.storage, "backlog", 0) or 0)

    def _attached(self, name: str) -> Device:
        device = self.devices.get(name)
        if device is None:
            if self.plugins is not None and name in self.plugins.devices:
                raise DeviceError(f"device {name!r} is not running; start it first")
            raise DeviceError(f"no device named {name!r}")
        return device

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Load from storage (when configured) and start writing behind.

        A storage that is unavailable now is loaded from once it answers (see
        :mod:`rtoc.storage.loading`); any other StorageError is raised.
        """
        if self.config.backup.loadOnOpen and self.storage is not None:
            self._stored = StoredData(self.storage, self.store, self.events, self._writer_report)
            self._stored.start()
        if self.writer is not None:
            self.writer.start()
        self.automation.start()

    def close(self) -> bool:
        """Stop every device, then flush storage; True when everything was stored."""
        if self._closed:
            return True
        self._closed = True
        self.automation.close()
        if self._stored is not None:
            self._stored.close()
        for device in list(self.devices.values()):
            try:
                device.stop()
            except Exception as error:
                log.error("device %s failed to stop: %s", device.name, error)
        stored = True
        if self.writer is not None:
            stored = self.writer.stop()
            if not stored:
                log.error(
                    "could not store %d samples in %s before closing: %s",
                    self.writer.backlog,
                    self.writer.storage.location,
                    self.writer.stats.last_error,
                )
        if self.storage is not None:
            self.storage.close()
        return stored

    def __enter__(self) -> Logger:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reporting ---------------------------------------------------------------

    def _writer_report(self, priority: int, message: str) -> None:
        self.event(message, device="rtoc", signal="storage", priority=priority)

    def _listener_failed(self, listener: object, subject: object, error: BaseException) -> None:
        log.error(
            "listener %r failed on %r:\n%s",
            listener,
            subject,
            "".join(traceback.format_exception(error)),
        )
