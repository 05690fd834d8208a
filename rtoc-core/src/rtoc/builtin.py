"""rtoc-core's own plugin: demo devices, embedded storage backends, the TCP server."""

from __future__ import annotations

from rtoc.hookspecs import hookimpl


@hookimpl
def rtoc_devices():
    from rtoc.devices.generator import Generator
    from rtoc.devices.system import System

    return [Generator, System]


@hookimpl
def rtoc_storage_backends():
    from rtoc.storage.memory import open_memory
    from rtoc.storage.sqlite import open_sqlite

    return {"sqlite": open_sqlite, "memory": open_memory}


@hookimpl
def rtoc_storage_readers():
    from rtoc.storage.sqlite import read_sqlite

    return {"sqlite": read_sqlite}


@hookimpl
def rtoc_frontends():
    from rtoc.net.server import TcpServer

    return [TcpServer()]
