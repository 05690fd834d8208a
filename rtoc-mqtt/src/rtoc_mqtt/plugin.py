"""rtoc's hooks for MQTT: the ``mqtt`` config section, the frontend ``rtoc run`` starts
when ``mqtt.active``, and events to the broker (``mqtt.publishEvents``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rtoc
from rtoc_mqtt.config import SECTION, MqttConfig
from rtoc_mqtt.frontend import MqttFrontend

if TYPE_CHECKING:
    from rtoc.events import Event
    from rtoc.logger import Logger

#: Started frontends by the id of their logger (the event hook gets the logger).
_running: dict[int, MqttFrontend] = {}


class RegisteredFrontend(MqttFrontend):
    """An :class:`MqttFrontend` that the ``rtoc_event`` hook can find by its logger."""

    def __init__(self) -> None:
        super().__init__()
        self._logger_id: int | None = None

    def start(self, logger: Logger, config: Any) -> None:
        super().start(logger, config)
        if self.connection is not None:
            self._logger_id = id(logger)
            _running[self._logger_id] = self

    def stop(self) -> None:
        if self._logger_id is not None and _running.get(self._logger_id) is self:
            del _running[self._logger_id]
        super().stop()


@rtoc.hookimpl
def rtoc_config_sections() -> dict[str, type]:
    return {SECTION: MqttConfig}


@rtoc.hookimpl
def rtoc_frontends() -> list[Any]:
    return [RegisteredFrontend()]


@rtoc.hookimpl
def rtoc_event(logger: Logger, event: Event) -> None:
    frontend = _running.get(id(logger))
    if frontend is not None:
        frontend.event(event)
