"""rtoc-core's own plugin: the demo devices and the embedded storage backends."""

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
