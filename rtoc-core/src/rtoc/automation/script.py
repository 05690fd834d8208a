"""RTOC's script language: Python plus ``trig`` and ``global NAME = value``.

A script is translated with Python's own tokenizer and :mod:`ast`, never with
regular expressions on the text, so strings, comments and nested expressions
are left exactly as written:

* ``trig CONDITION:`` becomes ``if __trig__(site, CONDITION):``; its block runs
  only when the condition turns from false to true (remembered per ``trig``
  and per script, across runs).
* ``global NAME = value`` sets NAME on the first run only; from then on NAME
  keeps the value the previous run left it with.
* RTOC's ``[x], [y] = Device.Signal`` and ``[x] = Device.Signal.x`` unpack a
  signal's arrays.
* A last line that is an expression is the run's value (as in a Python
  prompt): it is kept as ``__value__`` in the namespace the run leaves.

Signals, device parameters and functions are not rewritten at all: each
device name in the namespace is a proxy (see :mod:`rtoc.automation.namespace`),
so a ``Device.Signal`` inside a string stays a string. The AST keeps the
user's own line and column numbers, so errors point at the user's source.
"""

from __future__ import annotations

import ast
import builtins
import io
import sys
import threading
import tokenize
import traceback
from collections.abc import Callable
from typing import Any

from rtoc.automation.watchdog import Interrupted

#: Tokens after which a new statement starts.
_STATEMENT_START = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT}
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING}
#: The name a run's value (its last line, when that is an expression) is kept under.
VALUE = "__value__"


class ScriptError(Exception):
    """A script that does not compile or that raised; names the user's line and column."""

    def __init__(
        self,
        script: str,
        line: int | None,
        column: int | None,
        message: str,
        source: str = "",
        kind: str = "script",
    ) -> None:
        self.script = script
        self.line = line
        self.column = column
        self.message = message
        where = f", line {line}" if line else ""
        where += f", column {column}" if line and column else ""
        text = f"{kind} {script}{where}: {message}"
        if line and source:
            lines = source.splitlines()
            if 0 < line <= len(lines):
                text += f"\n    {line} | {lines[line - 1]}"
        super().__init__(text)


class _Translation:
    """Token-level edits: where ``trig`` sites and ``global NAME =`` lines are."""

    def __init__(self) -> None:
        self.trig_sites: list[tuple[int, int]] = []  # (line, column) of each trig
        self.keeps: dict[tuple[int, int], str] = {}  # (line, column of global) -> NAME
        self.shifts: dict[int, tuple[int, int]] = {}  # line -> (from column, columns removed)
        self.roots: set[str] = set()  # see attribute_roots()


def _statement_tokens(source: str) -> list[list[tokenize.TokenInfo]]:
    """The source's tokens, grouped into logical lines (comments and blank lines dropped)."""
    lines: list[list[tokenize.TokenInfo]] = []
    current: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in _SKIPPED:
                continue
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if current:
                    lines.append(current)
                current = []
            elif token.type not in (tokenize.INDENT, tokenize.DEDENT):
                current.append(token)
    except (tokenize.TokenError, SyntaxError):
        # an unclosed bracket or string: keep what came before, so that
        # Python's parser can report the error on the edited text
        if current:
            lines.append(current)
    return lines


def _top_level_colon(tokens: list[tokenize.TokenInfo]) -> int | None:
    depth = 0
    for index, token in enumerate(tokens):
        if token.type == tokenize.OP:
            if token.string in "([{":
                depth += 1
            elif token.string in ")]}":
                depth -= 1
            elif token.string == ":" and depth == 0:
                return index
    return None


def _scan(source: str) -> _Translation:
    found = _Translation()
    for tokens in _statement_tokens(source):
        first = tokens[0]
        if first.type != tokenize.NAME or len(tokens) < 2:
            continue
        second = tokens[1]
        if first.string == "trig":
            colon = _top_level_colon(tokens)
            if colon is not None and colon > 1:  # "trig: int = 1" is an annotation
                found.trig_sites.append(first.start)
        elif (
            first.string == "global"
            and second.type == tokenize.NAME
            and len(tokens) > 2
            and tokens[2].string == "="
        ):
            line, column = first.start
            found.keeps[first.start] = second.string  # where NAME lands once "global " is cut
            found.shifts[line] = (column, second.start[1] - column)
    return found


