"""Registers the ``DPS5020`` device with rtoc."""

from __future__ import annotations

import rtoc


@rtoc.hookimpl
def rtoc_devices():
    from rtoc_dps5020.device import DPS5020

    return [DPS5020]
