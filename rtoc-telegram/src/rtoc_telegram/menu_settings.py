"""Settings: notification level (read), General (write), Backup (admin).

General and Backup change the logger in this process and its config.json
through :class:`rtoc_telegram.settings.LoggerSettings`; a bot without one (a
logger elsewhere) says so instead. Backup → Resample data (RTOC's "Resample
database") replaces recorded samples by fewer, through the logger's
``resample_signals``, after a confirmation.
"""

from __future__ import annotations

import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from rtoc.frontend import EventQuery, ResampleReport, resample_rate
from rtoc.users import Role
from rtoc_telegram.clients import Client
from rtoc_telegram.menu_base import MenuBase, Prompt, Session
from rtoc_telegram.menu_signals import PERIODS, chosen_period
from rtoc_telegram.settings import BACKUP_OPTIONS, LoggerSettings
from rtoc_telegram.values import parse_value

LEVELS = {0: "all (info and up)", 1: "warnings and errors", 2: "errors only"}
#: A page of one event: its total counts them all.
_ALL_EVENTS = EventQuery(limit=1)


class SettingsMenus(MenuBase):
    """Routes of Settings and its submenus, and their text answers."""

    #: General and Backup of the logger in this process; None: not available here.
    settings: LoggerSettings | None

    def _settings(self) -> LoggerSettings:
        if self.settings is None:
            raise LookupError("settings of a logger in another process cannot be changed here")
        return self.settings

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
        if client.may(Role.WRITE):
            rows.append([InlineKeyboardButton("⚙️ General", callback_data="gen")])
        if client.may(Role.ADMIN):
            rows.append(
                [
                    InlineKeyboardButton("💾 Backup", callback_data="backup"),
                    InlineKeyboardButton("👥 Bot clients", callback_data="clients"),
                ]
            )
        rows.append([InlineKeyboardButton("« Menu", callback_data="menu")])
        await self._say(
            update, "Notifications: which events reach you?", InlineKeyboardMarkup(rows)
        )

    async def _route_lvl(self, update: Update, client: Client, session: Session, ref: str) -> None:
        if ref not in ("0", "1", "2"):
            raise ValueError(f"no such notification level: {ref!r}")
        client = await self.run(self.clients.change, client.id, eventlevel=int(ref))
        await self._route_settings(update, client, session, "")

    # -- General (write) ---------------------------------------------------------------

    async def _route_gen(self, update: Update, client: Client, session: Session, _: str) -> None:
        await self._general(update, "")

    async def _general(self, update: Update, intro: str) -> None:
        settings = self._settings()
        length = await self.run(lambda: self.view.record_length)
        serving = await self.run(settings.tcp_serving)
        config = await self.run(settings.config)
        rows = [
            [InlineKeyboardButton("📏 Recording length", callback_data="reclen")],
            [InlineKeyboardButton("⏱ Global samplerate", callback_data="grate")],
        ]
        if serving is None:
            tcp = "TCP server: none in this process"
        else:
            tcp = f"TCP server: {'on' if serving else 'off'} (port {config.tcp.port})"
            label = "🔌 Switch the TCP server off" if serving else "🔌 Switch the TCP server on"
            rows.append(
                [InlineKeyboardButton(label, callback_data=f"tcp:{'off' if serving else 'on'}")]
            )
        rows.append([InlineKeyboardButton("« Settings", callback_data="settings")])
        text = f"{intro}General:\nRecording length: {length:,} samples per signal\n{tcp}"
        await self._say(update, text, InlineKeyboardMarkup(rows))

    async def _route_reclen(self, update: Update, client: Client, session: Session, _: str) -> None:
        self._settings()
        length = await self.run(lambda: self.view.record_length)
        session.prompt = Prompt("reclen")
        await self._say(
            update,
            f"Each signal keeps {length:,} samples in memory. Send the new recording length "
            "(a whole number of samples).",
            self._back(),
        )

    async def _answer_reclen(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        samples = parse_value(text.replace("_", "").replace(" ", ""), 0)
        await self.run(self._settings().set_record_length, samples)
        session.prompt = None
        await self._general(update, f"Recording length is {samples:,} samples now.\n")

    async def _route_grate(self, update: Update, client: Client, session: Session, _: str) -> None:
        self._settings()
        session.prompt = Prompt("grate")
        await self._say(
            update,
            "Send the samplerate (Hz) for every running device, e.g. 2 or 0.5.",
            self._back(),
        )

    async def _answer_grate(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        rate = parse_value(text, 0.0)
        devices = await self.run(self._settings().set_samplerate, rate)
        session.prompt = None
        await self._general(update, f"Samplerate {rate:g} Hz for {', '.join(devices)}.\n")

    async def _route_tcp(self, update: Update, client: Client, session: Session, ref: str) -> None:
        if ref not in ("on", "off"):
            raise ValueError(f"the TCP server is switched on or off, not {ref!r}")
        port = await self.run(self._settings().set_tcp, ref == "on")
        await self._general(update, f"TCP server switched {ref} (port {port}).\n")

    # -- Backup (admin) ---------------------------------------------------------------

    async def _route_backup(self, update: Update, client: Client, session: Session, _: str) -> None:
        await self._backup(update, session, "")

    async def _backup(self, update: Update, session: Session, intro: str) -> None:
        options = await self.run(self._settings().backup_options)
        rows = [
            [
                InlineKeyboardButton(
                    f"✏️ {key} = {json.dumps(value)}"[:60], callback_data=f"bkey:{session.ref(key)}"
                )
            ]
            for key, value in options.items()
        ]
        rows.append([InlineKeyboardButton("📉 Resample data", callback_data="rsmp")])
        rows.append([InlineKeyboardButton("🗑 Delete all data", callback_data="wipe")])
        rows.append([InlineKeyboardButton("« Settings", callback_data="settings")])
        text = (
            f"{intro}Backup options (config.json; they count from the next start of rtoc run)."
            " resample thins what is stored: one mean sample per 1/rate seconds."
        )
        await self._say(update, text, InlineKeyboardMarkup(rows))

    async def _route_bkey(self, update: Update, client: Client, session: Session, ref: str) -> None:
        key = session.refs[ref]
        options = await self.run(self._settings().backup_options)
        session.prompt = Prompt("backup", (key,))
        await self._say(
            update,
            f"backup.{key} = {json.dumps(options[key])}: {BACKUP_OPTIONS[key]}. "
            "Send the new value.",
            self._back(),
        )

    async def _answer_backup(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        (key,) = prompt.target
        value = await self.run(self._settings().set_backup, key, text.strip())
        session.prompt = None
        await self._backup(update, session, f"backup.{key} = {json.dumps(value)} saved.\n")

    async def _route_wipe(self, update: Update, client: Client, session: Session, _: str) -> None:
        self._settings()
        infos = await self.run(self.view.signal_infos)
        events = await self.run(self.view.event_page, _ALL_EVENTS)
        rows = [
            [InlineKeyboardButton("🗑 Yes, delete everything", callback_data="wipeok")],
            [InlineKeyboardButton("« Backup", callback_data="backup")],
        ]
        await self._say(
            update,
            f"Delete all {len(infos)} signals and {events.total} events, in memory and in "
            "long-term storage? This cannot be undone.",
            InlineKeyboardMarkup(rows),
        )

    async def _route_wipeok(self, update: Update, client: Client, session: Session, _: str) -> None:
        signals, events = await self.run(self._settings().delete_everything)
        session.selected.clear()
        await self._backup(update, session, f"Deleted {signals} signals and {events} events.\n")

    # -- Backup → Resample data (admin) ---------------------------------------------

    async def _route_rsmp(self, update: Update, client: Client, session: Session, _: str) -> None:
        infos = await self.run(self.view.signal_infos)
        picked = [key for key in session.selected if key in {info.key for info in infos}]
        if not picked:
            session.resample_all = True
        _, _, words = chosen_period(session)
        which = (
            f"all {len(infos)} signals"
            if session.resample_all
            else ", ".join(f"{device}.{name}" for device, name in picked)
        )
        rows = [
            [
                InlineKeyboardButton(
                    ("• " if session.resample_all else "") + "All signals",
                    callback_data="rsig:all",
                ),
                InlineKeyboardButton(
                    ("" if session.resample_all else "• ") + f"Picked in Signals ({len(picked)})",
                    callback_data="rsig:picked",
                ),
            ],
            [
                InlineKeyboardButton(
                    ("• " if seconds == session.period else "") + label,
                    callback_data=f"rper:{seconds}",
                )
                for label, seconds in PERIODS.items()
            ],
            [InlineKeyboardButton("📉 Choose the rate", callback_data="rrate")],
            [InlineKeyboardButton("« Backup", callback_data="backup")],
        ]
        text = (
            "Resample data: the samples of a period become one mean sample per 1/rate "
            "seconds, in memory and long-term storage.\n"
            f"Signals: {which}\nPeriod: {words}\n"
            "Pick them (signals are picked in 📊 Signals), then choose the rate."
        )
        await self._say(update, text, InlineKeyboardMarkup(rows))

    async def _route_rsig(self, update: Update, client: Client, session: Session, ref: str) -> None:
        if ref not in ("all", "picked"):
            raise ValueError(f"resample all signals or the picked ones, not {ref!r}")
        if ref == "picked" and not session.selected:
            raise LookupError("no signals are picked: pick them in 📊 Signals first")
        session.resample_all = ref == "all"
        await self._route_rsmp(update, client, session, "")

    async def _route_rper(self, update: Update, client: Client, session: Session, ref: str) -> None:
        seconds = int(ref) if ref.isdigit() else -1
        if seconds not in PERIODS.values():
            raise ValueError(f"no such period: {ref!r}")
        session.period = seconds
        await self._route_rsmp(update, client, session, "")

    async def _route_rrate(self, update: Update, client: Client, session: Session, _: str) -> None:
        session.prompt = Prompt("resample")
        await self._say(
            update,
            "Send the rate in Hz: how many samples a second to keep, e.g. 1, or 0.1 for one "
            "every 10 seconds, 0.0166 for one a minute.",
            InlineKeyboardMarkup([[InlineKeyboardButton("« Resample data", callback_data="rsmp")]]),
        )

    async def _answer_resample(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        rate = resample_rate(parse_value(text, 0.0))
        start, end, words = chosen_period(session)
        keys = None if session.resample_all else list(session.selected)
        if keys == []:
            raise LookupError("no signals are picked: pick them in 📊 Signals first")
        which = (
            "every signal"
            if keys is None
            else ", ".join(f"{device}.{name}" for device, name in keys)
        )
        session.prompt = None
        rows = [
            [
                InlineKeyboardButton(
                    "📉 Yes, resample",
                    callback_data=f"rsok:{session.ref((rate, keys, start, end))}",
                )
            ],
            [InlineKeyboardButton("« Resample data", callback_data="rsmp")],
        ]
        await self._say(
            update,
            f"Resample {which}, {words}, to {rate:g} Hz (one mean sample per {1 / rate:g} s), "
            "in memory and long-term storage? This cannot be undone.",
            InlineKeyboardMarkup(rows),
        )

    async def _route_rsok(self, update: Update, client: Client, session: Session, ref: str) -> None:
        rate, keys, start, end = session.refs.pop(ref)  # pressed twice: out of date then
        report = await self.run(self.view.resample_signals, rate, keys, start, end)
        rows = [[InlineKeyboardButton("« Backup", callback_data="backup")]]
        await self._say(update, _resampled(report), InlineKeyboardMarkup(rows))


def _resampled(report: ResampleReport) -> str:
    """The report as the bot shows it: the totals, then each signal that changed."""
    changed = [signal for signal in report.signals if signal.before]
    lines = [
        f"Resampled {len(changed)} of {len(report.signals)} signals to {report.rate:g} Hz: "
        f"{report.before:,} samples in the period became {report.after:,}."
    ]
    lines += [
        f"{signal.key[0]}.{signal.key[1]}: {signal.before:,} → {signal.after:,}"
        for signal in changed
    ]
    return "\n".join(lines)
