"""Chosen signals and events out to the broker, and Home Assistant's discovery of them.

Every ``1 / publishRate`` seconds each chosen signal with new samples gets
two messages (QoS 1):

- ``rtoc/<name>/<device>/<signal>``: its latest value as a plain number, retained,
  so a client subscribing later gets it at once;
- ``rtoc/<name>/<device>/<signal>/samples``: every sample since the last one, as
  RTOC's TCP JSON ``{"x": [...], "y": [...], "sname", "dname", "unit"}``, which
  another rtoc takes in with ``"payload": "rtoc"``.

Events go to ``rtoc/<name>/events`` as JSON when ``mqtt.publishEvents`` is set.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import threading
from typing import TYPE_CHECKING

from rtoc import __version__
from rtoc.events import Event
from rtoc.signals import Signal
from rtoc_mqtt.client import Connection

if TYPE_CHECKING:
    from rtoc.logger import Logger

log = logging.getLogger("rtoc_mqtt")

#: Most samples in one ``/samples`` message; more go in several.
CHUNK = 10_000


def _object_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


class Publisher:
    """Publishes the signals matching ``patterns`` (``Device.Signal`` shell patterns)."""

    def __init__(
        self,
        logger: Logger,
        connection: Connection,
        base: str,
        patterns: tuple[str, ...],
        rate: float,
        discovery_prefix: str = "",
        qos: int = 1,
    ) -> None:
        self.logger = logger
        self.connection = connection
        self.base = base
        self.patterns = patterns
        self.interval = 1.0 / rate
        self.discovery_prefix = discovery_prefix
        self.qos = qos
        #: Signals published so far, with their sample count (``total``) when last published.
        self.sent: dict[tuple[str, str], int] = {}
        self._announced: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rtoc-mqtt-publish", daemon=True)
        connection.on_connected.append(self._announced.clear)  # a broker that forgot them

    def start(self) -> None:
        if self.patterns:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self.publish_new()

    def topic(self, device: str, signal: str) -> str:
        return f"{self.base}/{device}/{signal}"

    def chosen(self, signal: Signal) -> bool:
        name = f"{signal.device}.{signal.name}"
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.patterns)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.publish_new()
            except Exception:  # a bug must not end publishing
                log.exception("MQTT publishing failed")

    def publish_new(self) -> None:
        """Publish the samples each chosen signal got since the last call."""
        for signal in list(self.logger.store):
            if not self.chosen(signal):
                continue
            key = signal.key
            total = signal.total
            new = total - self.sent.get(key, 0)
            if new <= 0:
                continue
            self.sent[key] = total
            if self.discovery_prefix and key not in self._announced:
                self.announce(signal)
            x, y = signal.last(new)
            topic = self.topic(*key)
            for start in range(0, len(y), CHUNK):
                message = {
                    "x": x[start : start + CHUNK].tolist(),
                    "y": y[start : start + CHUNK].tolist(),
                    "sname": signal.name,
                    "dname": signal.device,
                    "unit": signal.unit,
                }
                self.connection.publish(topic + "/samples", json.dumps(message), self.qos)
            if len(y):
                self.connection.publish(topic, repr(float(y[-1])), self.qos, retain=True)

    def announce(self, signal: Signal) -> None:
        """Home Assistant MQTT discovery: a sensor for ``signal`` on this logger's device."""
        self._announced.add(signal.key)
        node = _object_id(self.base.replace("/", "_"))
        object_id = _object_id(f"{signal.device}_{signal.name}")
        config = {
            "name": f"{signal.device} {signal.name}",
            "unique_id": f"{node}_{object_id}",
            "state_topic": self.topic(signal.device, signal.name),
            "availability_topic": f"{self.base}/status",
            "device": {
                "identifiers": [node],
                "name": self.base.removeprefix("rtoc/"),
                "manufacturer": "rtoc",
                "model": "rtoc logger",
                "sw_version": __version__,
            },
        }
        if signal.unit:
            config["unit_of_measurement"] = signal.unit
        topic = f"{self.discovery_prefix}/sensor/{node}/{object_id}/config"
        self.connection.publish(topic, json.dumps(config), self.qos, retain=True)

    def event(self, event: Event) -> None:
        message = {
            "text": event.text,
            "dname": event.device,
            "sname": event.signal,
            "x": event.time,
            "priority": int(event.priority),
            "id": event.id,
            "value": event.value,
        }
        self.connection.publish(f"{self.base}/events", json.dumps(message), self.qos)
