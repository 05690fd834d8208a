"""The frontend ``rtoc run`` starts when ``mqtt.active``: one connection for ingest,
publishing and commands."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from rtoc.events import Event, Priority
from rtoc_mqtt.client import Connection
from rtoc_mqtt.commands import Commands
from rtoc_mqtt.config import SECTION, BrokerError, MqttConfig, base_topic, client_id, parse_broker
from rtoc_mqtt.ingest import Ingest
from rtoc_mqtt.publish import Publisher
from rtoc_mqtt.routes import RouteError, Router

if TYPE_CHECKING:
    from rtoc.config import Config
    from rtoc.logger import Logger

log = logging.getLogger("rtoc_mqtt")

#: The device name of rtoc-mqtt's own events.
DEVICE = "mqtt"


class MqttFrontend:
    """Connects ``rtoc run`` to the broker in ``mqtt.broker`` when ``mqtt.active``."""

    name = "mqtt"

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.ingest: Ingest | None = None
        self.publisher: Publisher | None = None
        self.commands: Commands | None = None
        self.publish_events = False

    def start(self, logger: Logger, config: Config) -> None:
        section: MqttConfig = config.section(SECTION)
        if not section.active:
            return

        def report(priority: int, text: str) -> None:
            logger.event(text, device=DEVICE, priority=priority)

        try:
            broker = parse_broker(section.broker)
            router = Router(section.subscribe)
        except (BrokerError, RouteError) as error:
            report(Priority.ERROR, f"MQTT does not start: {error}")
            return
        name = config.global_.name
        base = base_topic(name)
        connection = Connection(
            broker,
            client_id(section, name),
            username=section.username,
            password=section.password,
            cafile=section.cafile,
            keepalive=section.keepalive,
            status_topic=f"{base}/status",
            buffer_limit=section.bufferLimit,
            report=report,
        )
        if router.routes:
            self.ingest = Ingest(logger, router, report, section.batchSize, section.batchDelay)
            connection.client.take_publish = self.ingest.take
            connection.client.on_message = self.ingest.on_message
            connection.subscribe(
                [(route.subscription.topic, route.subscription.qos) for route in router.routes]
            )
            self.ingest.start()
        self.publisher = Publisher(
            logger,
            connection,
            base,
            section.publish,
            section.publishRate,
            section.discoveryPrefix if section.discovery else "",
            section.qos,
        )
        self.publisher.start()
        if section.commands:
            home = Path(logger.home) if logger.home is not None else Path.cwd()
            self.commands = Commands(logger, connection, base, home)
        self.publish_events = section.publishEvents
        self.connection = connection
        connection.start()

    def event(self, event: Event) -> None:
        if self.publish_events and self.publisher is not None:
            self.publisher.event(event)

    def stop(self) -> None:
        connection = self.connection
        if connection is None:
            return
        self.publish_events = False
        if self.publisher is not None:
            self.publisher.stop()
        connection.stop()  # no more messages arrive
        if self.ingest is not None:
            self.ingest.stop()
        if self.commands is not None:
            self.commands.stop()
        self.connection = None
