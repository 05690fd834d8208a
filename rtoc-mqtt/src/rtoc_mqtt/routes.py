"""Which signal a topic's samples go to: ``mqtt.subscribe`` compiled once, topics cached."""

from __future__ import annotations

import attrs

from rtoc_mqtt.config import Subscription

#: Topics whose target is remembered; beyond it the memory starts again (topics rarely vary).
CACHE_LIMIT = 100_000
DEFAULT_DEVICE = "MQTT"


class RouteError(ValueError):
    """A subscription that cannot work; the message names it (``mqtt.subscribe[2]``)."""


@attrs.frozen
class Target:
    """Where one topic's samples go. ``device`` is "" for RTOC payloads naming their own."""

    subscription: Subscription
    device: str
    signal: str


@attrs.frozen
class Route:
    subscription: Subscription
    levels: tuple[str, ...]

    def captures(self, topic: str) -> list[str] | None:
        """The levels the wildcards matched, or None when ``topic`` does not match."""
        parts = topic.split("/")
        found = []
        for index, level in enumerate(self.levels):
            if level == "#":
                found.append("/".join(parts[index:]))
                return found
            if index >= len(parts):
                return None
            if level == "+":
                found.append(parts[index])
            elif level != parts[index]:
                return None
        return found if len(parts) == len(self.levels) else None

    def target(self, topic: str, captures: list[str]) -> Target:
        entry = self.subscription
        if entry.device:
            device = entry.device.format(topic, *captures)
        elif "+" in self.levels:
            wildcards = [level for level in self.levels if level in ("+", "#")]
            device = captures[wildcards.index("+")]
        else:
            device = "" if entry.payload == "rtoc" else DEFAULT_DEVICE
        signal = entry.signal.format(topic, *captures) if entry.signal else topic.split("/")[-1]
        return Target(entry, device, signal)


def compile_route(entry: Subscription, index: int) -> Route:
    where = f"mqtt.subscribe[{index}]"
    levels = tuple(entry.topic.split("/"))
    if not entry.topic:
        raise RouteError(f"{where}: topic is empty")
    for position, level in enumerate(levels):
        if ("+" in level or "#" in level) and level not in ("+", "#"):
            raise RouteError(f"{where}: {entry.topic!r}: a wildcard must be a whole level")
        if level == "#" and position != len(levels) - 1:
            raise RouteError(f"{where}: {entry.topic!r}: '#' must be the last level")
    wildcards = [level for level in levels if level in ("+", "#")]
    for key in ("device", "signal"):
        template = getattr(entry, key)
        try:
            template.format(entry.topic, *wildcards)
        except (IndexError, KeyError, ValueError):
            raise RouteError(
                f"{where}.{key}: {template!r} names a wildcard the topic {entry.topic!r} "
                f"does not have (it has {len(wildcards)}: use {{1}} to {{{len(wildcards)}}})"
            ) from None
    if entry.payload == "json" and not entry.value:
        raise RouteError(f"{where}.value: a json payload needs the path of its value")
    return Route(entry, levels)


class Router:
    """The target of a topic: the first subscription whose filter matches it."""

    def __init__(self, subscriptions: tuple[Subscription, ...]) -> None:
        self.routes = [compile_route(entry, index) for index, entry in enumerate(subscriptions)]
        self._cache: dict[str, Target | None] = {}

    def target(self, topic: str) -> Target | None:
        try:
            return self._cache[topic]
        except KeyError:
            pass
        found = None
        for route in self.routes:
            captures = route.captures(topic)
            if captures is not None:
                found = route.target(topic, captures)
                break
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[topic] = found
        return found
