"""rtoc's Telegram bot: the logger in your pocket."""

__version__ = "0.1.0"
