"""Signals and events out to a real Mosquitto, read back with a second client."""

from __future__ import annotations

import json

import numpy as np

from rtoc_mqtt.config import Subscription


def test_chosen_signals_are_published_in_batches_with_the_latest_retained(make_rig, watcher, name):
    rig = make_rig(name, publish=("Gen.*",), publishRate=20.0)
    rig.connected()
    base = f"rtoc/{name}"
    watcher.subscribe(f"{base}/#")
    rig.logger.stream_many(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), "U", "Gen", "V")
    rig.logger.stream(7.0, "Other", "Elsewhere")  # not chosen
    batch = json.loads(watcher.wait_for(f"{base}/Gen/U/samples")[0].payload)
    assert batch == {"x": [1.0, 2.0, 3.0], "y": [4.0, 5.0, 6.0], "sname": "U", "dname": "Gen",
                     "unit": "V"}  # fmt: skip
    assert float(watcher.wait_for(f"{base}/Gen/U")[0].payload) == 6.0
    rig.logger.stream(8.0, "U", "Gen", x=4.0)
    batches = watcher.wait_for(f"{base}/Gen/U/samples", 2)
    assert json.loads(batches[1].payload)["y"] == [8.0]  # only what is new
    assert not any("Elsewhere" in m.topic for m in watcher.messages)
    rig.frontend.stop()

    late = type(watcher)()  # a client subscribing afterwards gets the latest at once
    try:
        late.subscribe(f"{base}/Gen/U")
        retained = late.wait_for(f"{base}/Gen/U")[0]
        assert retained.retain and float(retained.payload) == 8.0
        late.publish(f"{base}/Gen/U", b"", retain=True)  # leave the shared broker as it was
    finally:
        late.close()
    status = watcher.wait_for(f"{base}/status", 2)
    assert [m.payload for m in status][-1] == b"offline"


def test_home_assistant_discovery_announces_each_published_signal(make_rig, watcher, name):
    prefix = f"ha{name}"
    rig = make_rig(
        name, publish=("Gen.U", "Gen.T"), publishRate=20.0, discovery=True, discoveryPrefix=prefix
    )
    rig.connected()
    watcher.subscribe(f"{prefix}/#")
    rig.logger.stream(1.0, "U", "Gen", "V")
    rig.logger.stream(2.0, "T", "Gen")
    node = f"rtoc_{name}"
    voltage = json.loads(watcher.wait_for(f"{prefix}/sensor/{node}/Gen_U/config")[0].payload)
    assert voltage["state_topic"] == f"rtoc/{name}/Gen/U"
    assert voltage["unit_of_measurement"] == "V"
    assert voltage["availability_topic"] == f"rtoc/{name}/status"
    assert voltage["unique_id"] == f"{node}_Gen_U"
    assert voltage["device"]["identifiers"] == [node]
    other = json.loads(watcher.wait_for(f"{prefix}/sensor/{node}/Gen_T/config")[0].payload)
    assert "unit_of_measurement" not in other and other["name"] == "Gen T"
    for topic in (f"{prefix}/sensor/{node}/Gen_U/config", f"{prefix}/sensor/{node}/Gen_T/config"):
        watcher.publish(topic, b"", retain=True)  # leave the shared broker as it was


def test_events_are_published_when_asked(make_rig, watcher, name):
    rig = make_rig(name, publishEvents=True)
    rig.connected()
    watcher.subscribe(f"rtoc/{name}/events")
    rig.logger.event("too hot", device="Oven", signal="T", priority=2, id="hot", value=250)
    event = json.loads(watcher.wait_for(f"rtoc/{name}/events")[0].payload)
    assert event["text"] == "too hot" and event["priority"] == 2
    assert [event[key] for key in ("dname", "sname", "id", "value")] == ["Oven", "T", "hot", 250]


def test_one_rtoc_publishes_and_another_takes_the_samples_in(make_rig, name):
    edge = make_rig(name, publish=("Sensor.*",), publishRate=50.0)
    central = make_rig(
        f"{name}c", subscribe=(Subscription(f"rtoc/{name}/+/+/samples", payload="rtoc"),)
    )
    edge.connected()
    central.connected()
    for k in range(5):
        edge.logger.stream_many(np.arange(3) + 3.0 * k, np.arange(3) + 3.0 * k, "T", "Sensor")
    got = central.wait_values("Sensor", "T", 15)
    assert got == [float(v) for v in range(15)]
    assert central.logger.store.get("Sensor", "T").x.tolist() == got
