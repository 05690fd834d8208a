"""The folders of ``$RTOC_HOME`` that scripts write into and read from.

Scripts reach the logger over TCP (``runScript``, jobs, global actions),
from the web and Telegram frontends, and from files; once a job or an
action is saved, nobody can tell which door it came by. So every script
gets the same rule for file names: relative to its folder (``export/`` for
``exportData``/``rtoc.export``, ``import/`` for ``importData``/``rtoc.load``),
and an absolute name, ``~``, or ``..`` (or a link) leading out of the folder
is refused. ``rtoc export -o`` and ``rtoc import`` take any path.
"""

from __future__ import annotations

from pathlib import Path

EXPORT_FOLDER = "export"
IMPORT_FOLDER = "import"


def within(folder: Path, filename: str | Path) -> Path | None:
    """``folder / filename`` normalized, or None when the name leads out of ``folder``."""
    name = Path(filename)
    if name.is_absolute() or str(filename).startswith("~"):
        return None
    resolved, base = (folder / name).resolve(), folder.resolve()
    if not resolved.is_relative_to(base):
        return None
    return folder / resolved.relative_to(base)
