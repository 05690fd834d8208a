"""Watching global events' conditions as new samples arrive.

A condition is evaluated when a signal it reads gets new samples, and not
otherwise: an index maps each signal to the conditions that read it. The
sample's own thread only marks the signal and wakes the watcher's thread, so
ingest stays fast however many conditions there are; the watcher evaluates
each affected condition once per wake-up, for everything that arrived since
the last one (one batch). Conditions that read no signal at all (say
``clock % 3600 < 1``) are evaluated once a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rtoc.automation.namespace import MissingSignal
from rtoc.automation.watchdog import Watchdog
from rtoc.signals import Signal, SignalKey

if TYPE_CHECKING:
    from rtoc.automation.rules import EventRule
    from rtoc.logger import Logger

#: How often conditions that read no signal are evaluated, in seconds.
UNBOUND_PERIOD = 1.0
#: A single pass over the conditions that takes longer than this is interrupted.
PASS_TIME_LIMIT = 5.0

#: Whether an event fires, given the condition's previous and current truth.
FIRES: dict[str, Callable[[bool, bool], bool]] = {
    "rising": lambda before, now: now and not before,
    "falling": lambda before, now: before and not now,
    "both": lambda before, now: before != now,
    "true": lambda before, now: now,
    "false": lambda before, now: not now,
}


class _Watch:
    """One active global event and what its condition was last time."""

    __slots__ = ("fires", "held", "rule")

    def __init__(self, rule: EventRule) -> None:
        self.rule = rule
        self.fires = FIRES[rule.trigger]
        self.held = False  # the condition's last value; false before the first evaluation


class EventWatcher:
    """Raises global events whose conditions hold, evaluated on new samples.

    ``names(devices)`` builds the namespace conditions see; ``on_error(rule,
    message, kind)`` hears about conditions that raise (other than for a
    signal that has no samples yet, which just means "not yet") or hang.
    """

    def __init__(
        self,
        logger: Logger,
        watchdog: Watchdog,
        names: Callable[[set[str]], dict[str, Any]],
        on_error: Callable[[EventRule, str, str], None],
    ) -> None:
        self._logger = logger
        self._watchdog = watchdog
        self._names_for = names
        self._on_error = on_error
        self._index: dict[SignalKey, tuple[_Watch, ...]] = {}
        self._unbound: tuple[_Watch, ...] = ()
        self._names: dict[str, Any] = {}
        self._dirty: set[SignalKey] = set()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # one pass at a time; rules change between passes
        self._stopping = False
        self._thread: threading.Thread | None = None
        #: Rules whose condition hung, by name: (the rule, why). They stay off until changed.
        self.switched_off: dict[str, tuple[EventRule, str]] = {}

    def watch(self, rules: Iterable[EventRule]) -> None:
        """Watch these rules (active ones) from now on, in place of the previous ones.

        A rule that is unchanged keeps its last value, so a reload does not
        fire a rising edge again.
        """
        with self._lock:
            before = {w.rule: w for watches in self._index.values() for w in watches}
            before.update({w.rule: w for w in self._unbound})
            index: dict[SignalKey, list[_Watch]] = {}
            unbound: list[_Watch] = []
            devices: set[str] = set()
            for rule in rules:
                off = self.switched_off.get(rule.name)
                if off is not None and off[0] != rule:
                    del self.switched_off[rule.name]  # changed: give it another chance
                if not rule.active or rule.name in self.switched_off:
                    continue
                watch = before.get(rule) or _Watch(rule)
                devices |= rule.condition.device_references
                for key in rule.condition.signals:
                    index.setdefault(key, []).append(watch)
                if not rule.condition.signals:
                    unbound.append(watch)
            for key in set(self._index) - set(index):
                self._logger.unsubscribe_samples(key, self._on_samples)
            for key in set(index) - set(self._index):
                self._logger.subscribe_samples(key, self._on_samples)
            self._index = {key: tuple(watches) for key, watches in index.items()}
            self._unbound = tuple(unbound)
            self._names = self._names_for(devices) if (index or unbound) else {}
        if (index or unbound) and self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._main, name="rtoc-events", daemon=True)
            self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self.watch(())
        self._stopping = True
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(PASS_TIME_LIMIT + 1)

    @property
    def watched(self) -> int:
        return len({id(w) for ws in self._index.values() for w in ws} | set(map(id, self._unbound)))

    # -- the sample's thread: mark and wake, nothing more ------------------------

    def _on_samples(self, signal: Signal) -> None:
        self._dirty.add((signal.device, signal.name))
        if not self._wake.is_set():
            self._wake.set()

    # -- the watcher's thread ------------------------------------------------------

    def _main(self) -> None:
        next_unbound = time.monotonic()
        while not self._stopping:
            timeout = max(0.0, next_unbound - time.monotonic()) if self._unbound else None
            self._wake.wait(timeout)
            if self._stopping:
                return
            self._wake.clear()  # before draining: a sample marked after this wakes us again
            due: dict[int, tuple[_Watch, SignalKey | None]] = {}
            with self._lock:
                while self._dirty:
                    key = self._dirty.pop()
                    for watch in self._index.get(key, ()):
                        due.setdefault(id(watch), (watch, key))
                if self._unbound and time.monotonic() >= next_unbound:
                    next_unbound = time.monotonic() + UNBOUND_PERIOD
                    for watch in self._unbound:
                        due.setdefault(id(watch), (watch, None))
                if due:
                    self._evaluate(list(due.values()))

    def _evaluate(self, due: list[tuple[_Watch, SignalKey | None]]) -> None:
        names = self._names
        names["clock"] = time.time()
        current: list[_Watch] = []  # the rule being checked, should the pass hang

        def check_all() -> None:
            for watch, key in due:
                current[:] = [watch]
                self._check(watch, key, names)

        run = self._watchdog.call("global events", PASS_TIME_LIMIT, check_all)
        if run.reason and current:
            self._drop(current[0], f"its condition {run.reason}; it is switched off")

    def _check(self, watch: _Watch, key: SignalKey | None, names: dict[str, Any]) -> None:
        rule = watch.rule
        try:
            now = bool(rule.condition.evaluate(names))
        except MissingSignal:
            return  # a signal it reads has no samples yet: nothing to decide
        except Exception as error:
            kind = type(error).__name__
            self._on_error(rule, f"{kind}: {error}", kind)
            return
        before, watch.held = watch.held, now
        if watch.fires(before, now):
            self._raise(rule, key)

    def _raise(self, rule: EventRule, key: SignalKey | None) -> None:
        device, signal = key or ("", "")
        value = None
        if key is not None:
            newest = self._logger.store.get(*key)
            latest = newest.latest if newest is not None else None
            value = latest[1] if latest is not None else None
        self._logger.event(
            rule.text or rule.name,
            device=rule.dname or device,
            signal=rule.sname or signal,
            priority=rule.priority,
            id=rule.id,
            value=value,
        )

    def _drop(self, watch: _Watch, reason: str) -> None:
        """Stop watching a rule whose condition hangs (called with the lock held)."""
        self.switched_off[watch.rule.name] = (watch.rule, reason)
        self._on_error(watch.rule, reason, "interrupted")
        self._index = {
            key: tuple(w for w in watches if w is not watch) for key, watches in self._index.items()
        }
        self._unbound = tuple(w for w in self._unbound if w is not watch)
