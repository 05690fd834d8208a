"""``StorageView``: a :class:`rtoc.frontend.LoggerView` on stored data, with no logger.

``rtoc web`` standalone reads the configured storage while ``rtoc run``
(or several, into one PostgreSQL) writes it: the SQLite file through a
read-only connection (WAL lets it read while the logger writes), PostgreSQL
through its own connection, with no spool and no maintenance. New samples
show as soon as the writer has stored them. Nothing can be controlled
through it: :attr:`control_unavailable` says why, and each control call
raises :class:`rtoc.frontend.ControlUnavailable` with that text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from rtoc.events import Priority
from rtoc.frontend import (
    AutomationState,
    ControlUnavailable,
    EventPage,
    EventQuery,
    ResampleReport,
    RuleKind,
    ScriptResult,
    page_of,
)
from rtoc.logger import Reading, SignalData
from rtoc.storage.base import SignalInfo, Storage, StorageError
from rtoc.storage.buckets import Buckets

if TYPE_CHECKING:
    from rtoc.config import Config
    from rtoc.device import DeviceDescription
    from rtoc.plugins import PluginRegistry
    from rtoc.signals import SignalKey


class StorageView:
    """Reads of one storage as a logger would answer them; no control."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.location = storage.location
        self.control_unavailable = (
            f"no logger runs here: this reads stored data only ({storage.location}); "
            "devices and automation are controlled by the logger that writes it"
        )

    def close(self) -> None:
        self.storage.close()

    def __enter__(self) -> StorageView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------

    def signal_infos(self) -> list[SignalInfo]:
        return sorted(self.storage.signals(), key=lambda info: info.key)

    def signal_names(self) -> list[SignalKey]:
        return [info.key for info in self.signal_infos()]

    def latest(self, keys: Iterable[SignalKey] | None = None) -> dict[SignalKey, Reading]:
        units = {info.key: info.unit for info in self.storage.signals()}
        wanted = units if keys is None else [key for key in keys if key in units]
        found = {}
        for key in wanted:
            x, y = self.storage.read_last(*key, 1)
            if len(x):
                found[key] = Reading(float(x[-1]), float(y[-1]), units[key])
        return found

    def read(
        self,
        device: str,
        name: str,
        start: float | None = None,
        end: float | None = None,
        last: int | None = None,
    ) -> SignalData:
        info = self._info(device, name)
        if info is None:
            raise KeyError(f"no signal {device}.{name}")
        if last is not None and start is None and end is None:
            x, y = self.storage.read_last(device, name, last)
        else:
            x, y = self.storage.read(device, name, start, end)
            if last is not None:
                keep = max(0, len(x) - last)
                x, y = x[keep:], y[keep:]
        return SignalData(np.asarray(x), np.asarray(y), info.unit)

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        return self.storage.read_buckets(device, name, start, end, buckets)

    def event_page(self, query: EventQuery) -> EventPage:
        return page_of(self.storage.events(query.start, query.end), query)

    def describe_devices(self) -> list[DeviceDescription]:
        """No logger, no devices: storage keeps samples and events, not device descriptions."""
        return []

    def _info(self, device: str, name: str) -> SignalInfo | None:
        return next(
            (i for i in self.storage.signals() if i.key == (device, name)),
            None,
        )

    # -- control: none ------------------------------------------------------------------

    def _refuse(self) -> NoReturn:
        raise ControlUnavailable(self.control_unavailable)

    def start_device(self, name: str) -> Any:
        self._refuse()

    def stop_device(self, name: str) -> None:
        self._refuse()

    def get_parameter(self, device: str, name: str) -> Any:
        self._refuse()

    def set_parameter(self, device: str, name: str, value: Any) -> None:
        self._refuse()

    def call(self, device: str, function: str, *args: Any, **kwargs: Any) -> Any:
        self._refuse()

    def stream(
        self, y: float, sname: str, dname: str, unit: str | None = None, x: float | None = None
    ) -> None:
        self._refuse()

    def stream_many(
        self,
        x: Sequence[float] | np.ndarray | None,
        y: Sequence[float] | np.ndarray,
        sname: str,
        dname: str,
        unit: str | None = None,
    ) -> None:
        self._refuse()

    def event(
        self,
        text: str,
        device: str = "",
        signal: str = "",
        priority: int | Priority = Priority.INFO,
        id: str = "",
        value: float | None = None,
        time: float | None = None,
    ) -> Any:
        self._refuse()

    def automation_state(self) -> AutomationState:
        self._refuse()

    def set_rule_active(self, kind: RuleKind, name: str, active: bool) -> None:
        self._refuse()

    def set_rule(self, kind: RuleKind, name: str, fields: dict[str, Any]) -> None:
        self._refuse()

    def remove_rule(self, kind: RuleKind, name: str) -> None:
        self._refuse()

    def set_automation_active(
        self, events: bool | None = None, actions: bool | None = None
    ) -> None:
        self._refuse()

    def run_script(self, code: str, name: str = "script") -> ScriptResult:
        self._refuse()

    def delete_signals(
        self,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[SignalKey]:
        self._refuse()

    def resample_signals(
        self,
        rate: float,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> ResampleReport:
        self._refuse()

    def delete_events(self, query: EventQuery) -> int:
        self._refuse()

    def rename_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        self._refuse()

    def copy_signal(self, key: SignalKey, new_key: SignalKey) -> None:
        self._refuse()

    def set_unit(self, key: SignalKey, unit: str) -> None:
        self._refuse()

    @property
    def record_length(self) -> int:
        """No logger, no memory: nothing is kept per signal here (0)."""
        return 0

    def resize(self, record_length: int) -> None:
        self._refuse()


def open_view(config: Config, home: Path, plugins: PluginRegistry) -> StorageView:
    """A view on the storage ``rtoc run`` with this config writes (``postgresql.active``
    first, as the runner chooses), opened by the backend's reader.

    StorageError naming the problem: no storage configured, a backend with no
    reader (``memory`` lives in one process only), or the storage cannot be read.
    """
    if config.postgresql.active:
        name, key = "postgresql", "postgresql.active"
    elif config.backup.active:
        name, key = config.backup.backend, "backup.backend"
    else:
        raise StorageError(
            "config.json: backup.active is false, so nothing is stored to read; "
            "set backup.active (rtoc config set backup.active true) or postgresql.active"
        )
    readers = plugins.storage_readers()
    if name not in readers:
        hint = " (pip install rtoc-postgres)" if name == "postgresql" else ""
        raise StorageError(
            f"config.json: {key}: storage {name!r} cannot be read from another process{hint}; "
            f"readable: {', '.join(sorted(readers)) or 'none'}"
        )
    return StorageView(readers[name](config, home))
