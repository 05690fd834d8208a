"""Notifications: events at or above each user's level, coalesced per user.

Events arrive from any thread (the ``rtoc_event`` hook) and are queued per
chat. A chat gets at most one message every ``interval`` seconds: the first
few queued events in full and "N more events" for the rest, so a flapping
condition cannot flood a chat or run into Telegram's limits. A message that
cannot be sent (Telegram unreachable) stays queued and goes out, coalesced,
when Telegram is back; nothing that was due is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from telegram.error import Forbidden, RetryAfter

from rtoc.events import Event, Priority

log = logging.getLogger("rtoc_telegram")

ICONS = {Priority.INFO: "🔵", Priority.WARNING: "🟠", Priority.ERROR: "🔴"}
#: Events shown in full in one message; the rest of a batch is counted.
SHOWN = 5
#: Seconds before a failed send is tried again, growing to ``MAX_RETRY``.
FIRST_RETRY = 1.0
MAX_RETRY = 30.0


def describe(event: Event) -> str:
    """One event as a notification: priority icon, device.signal, text, time."""
    stamp = datetime.fromtimestamp(event.time).strftime("%Y-%m-%d %H:%M:%S")
    where = ".".join(part for part in (event.device, event.signal) if part) or "rtoc"
    return f"{ICONS[event.priority]} {where}: {event.text}\n    {stamp}"


@dataclass
class _Queue:
    shown: list[Event] = field(default_factory=list)
    more: int = 0
    worst: Priority = Priority.INFO
    next_at: float = 0.0
    retry: float = FIRST_RETRY

    def add(self, event: Event) -> None:
        if len(self.shown) < SHOWN:
            self.shown.append(event)
        else:
            self.more += 1
            self.worst = max(self.worst, event.priority)

    def text(self) -> str:
        lines = [describe(event) for event in self.shown]
        if self.more:
            icon = ICONS[self.worst]
            lines.append(f"… and {self.more} more events (highest: {icon} {self.worst.name})")
        return "\n".join(lines)


class Notifier:
    """Queues events per chat and sends them rate-limited; run :meth:`run` in the bot's loop."""

    def __init__(
        self,
        send: Callable[[int, str], Awaitable[object]],
        recipients: Callable[[Event], list[int]],
        interval: float = 1.0,
    ) -> None:
        self.send = send
        self.recipients = recipients
        self.interval = interval
        self._queues: dict[int, _Queue] = {}
        self._wake = asyncio.Event()

    def add(self, event: Event) -> None:
        """Queue ``event`` for everybody who wants it (call in the bot's loop)."""
        for chat in self.recipients(event):
            self._queues.setdefault(chat, _Queue()).add(event)
        self._wake.set()

    @property
    def pending(self) -> int:
        return sum(len(q.shown) + q.more for q in self._queues.values())

    async def run(self) -> None:
        while True:
            now = time.monotonic()
            due = [(c, q) for c, q in self._queues.items() if q.shown and q.next_at <= now]
            # one message per chat, all chats at once: 50 users wait for one round trip
            await asyncio.gather(*(self._flush(chat, queue) for chat, queue in due))
            waits = [q.next_at - time.monotonic() for q in self._queues.values() if q.shown]
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, min(waits, default=60.0)))

    async def _flush(self, chat: int, queue: _Queue) -> None:
        fresh = _Queue(next_at=time.monotonic() + self.interval)
        self._queues[chat] = fresh
        try:
            await self.send(chat, queue.text())
        except Forbidden:  # the user blocked the bot: drop, as Telegram would
            log.info("chat %s blocked the bot; its notifications are dropped", chat)
        except Exception as error:  # unreachable, or anything else: never lose the events
            # keep everything, older first, and try again later
            for event in fresh.shown:
                queue.add(event)
            queue.more += fresh.more
            queue.retry = min(MAX_RETRY, queue.retry * 1.5)
            if isinstance(error, RetryAfter):  # Telegram's flood control says how long
                queue.retry = max(FIRST_RETRY, _seconds(error))
            queue.next_at = time.monotonic() + queue.retry
            self._queues[chat] = queue
            log.debug("notification to %s not sent (%s); retry in %.1f s", chat, error, queue.retry)


def _seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds: an int in python-telegram-bot 22 (deprecated), a
    timedelta from 23 on (or with PTB_TIMEDELTA set)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        after = error.retry_after
    return after.total_seconds() if hasattr(after, "total_seconds") else float(after)
