"""The bot's conversation: the main menu and its submenus, each entry for its roles.

Every button's ``callback_data`` is ``route`` or ``route:ref``. The route
names the action, and :data:`ROUTES` the role it needs, checked on every
press: a forged button gets no further than the menu would have let its
user. ``ref`` is a short key into the user's :class:`Session`, filled when
the menu was drawn, so device and signal names of any length fit Telegram's
64 bytes; a button from an older menu (a ref no longer known) is answered as
out of date. Chat text is only ever a value (parsed, never evaluated), an
event text, or a reason to show the menu, except for the fields of a global
event or action, which admins may send when ``telegram.editAutomation`` allows
it: the core checks their condition or script before it saves them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import ContextTypes

from rtoc.automation.watchdog import Watchdog
from rtoc.device import DeviceError
from rtoc.frontend import ControlUnavailable, LoggerView
from rtoc.storage.base import StorageError
from rtoc.users import Role, UserError
from rtoc_telegram.actions import ActionError, admin_only, load_actions, run_action
from rtoc_telegram.clients import Client, ClientStore
from rtoc_telegram.menu_admin import AdminMenus
from rtoc_telegram.menu_base import Session
from rtoc_telegram.menu_devices import DeviceMenus, shortcuts
from rtoc_telegram.menu_settings import SettingsMenus
from rtoc_telegram.menu_signals import SignalMenus
from rtoc_telegram.settings import LoggerSettings

#: Longest chat text the bot reads; more is answered, not processed.
MAX_INPUT = 2000


async def _no_answer(text: str | None = None) -> None:
    """A reply keyboard's button has no callback query to answer."""


ROUTES: dict[str, Role] = {
    "menu": Role.READ,
    "act": Role.READ,
    "latest": Role.READ,
    "signals": Role.READ,
    "sig": Role.READ,
    "per": Role.READ,
    "evs": Role.READ,
    "plot": Role.READ,
    "sdev": Role.READ,
    "more": Role.READ,
    "settings": Role.READ,
    "lvl": Role.READ,
    "gen": Role.WRITE,
    "reclen": Role.WRITE,
    "grate": Role.WRITE,
    "tcp": Role.WRITE,
    "rate": Role.WRITE,
    "devices": Role.WRITE,
    "dev": Role.WRITE,
    "dstart": Role.WRITE,
    "dstop": Role.WRITE,
    "par": Role.WRITE,
    "fn": Role.WRITE,
    "send": Role.WRITE,
    "event": Role.WRITE,
    "value": Role.WRITE,
    "short": Role.WRITE,
    "prio": Role.WRITE,
    "auto": Role.ADMIN,
    "rule": Role.ADMIN,
    "rtog": Role.ADMIN,
    "rall": Role.ADMIN,
    "redit": Role.ADMIN,
    "rdel": Role.ADMIN,
    "radd": Role.ADMIN,
    "clients": Role.ADMIN,
    "cl": Role.ADMIN,
    "perm": Role.ADMIN,
    "dels": Role.ADMIN,
    "dele": Role.ADMIN,
    "delok": Role.ADMIN,
    "backup": Role.ADMIN,
    "bkey": Role.ADMIN,
    "wipe": Role.ADMIN,
    "wipeok": Role.ADMIN,
    "rsmp": Role.ADMIN,
    "rsig": Role.ADMIN,
    "rper": Role.ADMIN,
    "rrate": Role.ADMIN,
    "rsok": Role.ADMIN,
}
#: Routes whose ref is the value itself (a period, a level, a priority, on/off), not a session ref.
_LITERAL_REFS = frozenset({"per", "lvl", "prio", "tcp", "rsig", "rper"})
#: Prompts only admins may answer (the others need write).
_ADMIN_PROMPTS = frozenset({"rule", "rulename", "backup", "resample"})
TITLES = {
    "devices": "Devices",
    "send": "Send event / value",
    "event": "Send event",
    "value": "Send value",
    "auto": "Automation",
    "clients": "Clients",
    "perm": "Changing permissions",
    "gen": "Settings → General",
    "reclen": "Recording length",
    "grate": "Global samplerate",
    "tcp": "Switching the TCP server",
    "rate": "Samplerate",
    "dels": "Deleting signals",
    "dele": "Deleting events",
    "delok": "Deleting",
    "backup": "Settings → Backup",
    "bkey": "Backup options",
    "wipe": "Deleting all data",
    "wipeok": "Deleting all data",
    "rsmp": "Resampling data",
    "rsig": "Resampling data",
    "rper": "Resampling data",
    "rrate": "Resampling data",
    "rsok": "Resampling data",
}


