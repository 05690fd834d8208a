"""``rtoc import`` and ``rtoc export``: files into the configured storage and out of it.

Import writes into the storage ``rtoc run`` would open (config.json's
``backup`` or ``postgresql``), so it takes the home's lock the same way: while
a ``rtoc run`` holds the home, importing there is refused with a message
saying so (the samples would not reach that logger's memory). ``--remote
HOST`` sends them to a running logger over its TCP server instead, like any
TCP client's samples, and the import's record as an event, which a second
import of the file looks for among that logger's events first.
Export reads through the backend's reader, so it works with or without a
logger running.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from rtoc.config import ConfigError, load_config
from rtoc.homelock import HomeInUse, HomeLock
from rtoc.io.export import ExportError, export_stored
from rtoc.io.formats import FileFormatError, ImportOptions, MissingExtra, choose
from rtoc.io.ingest import (
    IMPORT_DEVICE,
    AlreadyImported,
    Parsed,
    already_imported,
    import_file,
    marker,
    read_file,
)
from rtoc.io.progress import Counted, progress
from rtoc.io.times import parse_iso
from rtoc.net.remote_cli import server_options, talking_to
from rtoc.plugins import PluginRegistry
from rtoc.storage.base import Storage, StorageError

__all__ = ["export_command", "import_command"]


def _context() -> tuple[Path, PluginRegistry]:
    obj = click.get_current_context().obj
    return obj["home"], obj["registry"]


@contextmanager
def _reported() -> Iterator[None]:
    """Errors about files, formats and storage as one line and exit code 1."""
    try:
        yield
    except (FileFormatError, MissingExtra, AlreadyImported, ExportError, StorageError) as error:
        raise click.ClickException(str(error)) from None
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:  # unknown format
        raise click.ClickException(str(error)) from None


def _mapping(items: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for item in items:
        column, equals, target = item.partition("=")
        if not (equals and column and "." in target):
            raise click.BadParameter(f"{item!r} is not COLUMN=Device.Signal", param_hint="--map")
        mapping[column] = target
    return mapping


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format_", metavar="NAME", help="File format (default: by suffix).")
@click.option("--device", metavar="NAME", help="Device of the columns (default: the file name).")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=Device.Signal",
    help="Import a column as this signal (repeatable).",
)
@click.option(
    "--time-column",
    metavar="NAME|N",
    help="The column with the timestamps (0: none, x is the row number).",
)
@click.option(
    "--time-format",
    type=click.Choice(["auto", "unix", "iso", "excel"]),
    default="auto",
    show_default=True,
    help="unix seconds, ISO 8601 (no zone: local time) or Excel serial days.",
)
@click.option("--sheet", metavar="NAME", help="The sheet of a spreadsheet (default: the first).")
@click.option("--skip-bad", is_flag=True, help="Skip rows that cannot be read, and list them.")
@click.option("--dry-run", is_flag=True, help="Only print what would be imported.")
@click.option("--force", is_flag=True, help="Import a file again that was imported before.")
@click.option("--remote", metavar="HOST", help="Send the samples to the rtoc running on HOST.")
@click.option(
    "--into",
    metavar="HOME",
    type=click.Path(file_okay=False, path_type=Path),
    help="Into the storage of this rtoc home (default: the home rtoc runs with, --home).",
)
@server_options
def import_command(
    files: tuple[Path, ...],
    format_: str | None,
    device: str | None,
    maps: tuple[str, ...],
    time_column: str | None,
    time_format: str,
    sheet: str | None,
    skip_bad: bool,
    dry_run: bool,
    force: bool,
    remote: str | None,
    into: Path | None,
    port: int,
    password: str | None,
    timeout: float,
) -> None:
    """Import measurement files (CSV, session JSON, Parquet...) into the storage.

    Every file is read to the end before anything is stored: a row that
    cannot be read stops the import (or is skipped with --skip-bad). The same
    file imported into the same signals twice is refused (see --force).
    """
    home, registry = _context()
    if into is not None and remote is not None:
        raise click.UsageError("--into HOME and --remote HOST name two places: choose one")
    home = into if into is not None else home
    mapping = _mapping(maps)
    options = ImportOptions(time_column, time_format, skip_bad, sheet)
    with _reported():
        importers = registry.importers()
        chosen = [(path, choose(importers, path, format_)) for path in files]
        if dry_run:
            for path, importer in chosen:
                with (
                    progress(f"reading {path.name}") as advance,
                    read_file(
                        path, Counted(importer, advance), options, device, mapping, spool=False
                    ) as parsed,
                ):
                    for line in parsed.summary():
                        click.echo(line)
            return
        if remote is not None:
            for path, importer in chosen:
                with progress(f"reading {path.name}") as advance:
                    parsed = read_file(path, Counted(importer, advance), options, device, mapping)
                with parsed:
                    for line in parsed.summary():
                        click.echo(line)
                    with talking_to(remote, port):
                        sent = _send(parsed, remote, port, password, timeout, force)
                    click.echo(f"Sent {sent} samples to {remote}:{port}.")
            return
        with _storage(home, registry) as storage:
            for path, importer in chosen:
                with progress(f"importing {path.name}") as advance:
                    parsed = import_file(
                        storage,
                        path,
                        Counted(importer, advance),
                        options,
                        device,
                        mapping,
                        force=force,
                    )
                for line in parsed.summary():
                    click.echo(line)
                written = sum(summary.count for summary in parsed.signals.values())
                click.echo(f"Imported {written} samples into {storage.location}.")


@contextmanager
def _storage(home: Path, registry: PluginRegistry):
    from rtoc.runner import RunnerError, open_storage

    lock = HomeLock(home)
    try:
        home.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except HomeInUse as error:
        raise click.ClickException(
            f"cannot import into the storage while a logger runs: {error}. Send the file "
            "to that logger with --remote 127.0.0.1 (its TCP server on), or stop it first"
        ) from None
    try:
        config = load_config(home, registry.config_sections())
        try:
            _, storage = open_storage(config, home, registry)
        except RunnerError as error:
            raise click.ClickException(str(error)) from None
        if storage is None:
            raise click.ClickException(
                "config.json: backup.active is false, so there is no storage to import into; "
                "rtoc config set backup.active true"
            )
        try:
            yield storage
        finally:
            storage.close()
    finally:
        lock.release()


#: Samples per TCP message: about 4 MB of JSON, far below tcp.maxMessageSize.
REMOTE_BATCH = 100_000


def _send(
    parsed: Parsed, host: str, port: int, password: str | None, timeout: float, force: bool
) -> int:
    """Stream the parsed samples to a logger's TCP server; the number sent.

    First the logger's events are searched for the record of an earlier
    import of this file into these signals (:func:`rtoc.io.ingest.marker`):
    found, nothing is sent (unless ``force``). After the samples the record
    is sent as an event.
    """
    from rtoc.frontend import EventQuery
    from rtoc.net.client import RemoteError, checked
    from rtoc.net.remote import RemoteLogger

    sizes: deque[int] = deque()

    def messages() -> Iterator[dict]:
        for (device, name), summary in parsed.signals.items():
            for x, y in parsed.batches((device, name), REMOTE_BATCH):
                message = {"x": x.tolist(), "y": y.tolist(), "sname": [name], "dname": device}
                if summary.unit:
                    message["unit"] = summary.unit
                sizes.append(len(x))
                yield message

    record = marker(parsed)
    total = sum(summary.count for summary in parsed.signals.values())
    with RemoteLogger(host, port, password, timeout=timeout) as remote:
        if not force:
            query = EventQuery(text=parsed.uid, devices=[IMPORT_DEVICE])
            earlier = remote.event_page(query).events
            if earlier:
                raise already_imported(parsed, earlier[0])
        try:
            with progress(f"sending to {host}:{port}", total) as advance:
                for reply in remote.client.pipeline(messages(), window=4):
                    checked(reply)
                    advance(sizes.popleft())
        except RemoteError as error:
            raise click.ClickException(
                f"{host}:{port} answered with an error: {error}; "
                "the samples sent before it stay there"
            ) from None
        remote.event(
            record.text,
            record.device,
            record.signal,
            record.priority,
            record.id,
            record.value,
            record.time,
        )
    return total


def _total(storage: Storage, signals: list[str] | None) -> int | None:
    """The samples an export of whole signals writes (None: a name the storage lacks)."""
    counts = {f"{info.device}.{info.name}": info.count for info in storage.signals()}
    if signals is None:
        return sum(counts.values())
    if not set(signals) <= counts.keys():
        return None
    return sum(counts[name] for name in signals)


def _when(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_iso(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither unix seconds nor ISO 8601") from None


@click.command("export")
@click.option(
    "--signals",
    "names",
    multiple=True,
    metavar="Device.Signal",
    help="Export these signals (repeatable, or comma-separated); default: all, with events.",
)
@click.option("--start", metavar="TIME", help="From this time (unix seconds or ISO 8601).")
@click.option("--end", metavar="TIME", help="Up to this time.")
@click.option("--format", "format_", metavar="NAME", help="File format (default: by suffix).")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    help="The file to write; '-' writes CSV (or --format) to stdout.",
)
def export_command(
    names: tuple[str, ...], start: str | None, end: str | None, format_: str | None, output: str
) -> None:
    """Export stored signals to a file; no logger needs to run."""
    from rtoc.storage.view import open_view

    home, registry = _context()
    signals = [name for item in names for name in item.split(",") if name] or None
    with _reported():
        exporters = registry.exporters()
        if output == "-":
            writer = choose(exporters, Path("-.csv"), format_ or "csv")
        else:
            writer = choose(exporters, Path(output), format_)
        config = load_config(home, registry.config_sections())
        first, last = _when(start), _when(end)
        with open_view(config, home, registry) as view:
            target = sys.stdout.buffer if output == "-" else Path(output)
            total = _total(view.storage, signals) if first is None and last is None else None
            with progress(f"exporting to {output}", total) as advance:
                count = export_stored(view.storage, target, writer, signals, first, last, advance)
        if output != "-":
            click.echo(f"Exported {count} samples to {output}.", err=True)
