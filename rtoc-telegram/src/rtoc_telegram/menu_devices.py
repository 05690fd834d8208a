"""Devices (start/stop, parameters, functions, shortcuts) and Send event / value (write)."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from rtoc.events import Priority
from rtoc_telegram.clients import Client
from rtoc_telegram.menu_base import MAX_MESSAGE, MenuBase, Prompt, Session
from rtoc_telegram.values import argument_names, parse_measurement, parse_value


class DeviceMenus(MenuBase):
    """Routes of Devices, shortcuts and Send event / value, and their text answers."""

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
            if parameter.name == "samplerate":  # an entry of its own, as in RTOC
                rows.append(
                    [
                        InlineKeyboardButton(
                            f"⏱ Samplerate: {parameter.value:g} Hz",
                            callback_data=f"rate:{session.ref(name)}",
                        )
                    ]
                )
        for parameter in device.parameters:
            if parameter.name == "samplerate":
                continue
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

    async def _route_rate(self, update: Update, client: Client, session: Session, ref: str) -> None:
        device = session.refs[ref]
        current = await self.run(self.view.get_parameter, device, "samplerate")
        session.prompt = Prompt("rate", (device,))
        await self._say(
            update,
            f"{device} samples {current:g} times a second. Send the new samplerate (Hz).",
            self._back(),
        )

    async def _answer_rate(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        (device,) = prompt.target
        rate = parse_value(text, 0.0)
        if not 0 < rate < float("inf"):
            raise ValueError(f"a samplerate is a number of Hz above 0, not {text.strip()!r}")
        await self.run(self.view.set_parameter, device, "samplerate", rate)
        session.prompt = None
        await self._say(update, f"{device} samples at {rate:g} Hz now.", self._back())

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

    async def _answer_param(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        device, name = prompt.target
        current = await self.run(self.view.get_parameter, device, name)
        value = parse_value(text, current)
        await self.run(self.view.set_parameter, device, name, value)
        session.prompt = None
        await self._say(update, f"{device}.{name} = {value!r}", self._back())

    async def _answer_args(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        like = prompt.asked[len(prompt.answers)][1]
        prompt.answers.append(parse_value(text, like))
        await self._next_argument(update, client, session, prompt)

    async def _answer_value(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        device, name, value, unit = parse_measurement(text)
        await self.run(self.view.stream, value, name, device, unit or None)
        session.prompt = None
        await self._say(update, f"{device}.{name} = {value:g} {unit}".rstrip(), self._back())

    async def _answer_event(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        session.prompt = None
        session.event_text = text.strip()[:500]
        levels = ((0, "🔵 info"), (1, "🟠 warning"), (2, "🔴 error"))
        rows = [
            [InlineKeyboardButton(label, callback_data=f"prio:{level}") for level, label in levels]
        ]
        await self._say(update, "Which priority?", InlineKeyboardMarkup(rows))


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
