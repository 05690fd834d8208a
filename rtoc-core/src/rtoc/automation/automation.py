"""What a logger does on its own: script jobs, global events and global actions.

:class:`Automation` is the one object the logger owns for all of it, and the
API that the TCP server (and later the GUI and the Telegram bot) drive:
jobs are added, listed, started, stopped and replaced while the logger runs;
global events and actions are read from ``$RTOC_HOME``, changed, and saved
back at once.

Everything here runs beside sampling, never in its way: conditions are
evaluated in their own thread, every job and every action in its own thread,
and a script that raises is reported as an error event and tried again at
its next run.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rtoc.automation import conditions
from rtoc.automation.conditions import EventWatcher
from rtoc.automation.jobs import Job, Jobs, Schedule
from rtoc.automation.namespace import SignalRef, script_namespace
from rtoc.automation.rules import (
    ACTIONS_FILE,
    EVENTS_FILE,
    ActionRule,
    EventRule,
    InvalidRule,
    Rule,
    RuleError,
    RuleFile,
    parse_action,
    parse_event,
)
from rtoc.automation.script import VALUE, Script, ScriptError
from rtoc.automation.watchdog import Run, Watchdog
from rtoc.events import Event, Priority, RepeatFilter
from rtoc.frontend import AutomationState, RuleKind, RuleState, ScriptResult
from rtoc.signals import Signal

if TYPE_CHECKING:
    from rtoc.logger import Logger

log = logging.getLogger("rtoc.automation")
script_log = logging.getLogger("rtoc.script")

#: Events about automation carry this device and signal name.
DEVICE, SIGNAL = "rtoc", "automation"
#: How many lines of script output are kept for those who ask.
OUTPUT_LINES = 1000
#: A one-off script run through the API stops after this many seconds.
RUN_TIME_LIMIT = 30.0
#: How many scripts :meth:`Automation.execute` keeps (with their globals), by name.
KEPT_SCRIPTS = 100

OutputListener = Callable[[str, str], None]


class Automation:
    """Script jobs, global events and global actions of one logger."""

    def __init__(self, logger: Logger) -> None:
        self.logger = logger
        self.watchdog = Watchdog(on_long_run=self._long_run)
        self.jobs = Jobs(self)
        self.jobs.on_start = self._job_started
        self.jobs.on_stop = self._job_stopped
        self._action_jobs = Jobs(self)
        home = logger.home
        self.events = RuleFile(home / EVENTS_FILE if home else None, parse_event)
        self.actions = RuleFile(home / ACTIONS_FILE if home else None, parse_action)
        self.watcher = EventWatcher(logger, self.watchdog, self._condition_names, self._rule_failed)
        self.output: deque[tuple[str, str]] = deque(maxlen=OUTPUT_LINES)
        self._output_listeners: list[OutputListener] = []
        self._reports = RepeatFilter(60.0)
        self._listeners: dict[Job, Callable[[Signal], None]] = {}  # signal jobs' listeners
        self._kept: dict[str, Script] = {}  # execute()'s scripts by name, newest last
        self._lock = threading.RLock()
        global_ = logger.config.global_
        self.events_active = global_.globalEventsActivated
        self.actions_active = global_.globalActionsActivated
        self._started = False

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Load the global events and actions and start those switched on."""
        self._started = True
        self.logger.events.subscribe(self._on_event)
        self.reload()

    def close(self) -> None:
        self._started = False
        self.logger.events.unsubscribe(self._on_event)
        self.watcher.stop()
        self.jobs.stop_all()
        self._action_jobs.stop_all()
        self.watchdog.stop()

    def activate(self, events: bool | None = None, actions: bool | None = None) -> None:
        """Switch global events and/or actions on or off while running."""
        with self._lock:
            if events is not None:
                self.events_active = bool(events)
            if actions is not None:
                self.actions_active = bool(actions)
            self._apply()

    # -- script jobs: see self.jobs (add, start, stop, remove, infos) ------------------

    def run(
        self, source: str, name: str = "script", time_limit: float = RUN_TIME_LIMIT
    ) -> list[str]:
        """Run a script once in this thread and return what it printed.

        Raises ScriptError (with the user's line) when it fails, and when it is
        still running after ``time_limit`` seconds.
        """
        printed: list[str] = []
        self._once(Script(source, name), time_limit, printed)
        return printed

    def execute(
        self, source: str, name: str = "script", time_limit: float = RUN_TIME_LIMIT
    ) -> ScriptResult:
        """Run a script once in this thread, as frontends do (``LoggerView.run_script``).

        Its failure is the result's ``error`` and ``line``, with what it printed
        before. The script is kept by name (the newest :data:`KEPT_SCRIPTS`), so
        that runs of the same name and source share ``global`` values and
        ``trig`` states, as a job's runs do; new source starts afresh.
        """
        printed: list[str] = []
        try:
            with self._lock:
                script = self._kept.pop(name, None)
                if script is None or script.source != source:
                    script = Script(source, name)
                self._kept[name] = script
                while len(self._kept) > KEPT_SCRIPTS:
                    del self._kept[next(iter(self._kept))]
            left = self._once(script, time_limit, printed)
        except ScriptError as error:
            return ScriptResult("\n".join(printed), None, str(error), error.line)
        return ScriptResult("\n".join(printed), left.get(VALUE))

    def _once(self, script: Script, time_limit: float, printed: list[str]) -> dict[str, Any]:
        """Run ``script`` under the watchdog, its lines printed and added to ``printed``;
        the namespace it left."""

        def capture(text: str) -> None:
            printed.append(text)
            self.print(script.name, text)

        names = script_namespace(self.logger, capture, script.device_references)
        left: dict[str, Any] = {}
        run = self.watchdog.call(script.name, time_limit, lambda: left.update(script.run(names)))
        if run.reason:
            raise ScriptError(script.name, None, None, f"stopped: it {run.reason}")
        return left

    # -- global events ---------------------------------------------------------------

    def set_global_event(self, name: str, fields: dict[str, Any]) -> EventRule:
        """Add or change a global event and save the file; RuleError if not valid."""
        return self.set_global_events({name: fields})[0]  # type: ignore[return-value]

    def set_global_events(self, entries: dict[str, dict[str, Any]]) -> list[Rule]:
        """Add or change several global events: all valid, or none changed."""
        return self._set(self.events, parse_event, entries)

    def remove_global_event(self, name: str) -> None:
        self.remove_global_events([name])

    def remove_global_events(self, names: list[str]) -> None:
        """Remove global events: all must exist, or none is removed."""
        self._remove(self.events, names)

    def set_global_action(self, name: str, fields: dict[str, Any]) -> ActionRule:
        """Add or change a global action and save the file; RuleError if not valid."""
        return self.set_global_actions({name: fields})[0]  # type: ignore[return-value]

    def set_global_actions(self, entries: dict[str, dict[str, Any]]) -> list[Rule]:
        return self._set(self.actions, parse_action, entries)

    def remove_global_action(self, name: str) -> None:
        self.remove_global_actions([name])

    def remove_global_actions(self, names: list[str]) -> None:
        self._remove(self.actions, names)

    def _set(
        self, rules: RuleFile, parse: Callable[[str, Any], Rule], entries: dict[str, Any]
    ) -> list[Rule]:
        parsed = [parse(_name(name), fields) for name, fields in entries.items()]
        with self._lock:
            rules.put(*parsed)
            self._apply()
        return parsed

    def _remove(self, rules: RuleFile, names: list[str]) -> None:
        with self._lock:
            rules.remove(*names)
            self._apply()

    def reload(self) -> list[InvalidRule]:
        """Read both files (again, after editing them by hand); report and return
        the invalid entries."""
        invalid: list[InvalidRule] = []
        with self._lock:
            for name, rules in (("event", self.events), ("action", self.actions)):
                skipped = rules.load()
                for entry in skipped:
                    self._report(Priority.WARNING, f"global {name} skipped: {entry.error}")
                if rules.problem:
                    self._report(Priority.ERROR, f"global {name}s not loaded: {rules.problem}")
                invalid += skipped
            self._apply()
        return invalid

    def summary(self) -> list[str]:
        """One line each for global events and actions, when there are any: for ``rtoc run``."""
        lines = []
        for kind, rules, active in (
            ("events", self.events, self.events_active),
            ("actions", self.actions, self.actions_active),
        ):
            if not rules.rules and not rules.problem:
                continue
            invalid = sum(isinstance(rule, InvalidRule) for rule in rules.rules.values())
            line = f"Global {kind}: {len(rules.rules) - invalid} from {rules.path}"
            line += f", {invalid} skipped for errors" if invalid else ""
            line += f", unreadable: {rules.problem}" if rules.problem else ""
            switch = f"global.global{kind.capitalize()}Activated"
            line += "." if active else f"; off until {switch} is true."
            lines.append(line)
        return lines

    def describe_events(self) -> dict[str, dict[str, Any]]:
        """Every global event as in the file, with RTOC's ``errors`` flag and the reason.

        An event whose condition hung and was switched off shows that as its error.
        """
        described = _described(self.events)
        for name, (_, reason) in self.watcher.switched_off.items():
            if name in described:
                described[name].update(errors=True, error=reason)
        return described

    def describe_actions(self) -> dict[str, dict[str, Any]]:
        return _described(self.actions)

    def state(self) -> AutomationState:
        """Every global event and action, as frontends list them."""
        rules = []
        for kind, described in (
            ("event", self.describe_events()),
            ("action", self.describe_actions()),
        ):
            for name, entry in sorted(described.items()):
                fields = {k: v for k, v in entry.items() if k not in ("errors", "error")}
                rules.append(
                    RuleState(
                        kind=kind,
                        name=name,
                        active=bool(fields.get("active", False)) and not entry["errors"],
                        fields=fields,
                        error=str(entry.get("error", "")) if entry["errors"] else "",
                    )
                )
        return AutomationState(self.events_active, self.actions_active, tuple(rules))

    def set_rule_active(self, kind: RuleKind, name: str, active: bool) -> None:
        """Switch one global event or action on or off (and save the file).

        KeyError for a name there is none of, ValueError for an entry that is
        not valid (it cannot run until it is fixed).
        """
        rules = {"event": self.events, "action": self.actions}[kind]
        rule = rules.rules.get(name)
        if rule is None:
            raise KeyError(f"no global {kind} {name!r}")
        if isinstance(rule, InvalidRule):
            raise ValueError(f"global {kind} {name!r} is not valid ({rule.error}): fix it first")
        setter = self.set_global_event if kind == "event" else self.set_global_action
        setter(name, {**rule.to_json(), "active": bool(active)})

    # -- script output -------------------------------------------------------------

    def print(self, source: str, text: str) -> None:
        """A script printed ``text``: log it, keep it, tell listeners (GUI, Telegram)."""
        script_log.info("[%s] %s", source, text)
        self.output.append((source, text))
        for listener in self._output_listeners:
            try:
                listener(source, text)
            except Exception:
                log.exception("script output listener %r failed", listener)

    def subscribe_output(self, listener: OutputListener) -> None:
        self._output_listeners = [*self._output_listeners, listener]

    # -- what jobs need (JobHost) ----------------------------------------------------

    def names_for(self, job: Job) -> dict[str, Any]:
        return script_namespace(
            self.logger, lambda text: self.print(job.name, text), job.script.device_references
        )

    def job_failed(self, job: Job, message: str, kind: str) -> None:
        self._report(Priority.ERROR, message, key=(job.name, kind))

    def job_overran(self, job: Job, duration: float, skipped: int) -> None:
        message = (
            f"job {job.name}: a run took {duration:.3g} s, longer than its period of "
            f"{job.schedule.seconds:g} s; skipped {skipped} run(s)"
        )
        self._report(Priority.WARNING, message, key=(job.name, "overran"))

    # -- internals -------------------------------------------------------------------

    def _apply(self) -> None:
        """Make the watcher and the action jobs match the rules and switches."""
        if not self._started:
            return
        events = [rule for rule in self.events.rules.values() if isinstance(rule, EventRule)]
        self.watcher.watch(events if self.events_active else ())
        wanted = {
            rule.name: rule
            for rule in self.actions.rules.values()
            if isinstance(rule, ActionRule) and rule.active and self.actions_active
        }
        for job in self._action_jobs:
            rule = wanted.get(job.name)
            changed = rule is None or (rule.script, rule.listenID) != (
                job.script.source,
                job.schedule.events,
            )
            if changed:
                self._action_jobs.remove(job.name)
        for name, rule in wanted.items():
            if name not in self._action_jobs:
                # the same limit as a pass over the conditions: both run on every event
                self._action_jobs.add(
                    name,
                    rule.script,
                    Schedule.on_events(rule.listenID),
                    time_limit=conditions.PASS_TIME_LIMIT,
                )

    def _on_event(self, event: Event) -> None:
        if not event.id:
            return
        for job in self._action_jobs:
            if event.id in job.schedule.events:
                job.trigger(event)

    def _job_started(self, job: Job) -> None:
        if job.schedule.kind != "signals":
            return

        refs = {key: SignalRef(self.logger, *key) for key in job.schedule.signals}

        def on_samples(signal: Signal) -> None:  # in the sample's thread: keep it short
            job.trigger(refs[signal.device, signal.name])

        self._listeners[job] = on_samples
        for key in job.schedule.signals:
            self.logger.subscribe_samples(key, on_samples)

    def _job_stopped(self, job: Job) -> None:
        listener = self._listeners.pop(job, None)
        if listener is not None:
            for key in job.schedule.signals:
                self.logger.unsubscribe_samples(key, listener)

    def _condition_names(self, devices: set[str]) -> dict[str, Any]:
        return script_namespace(
            self.logger, lambda text: self.print("global events", text), devices
        )

    def _rule_failed(self, rule: EventRule, message: str, kind: str) -> None:
        """``kind`` (the error's type) is what makes two failures "the same", whatever
        values their messages name."""
        text = f"global event {rule.name}: condition {rule.cond!r} failed: {message}"
        self._report(Priority.ERROR, text, key=(rule.name, kind))

    def _long_run(self, run: Run) -> None:
        self._report(
            Priority.WARNING,
            f"script {run.name} has been running for {run.seconds:.0f} s; stop it if it hangs",
        )

    def _report(self, priority: Priority, message: str, key: object = None) -> None:
        held_back = self._reports.admit(key if key is not None else message)
        if held_back is None:
            return
        message += RepeatFilter.suffix(held_back)
        self.logger.event(message, device=DEVICE, signal=SIGNAL, priority=priority)


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise RuleError(f"an entry needs a name, got {name!r}")
    return name


def _described(rules: RuleFile) -> dict[str, dict[str, Any]]:
    described: dict[str, dict[str, Any]] = {}
    for name, rule in rules.rules.items():
        if isinstance(rule, InvalidRule):
            raw = rule.raw if isinstance(rule.raw, dict) else {"value": rule.raw}
            described[name] = {**raw, "errors": True, "error": rule.error}
        else:
            described[name] = {**rule.to_json(), "errors": False}
    return described
