"""Samples from subscribed topics into the logger, in batches.

paho's thread only appends each message's arrival time and payload to its
topic's list (:meth:`Ingest.take`, called by rtoc_mqtt.client.BlockClient
straight from the packet for QoS 0 and 1). A batch is handed over when it
holds ``batchSize`` messages or its oldest waited ``batchDelay`` seconds:
then each topic's payloads are read together (plain numbers in one numpy
conversion) and go to the logger with one ``stream_many`` per signal. A
message is acknowledged to the broker once it is in a batch, so a crash of
rtoc loses at most one batch.

Bad payloads are counted per topic and never stored; a warning event tells
of them at most once per topic per minute.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from rtoc.events import Priority, RepeatFilter
from rtoc_mqtt.client import Report
from rtoc_mqtt.payloads import PayloadError, describe, json_value, numbers, rtoc_blocks
from rtoc_mqtt.routes import CACHE_LIMIT, Router, Target

if TYPE_CHECKING:
    from rtoc.logger import Logger

log = logging.getLogger("rtoc_mqtt")


@attrs.define
class IngestStats:
    received: int = 0
    stored: int = 0
    bad: int = 0
    unrouted: int = 0
    #: Retained copies the broker sent on subscribing: not stored.
    retained: int = 0
    #: Bad payloads by topic.
    bad_by_topic: dict[str, int] = attrs.field(factory=dict)


class Ingest:
    """Collects subscribed messages and hands them to ``logger`` batch by batch."""

    def __init__(
        self,
        logger: Logger,
        router: Router,
        report: Report,
        batch_size: int = 5000,
        batch_delay: float = 0.05,
    ) -> None:
        self.logger = logger
        self.router = router
        self.report = report
        self.batch_size = batch_size
        self.batch_delay = batch_delay
        self.stats = IngestStats()
        #: topic -> (its target, arrival times, payloads)
        self._pending: dict[bytes, tuple[Target, list[float], list[bytes]]] = {}
        self._targets: dict[bytes, Target | None] = {}
        self._count = 0
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._warnings = RepeatFilter(60.0)
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._run, name="rtoc-mqtt-ingest", daemon=True)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._stop.set()
        if self._timer.is_alive():
            self._timer.join()
        self.flush()

    def take(self, topic: bytes, payload: bytes) -> bool:
        """Keep a message for the next batch (paho's thread); False when no subscription
        routes ``topic``."""
        now = time.time()
        with self._lock:
            pending = self._pending.get(topic)
            if pending is None:
                target = self._target(topic)
                if target is None:
                    return False
                pending = self._pending[topic] = (target, [], [])
            pending[1].append(now)
            pending[2].append(payload)
            self._count += 1
            full = self._count >= self.batch_size
        if full:
            try:
                self.flush()
            except Exception:  # never into paho's loop: it would end the connection's thread
                log.exception("MQTT batch failed")
        return True

    def on_message(self, client: Any, userdata: Any, message: Any) -> None:
        """paho's callback for what :meth:`take` did not take straight (QoS 2, retained).

        A retained message is the broker's copy of an old one, sent at every
        subscribe: not a new sample, so it is counted and left out.
        """
        if message.retain:
            self.stats.retained += 1
        elif not self.take(message._topic, message.payload):
            self.stats.unrouted += 1

    def _target(self, topic: bytes) -> Target | None:
        try:
            return self._targets[topic]
        except KeyError:
            pass
        try:
            target = self.router.target(topic.decode())
        except UnicodeDecodeError:
            target = None
        if len(self._targets) >= CACHE_LIMIT:
            self._targets.clear()
        self._targets[topic] = target
        return target

    def _run(self) -> None:
        while not self._stop.wait(self.batch_delay):
            if self._count:
                try:
                    self.flush()
                except Exception:  # a bug must not end the batches
                    log.exception("MQTT batch failed")

    def flush(self) -> None:
        """Hand every waiting message to the logger (batches one at a time, in order)."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
                count, self._count = self._count, 0
            self.stats.received += count
            for raw, (target, times, payloads) in pending.items():
                topic = raw.decode()
                kind = target.subscription.payload
                if kind == "number":
                    self._numbers(topic, target, times, payloads)
                elif kind == "json":
                    self._json(topic, target, times, payloads)
                else:
                    self._rtoc(topic, target, times, payloads)

    def _numbers(
        self, topic: str, target: Target, times: list[float], payloads: list[bytes]
    ) -> None:
        values, bad = numbers(payloads)
        x = np.array(times, dtype=np.float64)
        if bad:
            x = np.delete(x, bad)
            self._bad(topic, len(bad), f"not a number: {describe(payloads[bad[0]])}")
        self._store(target.device, target.signal, target.subscription.unit, x, values)

    def _json(self, topic: str, target: Target, times: list[float], payloads: list[bytes]) -> None:
        entry = target.subscription
        xs, ys, bad, first_error = [], [], 0, ""
        for arrived, payload in zip(times, payloads, strict=True):
            try:
                x, y = json_value(payload, entry.value, entry.time)
            except PayloadError as error:
                bad, first_error = bad + 1, first_error or f"{error}: {describe(payload)}"
                continue
            xs.append(arrived if x is None else x)
            ys.append(y)
        if bad:
            self._bad(topic, bad, first_error)
        self._store(target.device, target.signal, entry.unit, np.array(xs), np.array(ys))

    def _rtoc(self, topic: str, target: Target, times: list[float], payloads: list[bytes]) -> None:
        bad, first_error = 0, ""
        for arrived, payload in zip(times, payloads, strict=True):
            try:
                dname, blocks = rtoc_blocks(payload)
            except PayloadError as error:
                bad, first_error = bad + 1, first_error or f"{error}: {describe(payload)}"
                continue
            device = target.device or dname or "MQTT"
            for block in blocks:
                x = np.full(len(block.y), arrived) if block.x is None else block.x
                unit = block.unit if block.unit is not None else target.subscription.unit
                self._store(device, block.signal, unit, x, block.y)
        if bad:
            self._bad(topic, bad, first_error)

    def _store(self, device: str, signal: str, unit: str, x: np.ndarray, y: np.ndarray) -> None:
        if len(y):
            self.logger.stream_many(x, y, signal, device, unit or None)
            self.stats.stored += len(y)

    def _bad(self, topic: str, count: int, example: str) -> None:
        self.stats.bad += count
        total = self.stats.bad_by_topic[topic] = self.stats.bad_by_topic.get(topic, 0) + count
        if self._warnings.admit(topic) is not None:
            self.report(
                Priority.WARNING,
                f"bad MQTT payload on {topic}, not stored ({total} so far on this topic; "
                f"told again at most once a minute): {example}",
            )
