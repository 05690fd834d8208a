"""Samples from a real Mosquitto into the logger: each payload kind, wildcard mapping,
bad payloads, the persistent session."""

from __future__ import annotations

import json

from mqtt_rig import Watcher, wait_time

from rtoc.testing.waiting import wait_until
from rtoc_mqtt.config import Subscription


def test_plain_numbers_go_to_the_device_the_wildcard_matched(make_rig, watcher, name):
    rig = make_rig(
        name, subscribe=(Subscription(f"{name}/sensors/+/temperature", signal="T", unit="°C"),)
    )
    rig.connected()
    for room, value in (("kitchen", "21.5"), ("cellar", "12"), ("kitchen", " 22.0\n")):
        watcher.publish(f"{name}/sensors/{room}/temperature", value)
    assert rig.wait_values("kitchen", "T", 2) == [21.5, 22.0]
    assert rig.wait_values("cellar", "T", 1) == [12.0]
    assert rig.logger.store.get("kitchen", "T").unit == "°C"


def test_templates_name_device_and_signal_from_the_topic_levels(make_rig, watcher, name):
    entry = Subscription(f"{name}/+/+/#", device="{2}", signal="{1}_{3}")
    rig = make_rig(name, subscribe=(entry,))
    rig.connected()
    watcher.publish(f"{name}/power/house/phase/1", "230.1")
    assert rig.wait_values("house", "power_phase/1", 1) == [230.1]


def test_json_payloads_take_the_value_path_and_the_time_field(make_rig, watcher, name):
    entries = (
        Subscription(f"{name}/json/a", device="Meter", signal="P", payload="json",
                     value="data.power", time="ts", unit="W"),
        Subscription(f"{name}/json/b", device="Meter", signal="Q", payload="json",
                     value="values.1", time="when"),
        Subscription(f"{name}/json/c", device="Meter", signal="R", payload="json"),
    )  # fmt: skip
    rig = make_rig(name, subscribe=entries)
    rig.connected()
    watcher.publish(f"{name}/json/a", json.dumps({"data": {"power": 1500}, "ts": 1_700_000_000.5}))
    b = {"values": [1, 2.5], "when": "2024-01-01T00:00:00Z"}
    watcher.publish(f"{name}/json/b", json.dumps(b))
    watcher.publish(f"{name}/json/c", json.dumps({"value": -3}))
    rig.wait_values("Meter", "P", 1)
    power = rig.logger.store.get("Meter", "P")
    assert power.latest == (1_700_000_000.5, 1500.0) and power.unit == "W"
    rig.wait_values("Meter", "Q", 1)
    assert rig.logger.store.get("Meter", "Q").latest == (1_704_067_200.0, 2.5)
    assert rig.wait_values("Meter", "R", 1) == [-3.0]


def test_rtoc_tcp_json_payloads_name_their_signals(make_rig, watcher, name):
    entry = Subscription(f"{name}/rtoc/+", payload="rtoc", device="", unit="V")
    rig = make_rig(name, subscribe=(entry,))
    rig.connected()
    message = {"y": [1.0, 2.0], "sname": ["U", "I"], "dname": "PSU", "unit": ["V", "A"]}
    watcher.publish(f"{name}/rtoc/edge1", json.dumps(message))
    block = {"x": [10.0, 11.0, 12.0], "y": [5, 6, 7], "sname": "U", "dname": "PSU"}
    watcher.publish(f"{name}/rtoc/edge1", json.dumps(block))
    rig.wait_values("edge1", "U", 4)  # the wildcard names the device, not dname
    signal = rig.logger.store.get("edge1", "U")
    assert signal.y.tolist() == [1.0, 5.0, 6.0, 7.0]
    assert signal.x.tolist()[1:] == [10.0, 11.0, 12.0]
    assert rig.logger.store.get("edge1", "I").unit == "A"


