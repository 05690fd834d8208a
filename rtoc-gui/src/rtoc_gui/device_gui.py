"""A device's own widget: RTOC 2.x plugins' ``loadGUI()``, and the hook ``rtoc_gui_widget``.

An RTOC plugin (:class:`rtoc.compat.LoggerPlugin`) returns a QWidget from
``loadGUI()`` and says with ``smallGUI`` whether it fits under its button;
any other :class:`rtoc.Device` gets its widget from a plugin's
``rtoc_gui_widget(device)`` hook (see :mod:`rtoc.hookspecs`). Only a device
in this process has one: the widget calls the device's methods directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from PyQt5 import QtWidgets

from rtoc.compat import LoggerPlugin
from rtoc.logger import Logger

if TYPE_CHECKING:
    from rtoc.device import Device
    from rtoc.frontend import LoggerView

HOOK = "rtoc_gui_widget"
#: Why a remote logger's devices have no widget here.
REMOTE = (
    "A device's own window runs only in the rtoc gui of the machine its logger runs on: "
    "this window shows a remote logger."
)


class DeviceGuiError(Exception):
    """A device's widget could not be made; the text says whose and why."""


@attrs.frozen
class DeviceGui:
    widget: QtWidgets.QWidget
    #: shown under the device's button (RTOC's ``smallGUI``), else in a window of its own
    small: bool


def local_device(view: LoggerView, name: str) -> Device | None:
    """The device ``name`` attached to ``view`` when ``view`` is a logger in this process."""
    return view.devices.get(name) if isinstance(view, Logger) else None


def device_gui(view: LoggerView, device: Device) -> DeviceGui | None:
    """``device``'s own widget, None when it has none; DeviceGuiError when making it failed."""
    if isinstance(device, LoggerPlugin):
        try:
            widget = device.loadGUI()
        except Exception as error:  # the plugin's own code
            raise DeviceGuiError(f"{device.name}: loadGUI() failed: {error}") from error
        return None if widget is None else DeviceGui(_widget(device, widget), bool(device.smallGUI))
    registry = view.plugins if isinstance(view, Logger) else None
    if registry is None:
        return None
    for info, result in registry.call_each(HOOK, device=device):
        if result is None:
            continue
        if isinstance(result, dict):
            unknown = result.keys() - {"widget", "small"}
            if unknown or "widget" not in result:
                raise DeviceGuiError(
                    f"{device.name}: {HOOK} of {info.name} returned a dict with "
                    f"{sorted(result)}; it takes 'widget' and optionally 'small'"
                )
            return DeviceGui(
                _widget(device, result["widget"], info.name), bool(result.get("small"))
            )
        return DeviceGui(_widget(device, result, info.name), small=False)
    return None


def _widget(device: Device, widget: Any, plugin: str | None = None) -> QtWidgets.QWidget:
    if isinstance(widget, QtWidgets.QWidget):
        return widget
    source = f"{HOOK} of {plugin}" if plugin else "loadGUI()"
    raise DeviceGuiError(f"{device.name}: {source} returned {widget!r}, not a QWidget")