def _edited(source: str, found: _Translation) -> str:
    lines = source.splitlines(keepends=True)
    for line, column in found.trig_sites:
        text = lines[line - 1]
        lines[line - 1] = text[:column] + "if  " + text[column + 4 :]
    for line, (column, removed) in found.shifts.items():
        text = lines[line - 1]
        lines[line - 1] = text[:column] + text[column + removed :]
    return "".join(lines)


#: CPython 3.10 never looks at pending work (a GIL drop request, an exception sent
#: with ``PyThreadState_SetAsyncExc``) before a ``try``'s first instruction. A
#: ``while`` loop whose body begins with ``try`` jumps back to exactly that
#: instruction, so it holds the GIL for good and cannot be interrupted. 3.11's
#: interpreter checks at every jump back.
_LOOPS_SKIP_PENDING_WORK = sys.version_info < (3, 11)


class _Rewriter(ast.NodeTransformer):
    def __init__(self, found: _Translation) -> None:
        self.trig_sites = {site: index for index, site in enumerate(found.trig_sites)}
        self.keeps = found.keeps

    def visit_While(self, node: ast.While) -> ast.AST:
        """On 3.10, begin every ``while`` body with ``[]``: a cheap instruction that is no ``try``.

        The loop then jumps back to an instruction where the interpreter
        releases the GIL and raises :class:`Interrupted`, as 3.11+ does anyway.
        """
        self.generic_visit(node)
        if _LOOPS_SKIP_PENDING_WORK:
            tick = ast.Expr(ast.List([], ast.Load()))
            node.body.insert(0, ast.copy_location(tick, node.body[0]))
        return node

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        site = self.trig_sites.get((node.lineno, node.col_offset))
        if site is not None:
            call = ast.Call(
                func=ast.Name("__trig__", ast.Load()),
                args=[ast.Constant(site), node.test],
                keywords=[],
            )
            node.test = ast.copy_location(call, node.test)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST | list[ast.stmt]:
        self.generic_visit(node)
        target = node.targets[0]
        if (
            len(node.targets) == 1
            and isinstance(target, ast.Name)
            and (target.lineno, target.col_offset) in self.keeps
        ):
            name = target.id
            keep = ast.Call(
                func=ast.Name("__keep__", ast.Load()),
                args=[ast.Constant(name), ast.Lambda(_no_arguments(), node.value)],
                keywords=[],
            )
            node.value = ast.copy_location(keep, node.value)
            declare = ast.copy_location(ast.Global([name]), node)
            return [declare, node]
        if _is_signal_chain(node.value):
            node.targets = [_unwrapped(t) for t in node.targets]
        return node


def _no_arguments() -> ast.arguments:
    return ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], defaults=[]
    )


def _is_signal_chain(value: ast.expr) -> bool:
    """``Device.Signal`` or ``Device.Signal.x``/``.y``: RTOC's unpacking sources."""
    if isinstance(value, ast.Attribute) and value.attr in ("x", "y"):
        value = value.value
    return isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)


def _unwrapped(target: ast.expr) -> ast.expr:
    """``[x]`` → ``x`` and ``[x], [y]`` → ``x, y`` (RTOC wrote signal arrays that way)."""
    if isinstance(target, ast.List) and len(target.elts) == 1:
        return target.elts[0]
    if isinstance(target, (ast.Tuple, ast.List)) and all(
        isinstance(e, ast.List) and len(e.elts) == 1 for e in target.elts
    ):
        return ast.copy_location(
            ast.Tuple([e.elts[0] for e in target.elts], ast.Store()),  # type: ignore[attr-defined]
            target,
        )
    return target


def _restore_columns(tree: ast.AST, shifts: dict[int, tuple[int, int]]) -> None:
    """Put back the columns ``global`` took on its lines, so positions are the user's."""
    if not shifts:
        return
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line in shifts:
            column, removed = shifts[line]
            if node.col_offset >= column:  # type: ignore[attr-defined]
                node.col_offset += removed  # type: ignore[attr-defined]
        end_line = getattr(node, "end_lineno", None)
        if end_line in shifts and node.end_col_offset is not None:  # type: ignore[attr-defined]
            column, removed = shifts[end_line]
            if node.end_col_offset >= column:  # type: ignore[attr-defined]
                node.end_col_offset += removed  # type: ignore[attr-defined]


def _keep_value(tree: ast.Module) -> None:
    """A last statement that is an expression becomes ``__value__ = expression``."""
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        keep = ast.Assign(targets=[ast.Name(VALUE, ast.Store())], value=last.value)
        tree.body[-1] = ast.copy_location(keep, last)


def attribute_roots(tree: ast.AST) -> set[str]:
    """Names used as ``NAME.attr`` that the script never binds: devices, maybe not there yet."""
    roots: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            roots.add(node.value.id)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return roots - bound - set(dir(builtins))


