"""Automation and bot clients: the admin menus (Settings → Bot clients)."""

from __future__ import annotations

import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from rtoc.frontend import RuleState
from rtoc.users import Role
from rtoc_telegram.clients import Client
from rtoc_telegram.menu_base import MenuBase, Prompt, Session

RULE_EXAMPLES = {
    "event": '{"cond": "Pump.Flow.latest > 5", "text": "much flow", "priority": 1, "id": "flow"}',
    "action": '{"listenID": ["flow"], "script": "Pump.speed = 1"}',
}


class AdminMenus(MenuBase):
    """Routes of Automation and Settings → Bot clients; rule editing."""

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

    async def _answer_rulename(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
        self._require_editing()
        (kind,) = prompt.target
        name = text.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise ValueError("a name has 1 to 64 characters and no spaces")
        session.prompt = Prompt("rule", (kind, name))
        example = RULE_EXAMPLES[kind]
        await self._say(
            update, f"Send the fields of {kind} {name} as JSON, e.g.\n{example}", self._back()
        )

    async def _answer_rule(
        self, update: Update, client: Client, session: Session, prompt: Prompt, text: str
    ) -> None:
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
        rows.append([InlineKeyboardButton("« Settings", callback_data="settings")])
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
