"""What a frontend (web dashboard, Telegram bot, GUI, TCP server) looks like to rtoc."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rtoc.config import Config
    from rtoc.logger import Logger


class Frontend(Protocol):
    """Started by ``rtoc run`` after the logger, stopped before it closes."""

    name: str

    def start(self, logger: Logger, config: Config) -> None: ...

    def stop(self) -> None: ...
