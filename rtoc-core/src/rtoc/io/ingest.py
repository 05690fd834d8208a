"""A file into storage, all or nothing.

:func:`import_file` is what ``rtoc import`` does. Into SQLite (a backend
with ``append_atomically``) it writes while the file is read, one thread
parsing and one writing, in one transaction that a bad row rolls back. Into
any other backend, :func:`read_file` first runs the importer over the whole
file and spools the samples of each signal to a temporary folder (float64
files), and :func:`store` writes them after that in batches of a million.
Either way memory holds a few blocks however big the file is, and a bad row
anywhere stores nothing. :meth:`Parsed.summary` is what ``--dry-run`` prints.

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

import contextlib
import hashlib
import math
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

import attrs
import numpy as np

from rtoc.events import Event
from rtoc.io.formats import BadRow, FileFormatError, Importer, ImportOptions
from rtoc.signals import SignalKey
from rtoc.storage.base import AlreadyStored, SampleBatch, Storage

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView

WRITE_BATCH = 1 << 20
IMPORT_DEVICE = "rtoc"
IMPORT_EVENT_ID = "import"


class AlreadyImported(Exception):
    """This file was imported into these signals before; nothing was written."""


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
        """Count a block of timestamps in, without copying it."""
        if not len(x):
            return
        low, high = x.min(), x.max()
        if not (math.isfinite(low) and math.isfinite(high)):  # NaN or inf: look closer
            finite = x[np.isfinite(x)]
            low, high = (finite.min(), finite.max()) if len(finite) else (math.inf, -math.inf)
        self.first = min(self.first, float(low))
        self.last = max(self.last, float(high))
        start = float(x[0])
        self.backwards += (start < self.previous) + int(np.count_nonzero(x[1:] < x[:-1]))
        self.repeated += (start == self.previous) + int(np.count_nonzero(x[1:] == x[:-1]))
        self.previous = float(x[-1])
        self.count += len(x)

    @property
    def label(self) -> str:
        return f"{self.key[0]}.{self.key[1]}"


@attrs.define
class Parsed:
    """What a file held (summaries, events, skipped rows), and where its samples were
    spooled, if they were; :meth:`close` removes the spool."""

    path: Path
    digest: str
    spool: Path | None  # None: the samples went straight to storage
    signals: dict[SignalKey, SignalSummary] = attrs.field(factory=dict)
    events: list[Event] = attrs.field(factory=list)
    skipped: list[BadRow] = attrs.field(factory=list)
    labels: set[str] = attrs.field(factory=set)  # the file's own column labels

    def close(self) -> None:
        if self.spool is not None:
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
        if self.spool is None:
            raise ValueError("the samples of this import were not spooled")
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
    *,
    spool: bool = True,
) -> Parsed:
    """Read ``path`` to the end and spool it; FileFormatError (no spool left) at a bad row.

    Unqualified columns become signals of ``device`` (default: the file's
    stem); ``mapping`` sends a column (or ``Device.Signal`` label) to
    another ``Device.Signal``. ``spool=False`` only summarizes (``--dry-run``).
    """
    path = _existing(path)
    folder = Path(tempfile.mkdtemp(prefix="rtoc-import-")) if spool else None
    parsed = Parsed(path, "", folder)
    try:
        with ThreadPoolExecutor(1) as pool:  # hashlib lets go of the GIL: hash while parsing
            digest = pool.submit(file_digest, path)
            with _Spool(parsed) as sink:
                _parse(parsed, importer, options or ImportOptions(), device, mapping, sink)
            parsed.digest = digest.result()
    except BaseException:
        parsed.close()
        raise
    return parsed


def _existing(path: Path | str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(path, "no such file")
    return path


#: Where parsed samples go: ``sink(summary, x, y)``.
Sink = Callable[["SignalSummary", np.ndarray, np.ndarray], None]


def _parse(
    parsed: Parsed,
    importer: Importer,
    options: ImportOptions,
    device: str | None,
    mapping: Mapping[str, str] | None,
    sink: Sink,
) -> None:
    """Run the importer over the whole file, summarizing and handing every column to ``sink``."""
    path = parsed.path
    device = device or path.stem
    mapping = dict(mapping or {})
    for block in importer.read(path, options):
        parsed.skipped.extend(block.skipped)
        parsed.events.extend(block.events)
        x = np.ascontiguousarray(block.x, dtype=np.float64)
        for label, values in block.columns.items():
            parsed.labels.add(label)
            key = target_key(path, label, block.qualified, device, mapping)
            summary = parsed.signals.get(key)
            if summary is None:
                summary = parsed.signals[key] = SignalSummary(key)
            if block.units.get(label):
                summary.unit = block.units[label]
            y = np.ascontiguousarray(values, dtype=np.float64)
            if len(y) != len(x):
                raise FileFormatError(path, f"{label}: {len(y)} values for {len(x)} times")
            summary.add(x)
            sink(summary, x, y)
    unused = set(mapping) - parsed.labels
    if unused:
        raise FileFormatError(path, f"--map names columns the file lacks: {sorted(unused)}")


class _Spool:
    """A sink writing each signal's x and y to two files in the parsed file's spool."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.files: dict[SignalKey, tuple[BinaryIO, BinaryIO]] = {}

    def __call__(self, summary: SignalSummary, x: np.ndarray, y: np.ndarray) -> None:
        if self.parsed.spool is None:  # only a summary is wanted
            return
        files = self.files.get(summary.key)
        if files is None:
            x_path, y_path = self.parsed._files(summary.key)
            files = self.files[summary.key] = (open(x_path, "wb"), open(y_path, "wb"))  # noqa: SIM115
        x.tofile(files[0])
        y.tofile(files[1])

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *_: object) -> None:
        for x_file, y_file in self.files.values():
            x_file.close()
            y_file.close()


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
    """Write a spooled file to ``storage``; the number of samples written.

    AlreadyImported when this file went into these signals before (unless
    ``force``). A storage failure halfway raises: what was written stays.
    """
    if not force:
        when = marker(parsed).time
        earlier = recorded(parsed, storage.events(when, when))
        if earlier is not None:
            raise already_imported(parsed, earlier)
    written = 0
    for key, summary in parsed.signals.items():
        for x, y in parsed.batches(key, WRITE_BATCH):
            storage.append_samples([SampleBatch(*key, x, y, summary.unit)])
            written += len(x)
    storage.append_events([*parsed.events, marker(parsed)])
    return written


