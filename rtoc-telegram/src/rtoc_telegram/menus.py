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

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from rtoc.automation.watchdog import Watchdog
from rtoc.device import DeviceError
from rtoc.events import Priority
from rtoc.frontend import ControlUnavailable, LoggerView, RuleState
from rtoc.users import Role, UserError
from rtoc_telegram.actions import ActionError, admin_only, load_actions, run_action
from rtoc_telegram.clients import Client, ClientStore
from rtoc_telegram.plot import render
from rtoc_telegram.values import argument_names, parse_measurement, parse_value

#: The longest message Telegram takes; longer answers are split.
MAX_MESSAGE = 4096
#: Longest chat text the bot reads; more is answered, not processed.
MAX_INPUT = 2000

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
}
#: Routes whose ref is the value itself (a period, a level, a priority), not a session ref.
_LITERAL_REFS = frozenset({"per", "lvl", "prio"})
TITLES = {
    "devices": "Devices",
    "send": "Send event / value",
    "event": "Send event",
    "value": "Send value",
    "auto": "Automation",
    "clients": "Clients",
    "perm": "Changing permissions",
}
#: Button references a session keeps; older buttons answer "out of date".
MAX_REFS = 1000
#: Signals listed at once (Telegram shows up to 100 buttons).
PAGE = 40
#: Plot periods offered, seconds (0: everything stored).
PERIODS = {"10 min": 600, "1 h": 3600, "1 day": 86400, "7 days": 7 * 86400, "all": 0}
RULE_EXAMPLES = {
    "event": '{"cond": "Pump.Flow.latest > 5", "text": "much flow", "priority": 1, "id": "flow"}',
    "action": '{"listenID": ["flow"], "script": "Pump.speed = 1"}',
}
LEVELS = {0: "all (info and up)", 1: "warnings and errors", 2: "errors only"}


