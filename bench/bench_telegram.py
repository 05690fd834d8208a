"""The Telegram bot (issue 16): one JSON line per figure on stdout.

The real python-telegram-bot talks to the loopback Bot API
(``rtoc_telegram.testing``); a real in-memory Logger holds the data. Timed
from the moment the stub hands the bot an update (or the logger records an
event) to the moment the bot's answer reaches the stub:

- "Latest values" with 1,000 signals;
- a plot of one signal of 10 M samples (held in memory), all of it;
- one event notified to 50 users;
- Telegram away for 30 s while 300 events are raised: the events that never
  reached the admin once it is back (in full or counted in "N more events"),
  and how many messages carried them.

    python bench/bench_telegram.py
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import attrs
import numpy as np
from figures import emit

import rtoc_telegram.plugin
from rtoc.config import Config
from rtoc.frontend import EventQuery
from rtoc.logger import Logger
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc_telegram.plugin import TelegramFrontend
from rtoc_telegram.testing import BotApiStub, TelegramUser

ADMIN = TelegramUser(1, "Admin")
USERS = 50
SAMPLES = 10_000_000
REPEAT = 5
OUTAGE = 30.0
OUTAGE_EVENTS = 300


def answered(api: BotApiStub, user: TelegramUser, press: str, method: str) -> float:
    """Seconds from pressing ``press`` to the bot's last ``method`` of the answer (the one
    with the buttons, or the photo) reaching the stub."""
    after = len(api.sent)
    began = time.perf_counter()
    api.press_button(user, press)
    last = (lambda m: m.method == method) if method == "sendPhoto" else (lambda m: m.buttons)
    api.wait_for_message(user, last, after=after, timeout=60)
    return time.perf_counter() - began


def delivered(api: BotApiStub, chat: int, after: int) -> tuple[int, int, int]:
    """Events notified to ``chat`` since message ``after`` (each described in full, with
    its time stamp line, or counted in a "… and N more events" line), the messages
    they came in, and how many of those were a message sent again (a send the stub
    took while going away looks failed to the bot, which sends it once more)."""
    texts = [m.text for m in api.sent[after:] if m.chat_id == chat and m.method == "sendMessage"]
    events = 0
    for text in set(texts):
        events += len(re.findall(r"^    \d{4}-\d\d-\d\d ", text, flags=re.MULTILINE))
        more = re.search(r"and (\d+) more events", text)
        events += int(more.group(1)) if more else 0
    return events, len(texts), len(texts) - len(set(texts))


def outage(api: BotApiStub, logger: Logger) -> None:
    """Telegram away for :data:`OUTAGE` seconds while events are due: none may be lost.
    Due are all events from then on (the admin's level takes every one): the bench's
    and the bot's own ("Telegram is unreachable", "reachable again")."""
    after = len(api.sent)
    since = time.time()
    api.stop()
    began = time.monotonic()
    for index in range(OUTAGE_EVENTS):
        logger.event(f"outage {index}", device="Bench", priority=2)
        time.sleep(OUTAGE / OUTAGE_EVENTS)
    time.sleep(max(0.0, OUTAGE - (time.monotonic() - began)))
    api.start()
    back = time.monotonic()

    def due() -> int:
        return logger.event_page(EventQuery(start=since)).total

    deadline = back + 120
    while delivered(api, ADMIN.id, after)[0] < due() and time.monotonic() < deadline:
        time.sleep(0.2)
    events, messages, again = delivered(api, ADMIN.id, after)
    emit(f"telegram events lost over a {OUTAGE:g} s outage ({OUTAGE_EVENTS} raised)",
         due() - events, "events", "0", digits=0, due=due())  # fmt: skip
    emit("telegram messages carrying them, once back", messages, "messages", "bounded",
         digits=0, sent_again=again)  # fmt: skip
    emit("telegram all of them delivered after the return", time.monotonic() - back, "s", "")


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="rtoc-bench-telegram-"))
    clients = {str(chat): {"permission": "read", "eventlevel": 0} for chat in range(2, USERS + 1)}
    clients[str(ADMIN.id)] = {"permission": "admin", "eventlevel": 0}
    (home / "telegram_clients.json").write_text(json.dumps(clients))
    with BotApiStub() as api:
        base = Config()
        config = attrs.evolve(
            base,
            global_=attrs.evolve(base.global_, recordLength=SAMPLES),
            telegram=attrs.evolve(
                base.telegram,
                active=True,
                token=api.token,
                base_url=api.base_url,
                inlineMenu=True,
            ),
        )
        registry = PluginRegistry.load(entry_points=False)
        registry.register(rtoc_telegram.plugin, PluginInfo("telegram", "rtoc-telegram"))
        logger = Logger(config, plugins=registry, home=home)
        now = time.time()
        for index in range(1000):
            logger.stream(float(index), f"S{index:04d}", "Many", unit="V", x=now)
        x = now - SAMPLES / 1000 + np.arange(SAMPLES) / 1000
        logger.stream_many(x, np.sin(x / 50), "Big", "Sim", "A")
        frontend = TelegramFrontend(poll_timeout=5)
        frontend.start(logger, config)
        try:
            api.send_text(ADMIN, "/start")
            api.wait_for_message(ADMIN, lambda m: bool(m.buttons))

            latest = []
            for _ in range(REPEAT):
                latest.append(answered(api, ADMIN, "Latest values", "sendMessage"))
                api.press_button(ADMIN, "Menu")
                api.wait_for_message(
                    ADMIN, lambda m: "Main menu" in m.text, after=len(api.sent) - 1
                )
            emit("telegram latest values, 1000 signals", statistics.median(latest) * 1000, "ms",
                 "< 100 ms", digits=1)  # fmt: skip

            api.press_button(ADMIN, "Signals")
            time.sleep(0.5)
            api.press_button(ADMIN, "📁 Sim")
            time.sleep(0.5)
            api.press_button(ADMIN, "Sim.Big")
            time.sleep(0.5)
            api.press_button(ADMIN, "all")
            time.sleep(0.5)
            plots = [answered(api, ADMIN, "Generate plot", "sendPhoto") for _ in range(3)]
            emit("telegram plot of 10 M samples, first", plots[0], "s", "< 2 s")
            emit("telegram plot of 10 M samples, median", statistics.median(plots), "s", "< 2 s")

            after = len(api.sent)
            began = time.perf_counter()
            logger.event("bench", device="Bench", priority=2)
            for chat in range(1, USERS + 1):
                api.wait_for_message(chat, lambda m: "bench" in m.text, after=after, timeout=30)
            emit("telegram event notified to 50 users", (time.perf_counter() - began) * 1000,
                 "ms", "< 500 ms", digits=1)  # fmt: skip

            outage(api, logger)
        finally:
            frontend.stop()
            logger.close()


if __name__ == "__main__":
    main()
