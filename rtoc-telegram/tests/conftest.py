"""Fixtures: a Rig is the loopback Bot API, a real Logger with rtoc-telegram's hooks, and
the real python-telegram-bot; see telegram_rig.py."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from telegram_rig import Pump, Rig, telegram_config

import rtoc_telegram.plugin
from rtoc.logger import Logger
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc_telegram.plugin import TelegramFrontend
from rtoc_telegram.testing import BotApiStub


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(**keys: object) -> Rig:
        api = BotApiStub().start()
        registry = PluginRegistry.load(entry_points=False)
        registry.register(rtoc_telegram.plugin, PluginInfo("telegram", "rtoc-telegram"))
        config = telegram_config(api, **keys)
        logger = Logger(config, plugins=registry, home=tmp_path)
        logger.add_device(Pump)
        frontend = TelegramFrontend(poll_timeout=1, notify_interval=0.3)
        frontend.start(logger, config)
        rig = Rig(api, logger, frontend, tmp_path)
        made.append(rig)
        if frontend.bot is not None and "token" not in keys:
            api.wait_for_call("getMe")
        return rig

    yield make
    for rig in made:
        rig.frontend.stop()
        rig.logger.close()
        rig.api.stop()


@pytest.fixture
def rig(make_rig: Callable[..., Rig]) -> Rig:
    return make_rig()
