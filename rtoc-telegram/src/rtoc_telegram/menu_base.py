"""What every menu shares: a user's session, their pending prompt, and how answers are shown.

The menus are mixins of :class:`MenuBase` (menu_signals, menu_devices, menu_admin), put
together as :class:`rtoc_telegram.menus.Menus`, which adds the entry points and
the main menu.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from rtoc.frontend import LoggerView
from rtoc_telegram.clients import Client, ClientStore

#: The longest message Telegram takes; longer answers are split.
MAX_MESSAGE = 4096

#: Button references a session keeps; older buttons answer "out of date".
MAX_REFS = 1000


@dataclass
class Prompt:
    """What the next text of a user answers."""

    #: "param", "args", "event", "value", "rate", "reclen", "grate", "backup", "resample",
    #: "rulename", "rule"
    kind: str
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
    #: Settings → Backup → Resample data: every signal (else those in ``selected``).
    resample_all: bool = True
    events: bool = True
    #: The text of the event being sent, until its priority is pressed.
    event_text: str | None = None
    #: The device whose signals are listed when there are too many for one list, and the page.
    folder: str | None = None
    offset: int = 0
    #: The menu shown last (telegram.inlineMenu false: its labels are what the user may
    #: send), and its label → callback data.
    keyboard: InlineKeyboardMarkup | None = None
    buttons: dict[str, str] = field(default_factory=dict)
    _counter: itertools.count = field(default_factory=itertools.count)

    def ref(self, value: Any) -> str:
        key = format(next(self._counter), "x")
        self.refs[key] = value
        while len(self.refs) > MAX_REFS:  # the oldest buttons go out of date first
            del self.refs[next(iter(self.refs))]
        return key


class MenuBase:
    """The state and drawing every menu uses; see :class:`rtoc_telegram.menus.Menus`."""

    view: LoggerView
    clients: ClientStore
    #: Runs a blocking call off the event loop: ``await run(fn, *args)``.
    run: Callable[..., Any]
    #: telegram.editAutomation: admins may add, edit and delete rules (code) here.
    edit_automation: bool
    #: telegram.inlineMenu: menus as inline keyboards; else as reply keyboards.
    inline_menu: bool
    sessions: dict[int, Session]
    #: The main menu (Menus draws it: it knows every entry).
    _main: Callable[[Update, Client, Session, str], Awaitable[None]]

    async def _say(self, update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
        """Show ``text``: edit the pressed message, else send (split when too long).

        With reply keyboards (``telegram.inlineMenu`` false) the same menu is
        sent as a keyboard of its labels, and the session remembers what each
        label stands for (see :meth:`rtoc_telegram.menus.Menus.on_text`).
        """
        chunks = split(text)
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = keyboard
        if not self.inline_menu:
            markup = self._reply_keyboard(update, keyboard)
        query = update.callback_query
        if query is not None and len(chunks) == 1 and self.inline_menu:
            try:
                await query.edit_message_text(chunks[0], reply_markup=keyboard)
                return
            except BadRequest:  # too old to edit, or unchanged: send anew
                pass
        chat = update.effective_chat
        assert chat is not None
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await chat.send_message(chunk, reply_markup=markup if last else None)

    def _reply_keyboard(
        self, update: Update, keyboard: InlineKeyboardMarkup | None
    ) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
        """``keyboard`` as a reply keyboard, its labels remembered in the user's session."""
        user = update.effective_user
        assert user is not None
        session = self.sessions.setdefault(user.id, Session())
        session.keyboard = keyboard
        session.buttons = {}
        if keyboard is None:
            return ReplyKeyboardRemove()
        rows = []
        for row in keyboard.inline_keyboard:
            labels = []
            for button in row:
                session.buttons[button.text] = str(button.callback_data)
                labels.append(button.text)
            rows.append(labels)
        return ReplyKeyboardMarkup(rows, resize_keyboard=True)

    @staticmethod
    def _back() -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("« Menu", callback_data="menu")]])


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