def marker(parsed: Parsed) -> Event:
    """The event that records this import, dated at the file's first timestamp.

    Its text ends with the import's ``uid`` too: a logger reached over TCP
    keeps the text of an event it is sent, not the uid, and is searched by it.
    """
    rows = sum(s.count for s in parsed.signals.values())
    return Event(
        text=f"imported {parsed.path.name}: {len(parsed.signals)} signals, "
        f"{rows} samples (sha256 {parsed.digest[:12]}, {parsed.uid})",
        device=IMPORT_DEVICE,
        id=IMPORT_EVENT_ID,
        time=parsed.first if parsed.first is not None else 0.0,
        value=float(rows),
        uid=parsed.uid,
    )


def recorded(parsed: Parsed, events: Iterable[Event]) -> Event | None:
    """The event among ``events`` that records an earlier import of this file into
    these signals, if there is one: by its uid, or by the uid at the end of its
    text (a logger reached over TCP gives the record a uid of its own)."""
    return next(
        (event for event in events if event.uid == parsed.uid or parsed.uid in event.text), None
    )


def already_imported(parsed: Parsed, record: Event) -> AlreadyImported:
    """The refusal of a second import, naming the event that records the first."""
    return AlreadyImported(
        f"{parsed.path} was imported into these signals before ({record.text}); nothing was written"
    )


#: Samples per ``stream_many`` of :func:`into_view`: about 4 MB of JSON over TCP.
VIEW_BATCH = 100_000


