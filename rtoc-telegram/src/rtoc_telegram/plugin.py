"""rtoc's hooks for the bot: the frontend ``rtoc run`` starts when ``telegram.active`` and
``telegram.token`` are set, notifications (``rtoc_event``) and plugins' messages
(``rtoc_telegram_send``)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rtoc
from rtoc.events import Event, Priority

if TYPE_CHECKING:
    from rtoc.config import Config
    from rtoc.logger import Logger
    from rtoc_telegram.bot import Bot

log = logging.getLogger("rtoc_telegram")

#: The running bots, by the id of the logger they serve (the hooks get the logger).
_bots: dict[int, Bot] = {}
_bots_lock = threading.Lock()


class TelegramFrontend:
    """Runs the bot beside ``rtoc run`` when ``telegram.active`` and a token are set.

    ``poll_timeout`` (seconds of a long poll) and ``notify_interval`` (seconds
    between two notifications to one chat) are here for tests.
    """

    name = "telegram"

    def __init__(self, poll_timeout: float = 10.0, notify_interval: float = 1.0) -> None:
        self.poll_timeout = poll_timeout
        self.notify_interval = notify_interval
        self.bot: Bot | None = None
        self._logger: Logger | None = None

    def start(self, logger: Logger, config: Config) -> None:
        from rtoc_telegram.bot import Bot
        from rtoc_telegram.clients import ClientsFileError
        from rtoc_telegram.settings import LoggerSettings

        section = config.telegram
        if not section.active or not section.token:
            return
        if not section.base_url.startswith(("http://", "https://")):
            logger.event(
                f"telegram.base_url must be an http(s) address, not {section.base_url!r}; "
                "the Telegram bot does not start",
                device="telegram",
                priority=Priority.ERROR,
            )
            return
        home = Path(logger.home) if logger.home is not None else Path.cwd()
        sections = logger.plugins.config_sections() if logger.plugins is not None else None
        try:
            bot = Bot(
                logger,
                section,
                home,
                poll_timeout=self.poll_timeout,
                notify_interval=self.notify_interval,
                settings=LoggerSettings(logger, home, sections),
            )
        except ClientsFileError as error:
            logger.event(
                f"the Telegram bot does not start: {error}",
                device="telegram",
                priority=Priority.ERROR,
            )
            return
        with _bots_lock:
            _bots[id(logger)] = bot
        self.bot, self._logger = bot, logger
        bot.start()

    def stop(self) -> None:
        bot, logger = self.bot, self._logger
        if bot is None or logger is None:
            return
        with _bots_lock:
            if _bots.get(id(logger)) is bot:
                del _bots[id(logger)]
        bot.stop()
        self.bot = None


def _bot(logger: Any) -> Bot | None:
    with _bots_lock:
        return _bots.get(id(logger))


@rtoc.hookimpl
def rtoc_frontends() -> list[Any]:
    return [TelegramFrontend()]


@rtoc.hookimpl
def rtoc_event(logger: Logger, event: Event) -> None:
    bot = _bot(logger)
    if bot is not None:
        bot.notify(event)


@rtoc.hookimpl
def rtoc_telegram_send(
    logger: Logger, device: str, kind: str, content: str, only_admin: bool
) -> bool:
    bot = _bot(logger)
    return bot is not None and bot.send_from_plugin(device, kind, content, only_admin)
