"""MQTT figures (issue 17): one JSON line per figure on stdout.

Every figure runs against a Mosquitto of its own on a free loopback port
(``mosquitto`` on PATH or in /usr/sbin), configured to queue without limit
(``max_queued_messages 0``): Mosquitto's default drops QoS 1 messages beyond
1,000 queued for one client, which a logger taking 50,000 messages a second
meets at once.

- ingest: one logger subscribed to ``bench/+/value`` (QoS 1, plain numbers);
  a raw socket publishes pre-encoded QoS 1 PUBLISH packets, one value each, as
  fast as the broker takes them; messages/s from the first sent to the last
  in the logger.
- edges: 100 publishers (paho clients in a process of their own, loopback)
  send RTOC TCP JSON blocks of 100 samples (QoS 1), as rtoc-mqtt's publisher
  does, offering 250,000 samples/s for 10 s to one logger that stores into
  PostgreSQL (127.0.0.1:5432, database ``test``, a schema of its own, dropped
  afterwards); samples/s in the database from the first message in to the
  last sample stored, every one counted.
- outage: an edge rtoc publishing 1,000 samples/s (QoS 2), the broker stopped
  for 20 s and started again, a central rtoc taking them in: samples lost.

    python bench/bench_mqtt.py
"""

from __future__ import annotations

import contextlib
import getpass
import json
import multiprocessing
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import attrs
import numpy as np
import psycopg2
from figures import emit

import rtoc_mqtt.plugin
from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc_mqtt.config import MqttConfig, Subscription
from rtoc_mqtt.plugin import RegisteredFrontend

DATABASE = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
INGEST_MESSAGES = 500_000
EDGES = 100
EDGE_BLOCK = 100  # samples per message
EDGE_RATE = 25.0  # messages/s of one edge: 100 x 25 x 100 = 250,000 samples/s offered
EDGE_SECONDS = 10.0
OUTAGE_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Broker:
    """A Mosquitto of this bench, queueing without limit, persisting into a folder."""

    def __init__(self, folder: Path) -> None:
        self.executable = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {folder}/\n"
            "max_queued_messages 0\nmax_inflight_messages 0\n"
            f"user {getpass.getuser()}\n"
        )
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen([self.executable, "-c", str(self.config)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


def logger_with_mqtt(
    broker: Broker, name: str, storage=None, **keys
) -> tuple[Logger, RegisteredFrontend]:
    registry = PluginRegistry.load(entry_points=False)
    registry.register(rtoc_mqtt.plugin, PluginInfo("mqtt", "rtoc-mqtt"))
    config = Config()
    config = attrs.evolve(
        config,
        global_=attrs.evolve(config.global_, name=name, recordLength=2_000_000),
        plugin_sections={"mqtt": MqttConfig(active=True, broker=broker.url, **keys)},
    )
    logger = Logger(config, storage=storage, plugins=registry)
    logger.start()
    frontend = RegisteredFrontend()
    frontend.start(logger, config)
    assert frontend.connection is not None
    if not frontend.connection.subscribed.wait(10):
        raise RuntimeError("no subscription")
    return logger, frontend


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (128 if length else 0))
        if not length:
            return bytes(out)


def _packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _remaining_length(len(body)) + body


def _text(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def raw_publisher(port: int, client_id: bytes) -> socket.socket:
    """An MQTT 3.1.1 connection on a plain socket; CONNACK read, PUBACKs read and dropped."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(_packet(0x10, _text(b"MQTT") + b"\x04\x02\x00\x3c" + _text(client_id)))
    assert sock.recv(4)[:1] == b"\x20"

    def drain() -> None:
        with contextlib.suppress(OSError):  # closed when the bench is done with it
            while sock.recv(1 << 16):
                pass

    threading.Thread(target=drain, daemon=True).start()
    return sock


def ingest(broker: Broker) -> tuple[float, float]:
    """(messages/s, seconds) for INGEST_MESSAGES QoS 1 messages of one value each."""
    logger, frontend = logger_with_mqtt(
        broker, "bench-ingest", subscribe=(Subscription("bench/+/value", signal="v"),)
    )
    topic = _text(b"bench/s1/value")
    packets = b"".join(
        _packet(0x32, topic + struct.pack("!H", i % 65535 + 1) + str(i * 0.5).encode())
        for i in range(INGEST_MESSAGES)
    )
    sock = raw_publisher(broker.port, b"bench-raw")
    began = time.perf_counter()
    sock.sendall(packets)
    ingest = frontend.ingest
    while ingest.stats.stored < INGEST_MESSAGES and time.perf_counter() - began < 300:
        time.sleep(0.01)
    seconds = time.perf_counter() - began
    sock.close()
    stored = len(logger.store.get("s1", "v"))
    frontend.stop()
    logger.close()
    assert stored == INGEST_MESSAGES, f"{stored} of {INGEST_MESSAGES} stored"
    return INGEST_MESSAGES / seconds, seconds


def _edges(port: int, seconds: float, sent: multiprocessing.Value) -> None:
    """EDGES paho clients publishing EDGE_BLOCK-sample blocks at EDGE_RATE each (QoS 1)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    clients = []
    for k in range(EDGES):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"edge{k}")
        client.max_inflight_messages_set(1000)
        client.connect("127.0.0.1", port)
        client.loop_start()
        clients.append(client)
    base = time.time()
    y = np.arange(EDGE_BLOCK, dtype=np.float64).tolist()
    count, began = 0, time.perf_counter()
    infos = []
    while (elapsed := time.perf_counter() - began) < seconds:
        for k, client in enumerate(clients):
            x = (base + count * EDGE_BLOCK + np.arange(EDGE_BLOCK)) / 1e3
            payload = json.dumps({"x": x.tolist(), "y": y, "sname": "T", "dname": "Sensor"})
            infos.append(client.publish(f"edge/e{k}/Sensor/T/samples", payload, qos=1))
        count += 1
        time.sleep(max(0.0, count / EDGE_RATE - elapsed))
    for info in infos:
        info.wait_for_publish(60)
    sent.value = count * EDGES * EDGE_BLOCK
    for client in clients:
        client.disconnect()
        client.loop_stop()


def edges(broker: Broker) -> dict:
    from rtoc_postgres.spool import Spool
    from rtoc_postgres.spooled import SpooledStorage
    from rtoc_postgres.storage import PostgresStorage

    schema = f"bench_mqtt_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        storage = SpooledStorage(
            lambda: PostgresStorage(DATABASE, schema),
            Spool(Path(folder) / "spool.sqlite", 100_000_000),
            "bench",
        )
        logger, frontend = logger_with_mqtt(
            broker,
            "bench-central",
            storage,
            subscribe=(Subscription("edge/+/+/+/samples", payload="rtoc", device="{1}"),),
        )
        logger.writer.interval = 0.5
        spawn = multiprocessing.get_context("spawn")
        sent = spawn.Value("q", 0)
        process = spawn.Process(target=_edges, args=(broker.port, EDGE_SECONDS, sent))
        process.start()
        ingest = frontend.ingest
        while not ingest.stats.received and process.is_alive():
            time.sleep(0.001)
        began = time.perf_counter()  # from the first message in
        process.join()
        if not sent.value:
            raise RuntimeError("the edge publishers sent nothing")
        while ingest.stats.stored < sent.value and time.perf_counter() - began < 300:
            time.sleep(0.05)
        frontend.stop()
        stored = logger.close()  # everything in PostgreSQL
        seconds = time.perf_counter() - began
    try:
        with psycopg2.connect(**DATABASE) as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {schema}.samples")
            (in_database,) = cursor.fetchone()
    finally:
        with psycopg2.connect(**DATABASE) as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return {
        "rate": in_database / seconds,
        "sent": sent.value,
        "in_database": in_database,
        "lost": sent.value - in_database,
        "all_stored": stored,
    }


