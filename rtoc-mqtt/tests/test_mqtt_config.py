"""The ``mqtt`` section, topic routes and payload reading: bad input named, good input read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rtoc.config import ConfigError, load_config
from rtoc_mqtt.config import Broker, BrokerError, MqttConfig, Subscription, parse_broker
from rtoc_mqtt.payloads import PayloadError, json_value, numbers, rtoc_blocks
from rtoc_mqtt.routes import RouteError, Router


def test_the_section_loads_from_config_json_with_its_subscriptions(tmp_path):
    section = {
        "active": True,
        "subscribe": [{"topic": "sensors/+/t", "unit": "°C"}, {"topic": "x", "payload": "json"}],
        "publish": ["Generator.*"],
    }
    (tmp_path / "config.json").write_text(json.dumps({"mqtt": section}))
    config = load_config(tmp_path, {"mqtt": MqttConfig}).section("mqtt")
    assert config.subscribe == (
        Subscription("sensors/+/t", unit="°C"),
        Subscription("x", payload="json"),
    )
    assert config.publish == ("Generator.*",)


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"subscribe": [{"topic": "a", "payload": "xml"}]}, "mqtt.subscribe[0].payload"),
        ({"subscribe": [{"topic": "a", "qos": 3}]}, "mqtt.subscribe[0].qos"),
        ({"subscribe": "a/b"}, "mqtt.subscribe"),
        ({"publish": "Gen.*"}, "mqtt.publish"),
        ({"publish": ["a", 1]}, "mqtt.publish[1]"),
        ({"publishRate": 0}, "mqtt.publishRate"),
        ({"bufferLimit": -1}, "mqtt.bufferLimit"),
        ({"active": "yes"}, "mqtt.active"),
    ],
)
def test_a_wrong_value_is_named_by_its_key(tmp_path, section, named):
    (tmp_path / "config.json").write_text(json.dumps({"mqtt": section}))
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, {"mqtt": MqttConfig})
    assert f"config.json: {named}: " in str(raised.value)


def test_broker_addresses():
    assert parse_broker("mqtt://10.0.0.2") == Broker("10.0.0.2", 1883, False)
    assert parse_broker("mqtts://broker.example:8884") == Broker("broker.example", 8884, True)
    assert parse_broker("mqtts://broker.example").port == 8883
    for url, problem in [
        ("tcp://host:1883", "must start with mqtt:// or mqtts://"),
        ("mqtt://host:99999", "the port is not a number"),
        ("mqtt://:1883", "names no host"),
        ("127.0.0.1:1883", "must start with"),
    ]:
        with pytest.raises(BrokerError, match=problem):
            parse_broker(url)


def test_routes_map_wildcards_to_device_and_signal():
    router = Router(
        (
            Subscription("home/+/+/state", device="{2}", signal="{1}"),
            Subscription("sensors/+/temperature"),
            Subscription("plain/topic"),
            Subscription("tree/#", signal="{1}"),
        )
    )
    target = router.target("home/light/hall/state")
    assert (target.device, target.signal) == ("hall", "light")
    target = router.target("sensors/kitchen/temperature")
    assert (target.device, target.signal) == ("kitchen", "temperature")
    target = router.target("plain/topic")
    assert (target.device, target.signal) == ("MQTT", "topic")
    assert router.target("tree/a/b").signal == "a/b"
    assert router.target("sensors/kitchen/humidity") is None
    assert router.target("home/light/state") is None


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (Subscription(""), r"mqtt.subscribe\[0\]: topic is empty"),
        (Subscription("a/b+/c"), "a wildcard must be a whole level"),
        (Subscription("a/#/c"), "'#' must be the last level"),
        (Subscription("a/+/c", device="{2}"),
         r"mqtt.subscribe\[0\].device: '\{2\}' names a wildcard"),
        (Subscription("a/b", signal="{1}"), r"signal: '\{1\}' names a wildcard the topic 'a/b'"),
        (Subscription("a", payload="json", value=""), "a json payload needs the path"),
    ],
)  # fmt: skip
def test_a_subscription_that_cannot_work_is_named(entry, problem):
    with pytest.raises(RouteError, match=problem):
        Router((entry,))


def test_numbers_are_read_as_one_batch_and_bad_ones_left_out():
    values, bad = numbers([b"1", b" 2.5 ", b"-3e2", b"nan"])
    assert values[:3].tolist() == [1.0, 2.5, -300.0] and np.isnan(values[3]) and bad == []
    values, bad = numbers([b"1", b"x", b"", b"4", b"\xff"])
    assert values.tolist() == [1.0, 4.0] and bad == [1, 2, 4]


def test_json_values_and_times():
    assert json_value(b'{"a": {"b": [0, 7]}}', "a.b.1", "") == (None, 7.0)
    zoned = b'{"v": 1, "t": "2024-01-01T01:00:00+01:00"}'
    assert json_value(zoned, "v", "t") == (1704067200.0, 1.0)
    assert json_value(b'{"v": 1, "t": "2024-01-01T00:00:00"}', "v", "t")[0] == 1704067200.0
    for payload, problem in [
        (b"{", "not JSON"),
        (b'{"v": "1"}', "'v' is not a number"),
        (b'{"v": true}', "'v' is not a number"),
        (b'{"w": 1}', "no 'v' in the JSON payload"),
        (b"[1]", "no 'v'"),
    ]:
        with pytest.raises(PayloadError, match=problem):
            json_value(payload, "v", "")
    with pytest.raises(PayloadError, match="neither unix seconds nor ISO 8601"):
        json_value(b'{"v": 1, "t": "yesterday"}', "v", "t")


def test_rtoc_payloads():
    device, blocks = rtoc_blocks(b'{"y": [1, 2], "sname": ["a", "b"], "dname": "D", "unit": "V"}')
    assert device == "D" and [(b.signal, b.unit, b.y.tolist()) for b in blocks] == [
        ("a", "V", [1.0]), ("b", "V", [2.0])]  # fmt: skip
    device, (block,) = rtoc_blocks(b'{"y": [1, 2], "x": [5, 6], "sname": "s"}')
    assert device == "" and block.x.tolist() == [5.0, 6.0]
    for payload, problem in [
        (b'{"sname": "a"}', 'an RTOC payload is an object with "y"'),
        (b'{"y": 1}', "sname: the signal name"),
        (b'{"y": "1", "sname": "a"}', "y must be a number"),
        (b'{"y": [1, 2], "sname": ["a", "b", "c"]}', "sname has 3 names but y has 2"),
        (b'{"y": [1, 2], "x": [1], "sname": "a"}', "x must be 2 finite times"),
        (b'{"y": 1, "sname": "a", "plot": true}', "unknown key"),
        (b'{"y": 1, "sname": 5}', "sname must be a text"),
        (b'{"y": 1, "sname": "a", "dname": 5}', "dname must be a text"),
    ]:
        with pytest.raises(PayloadError, match=problem):
            rtoc_blocks(payload)


def test_a_frontend_with_a_bad_section_does_not_start_and_says_why(make_rig, name):
    rig = make_rig(name, broker="http://x")
    assert rig.frontend.connection is None
    assert "MQTT does not start: mqtt.broker must start with" in list(rig.logger.events)[-1].text
    rig = make_rig(f"{name}b", subscribe=(Subscription("a/#/b"),))
    assert rig.frontend.connection is None
    assert "mqtt.subscribe[0]" in list(rig.logger.events)[-1].text


def test_an_inactive_section_starts_nothing(make_rig, name):
    rig = make_rig(name, start=False)
    rig.config = rig.config.__class__(plugin_sections={"mqtt": MqttConfig()})
    rig.frontend.start(rig.logger, rig.config)
    assert rig.frontend.connection is None
