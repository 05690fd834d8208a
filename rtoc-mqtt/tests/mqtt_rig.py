"""Test helpers: real Mosquitto brokers, a second paho client, loggers with rtoc-mqtt started.

The shared broker is the one on 127.0.0.1:1883; each test works under topics
of its own. A test that stops the broker starts its own ``mosquitto`` on a
free port (:class:`OwnBroker`). Without a broker the tests skip, saying why,
unless RTOC_REQUIRE_SERVICES is set (as CI sets it): then they fail.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import attrs
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

import rtoc_mqtt.plugin
from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc.testing.waiting import wait_until
from rtoc_mqtt.config import MqttConfig
from rtoc_mqtt.plugin import RegisteredFrontend

SHARED = ("127.0.0.1", 1883)


def unavailable(reason: str) -> None:
    """Skip, or fail when RTOC_REQUIRE_SERVICES says the services must be there."""
    if os.environ.get("RTOC_REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (RTOC_REQUIRE_SERVICES is set)")
    pytest.skip(reason)


def reachable(address: tuple[str, int]) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(address, timeout=2):
        return True
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnBroker:
    """A ``mosquitto`` of this test on a free loopback port, with persistence in ``folder``:
    stopped (SIGTERM: it saves its queues) and started again on the same port."""

    def __init__(self, folder: Path) -> None:
        executable = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if executable is None:
            unavailable("no mosquitto executable on PATH or in /usr/sbin")
        self.executable = executable
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            f"user {getpass.getuser()}\n"  # as root: not the mosquitto user
        )
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: reachable(("127.0.0.1", self.port)), 10, "mosquitto to listen")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Watcher:
    """A second paho client that keeps every message of the filters it subscribed to."""

    def __init__(self, port: int = SHARED[1]) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4()}")
        self.client.on_message = self._keep
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _keep(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(message)

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(5), f"no SUBACK for {topic}"

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def on(self, topic: str) -> list[mqtt.MQTTMessage]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, topic: str, count: int = 1, timeout: float = 5) -> list[mqtt.MQTTMessage]:
        return wait_until(
            lambda: len(self.on(topic)) >= count and self.on(topic), timeout, f"{topic}"
        )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def end_session(client_id: str, retained: list[str], port: int = SHARED[1]) -> None:
    """Have the broker forget a persistent session (connect once with a clean one) and
    the retained messages of its logger."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    with contextlib.suppress(OSError):
        client.connect("127.0.0.1", port)
        client.loop_start()
        for topic in retained:
            client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
        client.disconnect()
        client.loop_stop()


def registry() -> PluginRegistry:
    plugins = PluginRegistry.load(entry_points=False)
    plugins.register(rtoc_mqtt.plugin, PluginInfo("mqtt", "rtoc-mqtt"))
    return plugins


def mqtt_config(name: str, **keys: Any) -> Config:
    config = Config()
    return attrs.evolve(
        config,
        global_=attrs.evolve(config.global_, name=name),
        plugin_sections={"mqtt": MqttConfig(active=True, **keys)},
    )


@attrs.define
class Rig:
    """A logger with rtoc-mqtt started on it."""

    logger: Logger
    frontend: RegisteredFrontend
    config: Config
    #: Its persistent session is on the shared broker (and ended after the test).
    on_shared_broker: bool = True

    def restart(self) -> None:
        self.frontend.stop()
        self.frontend = RegisteredFrontend()
        self.frontend.start(self.logger, self.config)

    def values(self, device: str, signal: str) -> list[float]:
        found = self.logger.store.get(device, signal)
        return [] if found is None else found.y.tolist()

    def wait_values(self, device: str, signal: str, count: int, timeout: float = 5) -> list:
        wait_until(lambda: len(self.values(device, signal)) >= count, timeout, f"{device}.{signal}")
        return self.values(device, signal)

    def connected(self, timeout: float = 5) -> None:
        assert self.frontend.connection is not None
        assert self.frontend.connection.connected.wait(timeout), "no connection to the broker"
        assert self.frontend.connection.subscribed.wait(timeout), "no SUBACK from the broker"


def wait_time(seconds: float) -> None:
    """A bounded pause where a test must show that nothing happens."""
    time.sleep(seconds)
