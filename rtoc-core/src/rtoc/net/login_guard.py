"""Slowing down password guessing over TCP, one address at a time.

Every wrong password (a frame whose AES-EAX tag does not verify) counts
against the address it came from. The first :data:`FREE_FAILURES` cost
nothing (a mistyped password); after that the address is refused for 1 s,
then 2, 4, ... up to :data:`MAX_DELAY` seconds per further failure. An address
that stays quiet for :data:`FORGET_AFTER` seconds starts afresh. Other
addresses are never affected, so one client cannot lock out another — except
one that shares its address (the same NAT, or the same machine over
loopback). IPv6 addresses count per /64 network, the block one subscriber
usually gets, so cycling through one's own addresses does not help.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import attrs

log = logging.getLogger("rtoc.net")

FREE_FAILURES = 5
FIRST_DELAY = 1.0
MAX_DELAY = 60.0
FORGET_AFTER = 600.0
#: Addresses tracked at once; the longest-quiet one is forgotten first.
MAX_ADDRESSES = 10_000


@attrs.define
class _Record:
    failures: int
    last: float  # when the last failure came
    until: float  # refused until then


def source(host: str) -> str:
    """What failures count against: the address, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class LoginGuard:
    """Counts wrong passwords per source and says how long one must wait."""

    def __init__(
        self,
        free: int = FREE_FAILURES,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        forget_after: float = FORGET_AFTER,
        max_addresses: int = MAX_ADDRESSES,
        clock: Callable[[], float] = time.monotonic,
        door: str = "TCP",
    ) -> None:
        self.free = free
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.max_addresses = max_addresses
        self.clock = clock
        self.door = door  # names the door in the log: "TCP", "web"
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def wait(self, host: str) -> float:
        """Seconds before ``host`` may try a password again; 0 when it may now."""
        if not self._records:  # the usual case: no address parsing on the accept path
            return 0.0
        record = self._records.get(source(host))
        return 0.0 if record is None else max(0.0, record.until - self.clock())

    def failed(self, host: str) -> None:
        """Count a wrong password from ``host``."""
        key, now = source(host), self.clock()
        record = self._records.pop(key, None)
        if record is None or now - record.last > self.forget_after:
            record = _Record(0, now, now)
        record.failures += 1
        record.last = now
        beyond = record.failures - self.free
        if beyond > 0:
            delay = min(self.max_delay, self.first_delay * 2 ** min(beyond - 1, 32))
            record.until = now + delay
            log.warning(
                "%s: %d wrong passwords from %s; refused for %g s",
                self.door,
                record.failures,
                key,
                delay,
            )
        self._records[key] = record  # most recent last
        if len(self._records) > self.max_addresses:
            self._records.popitem(last=False)
