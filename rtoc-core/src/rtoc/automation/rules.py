"""Global events and actions as RTOC stored them: ``globalEvents.json``, ``globalActions.json``.

Both files map a name to an entry with exactly RTOC's keys::

    {"hot": {"cond": "Oven.T.latest > 80", "text": "Oven is hot", "return": "",
             "priority": 1, "id": "hot", "trigger": "rising",
             "sname": "", "dname": "", "active": true}}

    {"cool down": {"listenID": ["hot"], "parameters": "",
                   "script": "Oven.heater = False", "active": true}}

An entry that is not valid becomes an :class:`InvalidRule` that names the
problem (RTOC's ``errors`` flag); it is kept as written, so saving never
loses what the user typed, and the other entries keep working. Missing keys
take RTOC's defaults; unknown keys are refused, so a typo like ``"trigeer"``
is reported instead of silently ignored.
"""

from __future__ import annotations

import ast
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import attrs

from rtoc.automation.script import Expression, Script, ScriptError
from rtoc.files import write_atomically

log = logging.getLogger("rtoc.automation")

EVENTS_FILE = "globalEvents.json"
ACTIONS_FILE = "globalActions.json"

TRIGGERS = ("rising", "falling", "both", "true", "false")
Trigger = Literal["rising", "falling", "both", "true", "false"]

#: RTOC's keys and defaults (EventActionFunctions.addGlobalEvent/addGlobalAction).
EVENT_DEFAULTS: dict[str, Any] = {
    "cond": "",
    "text": "",
    "return": "",
    "priority": 0,
    "id": "",
    "trigger": "rising",
    "sname": "",
    "dname": "",
    "active": True,
}
ACTION_DEFAULTS: dict[str, Any] = {"listenID": [], "parameters": "", "script": "", "active": True}

#: Written by RTOC next to each entry; read and dropped, never an error.
_RTOC_FLAGS = ("errors",)


class RuleError(ValueError):
    """An entry or a rules file that is not valid; the message names the problem."""


@attrs.frozen
class EventRule:
    """A global event: raise an event when ``cond`` holds per the ``trigger`` mode."""

    name: str
    cond: str
    text: str
    returns: str  # RTOC's "return": kept, unused
    priority: int
    id: str
    trigger: Trigger
    sname: str
    dname: str
    active: bool
    condition: Expression = attrs.field(eq=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "cond": self.cond,
            "text": self.text,
            "return": self.returns,
            "priority": self.priority,
            "id": self.id,
            "trigger": self.trigger,
            "sname": self.sname,
            "dname": self.dname,
            "active": self.active,
        }


@attrs.frozen
class ActionRule:
    """A global action: run ``script`` when an event with one of ``listenID`` is raised."""

    name: str
    listenID: tuple[str, ...]  # RTOC's key, spelled as RTOC spelled it
    parameters: Any  # RTOC's "parameters": kept, unused
    script: str
    active: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "listenID": list(self.listenID),
            "parameters": self.parameters,
            "script": self.script,
            "active": self.active,
        }


@attrs.frozen
class InvalidRule:
    """An entry that could not be used, kept exactly as written."""

    name: str
    raw: Any
    error: str

    def to_json(self) -> Any:
        return self.raw


Rule = EventRule | ActionRule | InvalidRule


def parse_event(name: str, raw: Any) -> EventRule:
    """A global event from its JSON entry; :class:`RuleError` naming what is wrong."""
    fields = _fields(name, raw, EVENT_DEFAULTS)
    for key in ("cond", "text", "return", "id", "sname", "dname"):
        _expect(name, key, fields[key], str, "text")
    if not fields["cond"].strip():
        raise RuleError(f"event {name!r}: cond is empty; it needs a condition to watch")
    priority = fields["priority"]
    if isinstance(priority, bool) or priority not in (0, 1, 2):
        raise RuleError(f"event {name!r}: priority must be 0, 1 or 2, got {priority!r}")
    trigger = fields["trigger"]
    if isinstance(trigger, bool):  # the manual writes the modes true and false unquoted
        trigger = "true" if trigger else "false"
    if trigger not in TRIGGERS:
        raise RuleError(
            f"event {name!r}: trigger must be one of {', '.join(TRIGGERS)}, got {trigger!r}"
        )
    _expect(name, "active", fields["active"], bool, "true or false")
    try:
        condition = Expression(fields["cond"], name)
    except ScriptError as error:
        raise RuleError(f"event {name!r}: cond does not compile: {error}") from None
    return EventRule(
        name=name,
        cond=fields["cond"],
        text=fields["text"],
        returns=fields["return"],
        priority=int(priority),
        id=fields["id"],
        trigger=trigger,
        sname=fields["sname"],
        dname=fields["dname"],
        active=fields["active"],
        condition=condition,
    )


