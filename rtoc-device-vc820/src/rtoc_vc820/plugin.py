"""Registers the ``VC820`` multimeter with rtoc."""

from __future__ import annotations

import rtoc


@rtoc.hookimpl
def rtoc_devices():
    from rtoc_vc820.device import VC820

    return [VC820]
