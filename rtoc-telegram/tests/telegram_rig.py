"""Test helpers: users, a device, and a Rig (the loopback Bot API, a real Logger, the bot).

A module of its own, not conftest.py: the suite runs with other distributions'
tests, whose conftest modules share the name."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import attrs

import rtoc
from rtoc.config import Config
from rtoc.logger import Logger
from rtoc_telegram.plugin import TelegramFrontend
from rtoc_telegram.testing import BotApiStub, Sent, TelegramUser

ADA = TelegramUser(101, "Ada", "Lovelace")
BOB = TelegramUser(202, "Bob")
CY = TelegramUser(303, "Cy")


class Pump(rtoc.Device):
    """A pump with a speed and a flush."""

    samplerate = 20.0
    speed = 1.0
    flushed = 0

    def sample(self) -> None:
        self.stream(self.speed, "Flow", unit="l/min")

    def flush(self, litres: float, times: int) -> str:
        """Flush ``litres`` ``times`` times."""
        self.flushed += int(litres * times)
        return f"flushed {litres * times} l"

    def validate_parameter(self, name, value):
        if name == "speed" and not 0 <= value <= 10:
            raise ValueError(f"speed is 0 to 10, got {value}")
        return super().validate_parameter(name, value)


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise TimeoutError(f"not true within {timeout} s")


@dataclass
class Rig:
    api: BotApiStub
    logger: Logger
    frontend: TelegramFrontend
    home: Path

    def menu(self, user: TelegramUser, text: str = "/start") -> Sent:
        """Send ``text`` and return the answer."""
        after = len(self.api.sent)
        self.api.send_text(user, text)
        return self.api.wait_for_message(user, after=after)

    def press(self, user: TelegramUser, label: str) -> Sent:
        """Press the button ``label`` in the user's newest keyboard; return the answer."""
        after = len(self.api.sent)
        self.api.press_button(user, label)
        return self.api.wait_for_message(user, after=after)

    def press_data(self, user: TelegramUser, data: str) -> Sent:
        after = len(self.api.sent)
        self.api.press(user, data)
        return self.api.wait_for_message(user, after=after)

    def events(self, text: str) -> list:
        return [e for e in self.logger.events if text in e.text]


def telegram_config(api: BotApiStub, **keys: object) -> Config:
    base = Config()
    # inline keyboards unless a test asks for the reply keyboard (inlineMenu false)
    keys = {
        "active": True,
        "token": api.token,
        "base_url": api.base_url,
        "inlineMenu": True,
        **keys,
    }
    section = attrs.evolve(base.telegram, **keys)
    return attrs.evolve(base, telegram=section)