def test_bad_payloads_are_counted_told_once_per_topic_and_never_stored(make_rig, watcher, name):
    entries = (
        Subscription(f"{name}/num/+", device="D"),
        Subscription(f"{name}/json", device="D", signal="J", payload="json"),
        Subscription(f"{name}/rtoc", payload="rtoc"),
    )
    rig = make_rig(name, subscribe=entries)
    rig.connected()
    for payload in ("1", "abc", "", "2", "true"):
        watcher.publish(f"{name}/num/x", payload)
    watcher.publish(f"{name}/num/y", "nope")
    for payload in ("{", '{"value": "7"}', '{"other": 1}', '{"value": true}', '{"value": 8}'):
        watcher.publish(f"{name}/json", payload)
    for payload in ('{"y": [1]}', '{"y": [1, 2], "sname": ["a"], "x": [1]}', "[]"):
        watcher.publish(f"{name}/rtoc", payload)
    assert rig.wait_values("D", "x", 2) == [1.0, 2.0]
    assert rig.wait_values("D", "J", 1) == [8.0]
    ingest = rig.frontend.ingest
    expected = {f"{name}/num/x": 3, f"{name}/num/y": 1, f"{name}/json": 4, f"{name}/rtoc": 3}
    wait_until(lambda: ingest.stats.bad_by_topic == expected, 5, "11 bad payloads")
    assert ingest.stats.bad == 11

    def warnings() -> list[str]:
        return [e.text for e in rig.logger.events if "bad MQTT payload" in e.text]

    wait_until(lambda: len(warnings()) == 4, 5, "a warning per topic")
    wait_time(0.1)
    assert len(warnings()) == 4  # one per topic, however many came in that minute
    assert any("not a number: 'abc'" in text for text in warnings())
    assert ("D", "y") not in rig.logger.store and ("MQTT", "a") not in rig.logger.store


def test_messages_sent_while_rtoc_was_stopped_arrive_after_restart(make_rig, watcher, name):
    rig = make_rig(name, subscribe=(Subscription(f"{name}/queued", device="Q", signal="v"),))
    rig.connected()
    watcher.publish(f"{name}/queued", "1")
    rig.wait_values("Q", "v", 1)
    rig.frontend.stop()
    for value in range(2, 12):
        watcher.publish(f"{name}/queued", str(value))  # QoS 1: the broker queues them
    wait_time(0.2)
    assert rig.values("Q", "v") == [1.0]
    rig.restart()
    assert rig.wait_values("Q", "v", 11) == [float(v) for v in range(1, 12)]


def test_a_retained_copy_is_no_new_sample(make_rig, watcher, name):
    watcher.publish(f"{name}/kept", "5", retain=True)
    rig = make_rig(name, subscribe=(Subscription(f"{name}/kept", device="K", signal="v"),))
    rig.connected()
    wait_until(lambda: rig.frontend.ingest.stats.retained == 1, 5, "the retained copy")
    watcher.publish(f"{name}/kept", "6")
    assert rig.wait_values("K", "v", 1) == [6.0]
    watcher.publish(f"{name}/kept", b"", retain=True)  # leave the shared broker as it was


def test_a_flood_arrives_whole_and_acknowledged(make_rig, own_broker, name):
    entries = (
        Subscription(f"{name}/flood/+", device="F"),
        Subscription(f"{name}/q0", device="Z", signal="v", qos=0),  # delivered at QoS 0
    )
    rig = make_rig(name, broker=own_broker.url, subscribe=entries, batchSize=500)
    rig.connected()
    sender = Watcher(own_broker.port)
    try:
        infos = [sender.client.publish(f"{name}/flood/{k % 3}", str(k), qos=1) for k in range(3000)]
        for info in infos:
            info.wait_for_publish(10)
        sender.publish(f"{name}/q0", "7")
        wait_until(lambda: sum(len(rig.values("F", s)) for s in "012") == 3000, 10, "3000")
        assert sorted(v for s in "012" for v in rig.values("F", s)) == list(map(float, range(3000)))
        assert rig.wait_values("Z", "v", 1) == [7.0]
        rig.restart()  # a message not acknowledged would come again now
        rig.connected()
        wait_time(0.5)
        assert sum(len(rig.values("F", s)) for s in "012") == 3000
    finally:
        sender.close()
