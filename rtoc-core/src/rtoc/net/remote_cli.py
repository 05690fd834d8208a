"""``rtoc remote HOST``: what a logger on another machine records right now."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from rtoc.net.client import AuthenticationError, RemoteError
from rtoc.net.frame import FrameError
from rtoc.net.remote import RemoteLogger

PRIORITY_NAMES = ("info", "warning", "error")
#: Why a refused connection is most often refused: the server is off by default.
NOT_LISTENING = (
    "Is rtoc running there with its TCP server on? It is off until "
    "`rtoc config set tcp.active true` and a restart of rtoc; the port is tcp.port "
    "(default 5050), and without a tcp.password rtoc listens on 127.0.0.1 only."
)


@contextlib.contextmanager
def talking_to(host: str, port: int) -> Iterator[None]:
    """Turn a failed conversation with an rtoc server into a one-line message."""
    try:
        yield
    except AuthenticationError as error:
        raise click.ClickException(f"{host}:{port} refused the password: {error}") from None
    except RemoteError as error:
        raise click.ClickException(f"{host}:{port} answered with an error: {error}") from None
    except ConnectionRefusedError as error:
        message = f"cannot talk to {host}:{port}: {error}. {NOT_LISTENING}"
        raise click.ClickException(message) from None
    except (OSError, FrameError) as error:
        raise click.ClickException(f"cannot talk to {host}:{port}: {error}") from None


#: Options every command that talks to a server shares.
def server_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="Seconds to wait for the connection and for each answer.",
    )(command)
    command = click.option(
        "--password",
        envvar="RTOC_TCP_PASSWORD",
        default=None,
        help="The server's tcp.password (env RTOC_TCP_PASSWORD).",
    )(command)
    return click.option(
        "--port",
        "-p",
        type=click.IntRange(1, 65535),
        default=5050,
        show_default=True,
        help="The server's tcp.port.",
    )(command)


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


@click.command()
@click.argument("host")
@server_options
@click.option(
    "--events",
    "event_count",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many of the newest events to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def remote_command(
    host: str, port: int, password: str | None, event_count: int, timeout: float, as_json: bool
) -> None:
    """Show the signals, latest values and events of the rtoc logger at HOST."""
    with talking_to(host, port), RemoteLogger(host, port, password, timeout=timeout) as remote:
        info = remote.info()
        latest = remote.latest()
        names = remote.signal_names()
        events = remote.events_of()[-event_count:] if event_count else []
    if as_json:
        document = {
            "info": info,
            "signals": [
                {
                    "device": device,
                    "signal": signal,
                    **(latest[(device, signal)]._asdict() if (device, signal) in latest else {}),
                }
                for device, signal in names
            ],
            "events": [
                {
                    "time": e.time,
                    "priority": int(e.priority),
                    "device": e.device,
                    "signal": e.signal,
                    "text": e.text,
                    "id": e.id,
                    "value": e.value,
                }
                for e in events
            ],
        }
        click.echo(json.dumps(document, indent=2))
        return
    click.secho(f"{info.get('name', host)} at {host}:{port}", bold=True, nl=False)
    click.echo(
        f"  rtoc {info.get('version', '?')}, up since {_when(info.get('starttime', 0))}, "
        f"recording to {info.get('storage') or 'memory only'}"
    )
    click.echo(f"Signals ({len(names)}):")
    width = max((len(f"{d}.{s}") for d, s in names), default=0)
    for device, signal in names:
        reading = latest.get((device, signal))
        value = (
            f"{reading.y:.6g} {reading.unit}".rstrip() + f"   at {_when(reading.x)}"
            if reading is not None
            else "(no samples)"
        )
        click.echo(f"  {f'{device}.{signal}':<{width}}  {value}")
    click.echo(f"Events (newest {len(events)}):")
    for event in events:
        click.echo(
            f"  {_when(event.time)}  {PRIORITY_NAMES[event.priority]:<7}  "
            f"{event.where}: {event.text}"
        )
