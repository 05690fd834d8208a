"""``RemoteLogger``: a logger on another machine, with the local logger's methods.

The GUI's remote mode, ``rtoc remote`` and user scripts use it exactly like a
:class:`rtoc.logger.Logger`: ``stream``, ``plot``, ``event``, ``latest``,
``read``, ``describe_devices``, ``set_parameter``, ``call`` and the rest all
become TCP requests. It is a :class:`rtoc.frontend.LoggerView`, so every
frontend works on a remote logger as on a local one. A failure the server reports raises
:class:`~rtoc.net.client.RemoteError` with the server's message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rtoc.automation.automation import RUN_TIME_LIMIT
from rtoc.device import DeviceDescription
from rtoc.events import Event, Priority
from rtoc.frontend import (
    AutomationState,
    EventPage,
    EventQuery,
    ResampleReport,
    RuleKind,
    RuleState,
    ScriptResult,
    SignalResampled,
    period,
    resample_rate,
    signal_key,
)
from rtoc.logger import Reading, SignalData
from rtoc.net import view_requests
from rtoc.net.client import Client, RemoteError
from rtoc.signals import SignalKey
from rtoc.storage.base import SignalInfo
from rtoc.storage.buckets import Buckets

#: Seconds a script's answer may take beyond its time limit on the server.
SCRIPT_REPLY_MARGIN = 5.0


def _name(key: SignalKey) -> str:
    return f"{key[0]}.{key[1]}"


def _floats(values: Sequence[float] | np.ndarray) -> list[float]:
    return np.asarray(values, dtype=np.float64).tolist()


class RemoteLogger:
    """Talks to the rtoc server at ``host:port`` over one kept-open connection."""

    def __init__(
        self, host: str, port: int = 5050, password: str | None = None, *, timeout: float = 10.0
    ) -> None:
        self.client = Client(host, port, password, timeout=timeout)
        self._lock = threading.Lock()
        #: Control requests go through; the server refuses them unless it trusts this client.
        self.control_unavailable = ""

    def request(self, **keys: Any) -> dict[str, Any]:
        with self._lock:
            return self.client.request(**keys)

    def close(self) -> None:
        with self._lock:
            self.client.close()

    def __enter__(self) -> RemoteLogger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------

    def stream(
        self, y: float, sname: str, dname: str, unit: str | None = None, x: float | None = None
    ) -> None:
        self.request(y=[y], sname=[sname], dname=dname, unit=unit, x=None if x is None else [x])

    def stream_many(
        self,
        x: Sequence[float] | np.ndarray | None,
        y: Sequence[float] | np.ndarray,
        sname: str,
        dname: str,
        unit: str | None = None,
    ) -> None:
        self._send(x, y, sname, dname, unit, plot=False)

    def plot(
        self,
        x: Sequence[float] | np.ndarray | None,
        y: Sequence[float] | np.ndarray,
        sname: str,
        dname: str,
        unit: str | None = None,
        hold: bool = False,
    ) -> None:
        if hold and x is None:  # as the local logger: appended at x = 0, 1, 2, ...
            x = np.arange(len(y), dtype=np.float64)
        self._send(x, y, sname, dname, unit, plot=not hold)

    def _send(
        self,
        x: Sequence[float] | np.ndarray | None,
        y: Sequence[float] | np.ndarray,
        sname: str,
        dname: str,
        unit: str | None,
        plot: bool,
    ) -> None:
        self.request(
            plot=plot,
            y=_floats(y),
            x=None if x is None else _floats(x),
            sname=sname,
            dname=dname,
            unit=unit,
        )

    def event(
        self,
        text: str,
        device: str = "",
        signal: str = "",
        priority: int | Priority = Priority.INFO,
        id: str = "",
        value: float | None = None,
        time: float | None = None,
    ) -> None:
        self.request(
            event={
                "text": text,
                "dname": device,
                "sname": signal,
                "priority": int(priority),
                "id": id,
                "value": value,
                "x": time,
            }
        )

    def add_event(self, event: Event) -> None:
        self.event(
            event.text,
            event.device,
            event.signal,
            event.priority,
            event.id,
            event.value,
            event.time,
        )

    # -- reading ------------------------------------------------------------------------

    def signal_names(self) -> list[SignalKey]:
        return [(device, name) for device, name in self.request(getSignalList=True)["signalList"]]

    def latest(self, keys: Iterable[SignalKey] | None = None) -> dict[SignalKey, Reading]:
        if keys is None:  # the list tells where a dotted "Lab.1.T" splits
            reply = self.request(getSignalList=True, getLatest=True)
            names = {_name((device, name)): (device, name) for device, name in reply["signalList"]}
        else:
            names = {_name(key): key for key in keys}
            reply = self.request(getLatest=list(names))
        return {
            names[name]: Reading(float(x), float(y), unit or "")
            for name, (x, y, unit) in reply["latest"].items()
            if name in names
        }

    def read(
        self,
        device: str,
        name: str,
        start: float | None = None,
        end: float | None = None,
        last: int | None = None,
    ) -> SignalData:
        query = {"dname": device, "sname": name, "xmin": start, "xmax": end, "maxN": last}
        reply = self.request(getSignal={k: v for k, v in query.items() if v is not None})
        x, y, unit = reply["signals"][f"{device}.{name}"]
        return SignalData(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), unit)

    def events_of(self, keys: Iterable[SignalKey] | None = None) -> list[Event]:
        if keys is None:
            found = self.request(getEventList=True)["events"]
        else:
            names = [_name(key) for key in keys]
            if not names:
                return []
            found = self.request(getEvent=names)["events"]
        return [view_requests.event_from_wire(row) for row in found.values()]

    def describe_devices(self) -> list[DeviceDescription]:
        return view_requests.devices_of(self.request(getDevices=True)["devices"])

    def signal_infos(self) -> list[SignalInfo]:
        return view_requests.signal_info_rows(self.request(getSignalInfo=True)["signalInfo"])

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        query = {"dname": device, "sname": name, "xmin": start, "xmax": end, "n": buckets}
        return view_requests.buckets_of(self.request(getBuckets=query)["buckets"])

    def event_page(self, query: EventQuery) -> EventPage:
        spec = view_requests.event_query_spec(query)
        return view_requests.event_page_of(self.request(getEventPage=spec)["eventPage"])

    def automation_state(self) -> AutomationState:
        found = self.request(logger={"automationState": True})["logger"]["automationState"]
        return AutomationState(
            events_active=found["eventsActive"],
            actions_active=found["actionsActive"],
            rules=tuple(RuleState(**rule) for rule in found["rules"]),
        )

    def set_rule_active(self, kind: RuleKind, name: str, active: bool) -> None:
        self.request(logger={"setRuleActive": {"kind": kind, "name": name, "active": active}})

    def set_rule(self, kind: RuleKind, name: str, fields: dict[str, Any]) -> None:
        command = "setGlobalEvent" if kind == "event" else "setGlobalAction"
        self.request(logger={command: {name: fields}})

    def remove_rule(self, kind: RuleKind, name: str) -> None:
        command = "removeGlobalEvent" if kind == "event" else "removeGlobalAction"
        self.request(logger={command: name})

    def set_automation_active(
        self, events: bool | None = None, actions: bool | None = None
    ) -> None:
        switches = {"globalEventsActivated": events, "globalActionsActivated": actions}
        chosen = {key: value for key, value in switches.items() if value is not None}
        if chosen:
            self.request(logger=chosen)

    def run_script(self, code: str, name: str = "script") -> ScriptResult:
        """The server's ``runScript`` with ``result``; its answer is awaited for as long as
        the run may take (other requests on this connection wait meanwhile)."""
        spec = {"script": code, "name": name, "timeout": RUN_TIME_LIMIT, "result": True}
        with self._lock, self.client.patience(RUN_TIME_LIMIT + SCRIPT_REPLY_MARGIN):
            answer = self.client.request(logger={"runScript": spec})["logger"]["runScript"]
        return ScriptResult(answer["output"], answer["value"], answer["error"], answer["line"])

    def info(self) -> dict[str, Any]:
        return self.request(logger={"info": True})["logger"]["info"]

    # -- control ------------------------------------------------------------------------

    def start_device(self, name: str) -> None:
        self._paired(name, "start", True)

    def stop_device(self, name: str) -> None:
        self._plugin(name, "start", False)

    def get_parameter(self, device: str, name: str) -> Any:
        return self._plugin(device, "get", name)

    def set_parameter(self, device: str, name: str, value: Any) -> None:
        if value == "get":  # would read the parameter instead (RTOC's protocol)
            raise ValueError('"get" cannot be set as a parameter value over TCP')
        self._plugin(device, name, value)

    def call(self, device: str, function: str, *args: Any, **kwargs: Any) -> Any:
        if args and kwargs:
            raise TypeError("a remote call takes positional or keyword arguments, not both")
        return self._paired(device, f"{function}()", kwargs or list(args))

    def clear(self, keys: Iterable[SignalKey] | None = None) -> list[SignalKey]:
        if keys is None:
            before = self.signal_names()
            self.request(logger={"clear": "all"})
            return before
        wanted = list(keys)
        done = self.request(logger={"clear": [_name(key) for key in wanted]})["logger"]["clear"]
        return [key for key, dropped in zip(wanted, done, strict=True) if dropped]

    def resize(self, record_length: int) -> None:
        self.request(logger={"resize": record_length})

    @property
    def record_length(self) -> int:
        return int(self.info()["recordLength"])

    def delete_signals(
        self,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[SignalKey]:
        start, end = period(start, end)  # checked here too: the same error as in process
        names = None if keys is None else [list(signal_key(key)) for key in keys]
        spec = {"signals": names, "start": start, "end": end}
        touched = self.request(logger={"deleteSignals": spec})["logger"]["deleteSignals"]
        return [(device, name) for device, name in touched]

    def resample_signals(
        self,
        rate: float,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> ResampleReport:
        rate = resample_rate(rate)  # checked here too: the same errors as in process
        start, end = period(start, end)
        names = None if keys is None else [list(signal_key(key)) for key in keys]
        spec = {"rate": rate, "signals": names, "start": start, "end": end}
        answer = self.request(logger={"resampleSignals": spec})["logger"]["resampleSignals"]
        return ResampleReport(
            answer["rate"],
            answer["start"],
            answer["end"],
            tuple(
                SignalResampled((device, name), done["before"], done["after"])
                for done in answer["signals"]
                for device, name in [done["signal"]]
            ),
        )

    def delete_events(self, query: EventQuery) -> int:
        if not isinstance(query, EventQuery):
            raise ValueError(f"events to delete are chosen by an EventQuery, got {query!r}")
        spec = view_requests.event_query_spec(query)
        del spec["offset"], spec["limit"]
        return int(self.request(logger={"deleteEvents": spec})["logger"]["deleteEvents"])

    def rename_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        self._change("renameSignal", key, new_key)

    def copy_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        self._change("copySignal", key, new_key)

    def set_unit(self, key: SignalKey, unit: str) -> None:
        self.request(logger={"setUnit": {"signal": list(signal_key(key)), "unit": unit}})

    def _change(self, command: str, key: SignalKey, new_key: SignalKey) -> None:
        pair = list(signal_key(key))
        self.request(logger={command: {"signal": pair, "to": list(signal_key(new_key))}})

    def _plugin(self, device: str, call: str, value: Any) -> Any:
        return self.request(plugin={device: {call: value}})["plugin"][device][call]

    def _paired(self, device: str, call: str, value: Any) -> Any:
        """A call RTOC answers ``[ok, value]`` (start, functions): the value, or RemoteError."""
        reply = self.request(plugin={device: {call: value}})
        ok, result = reply["plugin"][device][call]
        if not ok:
            raise RemoteError(f"plugin.{device}.{call}: {result}", reply)
        return result
