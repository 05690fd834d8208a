"""The ``logger`` request's automation commands: script jobs, global events and actions.

Each command is ``command(automation, value) -> answer``; a problem raises
:class:`RequestError` (or a ValueError such as RuleError/JobError) whose text
reaches the reply's ``message``. Every one of them is a control request: a
script is code run on the server, so only a caller the server trusts (the
password, or loopback without one) gets here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from rtoc.automation.automation import Automation
from rtoc.automation.jobs import Schedule
from rtoc.automation.script import ScriptError

if TYPE_CHECKING:
    from rtoc.signals import SignalKey


class CommandError(ValueError):
    """A command value that cannot be carried out; the text names the problem."""


#: How to split "Device.Signal" into a key: the request handler knows the signals.
KeyOf = Callable[[str, str], "SignalKey"]

#: The keys of an ``addJob`` value; exactly one of the schedule keys.
SCHEDULE_KEYS = ("once", "every", "samplerate", "signals")
JOB_KEYS = ("name", "script", *SCHEDULE_KEYS, "replace")


def add_job(automation: Automation, value: Any, key_of: KeyOf) -> dict[str, Any]:
    """``{"name": "n", "script": "...", "every": 1.0 | "samplerate": 2 | "signals": [...] |
    "once": true, "replace": false}`` → the job as listed."""
    if not isinstance(value, dict):
        raise CommandError(f"addJob takes an object with {', '.join(JOB_KEYS)}")
    unknown = sorted(set(value) - set(JOB_KEYS))
    if unknown:
        raise CommandError(
            f"addJob: unknown key(s) {', '.join(unknown)}; known: {', '.join(JOB_KEYS)}"
        )
    name, source = value.get("name"), value.get("script")
    if not isinstance(name, str) or not name.strip():
        raise CommandError("addJob needs a name")
    if not isinstance(source, str):
        raise CommandError("addJob needs the script as text")
    replace = value.get("replace", False)
    if not isinstance(replace, bool):
        raise CommandError(f"addJob: replace must be true or false, got {replace!r}")
    schedule = _schedule(value, key_of)
    try:
        job = automation.jobs.add(name, source, schedule, replace=replace)
    except ScriptError as error:
        raise CommandError(str(error)) from None
    return attrs.asdict(job.info())


def _schedule(value: dict[str, Any], key_of: KeyOf) -> Schedule:
    given = [key for key in SCHEDULE_KEYS if key in value]
    if len(given) != 1:
        raise CommandError(f"addJob needs exactly one of {', '.join(SCHEDULE_KEYS)}")
    (kind,) = given
    spec = value[kind]
    if kind == "once":
        return Schedule.once()
    if kind == "every":
        return Schedule.every(spec)
    if kind == "samplerate":
        return Schedule.samplerate(spec)
    names = _names(spec, 'addJob: signals is a list of "Device.Signal" names')
    return Schedule.on_signals(key_of("logger.addJob.signals", name) for name in names)


def _names(value: Any, refusal: str) -> list[str]:
    """One name or a list of them, as a list; CommandError(refusal) for anything else."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise CommandError(f"{refusal}, got {value!r}")
    return names


def jobs(automation: Automation, value: Any) -> list[dict[str, Any]]:
    return [attrs.asdict(info) for info in automation.jobs.infos()]


def _each_job(action: Callable[[Automation, str], Any]) -> Callable[[Automation, Any], Any]:
    """A command taking one job name or a list of them; answers ``{name: result}``."""

    def command(automation: Automation, value: Any) -> dict[str, Any]:
        names = _names(value, "takes a job name or a list of them")
        for name in names:
            automation.jobs.get(name)  # every name known before anything is done
        return {name: action(automation, name) for name in names}

    return command


start_job = _each_job(lambda automation, name: automation.jobs.start(name).running)
stop_job = _each_job(lambda automation, name: automation.jobs.stop(name))
remove_job = _each_job(lambda automation, name: automation.jobs.remove(name))


