"""Whether Telegram answers: every Bot API request passes here, and changes become events.

python-telegram-bot retries polling on network errors by itself (with a
back-off up to 30 s). What it does not do is tell the logger: :class:`Link`
turns the first failure into one warning event, the first success after it
into one "reachable again" info event, and a 401 (a revoked token) into one
error event and a stop of the bot, while the logger goes on recording.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram.error import NetworkError
from telegram.request import HTTPXRequest

from rtoc.events import Priority

log = logging.getLogger("rtoc_telegram")

#: (text, priority) -> records an event in the logger.
Report = Callable[[str, Priority], None]


class Link:
    """The state of the connection to the Bot API, reported once per change."""

    def __init__(self, report: Report, on_revoked: Callable[[], None]) -> None:
        self.report = report
        self.on_revoked = on_revoked
        self.down = False
        self.revoked = False

    def succeeded(self) -> None:
        if self.down:
            self.down = False
            self.report("Telegram is reachable again", Priority.INFO)

    def failed(self, reason: str) -> None:
        if not self.down:
            self.down = True
            self.report(
                f"Telegram is unreachable ({reason}); the bot retries and sends what is due "
                "when it is back",
                Priority.WARNING,
            )

    def unauthorized(self) -> None:
        if not self.revoked:
            self.revoked = True
            self.report(
                "Telegram refused the bot token (401 Unauthorized: revoked or mistyped); the bot "
                "stopped, the logger keeps recording. Set a new telegram.token and restart",
                Priority.ERROR,
            )
            self.on_revoked()


class WatchedRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, telling a :class:`Link` how each request went."""

    def __init__(self, link: Link, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link = link

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            status, content = await super().do_request(*args, **kwargs)
        except NetworkError as error:
            self.link.failed(str(error) or type(error).__name__)
            raise
        if status == 401:
            self.link.unauthorized()
        elif status >= 500:
            self.link.failed(f"HTTP {status}")
        else:
            self.link.succeeded()
        return status, content
