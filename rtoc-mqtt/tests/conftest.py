"""Fixtures: the shared Mosquitto on 127.0.0.1:1883, a broker of a test's own, a second
client, and loggers with rtoc-mqtt started (see mqtt_rig.py)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mqtt_rig import (
    SHARED,
    OwnBroker,
    Rig,
    Watcher,
    end_session,
    mqtt_config,
    reachable,
    registry,
    unavailable,
)

from rtoc.logger import Logger
from rtoc_mqtt.config import base_topic, client_id
from rtoc_mqtt.plugin import RegisteredFrontend


@pytest.fixture(scope="session")
def shared_broker() -> str:
    if not reachable(SHARED):
        unavailable("no MQTT broker (Mosquitto) at 127.0.0.1:1883")
    return "mqtt://127.0.0.1:1883"


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    broker = OwnBroker(tmp_path)
    yield broker
    broker.stop()


@pytest.fixture
def name() -> str:
    """This test's logger name: its topics are rtoc/<name>/..., its session rtoc-<name>."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def watcher(shared_broker: str) -> Iterator[Watcher]:
    client = Watcher()
    yield client
    client.close()


@pytest.fixture
def make_rig(tmp_path: Path, shared_broker: str) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(name: str, *, start: bool = True, home: Path | None = None, **keys: object) -> Rig:
        keys.setdefault("broker", shared_broker)
        config = mqtt_config(name, **keys)
        logger = Logger(config, plugins=registry(), home=home or tmp_path)
        rig = Rig(logger, RegisteredFrontend(), config, keys["broker"] == shared_broker)
        made.append(rig)
        if start:
            rig.frontend.start(logger, config)
        return rig

    yield make
    for rig in made:
        rig.frontend.stop()
        rig.logger.close()
        if rig.on_shared_broker:
            base = base_topic(rig.config.global_.name)
            publisher = rig.frontend.publisher
            published = (
                [] if publisher is None else [publisher.topic(*key) for key in publisher.sent]
            )
            end_session(
                client_id(rig.config.section("mqtt"), rig.config.global_.name),
                [f"{base}/status", *published],
            )
