"""Cells changed and rows deleted in a table before it is imported (the GUI's Import dialog).

Edits name a row by the line an error about it names: in a CSV file the
row's last line (the header is line 1), in a spreadsheet its row number. They
are an overlay on the row stream an importer reads, not a copy of the table:
the CSV importer rewrites the file's lines up to the last edited one and
streams the rest of the file unchanged after them
(:func:`rtoc.io.csv_head.edited_source`); the spreadsheet importers apply
them to the rows of the sheet as they are read (:func:`rtoc.io.table.table_blocks`).
So a file of any size can be edited in its first rows, and the import reads
the edited rows where the file has them, and the file itself after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs


@attrs.frozen
class Edits:
    """``cells``: (line, 0-based column, new text); ``deleted``: lines of rows left out."""

    cells: tuple[tuple[int, int, str], ...] = ()
    deleted: frozenset[int] = frozenset()
    _by_line: dict[int, dict[int, str]] = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_line: dict[int, dict[int, str]] = {}
        for line, column, text in self.cells:
            if line < 1 or column < 0:
                raise ValueError(f"no cell at line {line}, column {column + 1}")
            by_line.setdefault(line, {})[column] = text
        object.__setattr__(self, "_by_line", by_line)

    def __bool__(self) -> bool:
        return bool(self.cells or self.deleted)

    @property
    def last(self) -> int:
        """The last line edited or deleted (0: none)."""
        return max([*self._by_line, *self.deleted], default=0)

    def touches(self, line: int) -> bool:
        return line in self._by_line or line in self.deleted

    def row(self, line: int, cells: list) -> list | None:
        """The cells of the row at ``line`` as edited; None when it is deleted.

        A cell edited past the end of a short row lengthens it with empty cells.
        """
        if line in self.deleted:
            return None
        changed = self._by_line.get(line)
        if not changed:
            return cells
        edited = list(cells) + [""] * (max(changed) + 1 - len(cells))
        for column, text in changed.items():
            edited[column] = text
        return edited

    def apply(self, rows: Iterable[tuple[int, list]]) -> Iterator[tuple[int, list]]:
        """``(line, cells)`` rows as edited, the deleted ones left out."""
        for line, cells in rows:
            edited = self.row(line, cells)
            if edited is not None:
                yield line, edited
