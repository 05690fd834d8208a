"""``System``: the computer rtoc runs on, as a device (RTOC's "System" plugin).

psutil offers different readings on different platforms, and some calls fail
in containers or without permissions. Each reading is therefore taken on its
own: one that is missing or raises is skipped (and logged once, at debug
level), and the others still arrive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import psutil

from rtoc.device import Device

if TYPE_CHECKING:
    from rtoc.logger import Logger

log = logging.getLogger(__name__)


class Reading(NamedTuple):
    name: str
    value: float
    unit: str | None


def _busy_and_total(times: Any) -> tuple[float, float]:
    """CPU seconds spent busy and in total, counted as ``psutil.cpu_percent`` does.

    On Linux guest time is already included in user time, so it is not added twice.
    """
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    return total - times.idle - getattr(times, "iowait", 0.0), total


class System(Device):
    """CPU, memory, swap and disk usage (%), disk and network rates (B/s), temperatures (°C).

    Rates and CPU load are averages since the previous sample, so the rates
    appear from the second sample on.
    """

    samplerate = 1.0
    #: The file system whose usage the "Disk" signal shows.
    disk_path = "/"

    def __init__(self, logger: Logger | None = None, name: str | None = None) -> None:
        super().__init__(logger, name)
        self._counters: dict[str, tuple[float, float]] = {}  # name -> (value, monotonic time)
        self._cpu_times: Any = None
        self._reported: set[tuple[str, str]] = set()
        # CPU load is measured between two readings: take the first one now, so
        # that the first sample already has a CPU value
        self._read(self._cpu)

    def sample(self) -> None:
        now = time.time()
        readers = (
            self._cpu,
            self._load,
            self._memory,
            self._swap,
            self._disk,
            self._disk_io,
            self._network,
            self._temperatures,
        )
        readings = [reading for reader in readers for reading in self._read(reader)]
        if readings:
            self.stream(
                [reading.value for reading in readings],
                [reading.name for reading in readings],
                unit=[reading.unit for reading in readings],
                x=now,
            )

    def _read(self, reader: Callable[[], list[Reading]]) -> list[Reading]:
        try:
            return reader()
        except Exception as error:
            problem = (reader.__name__, f"{type(error).__name__}: {error}")
            if problem not in self._reported:
                self._reported.add(problem)
                log.debug("%s: skipping %s readings: %s", self.name, *problem)
            return []

    # -- readers: each returns the readings it could take -------------------------

    def _cpu(self) -> list[Reading]:
        times = psutil.cpu_times()
        previous, self._cpu_times = self._cpu_times, times
        if previous is None:
            return []
        busy_before, total_before = _busy_and_total(previous)
        busy, total = _busy_and_total(times)
        if total <= total_before:  # no clock tick since the previous reading
            return []
        percent = 100.0 * (busy - busy_before) / (total - total_before)
        return [Reading("CPU", min(100.0, max(0.0, percent)), "%")]

    def _load(self) -> list[Reading]:
        loads = psutil.getloadavg()
        return [
            Reading(f"Load {minutes} min", load, None)
            for minutes, load in zip((1, 5, 15), loads, strict=True)
        ]

    def _memory(self) -> list[Reading]:
        return [Reading("Memory", psutil.virtual_memory().percent, "%")]

    def _swap(self) -> list[Reading]:
        return [Reading("Swap", psutil.swap_memory().percent, "%")]

    def _disk(self) -> list[Reading]:
        return [Reading("Disk", psutil.disk_usage(self.disk_path).percent, "%")]

    def _disk_io(self) -> list[Reading]:
        counters = psutil.disk_io_counters()
        if counters is None:  # no disks psutil can see
            return []
        return self._rates({"Disk read": counters.read_bytes, "Disk write": counters.write_bytes})

    def _network(self) -> list[Reading]:
        counters = psutil.net_io_counters()
        if counters is None:
            return []
        return self._rates({"Net sent": counters.bytes_sent, "Net received": counters.bytes_recv})

    def _temperatures(self) -> list[Reading]:
        sensors = psutil.sensors_temperatures()  # AttributeError where the OS has none
        return [
            Reading(f"Temp {chip} {index}", entry.current, "°C")
            for chip, entries in sensors.items()
            for index, entry in enumerate(entries)
        ]

    def _rates(self, counters: dict[str, float]) -> list[Reading]:
        """Bytes per second of each counter since its previous reading."""
        now = time.monotonic()
        readings = []
        for name, value in counters.items():
            previous = self._counters.get(name)
            self._counters[name] = (value, now)
            # a counter that went back (a disk or interface vanished) gives no rate
            if previous is not None and now > previous[1] and value >= previous[0]:
                readings.append(Reading(name, (value - previous[0]) / (now - previous[1]), "B/s"))
        return readings