def signal_references(tree: ast.AST, devices: set[str]) -> set[tuple[str, str]]:
    """``(Device, Name)`` for every ``Device.Name`` with Device in ``devices``.

    Some of them are parameters or functions, not signals; they simply never
    get samples.
    """
    return {
        (node.value.id, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in devices
    }


class Expression:
    """A global event's condition: one expression of the script language.

    ``signals`` are the ``(device, signal)`` pairs it reads, so that it is
    evaluated when those get new samples and not otherwise.
    """

    def __init__(self, source: str, name: str = "condition") -> None:
        self.source = source
        self.name = name
        text = source.lstrip()
        indent = len(source) - len(text)
        filename = f"<condition {name}>"
        try:
            tree = ast.parse(text, filename, mode="eval")
        except SyntaxError as error:
            column = error.offset or None  # 0: the expression ended too early
            if error.lineno == 1 and column is not None:
                column += indent
            message = f"SyntaxError: {error.msg}"
            raise ScriptError(name, error.lineno, column, message, source, "condition") from None
        self.device_references = frozenset(attribute_roots(tree))
        self.signals = frozenset(signal_references(tree, set(self.device_references)))
        self.code = compile(tree, filename, "eval")

    def evaluate(self, names: dict[str, Any]) -> Any:
        return eval(self.code, names)


def translate(source: str, name: str = "script") -> tuple[Any, _Translation]:
    """Compile a script to a code object; :class:`ScriptError` with the user's position."""
    filename = f"<script {name}>"
    found = _scan(source)
    edited = _edited(source, found)
    try:
        tree = ast.parse(edited, filename)
    except SyntaxError as error:
        line, column = error.lineno, error.offset
        if line in found.shifts and column is not None and column - 1 >= found.shifts[line][0]:
            column += found.shifts[line][1]
        raise ScriptError(name, line, column, f"SyntaxError: {error.msg}", source) from None
    found.roots = attribute_roots(tree)
    tree = _Rewriter(found).visit(tree)
    _keep_value(tree)
    _restore_columns(tree, found.shifts)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec"), found


class Script:
    """A translated script with its ``global`` values and ``trig`` states.

    ``run(namespace)`` executes it once in a fresh namespace built from the
    given names; runs of the same Script share globals and trig edges.
    Runs are serialised: one Script never runs in two threads at once.
    """

    def __init__(self, source: str, name: str = "script") -> None:
        self.source = source
        self.name = name
        self.code, found = translate(source, name)
        self.filename = f"<script {name}>"
        self.global_names = tuple(dict.fromkeys(found.keeps.values()))
        #: Names the script uses as ``NAME.attr`` without defining them (device names).
        self.device_references = frozenset(found.roots)
        self.globals: dict[str, Any] = {}
        self._trig_states = [False] * len(found.trig_sites)
        self._lock = threading.Lock()

    def run(self, names: dict[str, Any]) -> dict[str, Any]:
        """Run once with ``names`` available; return the namespace it left.

        Raises :class:`ScriptError` pointing at the user's line and column.
        ``sys.exit()`` or ``exit()`` in a script ends this run early, nothing more.
        """
        with self._lock:
            namespace = {**names, "__trig__": self._trig, "__keep__": self._keep}
            namespace.setdefault("__builtins__", __builtins__)
            try:
                exec(self.code, namespace)
            except SystemExit:
                pass
            except Interrupted:
                raise
            except BaseException as error:  # a script's own KeyboardInterrupt is its failure
                raise self._runtime_error(error) from error
            finally:
                for name in self.global_names:
                    if name in namespace:
                        self.globals[name] = namespace[name]
            return namespace

    def _trig(self, site: int, condition: object) -> bool:
        now = bool(condition)
        fired = now and not self._trig_states[site]
        self._trig_states[site] = now
        return fired

    def _keep(self, name: str, initial: Callable[[], Any]) -> Any:
        if name in self.globals:
            return self.globals[name]
        return initial()

    def _runtime_error(self, error: BaseException) -> ScriptError:
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if frame.filename == self.filename
        ]
        frame = frames[-1] if frames else None
        line = frame.lineno if frame else None
        # Tracebacks have columns from CPython 3.11 on (PEP 657); 3.10 knows only the line.
        colno = getattr(frame, "colno", None)
        column = colno + 1 if colno is not None else None
        message = f"{type(error).__name__}: {error}"
        return ScriptError(self.name, line, column, message, self.source)