def run_script(automation: Automation, value: Any) -> dict[str, Any]:
    """``"source"`` or ``{"script": "source", "timeout": seconds, "name": "heater",
    "result": false}`` → ``{"output": [...]}``; the name (default ``remote``) is what errors
    and output name. With ``"result": true`` the answer is the run as
    :class:`rtoc.frontend.ScriptResult` (``output`` text, ``value``, ``error``, ``line``),
    a failed run included, and runs of one name share ``global`` values."""
    spec = {"script": value} if isinstance(value, str) else value
    if not isinstance(spec, dict) or not isinstance(spec.get("script"), str):
        raise CommandError(
            'runScript takes the script as text, or {"script": ..., "timeout": s, "name": ...}'
        )
    timeout = spec.get("timeout", 30.0)
    valid = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
    if not valid or not math.isfinite(timeout) or not 0 < timeout <= 600:
        raise CommandError(f"runScript: timeout must be 0 to 600 seconds, got {timeout!r}")
    name = spec.get("name", "remote")
    if not isinstance(name, str) or not name.strip():
        raise CommandError(f"runScript: name must be a non-empty text, got {name!r}")
    result = spec.get("result", False)
    if not isinstance(result, bool):
        raise CommandError(f"runScript: result must be true or false, got {result!r}")
    if result:
        ran = automation.execute(spec["script"], name, time_limit=float(timeout))
        return {**attrs.asdict(ran), "value": _json_value(ran.value)}
    try:
        return {"output": automation.run(spec["script"], name, time_limit=float(timeout))}
    except ScriptError as error:
        raise CommandError(str(error)) from None


def _json_value(value: Any) -> Any:
    """``value`` as JSON carries it (numpy as lists and numbers), else its ``repr``."""
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def script_output(automation: Automation, value: Any) -> list[dict[str, str]]:
    """The newest ``value`` lines scripts printed (``true``: all kept)."""
    lines = list(automation.output)
    if value is not True:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CommandError(f"scriptOutput takes a line count or true, got {value!r}")
        lines = lines[len(lines) - value :] if value else []
    return [{"source": source, "text": text} for source, text in lines]


def set_rules(setter: Callable[[Automation, Any], Any]) -> Callable[[Automation, Any], Any]:
    """``{name: {key: value, ...}, ...}``: all entries valid, or none is changed."""

    def command(automation: Automation, value: Any) -> dict[str, bool]:
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise CommandError("takes an object of entries: {name: {key: value, ...}}")
        setter(automation, value)
        return dict.fromkeys(value, True)

    return command


def remove_rules(remover: Callable[[Automation, Any], Any]) -> Callable[[Automation, Any], Any]:
    """An entry name or a list of them: all must exist, or none is removed."""

    def command(automation: Automation, value: Any) -> dict[str, bool]:
        names = _names(value, "takes an entry name or a list of them")
        remover(automation, names)
        return dict.fromkeys(names, True)

    return command


def _switch(which: str) -> Callable[[Automation, Any], bool]:
    def command(automation: Automation, value: Any) -> bool:
        if not isinstance(value, bool):
            raise CommandError(f"takes true or false, got {value!r}")
        automation.activate(**{which: value})
        return value

    return command


def automation_state(automation: Automation, value: Any) -> dict[str, Any]:
    """Every global event and action with its state and error (what frontends list)."""
    state = automation.state()
    return {
        "eventsActive": state.events_active,
        "actionsActive": state.actions_active,
        "rules": [attrs.asdict(rule) for rule in state.rules],
    }


def set_rule_active(automation: Automation, value: Any) -> bool:
    """``{"kind": "event"|"action", "name": "n", "active": true}``: switch one rule."""
    if (
        not isinstance(value, dict)
        or set(value) != {"kind", "name", "active"}
        or value["kind"] not in ("event", "action")
        or not isinstance(value["name"], str)
        or not isinstance(value["active"], bool)
    ):
        raise CommandError(
            'setRuleActive takes {"kind": "event" or "action", "name": "...", "active": true|false}'
        )
    automation.set_rule_active(value["kind"], value["name"], value["active"])
    return True


#: Commands that need only the automation; ``addJob`` also needs signal names resolved.
COMMANDS: dict[str, Callable[[Automation, Any], Any]] = {
    "automationState": automation_state,
    "setRuleActive": set_rule_active,
    "jobs": jobs,
    "startJob": start_job,
    "stopJob": stop_job,
    "removeJob": remove_job,
    "runScript": run_script,
    "scriptOutput": script_output,
    "globalEvents": lambda automation, value: automation.describe_events(),
    "globalActions": lambda automation, value: automation.describe_actions(),
    "setGlobalEvent": set_rules(Automation.set_global_events),
    "setGlobalAction": set_rules(Automation.set_global_actions),
    "removeGlobalEvent": remove_rules(Automation.remove_global_events),
    "removeGlobalAction": remove_rules(Automation.remove_global_actions),
    "globalEventsActivated": _switch("events"),
    "globalActionsActivated": _switch("actions"),
}
