"""Import and export: where files become signals and signals files.

Formats are plugins (:mod:`rtoc.io.formats`, hooks ``rtoc_importers`` and
``rtoc_exporters``); rtoc-core brings CSV, session JSON and Parquet.
:mod:`rtoc.io.ingest` reads a file into storage, :mod:`rtoc.io.export`
writes signals from a logger or a storage, :mod:`rtoc.io.cli` holds
``rtoc import`` and ``rtoc export``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rtoc.io.formats import Exporter, Importer

if TYPE_CHECKING:
    from rtoc.plugins import PluginRegistry


def importers(registry: PluginRegistry | None = None) -> dict[str, Importer]:
    """The file formats to read: the registry's, or rtoc-core's own without one."""
    if registry is not None:
        return registry.importers()
    from rtoc import builtin

    return {found.name: found for found in builtin.rtoc_importers()}


def exporters(registry: PluginRegistry | None = None) -> dict[str, Exporter]:
    """The file formats to write: the registry's, or rtoc-core's own without one."""
    if registry is not None:
        return registry.exporters()
    from rtoc import builtin

    return {found.name: found for found in builtin.rtoc_exporters()}
