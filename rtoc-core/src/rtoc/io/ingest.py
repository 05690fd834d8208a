"""A file into storage, all or nothing: read it whole first, then write.

:func:`read_file` runs the importer over the whole file and spools the
samples of each signal to a temporary folder (float64 files), so memory
holds one block however big the file is, and a bad row anywhere stops the
import before anything is stored. :meth:`Parsed.summary` is what
``--dry-run`` prints. :func:`store` then writes the spooled samples to the
storage in batches of a million.

Re-importing a file does not duplicate its samples. Each import is recorded
in the storage itself as an event (device ``rtoc``, id ``import``) whose
``uid`` is made of the file's SHA-256 and the signals it went to, dated at
the file's first timestamp; :func:`store` looks for that event first and
refuses a second import of the same file into the same signals
(:class:`AlreadyImported`). The same file into other signal names (another
``--device`` or ``--map``) is a new import. Events inside a session keep
their own ``uid`` and are stored once however often they are imported.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import numpy as np

from rtoc.events import Event
from rtoc.io.formats import BadRow, Block, FileFormatError, Importer, ImportOptions
from rtoc.signals import SignalKey
from rtoc.storage.base import SampleBatch, Storage

WRITE_BATCH = 1 << 20
IMPORT_DEVICE = "rtoc"
IMPORT_EVENT_ID = "import"


class AlreadyImported(Exception):
    """This file was imported into these signals before; the message says when."""


@attrs.define
class SignalSummary:
    """What one signal of a file holds."""

    key: SignalKey
    unit: str = ""
    count: int = 0
    first: float = math.inf
    last: float = -math.inf
    backwards: int = 0  # timestamps smaller than the one before
    repeated: int = 0  # timestamps equal to the one before
    previous: float = attrs.field(default=math.nan, repr=False)

    def add(self, x: np.ndarray) -> None:
        if not len(x):
            return
        finite = x[np.isfinite(x)]
        if len(finite):
            self.first = min(self.first, float(finite.min()))
            self.last = max(self.last, float(finite.max()))
        steps = np.diff(np.concatenate(([self.previous], x)))
        self.backwards += int(np.count_nonzero(steps < 0))
        self.repeated += int(np.count_nonzero(steps == 0))
        self.previous = float(x[-1])
        self.count += len(x)

    @property
    def label(self) -> str:
        return f"{self.key[0]}.{self.key[1]}"


@attrs.define
class Parsed:
    """A file read to the end, its samples spooled; :meth:`close` removes the spool."""

    path: Path
    digest: str
    spool: Path
    signals: dict[SignalKey, SignalSummary] = attrs.field(factory=dict)
    events: list[Event] = attrs.field(factory=list)
    skipped: list[BadRow] = attrs.field(factory=list)
    labels: set[str] = attrs.field(factory=set)  # the file's own column labels

    def close(self) -> None:
        shutil.rmtree(self.spool, ignore_errors=True)

    def __enter__(self) -> Parsed:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def first(self) -> float | None:
        times = [s.first for s in self.signals.values() if s.count and math.isfinite(s.first)]
        return min(times) if times else None

    @property
    def uid(self) -> str:
        keys = "\n".join(sorted(s.label for s in self.signals.values()))
        return "import-" + hashlib.sha256(f"{self.digest}\n{keys}".encode()).hexdigest()[:32]

    def summary(self) -> list[str]:
        """Lines for ``--dry-run`` and after an import: signals, units, rows, span, skips."""
        lines = [f"{self.path}: {len(self.signals)} signals, {len(self.events)} events"]
        for s in self.signals.values():
            span = "no timestamps" if s.first > s.last else f"{_time(s.first)} .. {_time(s.last)}"
            unit = f" [{s.unit}]" if s.unit else ""
            line = f"  {s.label}{unit}: {s.count} samples, {span}"
            if s.backwards:
                line += f", time goes back {s.backwards} times"
            if s.repeated:
                line += f", {s.repeated} repeated timestamps"
            lines.append(line)
        if self.skipped:
            lines.append(f"  skipped {len(self.skipped)} bad rows:")
            lines.extend(f"    {bad.describe(str(self.path))}" for bad in self.skipped[:20])
            if len(self.skipped) > 20:
                lines.append(f"    ... and {len(self.skipped) - 20} more")
        return lines

    def samples(self, key: SignalKey) -> tuple[np.ndarray, np.ndarray]:
        """All spooled x and y of one signal (for small files and tests)."""
        x_file, y_file = self._files(key)
        return np.fromfile(x_file, np.float64), np.fromfile(y_file, np.float64)

    def batches(self, key: SignalKey, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The spooled samples of one signal, ``size`` at a time.

        Read with plain reads rather than a memory map, whose pages would count
        as the process's memory until it ends.
        """
        x_path, y_path = self._files(key)
        with open(x_path, "rb") as x_file, open(y_path, "rb") as y_file:
            while len(x := np.fromfile(x_file, np.float64, size)):
                yield x, np.fromfile(y_file, np.float64, len(x))

    def _files(self, key: SignalKey) -> tuple[Path, Path]:
        number = list(self.signals).index(key)
        return self.spool / f"{number}.x", self.spool / f"{number}.y"