@dataclass
class Prompt:
    """What the next text of a user answers."""

    kind: str  # "param", "args", "event", "value", "rulename", "rule"
    target: tuple[str, ...] = ()
    #: The arguments to ask for: (name, an example value of its type or None).
    asked: list[tuple[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)


@dataclass
class Session:
    """One user's state between presses: button refs, a pending prompt, the plot choice."""

    refs: dict[str, Any] = field(default_factory=dict)
    prompt: Prompt | None = None
    selected: list[tuple[str, str]] = field(default_factory=list)
    period: int = 3600
    events: bool = True
    #: The text of the event being sent, until its priority is pressed.
    event_text: str | None = None
    #: The device whose signals are listed when there are too many for one list, and the page.
    folder: str | None = None
    offset: int = 0
    _counter: itertools.count = field(default_factory=itertools.count)

    def ref(self, value: Any) -> str:
        key = format(next(self._counter), "x")
        self.refs[key] = value
        while len(self.refs) > MAX_REFS:  # the oldest buttons go out of date first
            del self.refs[next(iter(self.refs))]
        return key


class Menus:
    """Handlers for python-telegram-bot; everything the logger does goes through ``view``."""

    def __init__(
        self,
        view: LoggerView,
        clients: ClientStore,
        only_admin: bool,
        run: Callable[..., Any],
        home: Path,
        edit_automation: bool = False,
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
        if session.prompt is not None and not text.startswith("/"):
            await self._answer_prompt(update, client, session, text)
            return
        session.prompt = None
        greeting = "" if text.strip() in ("/start", "/menu") else "Use the menu:\n"
        await self._main(update, client, session, greeting)

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        client = self._client(update)
        if query is None or client is None:
            return
        data = query.data or ""
        route, _, ref = data.partition(":")
        if not self._allowed(client):
            await query.answer("No access")
            await self._refuse(update, client)
            return
        session = self.sessions.setdefault(client.id, Session())
        needed = ROUTES.get(route)
        if needed is not None and not client.may(needed):
            title = TITLES.get(route, route)
            await query.answer("Not allowed")
            await self._main(
                update,
                client,
                session,
                f"{title} needs the {needed} permission; you have {client.role}. ",
            )
            return
        if needed is None or (ref and route not in _LITERAL_REFS and ref not in session.refs):
            await query.answer("This button is out of date")
            await self._main(update, client, session, "That button is out of date. ")
            return
        await query.answer()
        session.prompt = None
        handler: Callable[[Update, Client, Session, str], Awaitable[None]] = getattr(
            self, f"_route_{route}"
        )
        try:
            await handler(update, client, session, ref)
        except ControlUnavailable as error:
            await self._say(update, f"Not possible here: {error}", self._back())
        except (DeviceError, ValueError, LookupError, UserError, ActionError) as error:
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

    async def _say(self, update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
        """Show ``text``: edit the pressed message, else send (split when too long)."""
        chunks = split(text)
        query = update.callback_query
        if query is not None and len(chunks) == 1:
            try:
                await query.edit_message_text(chunks[0], reply_markup=keyboard)
                return
            except BadRequest:  # too old to edit, or unchanged: send anew
                pass
        chat = update.effective_chat
        assert chat is not None
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await chat.send_message(chunk, reply_markup=keyboard if last else None)

    @staticmethod
    def _back() -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("« Menu", callback_data="menu")]])

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

    def _shortcut_keyboard(
        self, client: Client, session: Session, kind: str, device: str, name: str
    ) -> InlineKeyboardMarkup:
        """« Menu, and a button that puts this parameter or function on the main menu
        (or takes it off)."""
        there = (device, name) in shortcuts(client, kind)
        label = "✖ Remove shortcut" if there else "⭐ Add as shortcut"
        key = session.ref((kind, device, name))
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=f"short:{key}")],
                [InlineKeyboardButton("« Menu", callback_data="menu")],
            ]
        )

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

    async def _route_latest(self, update: Update, client: Client, session: Session, _: str) -> None:
        readings = await self.run(self.view.latest)
        now = time.time()
        lines = [
            f"{device}.{name}: {reading.y:.6g} {reading.unit} ({_age(now - reading.x)})".rstrip()
            for (device, name), reading in sorted(readings.items())
        ]
        await self._say(update, "\n".join(lines) or "No signals yet.", self._back())

    async def _route_signals(
        self, update: Update, client: Client, session: Session, _: str
    ) -> None:
        infos = sorted(await self.run(self.view.signal_infos), key=lambda i: i.key)
        rows = []
        devices = sorted({info.device for info in infos})
        if session.folder not in devices:
            session.folder = None
        if session.folder is None and len(infos) > PAGE:  # too many: one device at a time
            for device in devices:
                count = sum(1 for info in infos if info.device == device)
                chosen = sum(1 for key in session.selected if key[0] == device)
                label = f"📁 {device} ({chosen}/{count})" if chosen else f"📁 {device} ({count})"
                rows.append(
                    [InlineKeyboardButton(label, callback_data=f"sdev:{session.ref(device)}")]
                )
            text = "Pick a device, then its signals; then a period and generate the plot."
        else:
            shown = [i for i in infos if session.folder in (None, i.device)]
            session.offset = session.offset if session.offset < len(shown) else 0
            for info in shown[session.offset : session.offset + PAGE]:
                mark = "✅ " if info.key in session.selected else ""
                button = InlineKeyboardButton(
                    f"{mark}{info.device}.{info.name}", callback_data=f"sig:{session.ref(info.key)}"
                )
                rows.append([button])
            text = "Pick signals and a period, then generate the plot."
            if len(shown) > PAGE:
                last = min(len(shown), session.offset + PAGE)
                text += f" (signals {session.offset + 1} to {last} of {len(shown)})"
                rows.append([InlineKeyboardButton("More signals »", callback_data="more")])
            if session.folder is not None:
                rows.append([InlineKeyboardButton("« Devices", callback_data="sdev")])
        rows.append(
            [
                InlineKeyboardButton(
                    ("• " if seconds == session.period else "") + label,
                    callback_data=f"per:{seconds}",
                )
                for label, seconds in PERIODS.items()
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    "Hide events" if session.events else "Show events", callback_data="evs"
                ),
                InlineKeyboardButton("🖼 Generate plot", callback_data="plot"),
            ]
        )
        rows.append([InlineKeyboardButton("« Menu", callback_data="menu")])
        await self._say(update, text, InlineKeyboardMarkup(rows))

    async def _route_sdev(self, update: Update, client: Client, session: Session, ref: str) -> None:
        session.folder = session.refs[ref] if ref else None
        session.offset = 0
        await self._route_signals(update, client, session, "")

    async def _route_more(self, update: Update, client: Client, session: Session, _: str) -> None:
        session.offset += PAGE
        await self._route_signals(update, client, session, "")

    async def _route_sig(self, update: Update, client: Client, session: Session, ref: str) -> None:
        key = session.refs[ref]
        if key in session.selected:
            session.selected.remove(key)
        else:
            session.selected.append(key)
        await self._route_signals(update, client, session, "")

    async def _route_per(self, update: Update, client: Client, session: Session, ref: str) -> None:
        seconds = int(ref) if ref.isdigit() else -1
        if seconds not in PERIODS.values():
            raise ValueError(f"no such period: {ref!r}")
        session.period = seconds
        await self._route_signals(update, client, session, "")

    async def _route_evs(self, update: Update, client: Client, session: Session, _: str) -> None:
        session.events = not session.events
        await self._route_signals(update, client, session, "")

    async def _route_plot(self, update: Update, client: Client, session: Session, _: str) -> None:
        if not session.selected:
            await self._say(update, "Pick at least one signal first.", self._back())
            return
        keys = list(session.selected)
        end = time.time()
        start = end - session.period
        if session.period == 0:
            infos = [i for i in await self.run(self.view.signal_infos) if i.key in keys]
            firsts = [i.first for i in infos if i.first is not None]
            lasts = [i.last for i in infos if i.last is not None]
            start, end = (min(firsts), max(lasts)) if firsts else (end - 3600, end)
            if end <= start:
                end = start + 1
        png = await self.run(render, self.view, keys, start, end, session.events)
        chat = update.effective_chat
        assert chat is not None
        names = ", ".join(f"{d}.{n}" for d, n in keys)
        await chat.send_photo(InputFile(png, filename="plot.png"), caption=names[:1000])
        await self._route_signals(update, client, session, "")

    # -- settings ------------------------------------------------------------------

    async def _route_settings(
        self, update: Update, client: Client, session: Session, _: str
    ) -> None:
        rows = [
            [
                InlineKeyboardButton(
                    ("• " if client.eventlevel == level else "") + label,
                    callback_data=f"lvl:{level}",
                )
            ]
            for level, label in LEVELS.items()
        ]
        if client.may(Role.ADMIN):
            rows.append([InlineKeyboardButton("👥 Bot clients", callback_data="clients")])
        rows.append([InlineKeyboardButton("« Menu", callback_data="menu")])
        await self._say(
            update, "Notifications: which events reach you?", InlineKeyboardMarkup(rows)
        )

    async def _route_lvl(self, update: Update, client: Client, session: Session, ref: str) -> None:
        if ref not in ("0", "1", "2"):
            raise ValueError(f"no such notification level: {ref!r}")
        client = await self.run(self.clients.change, client.id, eventlevel=int(ref))
        await self._route_settings(update, client, session, "")

    async def _route_clients(
        self, update: Update, client: Client, session: Session, _: str
    ) -> None:
        rows = [
            [
                InlineKeyboardButton(
                    f"{other.name}: {other.permission}", callback_data=f"cl:{session.ref(other.id)}"
                )
            ]
            for other in self.clients.all()
        ]
        rows.append([InlineKeyboardButton("« Menu", callback_data="menu")])
        await self._say(update, "Bot clients: pick one to change.", InlineKeyboardMarkup(rows))

    async def _route_cl(self, update: Update, client: Client, session: Session, ref: str) -> None:
        other = self.clients.get(session.refs[ref])
        if other is None:
            raise LookupError("that client is gone")
        rows = [
            [
                InlineKeyboardButton(
                    ("• " if other.role is role else "") + str(role),
                    callback_data=f"perm:{session.ref((other.id, str(role)))}",
                )
                for role in Role
            ],
            [InlineKeyboardButton("« Clients", callback_data="clients")],
        ]
        await self._say(update, f"{other.name}: permission", InlineKeyboardMarkup(rows))

    async def _route_perm(self, update: Update, client: Client, session: Session, ref: str) -> None:
        chat, permission = session.refs[ref]
        other = await self.run(self.clients.change, chat, permission=permission)
        await self._say(update, f"{other.name} now has {other.permission}.", self._back())

    # -- write -------------------------------------------------------------------------

    async def _route_devices(
        self, update: Update, client: Client, session: Session, _: str
    ) -> None:
        devices = await self.run(self.view.describe_devices)
        rows = [
            [
                InlineKeyboardButton(
                    ("▶️ " if d.running else "⏹ ") + d.name,
                    callback_data=f"dev:{session.ref(d.name)}",
                )
            ]
            for d in devices
        ]
        rows.append([InlineKeyboardButton("« Menu", callback_data="menu")])
        await self._say(
            update, "Devices:" if devices else "No devices.", InlineKeyboardMarkup(rows)
        )

    async def _device(self, name: str) -> Any:
        for description in await self.run(self.view.describe_devices):
            if description.name == name:
                return description
        raise LookupError(f"no device {name!r} any more")

    async def _route_dev(self, update: Update, client: Client, session: Session, ref: str) -> None:
        device = await self._device(session.refs[ref])
        name = device.name
        toggle = (
            ("⏹ Stop", f"dstop:{session.ref(name)}")
            if device.running
            else ("▶️ Start", f"dstart:{session.ref(name)}")
        )
        rows = [[InlineKeyboardButton(toggle[0], callback_data=toggle[1])]]
        for parameter in device.parameters:
            label = f"✏️ {parameter.name} = {parameter.value!r}"[:60]
            rows.append(
                [
                    InlineKeyboardButton(
                        label, callback_data=f"par:{session.ref((name, parameter.name))}"
                    )
                ]
            )
        for function in device.functions:
            label = f"⚡ {function.name}{function.signature}"[:60]
            key = session.ref((name, function.name, function.signature))
            rows.append(
                [
                    InlineKeyboardButton(
                        label,
                        callback_data=f"fn:{key}",
                    )
                ]
            )
        rows.append([InlineKeyboardButton("« Devices", callback_data="devices")])
        state = "running" if device.running else "stopped"
        text = f"{name} ({state})" + (f"\n{device.doc.splitlines()[0]}" if device.doc else "")
        await self._say(update, text, InlineKeyboardMarkup(rows))

    async def _route_dstart(
        self, update: Update, client: Client, session: Session, ref: str
    ) -> None:
        name = session.refs[ref]
        await self.run(self.view.start_device, name)
        await self._route_dev(update, client, session, session.ref(name))

    async def _route_dstop(
        self, update: Update, client: Client, session: Session, ref: str
    ) -> None:
        name = session.refs[ref]
        await self.run(self.view.stop_device, name)
        await self._route_dev(update, client, session, session.ref(name))

    async def _route_par(self, update: Update, client: Client, session: Session, ref: str) -> None:
        device, name = session.refs[ref]
        current = await self.run(self.view.get_parameter, device, name)
        session.prompt = Prompt("param", (device, name))
        keyboard = self._shortcut_keyboard(client, session, "p", device, name)
        await self._say(update, f"{device}.{name} is {current!r}. Send the new value.", keyboard)

    async def _route_fn(self, update: Update, client: Client, session: Session, ref: str) -> None:
        device, name, signature = session.refs[ref]
        if signature is None:  # a shortcut: look the function up now
            described = await self._device(device)
            found = [f for f in described.functions if f.name == name]
            if not found:
                raise LookupError(f"{device} has no function {name!r} any more")
            signature = found[0].signature
        prompt = Prompt("args", (device, name), asked=argument_names(signature))
        await self._next_argument(update, client, session, prompt)

    async def _route_short(
        self, update: Update, client: Client, session: Session, ref: str
    ) -> None:
        kind, device, name = session.refs[ref]
        lists = [list(shortcuts(client, "p")), list(shortcuts(client, "f"))]
        chosen = lists[0 if kind == "p" else 1]
        if (device, name) in chosen:
            chosen.remove((device, name))
            text = f"{device}.{name} is no longer on your main menu."
        else:
            chosen.append((device, name))
            text = f"{device}.{name} is on your main menu now."
        stored = [[f"{d}.{n}" for d, n in items] for items in lists]
        client = await self.run(self.clients.change, client.id, shortcuts=stored)
        await self._main(update, client, session, text + "\n")

    async def _route_send(self, update: Update, client: Client, session: Session, _: str) -> None:
        rows = [
            [
                InlineKeyboardButton("📣 Event", callback_data="event"),
                InlineKeyboardButton("📏 Measured value", callback_data="value"),
            ],
            [InlineKeyboardButton("« Menu", callback_data="menu")],
        ]
        await self._say(
            update, "Send an event, or a value you measured?", InlineKeyboardMarkup(rows)
        )

    async def _route_value(self, update: Update, client: Client, session: Session, _: str) -> None:
        session.prompt = Prompt("value")
        await self._say(
            update,
            "Send the signal, the value and, for a new signal, its unit, e.g. "
            '"Garden.Rain 3.5 mm".',
            self._back(),
        )

    async def _route_event(self, update: Update, client: Client, session: Session, _: str) -> None:
        session.prompt = Prompt("event")
        await self._say(update, "Send the event's text.", self._back())

    async def _route_prio(self, update: Update, client: Client, session: Session, ref: str) -> None:
        text = session.event_text
        if text is None or ref not in ("0", "1", "2"):
            raise LookupError("no event text to send; start again from the menu")
        await self.run(self._event, text, Priority(int(ref)), client)
        session.event_text = None
        await self._say(update, f"Event sent: {text}", self._back())

    def _event(self, text: str, priority: Priority, client: Client) -> None:
        self.view.event(text, device="telegram", signal=client.name, priority=priority)

    # -- admin -----------------------------------------------------------------

    async def _route_auto(self, update: Update, client: Client, session: Session, _: str) -> None:
        state = await self.run(self.view.automation_state)
        rows = []
        for rule in state.rules:
            mark = "🟢" if rule.active else "⚪️"
            label = f"{mark} {rule.kind} {rule.name}" + (" ⚠️" if rule.error else "")
            key = session.ref((rule.kind, rule.name))
            rows.append([InlineKeyboardButton(label[:60], callback_data=f"rule:{key}")])
        if self.edit_automation:
            rows.append(
                [
                    InlineKeyboardButton("🆕 Event", callback_data=f"radd:{session.ref('event')}"),
                    InlineKeyboardButton(
                        "🆕 Action", callback_data=f"radd:{session.ref('action')}"
                    ),
                ]
            )
        rows.append(
            [
                InlineKeyboardButton(
                    f"All events: {'switch off' if state.events_active else 'switch on'}",
                    callback_data=f"rall:{session.ref(('events', not state.events_active))}",
                ),
                InlineKeyboardButton(
                    f"All actions: {'switch off' if state.actions_active else 'switch on'}",
                    callback_data=f"rall:{session.ref(('actions', not state.actions_active))}",
                ),
            ]
        )
        rows.append([InlineKeyboardButton("« Menu", callback_data="menu")])
        text = (
            f"Global events {'on' if state.events_active else 'off'}, "
            f"actions {'on' if state.actions_active else 'off'}."
        )
        if not state.rules:
            text += " No global events or actions yet."
        await self._say(update, text, InlineKeyboardMarkup(rows))

    async def _route_rall(self, update: Update, client: Client, session: Session, ref: str) -> None:
        which, active = session.refs[ref]
        await self.run(self.view.set_automation_active, **{which: active})
        await self._route_auto(update, client, session, "")

    async def _rule(self, kind: str, name: str) -> RuleState:
        state = await self.run(self.view.automation_state)
        for rule in state.rules:
            if (rule.kind, rule.name) == (kind, name):
                return rule
        raise LookupError(f"no global {kind} {name!r} any more")

    async def _route_rule(self, update: Update, client: Client, session: Session, ref: str) -> None:
        kind, name = session.refs[ref]
        rule = await self._rule(kind, name)
        key = session.ref((kind, name))
        switch = "Switch off" if rule.active else "Switch on"
        rows = [[InlineKeyboardButton(switch, callback_data=f"rtog:{key}")]]
        if self.edit_automation:
            rows.append(
                [
                    InlineKeyboardButton("✏️ Edit", callback_data=f"redit:{key}"),
                    InlineKeyboardButton("🗑 Delete", callback_data=f"rdel:{key}"),
                ]
            )
        rows.append([InlineKeyboardButton("« Automation", callback_data="auto")])
        text = f"Global {kind} {name} ({'on' if rule.active else 'off'}):\n"
        text += json.dumps(rule.fields, indent=1, ensure_ascii=False)
        if rule.error:
            text += f"\n⚠️ {rule.error}"
        await self._say(update, text, InlineKeyboardMarkup(rows))

    async def _route_rtog(self, update: Update, client: Client, session: Session, ref: str) -> None:
        kind, name = session.refs[ref]
        rule = await self._rule(kind, name)
        await self.run(self.view.set_rule_active, kind, name, not rule.active)
        await self._route_rule(update, client, session, session.ref((kind, name)))

    def _require_editing(self) -> None:
        if not self.edit_automation:
            raise LookupError(
                "editing global events and actions in the chat is switched off "
                "(telegram.editAutomation)"
            )

    async def _route_redit(
        self, update: Update, client: Client, session: Session, ref: str
    ) -> None:
        self._require_editing()
        kind, name = session.refs[ref]
        rule = await self._rule(kind, name)
        session.prompt = Prompt("rule", (kind, name))
        fields = json.dumps(rule.fields, ensure_ascii=False)
        await self._say(
            update, f"Send the new fields of {kind} {name} as JSON:\n{fields}", self._back()
        )

    async def _route_rdel(self, update: Update, client: Client, session: Session, ref: str) -> None:
        self._require_editing()
        kind, name = session.refs[ref]
        await self.run(self.view.remove_rule, kind, name)
        await self._route_auto(update, client, session, "")

    async def _route_radd(self, update: Update, client: Client, session: Session, ref: str) -> None:
        self._require_editing()
        kind = session.refs[ref]
        session.prompt = Prompt("rulename", (kind,))
        await self._say(update, f"Send the new global {kind}'s name.", self._back())

    # -- text answers ----------------------------------------------------------

    async def _answer_prompt(
        self, update: Update, client: Client, session: Session, text: str
    ) -> None:
        prompt = session.prompt
        assert prompt is not None
        needed = Role.ADMIN if prompt.kind in ("rule", "rulename") else Role.WRITE
        if not client.may(needed):  # demoted meanwhile
            session.prompt = None
            await self._main(update, client, session, "")
            return
        try:
            if prompt.kind == "param":
                device, name = prompt.target
                current = await self.run(self.view.get_parameter, device, name)
                value = parse_value(text, current)
                await self.run(self.view.set_parameter, device, name, value)
                session.prompt = None
                await self._say(update, f"{device}.{name} = {value!r}", self._back())
            elif prompt.kind == "args":
                like = prompt.asked[len(prompt.answers)][1]
                prompt.answers.append(parse_value(text, like))
                await self._next_argument(update, client, session, prompt)
            elif prompt.kind == "rulename":
                self._require_editing()
                (kind,) = prompt.target
                name = text.strip()
                if not name or len(name) > 64 or any(c.isspace() for c in name):
                    raise ValueError("a name has 1 to 64 characters and no spaces")
                session.prompt = Prompt("rule", (kind, name))
                example = RULE_EXAMPLES[kind]
                await self._say(
                    update,
                    f"Send the fields of {kind} {name} as JSON, e.g.\n{example}",
                    self._back(),
                )
            elif prompt.kind == "rule":
                self._require_editing()
                kind, name = prompt.target
                try:
                    fields = json.loads(text)
                except ValueError as error:
                    raise ValueError(f"not JSON: {error}") from None
                if not isinstance(fields, dict):
                    raise ValueError('expected a JSON object: {"field": value, ...}')
                await self.run(self.view.set_rule, kind, name, fields)
                session.prompt = None
                await self._route_rule(update, client, session, session.ref((kind, name)))
            elif prompt.kind == "value":
                device, name, value, unit = parse_measurement(text)
                await self.run(self.view.stream, value, name, device, unit or None)
                session.prompt = None
                await self._say(
                    update, f"{device}.{name} = {value:g} {unit}".rstrip(), self._back()
                )
            else:
                session.prompt = None
                session.event_text = text.strip()[:500]
                rows = [
                    [
                        InlineKeyboardButton(label, callback_data=f"prio:{level}")
                        for level, label in ((0, "🔵 info"), (1, "🟠 warning"), (2, "🔴 error"))
                    ]
                ]
                await self._say(update, "Which priority?", InlineKeyboardMarkup(rows))
        except (DeviceError, ValueError, LookupError, ControlUnavailable) as error:
            await self._say(update, f"⚠️ {error}\nSend another value, or go back.", self._back())

    async def _next_argument(
        self, update: Update, client: Client, session: Session, prompt: Prompt
    ) -> None:
        device, name = prompt.target
        if len(prompt.answers) < len(prompt.asked):
            session.prompt = prompt
            wanted = prompt.asked[len(prompt.answers)][0]
            keyboard = self._shortcut_keyboard(client, session, "f", device, name)
            await self._say(update, f"{device}.{name}: send {wanted}.", keyboard)
            return
        session.prompt = None
        try:
            result = await asyncio.wait_for(
                self.run(self.view.call, device, name, *prompt.answers), timeout=60
            )
        except asyncio.TimeoutError:
            result = "still running after 60 s"
        keyboard = self._shortcut_keyboard(client, session, "f", device, name)
        await self._say(update, f"{device}.{name} → {result!r}"[:MAX_MESSAGE], keyboard)


def shortcuts(client: Client, kind: str) -> list[tuple[str, str]]:
    """The client's shortcuts to parameters (``kind`` "p") or functions ("f") as
    (device, name); RTOC's ``shortcuts`` field: ``[["Device.param"], ["Device.function"]]``.
    Entries of another form (an RTOC 2.x file's) are ignored."""
    lists = client.shortcuts if isinstance(client.shortcuts, list) else []
    items = lists[0 if kind == "p" else 1] if len(lists) == 2 else []
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str) and "." in item.strip("."):
            device, _, name = item.rpartition(".")
            found.append((device, name))
    return found


def split(text: str, size: int = MAX_MESSAGE) -> list[str]:
    """``text`` in messages of at most ``size`` characters, cut between lines where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:  # one line longer than a message
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:size])
            line = line[size:]
        if len(current) + len(line) > size:
            chunks.append(current)
            current = ""
        current += line
    chunks.append(current)
    return [chunk.rstrip("\n") or "…" for chunk in chunks if chunk] or ["…"]


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{max(0, seconds):.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
