"""Device parameters set before a device starts.

A serial port, an IP address or a shunt resistance must be right before the
first sample; RTOC 2.x users edited constants in the plugin file for that.
rtoc reads them from ``$RTOC_HOME/deviceParameters.json``::

    {"DPS5020": {"port": "/dev/ttyUSB1", "samplerate": 2},
     "Heliotherm": {"host": "192.168.1.40"}}

and from ``rtoc run --set DPS5020.port=/dev/ttyUSB1`` (which wins). Values are
converted to each parameter's type by :meth:`rtoc.Device.set_parameter`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rtoc.config import ConfigError, read_json_file
from rtoc.device import Device, ParameterError

FILE = "deviceParameters.json"

#: Device name -> parameter name -> value.
DeviceParameters = dict[str, dict[str, Any]]


def load_device_parameters(home: Path) -> DeviceParameters:
    """The parameters in ``home/deviceParameters.json`` ({} when there is none)."""
    path = home / FILE
    data = read_json_file(path, missing={})
    if not isinstance(data, dict):
        raise ConfigError(
            f'{path}: must be an object of devices, e.g. {{"DPS5020": {{"port": "/dev/ttyUSB0"}}}}'
        )
    for device, parameters in data.items():
        if not isinstance(parameters, dict):
            raise ConfigError(
                f"{path}: {device}: must be an object of parameter names and values, "
                f"got {json.dumps(parameters)}"
            )
    return data


def parse_assignment(text: str) -> tuple[str, str, Any]:
    """``"DEVICE.PARAMETER=VALUE"`` as (device, parameter, value).

    VALUE is read as JSON when it is JSON (``2.5``, ``true``, ``"text"``),
    else taken as text, so ``port=/dev/ttyUSB0`` needs no quotes. The
    parameter is after the last dot, so device names may contain dots.
    """
    target, equals, raw = text.partition("=")
    device, dot, parameter = target.strip().rpartition(".")
    if not equals or not dot or not device or not parameter:
        raise ConfigError(
            f"{text!r}: expected DEVICE.PARAMETER=VALUE, e.g. DPS5020.port=/dev/ttyUSB0"
        )
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return device, parameter, value


def merged(
    base: Mapping[str, Mapping[str, Any]], assignments: Iterable[tuple[str, str, Any]]
) -> DeviceParameters:
    """``base`` with each parsed assignment applied on top, later ones winning."""
    result = {device: dict(parameters) for device, parameters in base.items()}
    for device, parameter, value in assignments:
        result.setdefault(device, {})[parameter] = value
    return result


def apply_parameters(device: Device, parameters: Mapping[str, Any]) -> None:
    """Set each parameter; a ParameterError names the device, the parameter and the problem."""
    for name, value in parameters.items():
        try:
            device.set_parameter(name, value)
        except ParameterError as error:
            raise ParameterError(f"{error} (set in {FILE} or with rtoc run --set)") from None
