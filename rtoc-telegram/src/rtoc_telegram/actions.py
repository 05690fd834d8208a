"""The custom menu: ``$RTOC_HOME/telegramActions.json``, RTOC's format.

The file maps a button's name to a Python script that ends with
``return 'text', "…"``, ``return 'picture', path`` or ``return 'document',
path``. Names starting with ``_`` are for admins only. The file is the
admin's (it lives beside config.json); a user only presses the button.

Each run has a time limit: the core's :class:`rtoc.automation.watchdog.Watchdog`
interrupts a script that runs past it (a blocking C call stops when it returns),
and the user gets the error, with the line, as for a script that raises. A
script sees ``logger`` (the logger, as the frontend interface
:class:`rtoc.frontend.LoggerView`), ``clock`` (now, unix seconds) and
``print`` (what it prints is the answer when it returns nothing).
"""

from __future__ import annotations

import json
import textwrap
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtoc.automation.watchdog import Watchdog
from rtoc.frontend import LoggerView

ACTIONS_FILE = "telegramActions.json"
#: Seconds an action may run.
TIME_LIMIT = 10.0
KINDS = ("text", "picture", "document")


class ActionError(Exception):
    """An action that does not compile, raised, ran too long or returned something unusable."""


@dataclass(frozen=True)
class Answer:
    """What an action returned: ``kind`` is text, picture or document; ``content`` the text
    or the file's path."""

    kind: str
    content: str


def load_actions(home: Path) -> dict[str, str]:
    """Button name -> script; {} without a file; ActionError naming what is wrong."""
    path = Path(home) / ACTIONS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise ActionError(f"{path}: {error}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ActionError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict) or not all(
        isinstance(name, str) and isinstance(script, str) for name, script in data.items()
    ):
        raise ActionError(f'{path}: expected {{"button name": "python script", ...}}')
    return data


def admin_only(name: str) -> bool:
    return name.startswith("_")


def run_action(
    name: str, source: str, logger: LoggerView, watchdog: Watchdog, limit: float | None = None
) -> Answer:
    """Run one action (in the calling thread, at most ``limit`` seconds, default
    :data:`TIME_LIMIT`) and return its answer, or raise ActionError."""
    limit = TIME_LIMIT if limit is None else limit
    filename = f"<{ACTIONS_FILE} {name}>"
    body = textwrap.indent(textwrap.dedent(source).strip("\n"), "    ") or "    pass"
    # the script is the body of a function (it ends with return): its line n is line n + 1
    try:
        code = compile(f"def __action__():\n{body}\n", filename, "exec")
    except SyntaxError as error:
        line = (error.lineno or 2) - 1
        raise ActionError(f"{name}, line {line}: {error.msg}") from None
    printed: list[str] = []

    def script_print(*values: object, sep: str = " ", **_: object) -> None:
        printed.append(sep.join(str(value) for value in values))

    namespace: dict[str, Any] = {"logger": logger, "clock": time.time(), "print": script_print}
    exec(code, namespace)  # defines __action__ only
    returned: list[Any] = []
    try:
        run = watchdog.call(name, limit, lambda: returned.append(namespace["__action__"]()))
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
        where = f", line {frames[-1].lineno - 1}" if frames and frames[-1].lineno else ""
        raise ActionError(f"{name}{where}: {type(error).__name__}: {error}") from None
    if run.reason:
        raise ActionError(f"{name}: stopped: it {run.reason}")
    return _answer(name, returned[0] if returned else None, printed)


def _answer(name: str, value: Any, printed: list[str]) -> Answer:
    if value is None:
        return Answer("text", "\n".join(printed) or f"{name}: done")
    if isinstance(value, str):
        return Answer("text", value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] in KINDS:
        return Answer(str(value[0]), str(value[1]))
    raise ActionError(
        f"{name}: returned {value!r:.100}; an action returns ('text', ...), "
        "('picture', path) or ('document', path)"
    )
