"""The ``mqtt`` section of config.json, registered through ``rtoc_config_sections``."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

import attrs

from rtoc.config import MAX_COUNT, Limits, PositiveFloat

SECTION = "mqtt"

#: How a subscription's payloads are read (see :mod:`rtoc_mqtt.payloads`).
PayloadKind = Literal["number", "json", "rtoc"]


class BrokerError(ValueError):
    """``mqtt.broker`` is not an address rtoc can connect to; the message says why."""


@attrs.frozen
class Subscription:
    """One entry of ``mqtt.subscribe``: a topic filter and where its samples go.

    ``device`` and ``signal`` may name the topic levels the filter's
    wildcards matched: ``{1}`` is the first ``+`` (or ``#``), ``{2}`` the
    second. An empty ``device`` is the first ``+`` when there is one, else
    ``MQTT``; an empty ``signal`` is the topic's last level.
    """

    topic: str = ""
    device: str = ""
    signal: str = ""
    unit: str = ""
    #: ``number``: the payload is a number; ``json``: an object with the value at ``value``;
    #: ``rtoc``: RTOC's TCP JSON ``{"y": [...], "sname": [...], "dname": ..., "x": [...]}``.
    payload: PayloadKind = "number"
    #: ``json``: the dotted path of the value in the object (``data.temp``, ``values.0``).
    value: str = "value"
    #: ``json``: the dotted path of the time (unix seconds or ISO 8601); "" is the arrival time.
    time: str = ""
    qos: Literal[0, 1, 2] = 1


@attrs.frozen
class MqttConfig:
    """Section ``mqtt``: the broker, what rtoc subscribes to and what it publishes."""

    #: ``rtoc run`` connects to the broker.
    active: bool = False
    #: ``mqtt://host:port``, or ``mqtts://host:port`` for TLS (port 8883 when not given).
    broker: str = "mqtt://127.0.0.1:1883"
    username: str = ""
    password: str = ""
    #: The stable client id of the persistent session; "" is ``rtoc-<global.name>``.
    client_id: str = ""
    #: ``mqtts://``: a CA file to check the broker's certificate with; "" uses the system's.
    cafile: str = ""
    keepalive: Annotated[int, Limits(5, 65535)] = 60
    #: Topic filters rtoc reads samples from (see :class:`Subscription`).
    subscribe: tuple[Subscription, ...] = ()
    #: Signals published to ``rtoc/<global.name>/<device>/<signal>``: ``Device.Signal``
    #: names, shell patterns allowed (``Generator.*``).
    publish: tuple[str, ...] = ()
    #: Most publishes per second of one signal; the samples between go in one message.
    publishRate: Annotated[float, Limits(0.01, 1000)] = 1.0
    #: QoS of rtoc's publishes: 1 arrives at least once (a duplicate is possible when the
    #: broker stops between taking a message and acknowledging it), 2 exactly once.
    qos: Literal[0, 1, 2] = 1
    #: Publish every event to ``rtoc/<global.name>/events``.
    publishEvents: bool = False
    #: Announce the published signals to Home Assistant (MQTT discovery).
    discovery: bool = False
    discoveryPrefix: str = "homeassistant"
    #: Accept commands on ``rtoc/<global.name>/command/<user>`` from users with the write role.
    commands: bool = False
    #: Messages kept for the broker while it is unreachable; beyond it the oldest are dropped.
    bufferLimit: Annotated[int, Limits(1, MAX_COUNT)] = 100_000
    #: Most messages taken in before they are handed to the logger as one batch.
    batchSize: Annotated[int, Limits(1, 1_000_000)] = 5000
    #: Most seconds a received message waits for its batch.
    batchDelay: PositiveFloat = 0.05


@attrs.frozen
class Broker:
    """Where ``mqtt.broker`` points."""

    host: str
    port: int
    tls: bool


def parse_broker(url: str) -> Broker:
    """``mqtt://host:port`` or ``mqtts://host:port`` as a :class:`Broker`; BrokerError else."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise BrokerError(f"mqtt.broker must start with mqtt:// or mqtts://, not {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise BrokerError(f"mqtt.broker {url!r}: the port is not a number from 1 to 65535") from (
            None
        )
    if not parts.hostname:
        raise BrokerError(f"mqtt.broker {url!r} names no host")
    tls = parts.scheme == "mqtts"
    return Broker(parts.hostname, port or (8883 if tls else 1883), tls)


def base_topic(name: str) -> str:
    """``rtoc/<name>``: where this logger publishes; MQTT's wildcards and ``/`` left out."""
    return "rtoc/" + (re.sub(r"[+#/\x00]", "_", name) or "rtoc")


def client_id(section: MqttConfig, name: str) -> str:
    return section.client_id or "rtoc-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)
