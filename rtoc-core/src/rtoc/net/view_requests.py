"""The TCP keys a remote frontend reads through (rtoc's own, not RTOC's).

They carry what :class:`rtoc.frontend.LoggerView` needs and RTOC's keys
cannot: signal spans, bucketed reads, pages of events, whole device
descriptions. Each parses its value here (a :class:`ViewRequestError` names
what is wrong) and answers with plain JSON; :mod:`rtoc.net.remote` turns the
answers back into the same objects the local logger returns.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rtoc.frontend import EventPage, EventQuery
from rtoc.storage.buckets import Buckets

if TYPE_CHECKING:
    from rtoc.device import DeviceDescription
    from rtoc.events import Event
    from rtoc.frontend import LoggerView
    from rtoc.storage.base import SignalInfo


class ViewRequestError(ValueError):
    """A value of one of these keys that cannot be carried out."""


#: The arrays of a ``getBuckets`` answer, by wire name.
BUCKET_FIELDS = {
    "start": "bucket_start",
    "stop": "bucket_stop",
    "count": "count",
    "min": "minimum",
    "max": "maximum",
    "first": "first",
    "last": "last",
    "xOfMin": "x_of_min",
    "xOfMax": "x_of_max",
}
BUCKET_KEYS = ("dname", "sname", "xmin", "xmax", "n")
EVENT_PAGE_KEYS = ("text", "priorities", "devices", "start", "end", "offset", "limit")


def _number(key: str, spec: dict[str, Any], field: str) -> float:
    value = spec.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ViewRequestError(f"{key}.{field} must be a finite number, got {value!r}")
    return float(value)


def _fields(key: str, spec: Any, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ViewRequestError(f"{key} must be an object with {', '.join(known)}")
    unknown = sorted(set(spec) - set(known))
    if unknown:
        raise ViewRequestError(f"{key}: unknown field(s) {', '.join(unknown)}; known: {known}")
    return spec


def signal_infos(view: LoggerView) -> list[list[Any]]:
    """``getSignalInfo: true`` → ``[[dname, sname, unit, count, first, last], ...]``."""
    return [
        [info.device, info.name, info.unit, info.count, info.first, info.last]
        for info in view.signal_infos()
    ]


def signal_info_rows(rows: list[list[Any]]) -> list[SignalInfo]:
    from rtoc.storage.base import SignalInfo

    return [SignalInfo(d, n, u or "", int(c), f, last) for d, n, u, c, f, last in rows]


def bucket_query(spec: Any) -> tuple[str, str, float, float, int]:
    """``getBuckets: {"dname", "sname", "xmin", "xmax", "n"}`` as read_buckets' arguments."""
    spec = _fields("getBuckets", spec, BUCKET_KEYS)
    device, name, count = spec.get("dname"), spec.get("sname"), spec.get("n")
    if not isinstance(device, str) or not isinstance(name, str):
        raise ViewRequestError("getBuckets needs dname and sname as texts")
    if isinstance(count, bool) or not isinstance(count, int):
        raise ViewRequestError(f"getBuckets.n must be a whole number, got {count!r}")
    start = _number("getBuckets", spec, "xmin")
    end = _number("getBuckets", spec, "xmax")
    return device, name, start, end, count


def buckets_answer(buckets: Buckets) -> dict[str, list[float]]:
    return {wire: getattr(buckets, field).tolist() for wire, field in BUCKET_FIELDS.items()}


def buckets_of(answer: dict[str, list[float]]) -> Buckets:
    return Buckets(**{field: answer[wire] for wire, field in BUCKET_FIELDS.items()})


def event_query(spec: Any) -> EventQuery:
    """``getEventPage: {"text", "priorities", "devices", "start", "end", "offset", "limit"}``."""
    spec = _fields("getEventPage", spec, EVENT_PAGE_KEYS)
    for key in ("priorities", "devices"):
        if spec.get(key) is not None and not isinstance(spec[key], list):
            raise ViewRequestError(f"getEventPage.{key} must be a list or null")
    for key in ("start", "end"):
        if spec.get(key) is not None:
            _number("getEventPage", spec, key)
    for key in ("offset", "limit"):
        if key in spec and (isinstance(spec[key], bool) or not isinstance(spec[key], int)):
            raise ViewRequestError(f"getEventPage.{key} must be a whole number")
    try:
        return EventQuery(**spec)
    except (TypeError, ValueError) as error:
        raise ViewRequestError(f"getEventPage: {error}") from None


def event_query_spec(query: EventQuery) -> dict[str, Any]:
    return {
        "text": query.text,
        "priorities": None if query.priorities is None else sorted(map(int, query.priorities)),
        "devices": None if query.devices is None else sorted(query.devices),
        "start": query.start,
        "end": query.end,
        "offset": query.offset,
        "limit": query.limit,
    }


def event_to_wire(event: Event) -> list[Any]:
    """The eight fields of RTOC's ``getEventList`` rows (and ``getEventPage``'s)."""
    return [
        event.device,
        event.signal,
        event.uid,
        event.text,
        event.time,
        event.value,
        int(event.priority),
        event.id,
    ]


def event_from_wire(row: list[Any]) -> Event:
    """An event from the eight fields RTOC's ``getEventList`` uses (and ``getEventPage``)."""
    from rtoc.events import Event

    device, signal, uid, text, x, value, priority, event_id = row
    return Event(
        text=text,
        device=device,
        signal=signal,
        time=x,
        priority=priority,
        id=event_id,
        value=value,
        uid=uid,
    )


def event_page_answer(page: EventPage) -> dict[str, Any]:
    return {
        "events": [event_to_wire(event) for event in page.events],
        "total": page.total,
        "devices": list(page.devices),
    }


def event_page_of(answer: dict[str, Any]) -> EventPage:
    return EventPage(
        events=tuple(event_from_wire(row) for row in answer["events"]),
        total=int(answer["total"]),
        devices=tuple(answer["devices"]),
    )


def devices_answer(devices: list[DeviceDescription]) -> list[dict[str, Any]]:
    """``getDevices: true`` → every device with doc, parameters (value, type) and functions."""
    from rtoc.net.requests import _jsonable

    return [
        {
            "name": device.name,
            "doc": device.doc,
            "running": device.running,
            "parameters": [[p.name, _jsonable(p.value), p.type] for p in device.parameters],
            "functions": [[f.name, f.signature, f.doc] for f in device.functions],
        }
        for device in devices
    ]


def devices_of(answer: list[dict[str, Any]]) -> list[DeviceDescription]:
    from rtoc.device import DeviceDescription, Function, Parameter

    return [
        DeviceDescription(
            name=entry["name"],
            doc=entry["doc"],
            running=bool(entry["running"]),
            parameters=tuple(Parameter(*row) for row in entry["parameters"]),
            functions=tuple(Function(*row) for row in entry["functions"]),
        )
        for entry in answer
    ]
