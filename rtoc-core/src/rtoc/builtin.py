"""rtoc-core's own plugin: demo devices, embedded storage backends, the TCP server, file formats."""

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


@hookimpl
def rtoc_importers():
    from rtoc.io.csv_import import CsvImporter
    from rtoc.io.mat import MatFormat
    from rtoc.io.parquet import ParquetFormat
    from rtoc.io.session import SessionFormat
    from rtoc.io.spreadsheet import OdsFormat, XlsxFormat
    from rtoc.io.wav import WavFormat

    return [
        CsvImporter(),
        SessionFormat(),
        ParquetFormat(),
        MatFormat(),
        WavFormat(),
        XlsxFormat(),
        OdsFormat(),
    ]


@hookimpl
def rtoc_exporters():
    from rtoc.io.csv_export import CsvExporter
    from rtoc.io.mat import MatFormat
    from rtoc.io.parquet import ParquetFormat
    from rtoc.io.session import SessionFormat
    from rtoc.io.spreadsheet import OdsFormat, XlsxFormat
    from rtoc.io.wav import WavFormat

    return [
        SessionFormat(),
        CsvExporter(),
        ParquetFormat(),
        MatFormat(),
        WavFormat(),
        XlsxFormat(),
        OdsFormat(),
    ]