def parse_action(name: str, raw: Any) -> ActionRule:
    """A global action from its JSON entry; :class:`RuleError` naming what is wrong."""
    fields = _fields(name, raw, ACTION_DEFAULTS, kind="action")
    listen = fields["listenID"]
    if isinstance(listen, str):  # RTOC's addGlobalAction took one id as text
        listen = [listen]
    if not isinstance(listen, list) or not all(isinstance(item, str) for item in listen):
        raise RuleError(f"action {name!r}: listenID must be a list of event ids, got {listen!r}")
    if not listen:
        raise RuleError(f"action {name!r}: listenID is empty; name the event ids it answers")
    _expect(name, "script", fields["script"], str, "text", kind="action")
    if not fields["script"].strip():
        raise RuleError(f"action {name!r}: script is empty")
    _expect(name, "active", fields["active"], bool, "true or false", kind="action")
    try:
        Script(fields["script"], name)
    except ScriptError as error:
        raise RuleError(f"action {name!r}: script does not compile: {error}") from None
    return ActionRule(
        name=name,
        listenID=tuple(dict.fromkeys(listen)),
        parameters=fields["parameters"],
        script=fields["script"],
        active=fields["active"],
    )


def _fields(name: str, raw: Any, defaults: dict[str, Any], kind: str = "event") -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RuleError(f"{kind} {name!r} must be an object of {', '.join(defaults)}")
    unknown = sorted(set(raw) - set(defaults) - set(_RTOC_FLAGS), key=str)
    if unknown:
        raise RuleError(
            f"{kind} {name!r}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(defaults)}"
        )
    return {key: raw.get(key, default) for key, default in defaults.items()}


def _expect(
    name: str, key: str, value: Any, kind_of: type, wanted: str, kind: str = "event"
) -> None:
    if not isinstance(value, kind_of):
        raise RuleError(f"{kind} {name!r}: {key} must be {wanted}, got {value!r}")


class RuleFile:
    """One rules file: its entries by name, valid or not, and how to save them."""

    def __init__(self, path: Path | None, parse: Callable[[str, Any], Rule]) -> None:
        self.path = path
        self._parse = parse
        self.rules: dict[str, Rule] = {}
        #: Why the file as a whole could not be read; changes are refused until it is fixed.
        self.problem = ""

    def load(self) -> list[InvalidRule]:
        """Read the file (a missing one is empty); return the invalid entries."""
        self.rules, self.problem = {}, ""
        if self.path is None or not self.path.exists():
            return []
        try:
            data = _read_entries(self.path)
        except RuleError as error:
            self.problem = str(error)
            return []
        for name, raw in data.items():
            self.rules[str(name)] = self.parsed(str(name), raw)
        return [rule for rule in self.rules.values() if isinstance(rule, InvalidRule)]

    def parsed(self, name: str, raw: Any) -> Rule:
        try:
            return self._parse(name, raw)
        except RuleError as error:
            return InvalidRule(name, raw, str(error))

    def put(self, *rules: Rule) -> None:
        """Add or replace entries and save the file."""
        self._writable()
        self.rules.update((rule.name, rule) for rule in rules)
        self.save()

    def remove(self, *names: str) -> None:
        """Remove entries (all named ones must exist) and save the file."""
        self._writable()
        missing = [name for name in names if name not in self.rules]
        if missing:
            known = ", ".join(sorted(self.rules)) or "none"
            raise RuleError(f"no entry named {', '.join(map(repr, missing))}; entries: {known}")
        for name in names:
            del self.rules[name]
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        data = {name: rule.to_json() for name, rule in self.rules.items()}
        write_atomically(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def _writable(self) -> None:
        if self.problem:
            raise RuleError(f"{self.problem}; fix or remove the file before changing entries")


def _read_entries(path: Path) -> dict[Any, Any]:
    """The file's top-level object. The manual shows entries in Python's notation
    (single quotes, ``True``); such a file is read too, and saved back as JSON."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError(f"{path}: cannot read: {error}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        try:
            data = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise RuleError(
                f"{path}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            ) from None
        log.warning("%s is in Python's notation, not JSON; it will be saved as JSON", path)
    if not isinstance(data, dict):
        raise RuleError(f"{path}: must hold an object of named entries, got {type(data).__name__}")
    return data


def switch_off(home: Path, running: Iterable[tuple[str, str, int]]) -> list[str]:
    """Set ``active`` false on rules whose code was running when rtoc hung; name each one.

    ``running``: (``"condition"`` or ``"script"``, rule name, line) as the hang
    guard found them (see :mod:`rtoc.hangguard`). A script's name may be a
    global action's, or a job's or a one-off run's, which are gone anyway.
    """
    files = {
        "condition": ("global event", RuleFile(home / EVENTS_FILE, parse_event), EventRule),
        "script": ("global action", RuleFile(home / ACTIONS_FILE, parse_action), ActionRule),
    }
    for _, rules, _ in files.values():
        rules.load()
    switched: list[str] = []
    for kind, name, line in running:
        label, rules, cls = files[kind]
        rule = rules.rules.get(name)
        if isinstance(rule, cls) and rule.active and not rules.problem:
            rules.put(attrs.evolve(rule, active=False))
            switched.append(f"{label} {name} (line {line} was running)")
    return switched
