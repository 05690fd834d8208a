"""The connection to the broker: one paho client, a persistent session, reconnects with
back-off, and publishes kept while the broker is away.

The broker being away is told once (a warning event) and its return once (an
info event with how many messages were kept); paho retries in between with a
back-off from 1 to 10 seconds. While disconnected, publishes wait in a bounded
buffer; when it is full the oldest are dropped and a warning event says how
many (at most once a minute).
"""

from __future__ import annotations

import collections
import logging
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK
from paho.mqtt.enums import CallbackAPIVersion

from rtoc.events import Priority, RepeatFilter
from rtoc_mqtt.config import Broker

log = logging.getLogger("rtoc_mqtt")

#: paho's reconnect back-off, seconds.
RECONNECT_MIN, RECONNECT_MAX = 1, 10
#: Our publishes awaiting the broker's acknowledgement at once.
INFLIGHT = 1000
READ_BLOCK = 256 * 1024

#: ``report(priority, text)``: an event of the mqtt device.
Report = Callable[[int, str], None]


class BlockClient(mqtt.Client):
    """paho's client with a short way in for the samples of MQTT 3.1.1 QoS 0 and 1 messages.

    paho reads every packet with at least three ``recv`` calls (type, length,
    body) and builds a message object for each, with its own locks and
    callbacks: at one number per message that is most of the time an ingest
    takes. Here ``_sock_recv`` hands out slices of one 256 KiB read, and
    ``loop_read`` goes on while such a read still holds packets (select would
    not wake for them); a PUBLISH whose topic ``take_publish`` takes goes to
    it as (topic, payload) bytes, without paho's message object, and the
    PUBACKs of one read go out as one write. Anything else (QoS 2, retained
    copies, topics it does not take, a short packet) goes through paho as
    usual. These are paho's private methods: the distribution pins paho-mqtt
    below 3, and the MQTT tests run through them.
    """

    _block = b""
    _at = 0
    _block_socket: Any = None
    #: ``take_publish(topic, payload)``: True when it took the message.
    take_publish: Callable[[bytes, bytes], bool] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._acks: list[bytes] = []

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._sock is not self._block_socket:  # a new connection: nothing left of the old
            self._block, self._at, self._block_socket = b"", 0, self._sock
        block, at = self._block, self._at
        if at >= len(block):
            block = super()._sock_recv(READ_BLOCK)
            if not block:
                return block
            self._block, at = block, 0
        self._at = at + bufsize
        return block[at : at + bufsize]

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        code = super().loop_read(max_packets)
        while not code and self._at < len(self._block) and self._sock is not None:
            code = super().loop_read(max_packets)
        self._send_acks()
        return code

    def _send_acks(self) -> None:
        """Queue the PUBACKs held back as one write (in the order of their messages)."""
        if self._acks:
            acks, self._acks = self._acks, []
            self._packet_queue(PUBACK, b"".join(acks), 0, 0)

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        take = self.take_publish
        command = self._in_packet["command"]
        qos = (command & 0x06) >> 1
        packet = bytes(self._in_packet["packet"])  # paho's is a bytearray
        short = len(packet) < 2 or len(packet) < 2 + ((packet[0] << 8) | packet[1]) + 2 * qos
        if take is None or command & 0x01 or qos == 2 or self._protocol != mqtt.MQTTv311 or short:
            return self._through_paho()  # a short packet: paho names what is wrong with it
        end = 2 + ((packet[0] << 8) | packet[1])
        if not take(packet[2:end], packet[end + 2 * qos :]):
            return self._through_paho()
        if qos:
            self._acks.append(b"\x40\x02" + packet[end : end + 2])  # PUBACK, its message id
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def _through_paho(self) -> mqtt.MQTTErrorCode:
        self._send_acks()  # acknowledgements go out in the order of their messages
        return super()._handle_publish()