def _time(seconds: float) -> str:
    from datetime import datetime, timezone

    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds")
    except (OverflowError, OSError, ValueError):
        return repr(seconds)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_file(
    path: Path,
    importer: Importer,
    options: ImportOptions | None = None,
    device: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Parsed:
    """Read ``path`` to the end; FileFormatError (nothing spooled is left) at a bad row.

    Unqualified columns become signals of ``device`` (default: the file's
    stem); ``mapping`` sends a column (or ``Device.Signal`` label) to
    another ``Device.Signal``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(path, "no such file")
    device = device or path.stem
    mapping = dict(mapping or {})
    with ThreadPoolExecutor(1) as pool:  # hashlib lets go of the GIL: hash while parsing
        digest = pool.submit(file_digest, path)
        parsed = _parse(path, importer, options or ImportOptions(), device, mapping)
        try:
            parsed.digest = digest.result()
        except BaseException:
            parsed.close()
            raise
    return parsed


def _parse(
    path: Path, importer: Importer, options: ImportOptions, device: str, mapping: dict[str, str]
) -> Parsed:
    parsed = Parsed(path, "", Path(tempfile.mkdtemp(prefix="rtoc-import-")))
    try:
        handles: dict[SignalKey, tuple[object, object]] = {}
        try:
            for block in importer.read(path, options):
                _spool(parsed, handles, block, device, mapping)
        finally:
            for x_file, y_file in handles.values():
                x_file.close()  # type: ignore[attr-defined]
                y_file.close()  # type: ignore[attr-defined]
        unused = set(mapping) - parsed.labels
        if unused:
            raise FileFormatError(path, f"--map names columns the file lacks: {sorted(unused)}")
    except BaseException:
        parsed.close()
        raise
    return parsed


def _spool(
    parsed: Parsed,
    handles: dict[SignalKey, tuple[object, object]],
    block: Block,
    device: str,
    mapping: Mapping[str, str],
) -> None:
    parsed.skipped.extend(block.skipped)
    parsed.events.extend(block.events)
    x = np.ascontiguousarray(block.x, dtype=np.float64)
    for label, values in block.columns.items():
        parsed.labels.add(label)
        key = target_key(parsed.path, label, block.qualified, device, mapping)
        summary = parsed.signals.get(key)
        if summary is None:
            summary = parsed.signals[key] = SignalSummary(key)
            x_path, y_path = parsed._files(key)
            handles[key] = (open(x_path, "wb"), open(y_path, "wb"))  # noqa: SIM115
        if block.units.get(label):
            summary.unit = block.units[label]
        y = np.ascontiguousarray(values, dtype=np.float64)
        if len(y) != len(x):
            raise FileFormatError(parsed.path, f"{label}: {len(y)} values for {len(x)} times")
        summary.add(x)
        x_file, y_file = handles[key]
        x.tofile(x_file)
        y.tofile(y_file)


def target_key(
    path: Path, label: str, qualified: bool, device: str, mapping: Mapping[str, str]
) -> SignalKey:
    """Where a column goes: ``--map``, else its own ``Device.Signal``, else ``device``."""
    if label in mapping:
        target = mapping[label]
    elif qualified:
        target = label
    else:
        return (device, label)
    owner, dot, name = target.partition(".")
    if not (owner and dot and name):
        raise FileFormatError(path, f"{target!r} is not Device.Signal")
    return (owner, name)


def store(parsed: Parsed, storage: Storage, *, force: bool = False) -> int:
    """Write the parsed file to ``storage``; the number of samples written.

    AlreadyImported when this file went into these signals before (unless
    ``force``). A storage failure halfway raises with the count written so far.
    """
    when = parsed.first if parsed.first is not None else 0.0
    if not force:
        for event in storage.events(when, when):
            if event.uid == parsed.uid:
                raise AlreadyImported(
                    f"{parsed.path} was imported into these signals before ({event.text}); "
                    "nothing was written"
                )
    written = 0
    for key, summary in parsed.signals.items():
        for x, y in parsed.batches(key, WRITE_BATCH):
            storage.append_samples([SampleBatch(*key, x, y, summary.unit)])
            written += len(x)
    if parsed.events:
        storage.append_events(parsed.events)
    rows = sum(s.count for s in parsed.signals.values())
    storage.append_events(
        [
            Event(
                text=f"imported {parsed.path.name}: {len(parsed.signals)} signals, "
                f"{rows} samples (sha256 {parsed.digest[:12]})",
                device=IMPORT_DEVICE,
                id=IMPORT_EVENT_ID,
                time=when,
                value=float(rows),
                uid=parsed.uid,
            )
        ]
    )
    return written
