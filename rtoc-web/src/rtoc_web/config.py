"""The ``web`` section of config.json, registered through ``rtoc_config_sections``.

The port is the core's ``global.webserver_port`` (8050, as in RTOC).
"""

from __future__ import annotations

from typing import Annotated

import attrs

from rtoc.config import Limits

SECTION = "web"


@attrs.frozen
class WebConfig:
    """Section ``web``: whether ``rtoc run`` serves the dashboard, where, how plots follow."""

    #: ``rtoc run`` serves the dashboard beside the logger.
    active: bool = False
    #: The address to bind; anything but a loopback address needs users (``rtoc users add``).
    host: str = "127.0.0.1"
    #: How often (Hz) a following plot asks for new samples (RTOC's plotRate).
    plotRate: Annotated[float, Limits(0.1, 60)] = 8.0
    #: ``rtoc web`` standalone: "host:port" of a logger's TCP server to control devices through,
    #: or "" to only show what storage holds.
    logger: str = ""
    #: Most samples "plot only the latest X values" may ask for.
    maxLatest: Annotated[int, Limits(1, 100_000_000)] = 10_000_000
    #: Rows per page of the events table.
    eventsPageSize: Annotated[int, Limits(10, 1000)] = 50