class Connection:
    """A paho client on a persistent session; ``on_connected`` runs at every (re)connect."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        *,
        username: str = "",
        password: str = "",
        cafile: str = "",
        keepalive: int = 60,
        status_topic: str = "",
        buffer_limit: int = 100_000,
        report: Report,
    ) -> None:
        self.broker = broker
        self.keepalive = keepalive
        self.status_topic = status_topic
        self.report = report
        # MQTT 3.1.1: a v5 PUBLISH carries properties that cost paho a third of its time per
        # message; the session persists (clean_session False) until the broker expires it
        # (Mosquitto: persistent_client_expiration, never by default)
        self.client = BlockClient(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=False,
        )
        if username:
            self.client.username_pw_set(username, password or None)
        if broker.tls:
            self.client.tls_set(ca_certs=cafile or None, cert_reqs=ssl.CERT_REQUIRED)
        if status_topic:
            self.client.will_set(status_topic, "offline", qos=1, retain=True)
        self.client.reconnect_delay_set(RECONNECT_MIN, RECONNECT_MAX)
        self.client.max_inflight_messages_set(INFLIGHT)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_subscribe = self._on_subscribe
        self.on_connected: list[Callable[[], None]] = []
        self.connected = threading.Event()
        #: Set once the broker acknowledged :meth:`subscribe`'s filters (at each connect).
        self.subscribed = threading.Event()
        self._filters: list[tuple[str, int]] = []
        self._subscribe_mid: int | None = None
        self._buffer: collections.deque[tuple[str, bytes, int, bool]] = collections.deque(
            maxlen=buffer_limit
        )
        self._lock = threading.Lock()
        self._dropped = 0
        self._drops = RepeatFilter(60.0)
        self._lost_at: float | None = None
        self._refused = RepeatFilter(60.0)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def subscribe(self, filters: list[tuple[str, int]]) -> None:
        """Subscribe to ``(filter, qos)`` pairs now and at every reconnect."""
        self._filters.extend(filters)

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, self.keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        if self._buffer:
            self.report(
                Priority.WARNING,
                f"{len(self._buffer)} messages kept for the MQTT broker are not sent: "
                "rtoc stops while the broker is away",
            )
        if self.connected.is_set() and self.status_topic:
            offline = self.client.publish(self.status_topic, "offline", qos=1, retain=True)
            offline.wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        """Send now, or keep it for the broker's return (bounded: the oldest go first)."""
        data = payload.encode() if isinstance(payload, str) else payload
        with self._lock:
            kept = not self.connected.is_set() or bool(self._buffer)
            if kept:
                full = len(self._buffer) == self._buffer.maxlen
                self._buffer.append((topic, data, qos, retain))
                self._dropped += full
        if not kept:
            self.client.publish(topic, data, qos=qos, retain=retain)
        elif full and self._drops.admit("dropped") is not None:  # the event may publish too
            self.report(
                Priority.WARNING,
                f"the MQTT buffer is full ({self._buffer.maxlen} messages, mqtt.bufferLimit): "
                f"dropping the oldest; {self._dropped} dropped so far",
            )

    def _send_buffered(self) -> int:
        sent = 0
        with self._lock:
            while self._buffer:
                topic, data, qos, retain = self._buffer.popleft()
                self.client.publish(topic, data, qos=qos, retain=retain)
                sent += 1
        return sent

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            held = self._refused.admit(str(reason))
            if held is not None:
                self.report(
                    Priority.ERROR,
                    f"the MQTT broker {self.broker.host}:{self.broker.port} refused rtoc: "
                    f"{reason}{RepeatFilter.suffix(held)}",
                )
            return
        if self.status_topic:
            client.publish(self.status_topic, "online", qos=1, retain=True)
        if self._filters:
            self._subscribe_mid = client.subscribe(self._filters)[1]
        else:
            self.subscribed.set()
        for callback in self.on_connected:
            try:
                callback()
            except Exception:
                log.exception("MQTT on-connect step %r failed", callback)
        self.connected.set()
        sent = self._send_buffered()
        if self._lost_at is not None:
            away = time.monotonic() - self._lost_at
            self._lost_at = None
            self.report(
                Priority.INFO,
                f"the MQTT broker {self.broker.host}:{self.broker.port} is back after "
                f"{away:.0f} s; {sent} kept messages sent, {self._dropped} dropped",
            )
        else:
            log.info("connected to the MQTT broker %s:%s", self.broker.host, self.broker.port)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [
            f"{topic} ({reason})"
            for (topic, _), reason in zip(self._filters, reasons, strict=False)
            if reason.is_failure
        ]
        if refused:
            self.report(Priority.ERROR, f"the MQTT broker refused: {', '.join(refused)}")
        self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        self.subscribed.clear()
        if was_connected and reason != 0:
            self._lost(f"lost the MQTT broker {self.broker.host}:{self.broker.port} ({reason})")

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._lost(f"cannot reach the MQTT broker {self.broker.host}:{self.broker.port}")

    def _lost(self, what: str) -> None:
        """One warning per outage, however many reconnects fail in it."""
        if self._lost_at is not None:
            return
        self._lost_at = time.monotonic()
        self.report(
            Priority.WARNING,
            f"{what}; reconnecting every {RECONNECT_MIN} to {RECONNECT_MAX} s, keeping up to "
            f"{self._buffer.maxlen} messages to publish",
        )
