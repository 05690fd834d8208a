"""A progress bar on stderr for ``rtoc import`` and ``rtoc export`` (tqdm).

It shows only when stderr is a terminal, and only once the work has taken
more than :data:`DELAY` seconds: a quick import prints nothing extra, and
stderr piped to a file or read by a program (scripts, CI, ``-o -`` into a
pipe) never gets bar characters. The bar counts samples, with a total where
it is known beforehand (an export: the stored signals' counts).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from rtoc.io.formats import Block, Importer, ImportOptions

#: Seconds of work before the bar appears.
DELAY = 1.0

#: Called with the number of samples just done.
Advance = Callable[[int], None]


def on_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Advance]:
    """A bar for ``description``; yields the function that advances it."""
    stream = sys.stderr
    with tqdm(
        desc=description,
        total=total,
        unit=" samples",
        unit_scale=True,
        file=stream,
        delay=DELAY,
        disable=not on_terminal(stream),
        dynamic_ncols=True,
    ) as bar:
        yield bar.update


class Counted:
    """An importer whose blocks advance a bar by the samples they hold."""

    def __init__(self, importer: Importer, advance: Advance) -> None:
        self.importer = importer
        self.advance = advance
        self.name = importer.name
        self.suffixes = importer.suffixes
        self.extra = importer.extra

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        for block in self.importer.read(path, options):
            yield block
            self.advance(len(block.x) * len(block.columns))
