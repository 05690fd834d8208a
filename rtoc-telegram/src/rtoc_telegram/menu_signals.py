"""Latest values and Signals (plots) for every user with read permission; deleting
signals' samples or events of the chosen period for admins."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from rtoc.frontend import EventQuery
from rtoc.users import Role
from rtoc_telegram.clients import Client
from rtoc_telegram.menu_base import MenuBase, Session
from rtoc_telegram.plot import render

#: Signals listed at once (Telegram shows up to 100 buttons).
PAGE = 40

#: Plot periods offered, seconds (0: everything stored).
PERIODS = {"10 min": 600, "1 h": 3600, "1 day": 86400, "7 days": 7 * 86400, "all": 0}


class SignalMenus(MenuBase):
    """Routes of Latest values and Signals."""

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
        if client.may(Role.ADMIN):
            rows.append(
                [
                    InlineKeyboardButton("🗑 Delete samples", callback_data="dels"),
                    InlineKeyboardButton("🗑 Delete events", callback_data="dele"),
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

    # -- deleting (admin), each after a confirmation ----------------------------------

    async def _route_dels(self, update: Update, client: Client, session: Session, _: str) -> None:
        if not session.selected:
            await self._say(update, "Pick the signals to delete from first.", self._back())
            return
        start, end, words = chosen_period(session)
        keys = list(session.selected)
        names = ", ".join(f"{d}.{n}" for d, n in keys)
        what = "the whole signals" if start is None else f"their samples of {words}"
        await self._confirm(
            update, session, ("signals", keys, start, end), f"Delete {what}: {names}?"
        )

    async def _route_dele(self, update: Update, client: Client, session: Session, _: str) -> None:
        start, end, words = chosen_period(session)
        query = EventQuery(start=start, end=end, limit=1)
        count = (await self.run(self.view.event_page, query)).total
        await self._confirm(
            update, session, ("events", start, end), f"Delete the {count} events of {words}?"
        )

    async def _confirm(
        self, update: Update, session: Session, deletion: tuple, question: str
    ) -> None:
        rows = [
            [InlineKeyboardButton("🗑 Yes, delete", callback_data=f"delok:{session.ref(deletion)}")],
            [InlineKeyboardButton("« Signals", callback_data="signals")],
        ]
        await self._say(
            update,
            f"{question}\nFrom memory and long-term storage; this cannot be undone.",
            InlineKeyboardMarkup(rows),
        )

    async def _route_delok(
        self, update: Update, client: Client, session: Session, ref: str
    ) -> None:
        kind, *what = session.refs.pop(ref)  # pressed twice: out of date the second time
        if kind == "signals":
            keys, start, end = what
            touched = await self.run(self.view.delete_signals, keys, start, end)
            if start is None:
                session.selected = [key for key in session.selected if key not in touched]
            done = f"Deleted from {len(touched)} signals."
        else:
            start, end = what
            count = await self.run(self.view.delete_events, EventQuery(start=start, end=end))
            done = f"Deleted {count} events."
        await self._say(update, done, self._back())


def chosen_period(session: Session) -> tuple[float | None, float | None, str]:
    """The period chosen in ``session``, ending now, as (start, end, words); "all" has
    no bounds."""
    if session.period == 0:
        return None, None, "all of it"
    end = time.time()
    start = end - session.period
    label = next(name for name, seconds in PERIODS.items() if seconds == session.period)
    return start, end, f"the last {label} ({_utc(start)} to {_utc(end)} UTC)"


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{max(0, seconds):.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
