"""The entry point rtoc finds: ``[project.entry-points.rtoc] heliotherm``."""

from __future__ import annotations

import rtoc


@rtoc.hookimpl
def rtoc_devices():
    from rtoc_heliotherm.device import Heliotherm

    return [Heliotherm]
