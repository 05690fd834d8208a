"""The broker going away: a Mosquitto of the test's own is stopped under publishing load
and started again; every sample arrives once, each side tells of it once."""

from __future__ import annotations

import threading
import time

from mqtt_rig import OwnBroker

from rtoc.events import Priority
from rtoc.testing.waiting import wait_until
from rtoc_mqtt.config import Subscription

OUTAGE = 3.0  # seconds; the bench stops the broker for 20


def test_every_sample_arrives_once_after_the_broker_was_stopped(make_rig, own_broker, name):
    edge = make_rig(name, broker=own_broker.url, publish=("Edge.*",), publishRate=20.0, qos=2)
    central = make_rig(
        f"{name}c",
        broker=own_broker.url,
        subscribe=(Subscription(f"rtoc/{name}/+/+/samples", payload="rtoc", qos=2),),
    )
    for rig in (edge, central):
        rig.connected()
        rig.frontend.connection.client.reconnect_delay_set(1, 1)  # the test's time is short
    fed = 0
    stop = threading.Event()

    def feed() -> None:
        nonlocal fed
        while not stop.wait(0.01):
            edge.logger.stream(float(fed), "T", "Edge", x=float(fed))
            fed += 1

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        wait_until(lambda: central.values("Edge", "T"), 5, "samples before the outage")
        own_broker.stop()
        time.sleep(OUTAGE)  # the outage itself: the edge goes on sampling
        during = fed
        own_broker.start()
        wait_until(lambda: fed > during + 20, 5, "sampling after the outage")
    finally:
        stop.set()
        feeder.join()
    wait_until(lambda: len(central.values("Edge", "T")) >= fed, 15, f"{fed} samples")
    got = central.values("Edge", "T")
    assert sorted(got) == [float(k) for k in range(fed)]  # none lost, none twice
    for rig in (edge, central):
        texts = [(e.priority, e.text) for e in rig.logger.events if e.device == "mqtt"]
        assert [p for p, text in texts if "lost the MQTT broker" in text] == [Priority.WARNING]
        assert len([text for p, text in texts if "is back after" in text]) == 1, texts


def test_a_full_buffer_drops_the_oldest_and_says_so(make_rig, own_broker, name):
    edge = make_rig(name, broker=own_broker.url, publish=("Edge.*",), bufferLimit=4)
    edge.connected()
    own_broker.stop()
    connection = edge.frontend.connection
    wait_until(lambda: not connection.connected.is_set(), 5, "the edge to notice")
    for k in range(10):
        connection.publish(f"rtoc/{name}/test", str(k))
    assert connection.buffered == 4
    warnings = [e.text for e in edge.logger.events if "buffer is full" in e.text]
    assert len(warnings) == 1 and "mqtt.bufferLimit" in warnings[0]


def test_an_unreachable_broker_is_one_warning_and_rtoc_keeps_trying(make_rig, tmp_path, name):
    broker = OwnBroker(tmp_path)
    broker.stop()
    rig = make_rig(name, broker=broker.url, subscribe=(Subscription(f"{name}/x", device="D"),))
    wait_until(
        lambda: [e for e in rig.logger.events if "cannot reach the MQTT broker" in e.text],
        5,
        "the warning",
    )
    broker.start()
    try:
        rig.connected(timeout=10)
        warnings = [e for e in rig.logger.events if e.priority == Priority.WARNING]
        assert len(warnings) == 1
    finally:
        broker.stop()
