"""Registers the ``INA219`` device with rtoc (entry point ``ina219`` in the group ``rtoc``)."""

from __future__ import annotations

import rtoc


@rtoc.hookimpl
def rtoc_devices():
    from rtoc_ina219.device import INA219

    return [INA219]
