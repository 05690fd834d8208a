"""The web tests' data: a big signal with two spikes, the browser's zone, the config.

Its own module, not conftest.py: pytest runs every distribution's tests in one
session, where ``from conftest import`` would find another folder's conftest.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import attrs
import numpy as np

from rtoc.config import Config
from rtoc.logger import Logger

#: The browser's zone in the tests (not the machine's, not UTC: the offset must be handled).
ZONE = "Europe/Berlin"
TZ = ZoneInfo(ZONE)
#: The big signal: an hour at 100 Hz ending a minute ago, part in memory, part in storage only.
BIG_COUNT = 360_000
BIG_RATE = 100.0
HELD = 100_000
#: Where the big signal's spikes are: their sample indices and values.
SPIKE_HIGH, SPIKE_LOW = (200_000, 50.0), (200_600, -40.0)
T_END = time.time() - 60
BIG_X = T_END - (BIG_COUNT - 1) / BIG_RATE + np.arange(BIG_COUNT) / BIG_RATE
BIG_Y = np.sin(BIG_X / 10.0) + np.random.default_rng(1).normal(0, 0.05, BIG_COUNT)
BIG_Y[SPIKE_HIGH[0]], BIG_Y[SPIKE_LOW[0]] = SPIKE_HIGH[1], SPIKE_LOW[1]


def config() -> Config:
    base = Config()
    return attrs.evolve(
        base,
        global_=attrs.evolve(base.global_, recordLength=HELD),
        backup=attrs.evolve(base.backup, loadOnOpen=False),
    )


def record(logger: Logger, x: np.ndarray, y: np.ndarray, name: str, device: str, unit: str) -> None:
    """Stream in blocks, each stored before the next, so nothing falls out of memory unstored."""
    for at in range(0, len(x), 20_000):
        logger.stream_many(x[at : at + 20_000], y[at : at + 20_000], name, device, unit)
        logger.writer.flush()
