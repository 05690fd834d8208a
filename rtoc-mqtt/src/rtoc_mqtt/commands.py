"""Commands over MQTT (``mqtt.commands``, off by default): set a parameter, call a function.

A command is a JSON object published to ``rtoc/<name>/command/<user>``::

    {"id": 7, "set": {"device": "DPS5020", "parameter": "voltage", "value": 5.0}}
    {"id": 8, "call": {"device": "DPS5020", "function": "output", "args": [true]}}

``<user>`` is one of rtoc's users (``rtoc users add``) and needs the write
role. MQTT itself does not tell rtoc who published a message: the broker's ACL
must let each user publish only to its own command topic (``pattern write
rtoc/+/command/%u``, see the README). The answer goes to
``rtoc/<name>/command/<user>/reply``: ``{"id": 7, "ok": true, "result": ...}`` or
``{"id": 7, "ok": false, "error": "..."}``. Commands run one at a time outside
paho's thread, so a slow device call never holds up the samples.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rtoc.device import DeviceError
from rtoc.users import Role, UserError, UserStore
from rtoc_mqtt.client import Connection

if TYPE_CHECKING:
    from rtoc.logger import Logger

log = logging.getLogger("rtoc_mqtt")


class CommandError(ValueError):
    """A command that cannot be carried out; the text goes to the reply's ``error``."""


def _fields(spec: Any, what: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
    if not isinstance(spec, dict):
        raise CommandError(f"{what} must be an object")
    unknown = set(spec) - set(required) - set(optional)
    if unknown:
        raise CommandError(f"{what}: unknown field(s) {', '.join(sorted(unknown))}")
    missing = [key for key in required if key not in spec]
    if missing:
        raise CommandError(f"{what}: missing {', '.join(missing)}")
    for key in ("device", "parameter", "function"):
        if key in spec and not isinstance(spec[key], str):
            raise CommandError(f"{what}.{key} must be a text")
    return spec


class Commands:
    """Carries out commands published to ``<base>/command/<user>``."""

    def __init__(self, logger: Logger, connection: Connection, base: str, home: Path) -> None:
        self.logger = logger
        self.connection = connection
        self.base = base
        self.users = UserStore(home)
        self.filter = f"{base}/command/+"
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="rtoc-mqtt-command")
        connection.client.message_callback_add(self.filter, self.on_message)
        connection.subscribe([(self.filter, 1)])

    def stop(self) -> None:
        self.connection.client.message_callback_remove(self.filter)
        self._pool.shutdown(wait=True)

    def on_message(self, client: Any, userdata: Any, message: Any) -> None:
        user = message.topic.rsplit("/", 1)[1]
        if message.retain:  # would run again at every connect
            log.warning("MQTT command of %r ignored: it was published retained", user)
            return
        self._pool.submit(self._answer, user, message.payload)

    def _answer(self, user: str, payload: bytes) -> None:
        reply: dict[str, Any] = {"id": None}
        try:
            try:
                command = json.loads(payload)
            except (ValueError, UnicodeDecodeError) as error:
                raise CommandError(f"a command is a JSON object: {error}") from None
            if not isinstance(command, dict):
                raise CommandError("a command is a JSON object")
            reply["id"] = command.get("id")
            result = self.run(user, command)
            reply.update(ok=True, result=result)
        except (CommandError, DeviceError, UserError, LookupError, TypeError, ValueError) as error:
            reply.update(ok=False, error=str(error))
            log.warning("MQTT command of %r refused: %s", user, error)
        except Exception as error:  # a device's own bug: answered, logged
            log.exception("MQTT command of %r failed", user)
            reply.update(ok=False, error=f"{type(error).__name__}: {error}")
        self.connection.publish(
            f"{self.base}/command/{user}/reply", json.dumps(reply, default=repr)
        )

    def run(self, user_name: str, command: dict[str, Any]) -> Any:
        """The result of ``command`` from ``user_name``; CommandError when it is refused."""
        user = self.users.get(user_name)
        if user is None:
            raise CommandError(f"no rtoc user {user_name!r} (rtoc users add)")
        if not user.may(Role.WRITE):
            raise CommandError(f"commands need the write role; user {user.name!r} has {user.role}")
        actions = set(command) & {"set", "call"}
        unknown = set(command) - {"set", "call", "id"}
        if unknown or len(actions) != 1:
            raise CommandError('a command has exactly one of "set" or "call" (and an "id")')
        if "set" in command:
            spec = _fields(command["set"], "set", ("device", "parameter", "value"), ())
            self.logger.set_parameter(spec["device"], spec["parameter"], spec["value"])
            return self.logger.get_parameter(spec["device"], spec["parameter"])
        spec = _fields(command["call"], "call", ("device", "function"), ("args", "kwargs"))
        args, kwargs = spec.get("args", []), spec.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise CommandError("call.args must be a list and call.kwargs an object")
        return self.logger.call(spec["device"], spec["function"], *args, **kwargs)