def outage(broker: Broker) -> dict:
    edge, edge_frontend = logger_with_mqtt(
        broker, "bench-edge", publish=("Edge.*",), publishRate=10.0, qos=2
    )
    central, central_frontend = logger_with_mqtt(
        broker,
        "bench-hub",
        subscribe=(Subscription("rtoc/bench-edge/+/+/samples", payload="rtoc", qos=2),),
    )
    fed = 0
    stop = threading.Event()

    def feed() -> None:  # 1,000 samples/s in blocks of 10
        nonlocal fed
        began = time.perf_counter()
        while not stop.is_set():
            edge.stream_many(np.arange(fed, fed + 10.0), np.arange(fed, fed + 10.0), "T", "Edge")
            fed += 10
            time.sleep(max(0.0, began + fed / 1000 - time.perf_counter()))

    feeder = threading.Thread(target=feed)
    feeder.start()
    time.sleep(2)
    broker.stop()
    time.sleep(OUTAGE_SECONDS)
    broker.start()
    time.sleep(2)
    stop.set()
    feeder.join()
    began = time.perf_counter()
    while central_frontend.ingest.stats.stored < fed and time.perf_counter() - began < 60:
        time.sleep(0.05)
    got = central.store.get("Edge", "T").y
    unique = len(np.unique(got))
    for frontend, logger in ((edge_frontend, edge), (central_frontend, central)):
        frontend.stop()
        logger.close()
    return {"fed": fed, "lost": fed - unique, "duplicates": len(got) - unique}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        broker = Broker(Path(folder))
        try:
            rate, seconds = ingest(broker)
            emit(
                "MQTT ingest into one logger, 1 value per message, QoS 1",
                rate,
                "msg/s",
                ">= 50000",
                0,
                messages=INGEST_MESSAGES,
                seconds=round(seconds, 2),
            )
            result = edges(broker)
            emit(
                f"{EDGES} edge publishers over MQTT into one logger into PostgreSQL",
                result.pop("rate"),
                "samples/s",
                ">= 200000, 0 lost",
                0,
                **result,
            )
            result = outage(broker)
            emit(
                f"broker stopped for {OUTAGE_SECONDS:g} s under publishing load: samples lost",
                result.pop("lost"),
                "samples",
                "0",
                0,
                **result,
            )
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
