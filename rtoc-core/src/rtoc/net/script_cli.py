"""``rtoc script FILE`` and ``rtoc jobs``: run scripts in a running rtoc, over TCP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rtoc.net.client import Client
from rtoc.net.remote_cli import server_options, talking_to


def _logger_command(
    host: str, port: int, password: str | None, timeout: float, **commands: Any
) -> dict[str, Any]:
    with talking_to(host, port), Client(host, port, password, timeout=timeout) as client:
        return client.request(logger=commands)["logger"]


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--host", default="127.0.0.1", show_default=True, help="The rtoc to run it in.")
@server_options
@click.option(
    "--name",
    help="The script's name in errors and output, and the job's name "
    '(default: the file\'s name; "stdin" for "-").',
)
@click.option("--every", type=click.FloatRange(min=0, min_open=True), help="Run every S seconds.")
@click.option(
    "--samplerate", type=click.FloatRange(min=0, min_open=True), help="Run N times a second."
)
@click.option(
    "--on",
    "signals",
    multiple=True,
    metavar="DEVICE.SIGNAL",
    help="Run whenever this signal gets new data (repeatable).",
)
@click.option("--replace", is_flag=True, help="Replace a job of the same name.")
@click.option(
    "--limit",
    type=click.FloatRange(0, 600, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a run-once script may take; its answer is awaited at least this + 5 s.",
)
def script_command(
    file: Any,
    host: str,
    port: int,
    password: str | None,
    timeout: float,
    name: str | None,
    every: float | None,
    samplerate: float | None,
    signals: tuple[str, ...],
    replace: bool,
    limit: float,
) -> None:
    """Run the script FILE ("-": standard input) in the rtoc at HOST.

    Without a schedule it runs once and its output is printed here; with
    --every, --samplerate or --on it becomes a job that keeps running there
    (see `rtoc jobs`).
    """
    source = file.read()
    schedules = {
        "every": every,
        "samplerate": samplerate,
        "signals": list(signals) or None,
    }
    chosen = {key: value for key, value in schedules.items() if value is not None}
    if len(chosen) > 1:
        raise click.UsageError("choose one of --every, --samplerate and --on")
    script_name = name or (Path(file.name).stem if file.name != "<stdin>" else "stdin")
    if not chosen:
        answer = _logger_command(
            host,
            port,
            password,
            max(timeout, limit + 5),
            runScript={"script": source, "timeout": limit, "name": script_name},
        )
        for line in answer["runScript"]["output"]:
            click.echo(line)
        return
    job = {"name": script_name, "script": source, "replace": replace, **chosen}
    added = _logger_command(host, port, password, timeout, addJob=job)["addJob"]
    click.echo(f"Job {added['name']} runs {added['schedule']} in {host}:{port}.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The rtoc to ask.")
@server_options
@click.option("--stop", "stop", multiple=True, metavar="NAME", help="Stop this job.")
@click.option("--start", "start", multiple=True, metavar="NAME", help="Start it again.")
@click.option("--remove", "remove", multiple=True, metavar="NAME", help="Stop and forget it.")
def jobs_command(
    host: str,
    port: int,
    password: str | None,
    timeout: float,
    stop: tuple[str, ...],
    start: tuple[str, ...],
    remove: tuple[str, ...],
) -> None:
    """List the script jobs of the rtoc at HOST; stop, start or remove some first."""
    changes = {
        command: list(names)
        for command, names in (("stopJob", stop), ("startJob", start), ("removeJob", remove))
        if names
    }
    listed = _logger_command(host, port, password, timeout, **changes, jobs=True)["jobs"]
    if not listed:
        click.echo("No jobs.")
    for job in listed:
        line = f"{job['name']}: {job['schedule']}, {job['state']}, {job['runs']} runs"
        if job["failures"]:
            line += f", {job['failures']} failed"
        if job["skipped"]:
            line += f", {job['skipped']} skipped"
        click.echo(line)
        if job["last_error"]:
            click.echo("    last error: " + job["last_error"].replace("\n", "\n    "))