def into_view(
    parsed: Parsed,
    view: LoggerView,
    *,
    force: bool = False,
    advance: Callable[[int], object] | None = None,
) -> int:
    """Stream a spooled file into a running logger through its :class:`LoggerView`
    (in this process, or a RemoteLogger over TCP); the number of samples sent.

    As ``rtoc import --remote``: the logger's events are searched for the
    record of an earlier import of this file into these signals first (found:
    AlreadyImported, nothing sent, unless ``force``); after the samples the
    record is added as an event. ``advance`` is called with each batch's size.
    """
    from rtoc.frontend import EventQuery

    if not force:
        query = EventQuery(text=parsed.uid, devices=[IMPORT_DEVICE])
        earlier = view.event_page(query).events
        if earlier:
            raise already_imported(parsed, earlier[0])
    sent = 0
    for (device, name), summary in parsed.signals.items():
        for x, y in parsed.batches((device, name), VIEW_BATCH):
            view.stream_many(x, y, name, device, summary.unit or None)
            sent += len(x)
            if advance is not None:
                advance(len(x))
    record = marker(parsed)
    view.event(
        record.text,
        record.device,
        record.signal,
        record.priority,
        record.id,
        record.value,
        record.time,
    )
    return sent


class AtomicStorage(Protocol):
    """A backend that can store a whole import in one transaction (SQLite)."""

    def append_atomically(
        self,
        batches: Iterable[SampleBatch],
        finish: Callable[[], tuple[Sequence[Event], str | None]],
    ) -> None: ...


def import_file(
    storage: Storage,
    path: Path,
    importer: Importer,
    options: ImportOptions | None = None,
    device: str | None = None,
    mapping: Mapping[str, str] | None = None,
    *,
    force: bool = False,
) -> Parsed:
    """Read ``path`` into ``storage``, all or nothing; the file's summary.

    A backend with ``append_atomically`` (SQLite) gets the samples while the
    file is still being read, in one transaction that a bad row rolls back;
    any other gets them after the whole file is read and spooled.
    """
    if not hasattr(storage, "append_atomically"):
        with read_file(path, importer, options, device, mapping) as parsed:
            store(parsed, storage, force=force)
            return parsed
    return _import_atomically(storage, path, importer, options, device, mapping, force)


_DONE = object()


def _import_atomically(
    storage: AtomicStorage,
    path: Path,
    importer: Importer,
    options: ImportOptions | None,
    device: str | None,
    mapping: Mapping[str, str] | None,
    force: bool,
) -> Parsed:
    """Parse in one thread, write in this one: pyarrow and SQLite both let go of the GIL."""
    path = _existing(path)
    parsed = Parsed(path, "", None)
    handoff: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Abandoned

    def sink(summary: SignalSummary, x: np.ndarray, y: np.ndarray) -> None:
        put(SampleBatch(*summary.key, x, y, summary.unit))

    def produce() -> None:
        try:
            _parse(parsed, importer, options or ImportOptions(), device, mapping, sink)
            put(_DONE)
        except _Abandoned:
            pass
        except BaseException as error:  # handed to the writer, which rolls back and raises it
            with contextlib.suppress(_Abandoned):
                put(error)

    def batches() -> Iterator[SampleBatch]:
        while (item := handoff.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item

    def finish() -> tuple[Sequence[Event], str | None]:
        parsed.digest = digest.result()
        return [*parsed.events, marker(parsed)], None if force else parsed.uid

    with ThreadPoolExecutor(2) as pool:
        digest = pool.submit(file_digest, path)
        producer = pool.submit(produce)
        try:
            storage.append_atomically(batches(), finish)
        except AlreadyStored:
            raise AlreadyImported(
                f"{path} was imported into these signals before; nothing was written"
            ) from None
        finally:
            stop.set()
            producer.result()
    return parsed


class _Abandoned(Exception):
    """The writer gave up: the reading thread stops."""
