"""``rtoc`` in a script: the script library plus ``rtoc.export`` and ``rtoc.load``.

The library's functions (:mod:`rtoc.automation.library`) need no logger;
``export`` and ``load`` do, so a script gets this object bound to its
logger, which hands every other name on to the library. They are built on
the same code as RTOC's ``exportData``/``importData`` and keep their
folder rules: exports into ``$RTOC_HOME/export/``, loads from
``$RTOC_HOME/import/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rtoc.automation import library
from rtoc.io.export import export_data
from rtoc.io.load import import_data
from rtoc.io.times import parse_iso

if TYPE_CHECKING:
    from rtoc.logger import Logger
    from rtoc.signals import SignalKey


class Toolbox:
    """What a script reaches as ``rtoc``."""

    __slots__ = ("_logger",)

    def __init__(self, logger: Logger) -> None:
        self._logger = logger

    def __getattr__(self, name: str) -> Any:
        return getattr(library, name)

    def __dir__(self) -> list[str]:
        return sorted({*library.__all__, "export", "load"})

    def export(
        self,
        signals: Any = None,
        filename: str | Path | None = None,
        format: str = "csv",
        start: float | str | None = None,
        end: float | str | None = None,
    ) -> str:
        """Write signals in memory to ``$RTOC_HOME/export/filename``; the file's path.

        ``signals``: all when None, else ``"Device.Signal"``, ``Device.Signal``
        or a list of them. ``start``/``end``: unix seconds or ISO 8601 text;
        only samples and events in that span are written.
        """
        keys = None if signals is None else [_key(signal) for signal in _many(signals)]
        path = export_data(
            self._logger, filename, format, keys, _when(start), _when(end), who="rtoc.export"
        )
        return str(path)

    def load(
        self,
        filename: str | Path,
        device: str | None = None,
        format: str | None = None,
        force: bool = False,
    ) -> list[str]:
        """Load ``$RTOC_HOME/import/filename`` into memory; the ``Device.Signal`` names filled.

        A second load of the file into the same signals is refused unless ``force``.
        """
        return import_data(self._logger, filename, device, format, force=force, who="rtoc.load")

    def __repr__(self) -> str:
        return "<rtoc script library>"


def _many(signals: Any) -> Iterable[Any]:
    if isinstance(signals, str) or hasattr(signals, "device"):
        return [signals]
    return signals


def _key(signal: Any) -> SignalKey | str:
    """``"Device.Signal"`` as it is, a script's ``Device.Signal`` as its key."""
    if isinstance(signal, str):
        return signal
    device, name = getattr(signal, "device", None), getattr(signal, "name", None)
    if not (isinstance(device, str) and isinstance(name, str)):
        raise TypeError(f"a signal is 'Device.Signal' or Device.Signal, got {signal!r}")
    return (device, name)


def _when(value: float | str | None) -> float | None:
    if value is None or isinstance(value, int | float):
        return value
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parse_iso(value)
    except ValueError:
        raise ValueError(f"{value!r} is neither unix seconds nor ISO 8601") from None
