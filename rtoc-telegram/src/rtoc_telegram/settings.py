"""Settings → General and Backup: changes to the running logger that config.json keeps.

Each change is made as ``rtoc config set`` makes it (the core's
:func:`rtoc.config.change_config_file`: the value checked against its key,
the file written atomically), and, where the logger can take it while it
runs, applied at once: the recording length (``resize``), the TCP server
(switched on or off through the core's TCP frontend of this logger). Backup
options are read when ``rtoc run`` starts, so they count from the next start.
Every refusal is a ValueError or LookupError that says why; nothing is
changed then.
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any

import attrs

from rtoc.config import (
    Config,
    ConfigError,
    Sections,
    change_config_file,
    config_to_dict,
    load_config,
    save_change,
)
from rtoc.device import MAX_SAMPLERATE
from rtoc.frontend import EventQuery, LoggerView
from rtoc.net.server import ServerError, tcp_frontend

#: The backup options offered (section ``backup``), with what each means.
BACKUP_OPTIONS = {
    "active": "record to long-term storage",
    "backend": "storage backend (sqlite, memory, or one a distribution adds)",
    "path": "directory of the SQLite file (empty: the rtoc home)",
    "intervall": "seconds between two writes to storage",
    "loadOnOpen": "load stored data into memory when rtoc starts",
    "resample": "store one mean sample per 1/rate seconds (Hz; 0 stores every sample)",
}


class LoggerSettings:
    """The General and Backup settings of the logger ``view`` in this process, whose
    config.json is in ``home``; ``sections``: the config sections distributions register."""

    def __init__(self, view: LoggerView, home: Path, sections: Sections | None = None) -> None:
        self.view = view
        self.home = home
        self.sections = sections or {}

    # -- config.json ---------------------------------------------------------------

    def config(self) -> Config:
        """config.json as it is now."""
        try:
            return load_config(self.home, self.sections)
        except ConfigError as error:
            raise ValueError(str(error)) from None

    def save(self, key: str, raw: str) -> Any:
        """Set ``key`` (``section.key``) to ``raw`` (JSON, else text) and save; the value."""
        try:
            change = change_config_file(self.home, key, raw, self.sections)
            save_change(change, self.home)
        except ConfigError as error:
            raise ValueError(str(error)) from None
        except OSError as error:
            raise ValueError(f"cannot save config.json: {error}") from None
        return change.value

    # -- General ---------------------------------------------------------------------

    def set_record_length(self, samples: object) -> None:
        """Samples kept per signal in memory, now and after a restart."""
        self.view.resize(samples)  # type: ignore[arg-type]  # refused: nothing saved
        self.save("global.recordLength", str(samples))

    def set_samplerate(self, rate: object) -> list[str]:
        """Every running device's samplerate (RTOC's global samplerate); the devices set."""
        if (
            isinstance(rate, bool)
            or not isinstance(rate, numbers.Real)
            or not 0 < rate <= MAX_SAMPLERATE
            or math.isnan(rate)
        ):
            raise ValueError(
                f"a samplerate is above 0 and at most {MAX_SAMPLERATE:g} Hz, not {rate}"
            )
        running = [
            device.name
            for device in self.view.describe_devices()
            if device.running and any(p.name == "samplerate" for p in device.parameters)
        ]
        if not running:
            raise LookupError("no running device has a samplerate")
        for name in running:
            self.view.set_parameter(name, "samplerate", float(rate))
        return running

    def tcp_serving(self) -> bool | None:
        """Whether the TCP server serves now; None when this logger has none to switch."""
        frontend = tcp_frontend(self.view)  # type: ignore[arg-type]
        return None if frontend is None else frontend.serving

    def set_tcp(self, on: bool) -> int:
        """Switch the TCP server on or off now, and ``tcp.active`` for the next start;
        the port it serves on."""
        frontend = tcp_frontend(self.view)  # type: ignore[arg-type]
        if frontend is None:
            raise LookupError("this logger has no TCP server to switch (it runs with rtoc run)")
        tcp = attrs.evolve(self.config().tcp, active=on)
        try:
            frontend.switch(on, tcp)
        except ServerError as error:
            raise ValueError(str(error)) from None
        self.save("tcp.active", "true" if on else "false")
        return tcp.port

    # -- Backup ---------------------------------------------------------------------

    def backup_options(self) -> dict[str, Any]:
        """The offered backup options and their values in config.json."""
        section = config_to_dict(self.config())["backup"]
        return {key: section[key] for key in BACKUP_OPTIONS}

    def set_backup(self, key: str, raw: str) -> Any:
        if key not in BACKUP_OPTIONS:
            raise LookupError(f"no backup option {key!r}; options: {', '.join(BACKUP_OPTIONS)}")
        return self.save(f"backup.{key}", raw)

    def delete_everything(self) -> tuple[int, int]:
        """Every signal and event, in memory and storage; (signals, events) deleted."""
        signals = self.view.delete_signals()
        events = self.view.delete_events(EventQuery())
        return len(signals), events
