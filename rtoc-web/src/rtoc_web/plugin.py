"""rtoc's hooks for the dashboard: the ``web`` config section, the frontend ``rtoc run``
starts when ``web.active``, and ``rtoc web`` standalone on the configured storage."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import rtoc
from rtoc_web.config import SECTION, WebConfig

if TYPE_CHECKING:
    from rtoc.config import Config
    from rtoc.logger import Logger
    from rtoc_web.serve import Server

log = logging.getLogger("rtoc_web")

#: Builds the login for a home folder: ``(home, open_access) -> Auth``.
AuthFactory = Callable[[Path, bool], Any]


def default_auth(home: Path, open_access: bool) -> Any:
    from rtoc_web.auth import Auth

    return Auth(home, open_access=open_access)


def login_for(home: Path, host: str, auth_factory: AuthFactory) -> Any:
    """The login of a server on ``host``: open to this machine while no user exists and
    ``host`` is loopback; BindRefused (with what to do) for another address and no users."""
    from rtoc.users import UserStore
    from rtoc_web.auth import check_bind, is_loopback

    check_bind(host, bool(UserStore(home).users()))
    return auth_factory(home, is_loopback(host))


class WebFrontend:
    """Serves the dashboard beside ``rtoc run`` when ``web.active`` is true."""

    name = "web"

    def __init__(self, auth_factory: AuthFactory = default_auth) -> None:
        self.auth_factory = auth_factory
        self.server: Server | None = None

    def start(self, logger: Logger, config: Config) -> None:
        from rtoc_web.app import create_app
        from rtoc_web.serve import Server

        section: WebConfig = config.section(SECTION)
        if not section.active:
            return
        home = Path(logger.home) if logger.home is not None else Path.cwd()
        app = create_app(
            logger, auth=login_for(home, section.host, self.auth_factory), config_section=section
        )
        self.server = Server(app.server, section.host, config.global_.webserver_port).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@rtoc.hookimpl
def rtoc_config_sections() -> dict[str, type]:
    return {SECTION: WebConfig}


@rtoc.hookimpl
def rtoc_frontends() -> list[Any]:
    return [WebFrontend()]


@rtoc.hookimpl
def rtoc_cli(cli: click.Group) -> None:
    cli.add_command(web_command, "web")


def _control(section: WebConfig, config: Config) -> Any:
    """The logger named by ``web.logger`` ("host:port") over TCP, or None."""
    if not section.logger:
        return None
    from rtoc.net.remote import RemoteLogger

    host, _, port = section.logger.rpartition(":")
    if not host or not port.isdigit():
        raise click.ClickException(f"web.logger must be 'host:port', not {section.logger!r}")
    return RemoteLogger(host, int(port), config.tcp.password or None)


@click.command()
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with config.json and the data (default: rtoc's --home).",
)
@click.option("--host", default=None, help="Address to bind (default: web.host).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Default: global.webserver_port."
)
@click.pass_context
def web_command(ctx: click.Context, home: Path | None, host: str | None, port: int | None) -> None:
    """Serve the dashboard standalone on the configured storage (no logger running here).

    Devices and automation are controlled through the logger named in
    web.logger ("host:port" of its TCP server), else they are shown only.
    """
    from rtoc.config import ConfigError, load_config
    from rtoc_web.app import create_app
    from rtoc_web.serve import Server

    obj = ctx.ensure_object(dict)
    registry = obj["registry"]
    if home is None:
        home = obj["home"]
    else:
        home = home.expanduser().absolute()
        registry.load_user_devices(home / "devices")
    try:
        config = load_config(home, registry.config_sections())
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    section: WebConfig = config.section(SECTION)
    host = host or section.host
    port = port or config.global_.webserver_port
    try:
        from rtoc.storage.view import open_view
    except ImportError:
        raise click.ClickException(
            "this rtoc-core cannot open storage read-only (rtoc.storage.view); update rtoc-core"
        ) from None
    try:
        view = open_view(config, home, registry)
    except Exception as error:
        raise click.ClickException(f"cannot open the storage: {error}") from None
    from rtoc_web.auth import BindRefused

    try:
        auth = login_for(home, host, default_auth)
    except BindRefused as error:
        raise click.ClickException(str(error)) from None
    control = _control(section, config)
    app = create_app(view, auth=auth, config_section=section, control=control)
    try:
        server = Server(app.server, host, port).start()
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port}: {error}") from None
    click.echo(f"rtoc web dashboard on {server.url} (Ctrl-C to stop)")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop()
    for source in (control, view):
        close = getattr(source, "close", None)
        if close is not None:
            close()
