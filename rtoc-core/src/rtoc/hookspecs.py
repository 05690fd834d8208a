"""The hooks through which distributions extend rtoc.

A plugin is a module (or object) with functions decorated ``@rtoc.hookimpl``,
named after the specs below, and found through the entry-point group ``rtoc``::

    # pyproject.toml of rtoc-device-foo
    [project.entry-points.rtoc]
    foo = "rtoc_device_foo.plugin"

    # rtoc_device_foo/plugin.py
    import rtoc

    @rtoc.hookimpl
    def rtoc_devices():
        return [FooMeter]

Every hook is optional. The hot path (a sample arriving) never goes through
these hooks: they are for discovery and for rare things.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from rtoc.device import Device
    from rtoc.events import Event
    from rtoc.frontend import Frontend
    from rtoc.io.formats import Exporter, Importer
    from rtoc.logger import Logger
    from rtoc.storage.base import StorageFactory

hookspec = pluggy.HookspecMarker("rtoc")
hookimpl = pluggy.HookimplMarker("rtoc")


@hookspec
def rtoc_devices() -> list[type[Device]]:
    """Return the device classes this plugin provides.

    Example::

        @hookimpl
        def rtoc_devices():
            return [DPS5020]
    """


@hookspec
def rtoc_storage_backends() -> dict[str, StorageFactory]:
    """Return storage backends by name; ``backup.backend`` in config.json picks one.

    A factory is called as ``factory(config, home)`` and returns an open
    :class:`rtoc.storage.base.Storage`. Example::

        @hookimpl
        def rtoc_storage_backends():
            return {"postgresql": open_postgres}
    """


@hookspec
def rtoc_storage_readers() -> dict[str, StorageFactory]:
    """Return, by backend name, factories that open a storage for reading only.

    ``rtoc web`` standalone reads what a ``rtoc run`` elsewhere writes: a
    reader must not change the data, migrate, spool or run maintenance, and
    must see what the writer stores while both are open. A backend without a
    reader cannot be viewed from another process. Example::

        @hookimpl
        def rtoc_storage_readers():
            return {"postgresql": open_postgres_reader}
    """


@hookspec
def rtoc_frontends() -> list[Frontend]:
    """Return frontends that ``rtoc run`` starts beside the logger.

    A frontend has a ``name``, ``start(logger, config)`` and ``stop()``; it
    decides from the config whether it has anything to do: its own section
    (see :func:`rtoc_config_sections`) is ``config.section("web")``. Example::

        @hookimpl
        def rtoc_frontends():
            return [TelegramBot()]
    """


@hookspec
def rtoc_importers() -> list[Importer]:
    """Return file formats this plugin reads into signals (see :mod:`rtoc.io.formats`).

    An importer has a ``name``, the ``suffixes`` it is chosen by, the
    ``extra`` it needs (or None) and ``read(path, options)`` yielding
    :class:`rtoc.io.formats.Block` objects; ``rtoc import`` and
    ``rtoc.load`` in scripts use it. A name an earlier plugin took is
    replaced (rtoc-core's built-ins come first). Example::

        @hookimpl
        def rtoc_importers():
            return [TdmsImporter()]  # name "tdms", suffixes (".tdms",)
    """


@hookspec
def rtoc_exporters() -> list[Exporter]:
    """Return file formats this plugin writes signals to (see :mod:`rtoc.io.formats`).

    An exporter has ``name``, ``suffixes``, ``extra`` and
    ``write(target, signals, events)``, where ``target`` is a path or a
    binary stream. Example::

        @hookimpl
        def rtoc_exporters():
            return [HDF5Exporter()]
    """


@hookspec
def rtoc_config_sections() -> dict[str, type]:
    """Return this plugin's own sections of config.json: ``{name: attrs class}``.

    Every field needs a default; numbers take bounds as the core's do
    (``Annotated[float, Limits(...)]`` or the aliases in :mod:`rtoc.config`),
    and ``Literal`` lists the allowed values. rtoc then loads, checks (errors
    name file and key), saves and changes the section like its own, with
    ``rtoc config get|set web.host``. A frontend or storage backend reads it
    as ``config.section("web")``, an instance of the class. A name that two
    installed plugins register is used by neither (both are listed failed,
    naming each other). Example::

        from rtoc.config import Limits

        @attrs.frozen
        class WebConfig:
            active: bool = False
            host: str = "127.0.0.1"
            plotRate: Annotated[float, Limits(0.1, 60)] = 8.0
            theme: Literal["light", "dark"] = "light"

        @hookimpl
        def rtoc_config_sections():
            return {"web": WebConfig}
    """


@hookspec
def rtoc_script_namespace(logger: Logger) -> dict[str, Any]:
    """Return names that scripts and event conditions may use.

    Example::

        @hookimpl
        def rtoc_script_namespace(logger):
            return {"celsius_to_kelvin": lambda c: c + 273.15}
    """


@hookspec
def rtoc_cli(cli: click.Group) -> None:
    """Add commands to the ``rtoc`` command line.

    Example::

        @hookimpl
        def rtoc_cli(cli):
            @cli.command()
            def web():
                "Serve the web dashboard."
    """


@hookspec
def rtoc_event(logger: Logger, event: Event) -> None:
    """Called for every event the logger records (notifications, forwarding).

    Runs in the thread that raised the event: hand slow work to your own thread.
    Example::

        @hookimpl
        def rtoc_event(logger, event):
            if event.priority >= 2:
                send_mail(f"{event.device}: {event.text}")
    """


@hookspec
def rtoc_telegram_send(
    logger: Logger, device: str, kind: str, content: str, only_admin: bool
) -> bool:
    """A device asks to send ``content`` to the Telegram bot's users; return True when sent
    (or queued) on its way, False or None when this plugin does not handle it.

    ``kind`` is ``"message"`` (``content`` is the text), ``"photo"`` or
    ``"document"`` (``content`` is a file path); ``only_admin`` restricts it
    to admins. RTOC plugins call it as ``self.telegram_send_message(text)``.
    Example::

        @hookimpl
        def rtoc_telegram_send(logger, device, kind, content, only_admin):
            if kind == "message":
                bot.queue(f"{device}: {content}", admins_only=only_admin)
                return True
            return False
    """


@hookspec
def rtoc_gui_widget(device: Device) -> Any:
    """Return the desktop GUI's widget for ``device``, or None when ``device`` is not yours.

    rtoc-gui asks once for each device attached to a logger in its own
    process (a device of a remote logger runs on another machine: its
    widget cannot run here, and the GUI says so), on the GUI thread. Return
    a PyQt5 ``QWidget``, shown in its own window from the device button's
    menu, or ``{"widget": widget, "small": True}`` to show it as a drop-down
    under the device's button (RTOC's ``smallGUI``). The first plugin that
    returns one wins. Import Qt inside the function: the plugin then loads
    on a machine without PyQt5 too. RTOC 2.x plugins need no hook: their
    ``loadGUI()`` and ``smallGUI`` are used as RTOC used them. Example::

        @hookimpl
        def rtoc_gui_widget(device):
            if isinstance(device, PowerSupply):
                from rtoc_device_psu.panel import Panel  # a QWidget with a knob

                return {"widget": Panel(device), "small": True}
            return None
    """
