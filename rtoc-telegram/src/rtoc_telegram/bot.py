"""The running bot: python-telegram-bot's Application in its own thread and event loop.

:class:`Bot` connects (retrying with back-off while Telegram is unreachable),
polls for updates, sends notifications, and stops when asked or when the
token is refused. It talks to the logger only through the frontend interface
(:class:`rtoc.frontend.LoggerView`), and blocking calls run in a worker thread
so one slow device never stalls the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from pathlib import Path
from typing import Any

from telegram import InputFile, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from rtoc.config import TelegramConfig
from rtoc.events import Event, Priority
from rtoc.frontend import LoggerView
from rtoc.users import Role
from rtoc_telegram import plot
from rtoc_telegram.clients import ClientStore
from rtoc_telegram.link import Link, WatchedRequest
from rtoc_telegram.menu_base import MAX_MESSAGE
from rtoc_telegram.menus import Menus
from rtoc_telegram.notify import Notifier
from rtoc_telegram.settings import LoggerSettings

log = logging.getLogger("rtoc_telegram")

#: Largest file a plugin may send (Telegram's limit for bots is 50 MB).
MAX_UPLOAD = 50 * 1024 * 1024


class Bot:
    """One bot for one logger; :meth:`start` and :meth:`stop` from any thread."""

    def __init__(
        self,
        view: LoggerView,
        section: TelegramConfig,
        home: Path,
        *,
        poll_timeout: float = 10.0,
        notify_interval: float = 1.0,
        settings: LoggerSettings | None = None,
    ) -> None:
        """``settings``: Settings → General and Backup of the logger in this process."""
        self.view = view
        self.settings = settings
        self.section = section
        self.home = home
        self.clients = ClientStore(home, section.default_permission, section.default_eventlevel)
        self.poll_timeout = poll_timeout
        self.notify_interval = notify_interval
        self.link = Link(self._report, self._revoked)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.notifier: Notifier | None = None
        #: The connected Application (after getMe succeeded), else None.
        self.application: Application | None = None

    # -- from other threads ------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="rtoc-telegram", daemon=True)
        self._thread.start()
        threading.Thread(target=plot.warm_up, name="rtoc-telegram plot", daemon=True).start()
        self._ready.wait(5)

    def stop(self, timeout: float = 15.0) -> None:
        loop, stopping = self.loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def notify(self, event: Event) -> None:
        """Queue ``event`` for its recipients (any thread)."""
        self._in_loop(lambda: self.notifier and self.notifier.add(event))

    def send_from_plugin(self, device: str, kind: str, content: str, only_admin: bool) -> bool:
        """A plugin's telegram_send_*: to every read user (admins with ``only_admin``)."""
        if self.loop is None or self.link.revoked:
            return False
        chats = self._recipients(Role.ADMIN if only_admin else Role.READ)
        asyncio.run_coroutine_threadsafe(self._send_plugin(chats, device, kind, content), self.loop)
        return True

    def _in_loop(self, action: Any) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(action)

    # -- in the bot's thread -----------------------------------------------------

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:  # never into the logger's thread; the logger keeps recording
            log.exception("the Telegram bot failed")
            self._report("the Telegram bot failed; see the log", Priority.ERROR)
        finally:
            self._ready.set()

    async def _run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        request = WatchedRequest(
            self.link, connection_pool_size=8, connect_timeout=5.0, read_timeout=10.0
        )
        polling = WatchedRequest(self.link, connect_timeout=5.0, read_timeout=10.0)
        application = (
            Application.builder()
            .token(self.section.token)
            .base_url(self.section.base_url)
            .request(request)
            .get_updates_request(polling)
            # one user's plot or slow device call must not keep the others waiting
            .concurrent_updates(8)
            .build()
        )
        menus = Menus(
            self.view,
            self.clients,
            self.section.onlyAdmin,
            self._blocking,
            self.home,
            edit_automation=self.section.editAutomation,
            inline_menu=self.section.inlineMenu,
            settings=self.settings,
        )
        application.add_handler(CallbackQueryHandler(menus.on_press))
        application.add_handler(
            MessageHandler(filters.ALL & ~filters.UpdateType.EDITED, menus.on_text)
        )
        application.add_error_handler(self._failed)
        self.notifier = Notifier(self._send_text, self._event_recipients, self.notify_interval)
        if not await self._connect(application):
            return
        notifying = asyncio.create_task(self.notifier.run())
        try:
            assert application.updater is not None
            await application.updater.start_polling(
                timeout=int(self.poll_timeout), error_callback=self._polling_error
            )
            await application.start()
            await self._stopping.wait()
        finally:
            notifying.cancel()
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
        self.application = None

    async def _connect(self, application: Application) -> bool:
        """Initialize (getMe) until it works, the token is refused, or the bot is stopped."""
        delay = 1.0
        assert self._stopping is not None
        while not self._stopping.is_set():
            try:
                await application.initialize()
                self.application = application
                self.link.succeeded()
                return True
            except InvalidToken:
                self.link.unauthorized()
                return False
            except (NetworkError, TelegramError) as error:
                log.debug("Telegram not reached: %s", error)
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except asyncio.TimeoutError:
                delay = min(30.0, delay * 1.5)
        return False

    def _polling_error(self, error: TelegramError) -> None:
        log.debug("polling: %s", error)

    def _revoked(self) -> None:
        if self._stopping is not None:
            self._in_loop(self._stopping.set)

    async def _blocking(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(functools.partial(function, *args, **kwargs))

    async def _failed(self, update: object, context: Any) -> None:
        """A handler raised: log it, tell the user, go on with the next update."""
        log.error("the Telegram bot failed on an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await update.effective_chat.send_message(
                    f"Sorry, that failed: {type(context.error).__name__}. Back to /menu."
                )

    def _report(self, text: str, priority: Priority) -> None:
        try:
            self.view.event(text, device="telegram", priority=priority)
        except Exception:  # a read-only or unreachable source: the log must do
            log.log(priority.log_level, "%s", text)

    # -- sending -------------------------------------------------------------------

    def _recipients(self, role: Role) -> list[int]:
        if self.section.onlyAdmin:
            role = Role.ADMIN
        return [client.id for client in self.clients.all() if client.may(role)]

    def _event_recipients(self, event: Event) -> list[int]:
        role = Role.ADMIN if self.section.onlyAdmin else Role.READ
        return [
            client.id
            for client in self.clients.all()
            if client.may(role) and event.priority >= client.eventlevel
        ]

    async def _send_text(self, chat: int, text: str) -> None:
        application = self.application
        if application is None:
            raise NetworkError("not connected")
        await application.bot.send_message(chat, text[:MAX_MESSAGE])

    async def _send_plugin(self, chats: list[int], device: str, kind: str, content: str) -> None:
        application = self.application
        if application is None:
            return
        data = b""
        if kind != "message":
            try:
                path = Path(content)
                if path.stat().st_size > MAX_UPLOAD:
                    raise OSError(f"larger than {MAX_UPLOAD // 2**20} MB")
                data = await asyncio.to_thread(path.read_bytes)
            except OSError as error:
                self._report(
                    f"{device}: telegram_send_{kind}({content!r}): {error}", Priority.WARNING
                )
                return
        for chat in chats:
            try:
                if kind == "message":
                    await application.bot.send_message(chat, f"{device}: {content}"[:MAX_MESSAGE])
                elif kind == "photo":
                    await application.bot.send_photo(
                        chat, InputFile(data, filename=Path(content).name), caption=device
                    )
                else:
                    await application.bot.send_document(
                        chat, InputFile(data, filename=Path(content).name), caption=device
                    )
            except TelegramError as error:
                log.warning("%s: telegram_send_%s to %s failed: %s", device, kind, chat, error)