class Menus(SignalMenus, DeviceMenus, SettingsMenus, AdminMenus):
    """Handlers for python-telegram-bot; everything the logger does goes through ``view``
    (and Settings → General and Backup through ``settings``)."""

    def __init__(
        self,
        view: LoggerView,
        clients: ClientStore,
        only_admin: bool,
        run: Callable[..., Any],
        home: Path,
        edit_automation: bool = False,
        inline_menu: bool = True,
        settings: LoggerSettings | None = None,
    ) -> None:
        self.view = view
        self.clients = clients
        self.only_admin = only_admin
        #: Runs a blocking call off the event loop: ``await run(fn, *args)``.
        self.run = run
        #: Where telegramActions.json is (read again for every main menu, so edits count).
        self.home = home
        self.watchdog = Watchdog()
        #: telegram.editAutomation: admins may add, edit and delete rules (code) here.
        self.edit_automation = edit_automation
        self.inline_menu = inline_menu
        self.settings = settings
        self.sessions: dict[int, Session] = {}

    # -- entry points ------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        client = self._client(update)
        if client is None or message is None:
            return
        if not self._allowed(client):
            await self._refuse(update, client)
            return
        text = message.text or ""
        session = self.sessions.setdefault(client.id, Session())
        if len(text) > MAX_INPUT:
            session.prompt = None
            await self._say(
                update,
                f"That message is too long ({len(text)} characters); use the menu.",
                self._main_keyboard(client, session),
            )
            return
        if not self.inline_menu and text in session.buttons:  # a reply keyboard's button
            await self._press(update, client, session, session.buttons[text], _no_answer)
            return
        if session.prompt is not None and not text.startswith("/"):
            await self._answer_prompt(update, client, session, text)
            return
        session.prompt = None
        if text.strip() in ("/start", "/menu"):
            await self._main(update, client, session, "")
        elif self.inline_menu or session.keyboard is None:
            await self._main(update, client, session, "Use the menu:\n")
        else:
            await self._say(
                update,
                f"“{text[:40]}” is none of the buttons here: press one of them, "
                "or send /menu for the main menu.",
                session.keyboard,
            )

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        client = self._client(update)
        if query is None or client is None:
            return
        if not self._allowed(client):
            await query.answer("No access")
            await self._refuse(update, client)
            return
        session = self.sessions.setdefault(client.id, Session())
        await self._press(update, client, session, query.data or "", query.answer)

    async def _press(
        self,
        update: Update,
        client: Client,
        session: Session,
        data: str,
        answer: Callable[..., Awaitable[Any]],
    ) -> None:
        """One button: an inline button's callback data, or a reply keyboard's label's.

        ``answer(text=None)`` answers the callback query (a reply keyboard has none).
        """
        route, _, ref = data.partition(":")
        needed = ROUTES.get(route)
        if needed is not None and not client.may(needed):
            title = TITLES.get(route, route)
            await answer("Not allowed")
            await self._main(
                update,
                client,
                session,
                f"{title} needs the {needed} permission; you have {client.role}. ",
            )
            return
        if needed is None or (ref and route not in _LITERAL_REFS and ref not in session.refs):
            await answer("This button is out of date")
            await self._main(update, client, session, "That button is out of date. ")
            return
        await answer()
        session.prompt = None
        handler: Callable[[Update, Client, Session, str], Awaitable[None]] = getattr(
            self, f"_route_{route}"
        )
        try:
            await handler(update, client, session, ref)
        except ControlUnavailable as error:
            await self._say(update, f"Not possible here: {error}", self._back())
        except (
            DeviceError,
            ValueError,
            LookupError,
            UserError,
            ActionError,
            StorageError,
        ) as error:
            await self._say(update, f"⚠️ {error}", self._back())

    # -- who may ---------------------------------------------------------------

    def _client(self, update: Update) -> Client | None:
        user = update.effective_user
        if user is None or update.effective_chat is None or update.effective_chat.type != "private":
            return None
        client, _ = self.clients.meet(user.id, user.first_name, user.last_name or "")
        return client

    def _allowed(self, client: Client) -> bool:
        if self.only_admin:
            return client.role is Role.ADMIN
        return client.may(Role.READ)

    async def _refuse(self, update: Update, client: Client) -> None:
        await self._say(
            update,
            f"Hello {client.first_name or client.id}: this bot is not open to you. "
            "An admin of the logger may give you access.",
            None,
        )

    # -- drawing -----------------------------------------------------------------

    def _main_keyboard(self, client: Client, session: Session) -> InlineKeyboardMarkup:
        session.refs.clear()
        entries = [
            ("📈 Latest values", "latest", Role.READ),
            ("📊 Signals", "signals", Role.READ),
            ("🔌 Devices", "devices", Role.WRITE),
            ("✉️ Send event / value", "send", Role.WRITE),
            ("⚙️ Automation", "auto", Role.ADMIN),
            ("🔧 Settings", "settings", Role.READ),
        ]
        rows = []
        if client.may(Role.WRITE):
            for kind, route in (("p", "par"), ("f", "fn")):
                for device, name in shortcuts(client, kind):
                    label = f"⭐ {device}.{name}" + ("()" if kind == "f" else "")
                    key = session.ref((device, name) if kind == "p" else (device, name, None))
                    rows.append([InlineKeyboardButton(label[:60], callback_data=f"{route}:{key}")])
        rows += [
            [InlineKeyboardButton(label, callback_data=route)]
            for label, route, role in entries
            if client.may(role)
        ]
        return InlineKeyboardMarkup(rows)

    async def _main(self, update: Update, client: Client, session: Session, intro: str) -> None:
        text = f"{intro}Main menu ({client.role}):"
        keyboard = self._main_keyboard(client, session)
        try:
            actions = load_actions(self.home)
        except ActionError as error:
            actions = {}
            if client.may(Role.ADMIN):
                text += f"\n⚠️ {error}"
        rows = [
            [
                InlineKeyboardButton(
                    f"▶ {name.lstrip('_')}"[:60], callback_data=f"act:{session.ref(name)}"
                )
            ]
            for name in actions
            if client.may(Role.ADMIN) or not admin_only(name)
        ]
        await self._say(update, text, InlineKeyboardMarkup(rows + list(keyboard.inline_keyboard)))

    async def _route_act(self, update: Update, client: Client, session: Session, ref: str) -> None:
        name = session.refs[ref]
        if admin_only(name) and not client.may(Role.ADMIN):
            raise LookupError(f"{name} is for admins")
        source = load_actions(self.home).get(name)
        if source is None:
            raise LookupError(f"telegramActions.json has no {name!r} any more")
        try:
            answer = await self.run(run_action, name, source, self.view, self.watchdog)
        except ActionError as error:
            await self._say(update, f"⚠️ {error}", self._back())
            return
        chat = update.effective_chat
        assert chat is not None
        if answer.kind == "text":
            await self._say(update, answer.content, self._back())
            return
        path = Path(answer.content).expanduser()
        try:
            data = await self.run(path.read_bytes)
        except OSError as error:
            await self._say(update, f"⚠️ {name}: {error}", self._back())
            return
        upload = InputFile(data, filename=path.name)
        if answer.kind == "picture":
            await chat.send_photo(upload, caption=name.lstrip("_"))
        else:
            await chat.send_document(upload, caption=name.lstrip("_"))

    # -- read ----------------------------------------------------------------------

    async def _route_menu(self, update: Update, client: Client, session: Session, _: str) -> None:
        await self._main(update, client, session, "")

    # -- text answers ----------------------------------------------------------

    async def _answer_prompt(
        self, update: Update, client: Client, session: Session, text: str
    ) -> None:
        prompt = session.prompt
        assert prompt is not None
        needed = Role.ADMIN if prompt.kind in _ADMIN_PROMPTS else Role.WRITE
        if not client.may(needed):  # demoted meanwhile
            session.prompt = None
            await self._main(update, client, session, "")
            return
        try:
            await getattr(self, f"_answer_{prompt.kind}")(update, client, session, prompt, text)
        except (DeviceError, ValueError, LookupError, ControlUnavailable, StorageError) as error:
            await self._say(update, f"⚠️ {error}\nSend another value, or go back.", self._back())
