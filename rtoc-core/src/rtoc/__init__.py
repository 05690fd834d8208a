"""rtoc: record, keep, show and act on measurement data from instruments and sensors.

Plugin authors need only what this module exports: subclass :class:`Device`
and register it with an ``@hookimpl``-decorated ``rtoc_devices`` hook.
"""

from rtoc.device import Device
from rtoc.events import Event, Priority
from rtoc.hookspecs import hookimpl
from rtoc.signals import Signal, SignalStore

__version__ = "0.1.0"

__all__ = ["Device", "Event", "Priority", "Signal", "SignalStore", "__version__", "hookimpl"]
