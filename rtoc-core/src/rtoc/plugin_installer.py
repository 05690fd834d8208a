"""Installing, upgrading and removing rtoc plugins with pip (RTOC's Plugin-Downloader).

A plugin is a distribution with an entry point in the group ``rtoc``. Every
command runs pip as ``PYTHON -m pip`` in the environment of ``python``
(default: the one running rtoc), so a plugin lands where rtoc finds it; the
GUI passes the Python of the rtoc it manages.

**Short names.** A name that does not start with ``rtoc-`` is looked for as
``rtoc-device-NAME``, then ``rtoc-NAME``, then ``NAME`` itself; the first that
is installed as an rtoc plugin or that pip finds (with the same index options)
is taken: ``dps5020`` is ``rtoc-device-dps5020``, ``web`` is ``rtoc-web``. The
prefixed names come first so that a short name never installs an unrelated
distribution of that name from PyPI. A name starting with ``rtoc-`` is taken
as it is.

**Only plugins.** After pip has installed a distribution that was asked for,
its entry points are read in that environment; one with none in the group
``rtoc`` is no plugin and is uninstalled again (unless it was installed
before). ``uninstall`` removes only plugins: never rtoc-core, never a library.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import attrs

from rtoc.plugins import ENTRY_POINT_GROUP

if TYPE_CHECKING:
    from rtoc.plugins import PluginRegistry

__all__ = [
    "CORE",
    "Distribution",
    "IndexOptions",
    "InstalledPlugin",
    "InstallerError",
    "PipResult",
    "candidates",
    "install",
    "installed_plugins",
    "list_installed",
    "uninstall",
]

#: The distribution that is rtoc itself: listed, upgradable, never uninstalled.
CORE = "rtoc-core"
#: Lines of pip's output an error shows.
TAIL_LINES = 15

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
#: NAME, NAME[extra], NAME>=1.2, NAME[extra]==1.0,<2 (PEP 508 without URLs and markers).
_REQUIREMENT = re.compile(
    rf"(?P<name>{_NAME})(?P<extras>\[\s*{_NAME}(?:\s*,\s*{_NAME})*\s*\])?"
    r"(?P<spec>\s*(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+"
    r"(?:\s*,\s*(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+)*)?"
)
_NOT_FOUND = re.compile(r"No matching distribution found for|Could not find a version that")

Echo = Callable[[str], object]


class InstallerError(Exception):
    """A request refused before pip changed anything; the message says why."""


def normalize(name: str) -> str:
    """A distribution name as pip compares it (PEP 503): ``Rtoc_Device.X`` is ``rtoc-device-x``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def candidates(name: str) -> list[str]:
    """The distributions a name given to install or uninstall may mean, in the order tried."""
    if normalize(name).startswith("rtoc-"):
        return [name]
    return [f"rtoc-device-{name}", f"rtoc-{name}", name]


@attrs.frozen
class Distribution:
    """An installed distribution as the environment's metadata describes it."""

    name: str
    version: str
    entry_points: tuple[str, ...]  # names in the group ``rtoc``

    @property
    def is_plugin(self) -> bool:
        return bool(self.entry_points)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@attrs.frozen
class InstalledPlugin:
    """One row of ``rtoc plugins``: a distribution, what its plugins provide, what failed."""

    distribution: str
    version: str
    entry_points: tuple[str, ...]
    #: ``{kind: names}`` as :meth:`rtoc.plugins.PluginRegistry.provides` gives it
    provides: dict[str, list[str]]
    #: ``"entry point: error"`` for each plugin of it that failed to load or in a hook
    errors: tuple[str, ...] = ()
    core: bool = False

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InstalledPlugin:
        return cls(
            data["distribution"],
            data["version"],
            tuple(data["entry_points"]),
            {kind: list(names) for kind, names in data["provides"].items()},
            tuple(data["errors"]),
            data["core"],
        )


@attrs.frozen
class IndexOptions:
    """Where pip looks for distributions: passed through as pip's options of the same names."""

    find_links: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    no_index: bool = False
    index_url: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.no_index and self.index_url:
            raise InstallerError("--no-index and --index-url contradict each other; give one")
        if self.no_index and not self.find_links:
            raise InstallerError("--no-index needs --find-links DIR: pip would find nothing")
        for place in self.find_links:
            if "://" not in place and not os.path.isdir(place):
                raise InstallerError(f"--find-links {place}: no such folder")

    def pip_args(self) -> list[str]:
        args = [arg for place in self.find_links for arg in ("--find-links", place)]
        if self.no_index:
            args.append("--no-index")
        if self.index_url:
            args += ["--index-url", self.index_url]
        return args

    def describe(self) -> str:
        where = [f"--find-links {place}" for place in self.find_links]
        if self.no_index:
            where.append("no index")
        else:
            where.append(self.index_url or "pip's configured index")
        return ", ".join(where)


@attrs.define
class PipResult:
    """What one install or uninstall did: ``ok`` is False when anything asked for failed."""

    ok: bool
    #: one line each for the user: what changed, what was refused and why
    messages: list[str]
    #: pip's whole output, stdout and stderr as they came
    output: str
    #: pip's exit code (of the last pip that failed, else 0)
    pip_exit: int = 0
    #: ``"rtoc-device-foo 0.2.0"`` for each plugin installed, upgraded or removed
    changed: list[str] = attrs.Factory(list)

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The end of pip's output, where its error is."""
        return "\n".join(self.output.rstrip("\n").splitlines()[-lines:])


# -- the environment ------------------------------------------------------------

#: Run by the target Python: ``{"pip": bool, "installed": {normalized name: [name, version,
#: [rtoc entry points]]}}``; the first of a name on sys.path wins, as for import.
_PROBE = f"""
import importlib.metadata, importlib.util, json, re, sys
found = {{}}
for dist in importlib.metadata.distributions():
    name = dist.metadata["Name"]
    key = name and re.sub(r"[-_.]+", "-", name).lower()
    if key and key not in found:
        points = sorted({{p.name for p in dist.entry_points if p.group == {ENTRY_POINT_GROUP!r}}})
        found[key] = [name, dist.version, points]
json.dump({{"pip": importlib.util.find_spec("pip") is not None, "installed": found}}, sys.stdout)
"""


def installed_distributions(python: str = sys.executable) -> dict[str, Distribution]:
    """Every distribution installed for ``python``, by normalized name.

    InstallerError when ``python`` cannot run or has no pip: every command here needs it.
    """
    try:
        result = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as error:
        raise InstallerError(f"cannot run {python}: {error.strerror}") from None
    if result.returncode != 0:
        raise InstallerError(f"{python} cannot read its installed distributions:\n{result.stderr}")
    probed = json.loads(result.stdout)
    if not probed["pip"]:
        raise InstallerError(
            f"pip is not available to {python}; install it first ({python} -m ensurepip)"
        )
    return {
        key: Distribution(name, version, tuple(points))
        for key, (name, version, points) in probed["installed"].items()
    }


def _pip(python: str, args: Sequence[str], output: Echo | None) -> tuple[int, str]:
    """Run ``python -m pip ARGS``; its exit code and output, each line also to ``output``."""
    command = [python, "-m", "pip", *args]
    if output is not None:
        output("$ " + " ".join(command))
    lines: list[str] = []
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={
            **os.environ,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
        },
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if output is not None:
                output(line.rstrip("\n"))
    return process.returncode, "".join(lines)


# -- listing --------------------------------------------------------------------


def installed_plugins(registry: PluginRegistry) -> list[InstalledPlugin]:
    """The rtoc plugin distributions of this environment, rtoc-core first, from ``registry``.

    Every distribution with an entry point in the group ``rtoc`` is listed,
    also when none of its plugins loaded; what it provides and what failed
    come from ``registry`` (loaded with entry points).
    """
    from rtoc import __version__

    provides = registry.provides()
    by_source: dict[str, list[str]] = {}
    for info in registry.plugins.values():
        by_source.setdefault(info.source, []).append(info.name)
    distributions: dict[str, tuple[str, str, list[str]]] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.dist is None:
            continue
        name, version = point.dist.name, point.dist.version
        points = distributions.setdefault(normalize(name), (name, version, []))[2]
        if point.name not in points:
            points.append(point.name)
    rows = [(CORE, __version__, ["builtin"], True)]
    rows += [(*distributions[key], False) for key in sorted(distributions) if key != CORE]
    listing = []
    for name, version, points, core in rows:
        plugins = [p for p in by_source.get(f"{name} {version}", []) if p in points]
        kinds: dict[str, list[str]] = {}
        for plugin in plugins:
            for kind, names in provides.get(plugin, {}).items():
                kinds.setdefault(kind, []).extend(names)
        errors = [
            f"{plugin}: {registry.plugins[plugin].error}"
            for plugin in plugins
            if not registry.plugins[plugin].ok
        ]
        errors += [
            f"{point}: the entry point name {point!r} is used by another installed plugin too"
            for point in points
            if point not in plugins
        ]
        listing.append(
            InstalledPlugin(
                name,
                version,
                () if core else tuple(points),
                {kind: sorted(names) for kind, names in kinds.items()},
                tuple(errors),
                core,
            )
        )
    return listing


def list_installed(python: str = sys.executable) -> list[InstalledPlugin]:
    """:func:`installed_plugins` of the environment of ``python``, read by ``rtoc plugins --json``
    in a process of its own: it sees what was installed since this process started."""
    try:
        result = subprocess.run(
            [python, "-m", "rtoc", "plugins", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as error:
        raise InstallerError(f"cannot run {python}: {error.strerror}") from None
    if result.returncode != 0:
        raise InstallerError(f"{python} -m rtoc plugins failed:\n{result.stderr.strip()}")
    return [InstalledPlugin.from_json(row) for row in json.loads(result.stdout)["plugins"]]


# -- installing -----------------------------------------------------------------


def _split(requirement: str) -> tuple[str, str]:
    """``(name, rest)`` of ``NAME[extras]SPEC``; InstallerError for anything else (paths, URLs)."""
    match = _REQUIREMENT.fullmatch(requirement.strip())
    if match is None:
        raise InstallerError(
            f"{requirement!r} is not a distribution name (letters, digits, '.', '_' and '-', "
            "optionally with a version such as 'foo>=1.2'); for wheel files, give their "
            "folder with --find-links DIR and the name"
        )
    return match["name"], requirement.strip()[len(match["name"]) :]


def _found_by_pip(python: str, name: str, index: IndexOptions, output: Echo | None) -> bool:
    """Whether pip finds ``name`` (with its version specifier) where ``index`` says."""
    code, text = _pip(
        python, ["install", "--dry-run", "--no-deps", *index.pip_args(), name], output
    )
    if code == 0:
        return True
    if _NOT_FOUND.search(text):
        return False
    tail = "\n".join(text.rstrip("\n").splitlines()[-TAIL_LINES:])
    raise InstallerError(f"pip could not look for {name} (exit {code}):\n{tail}")


def _resolve_for_install(
    requirement: str,
    installed: dict[str, Distribution],
    python: str,
    index: IndexOptions,
    note: Echo,
    output: Echo | None,
) -> str:
    """The requirement to give pip for ``requirement``, its short name resolved."""
    name, rest = _split(requirement)
    tried = candidates(name)
    for candidate in tried:
        present = installed.get(normalize(candidate))
        if present is not None and not present.is_plugin and normalize(candidate) != CORE:
            raise InstallerError(
                f"{present} is installed but is no rtoc plugin (it has no entry point in the "
                f"group {ENTRY_POINT_GROUP!r}); rtoc install leaves it alone"
            )
        if present is not None or len(tried) == 1:
            return candidate + rest
        note(f"Looking for {candidate}...")
        if _found_by_pip(python, candidate + rest, index, output):
            return candidate + rest
    names = ", ".join(tried[:-1]) + f" or {tried[-1]}"
    raise InstallerError(f"no distribution {names} found ({index.describe()})")


def install(
    names: Iterable[str],
    *,
    upgrade: bool = False,
    index: IndexOptions | None = None,
    python: str = sys.executable,
    note: Echo | None = None,
    output: Echo | None = None,
) -> PipResult:
    """Install (``upgrade``: or upgrade) the plugins ``names`` for ``python`` with pip.

    With ``upgrade`` and no names, every installed rtoc plugin is upgraded.
    ``note`` gets rtoc's own steps as lines, ``output`` pip's output line by
    line as it comes. Raises :class:`InstallerError` for a request refused
    before pip changed anything; a pip that fails gives ``ok`` False.
    """
    index = index or IndexOptions()
    say: Echo = note or (lambda _line: None)
    names = list(names)
    if not names and not upgrade:
        raise InstallerError("name at least one plugin to install (or --upgrade for all installed)")
    for name in names:
        _split(name)
    before = installed_distributions(python)
    if not names:
        names = [dist.name for dist in before.values() if dist.is_plugin]
        if not names:
            return PipResult(True, ["No rtoc plugins are installed; nothing to upgrade."], "")
    requirements = [
        _resolve_for_install(name, before, python, index, say, output) for name in names
    ]
    wanted = [normalize(_split(requirement)[0]) for requirement in requirements]
    say(f"Running pip install for {', '.join(requirements)}...")
    args = ["install", *(["--upgrade"] if upgrade else []), *index.pip_args(), *requirements]
    code, text = _pip(python, args, output)
    after = installed_distributions(python)
    result = PipResult(code == 0, [], text, code)
    if code != 0:
        result.messages.append(f"pip install failed (exit {code})")
    strays = []
    for key in wanted:
        old, new = before.get(key), after.get(key)
        if new is None:
            continue
        if not new.is_plugin and key != CORE and old is None:
            strays.append(new)
        elif old is None:
            result.messages.append(f"Installed {new}.")
            result.changed.append(str(new))
        elif old.version != new.version:
            result.messages.append(
                f"Upgraded {old.name} from {old.version} to {new.version}."
                if upgrade
                else f"Installed {new} in place of {old.version}."
            )
            result.changed.append(str(new))
        elif code == 0:
            result.messages.append(
                f"{new} is up to date." if upgrade else f"{new} was installed already."
            )
    if strays:
        result.ok = False
        _remove_strays(strays, before, after, python, result, output)
    return result


def _remove_strays(
    strays: list[Distribution],
    before: dict[str, Distribution],
    after: dict[str, Distribution],
    python: str,
    result: PipResult,
    output: Echo | None,
) -> None:
    """Uninstall what was installed on request but is no plugin, saying so."""
    code, text = _pip(python, ["uninstall", "--yes", *(dist.name for dist in strays)], output)
    result.output += text
    result.pip_exit = result.pip_exit or code
    gone = installed_distributions(python)
    for dist in strays:
        why = f"{dist} is no rtoc plugin: it has no entry point in the group {ENTRY_POINT_GROUP!r}"
        if normalize(dist.name) in gone:
            result.messages.append(f"{why}; uninstalling it again failed (pip exit {code})")
        else:
            result.messages.append(f"{why}, so it was uninstalled again.")
    stray_keys = {normalize(dist.name) for dist in strays}
    brought = sorted(
        str(dist)
        for key, dist in after.items()
        if key not in before and key not in stray_keys and key in gone
    )
    if brought:
        result.messages.append(f"pip also installed {', '.join(brought)}; they stay installed.")


def uninstall(
    names: Iterable[str],
    *,
    python: str = sys.executable,
    note: Echo | None = None,
    output: Echo | None = None,
) -> PipResult:
    """Uninstall the plugins ``names`` (short names as for :func:`install`) from ``python``.

    Every name is checked before pip runs: one that is no installed rtoc
    plugin, or rtoc-core, refuses the whole request with
    :class:`InstallerError`.
    """
    names = list(names)
    if not names:
        raise InstallerError("name at least one plugin to uninstall")
    for name in names:
        if _split(name)[1]:
            raise InstallerError(f"{name!r}: give the name alone, without extras or version")
    before = installed_distributions(python)
    chosen: list[Distribution] = []
    for name in names:
        tried = candidates(name)
        found = next((before[normalize(c)] for c in tried if normalize(c) in before), None)
        if found is None:
            names_tried = ", ".join(tried[:-1]) + f" or {tried[-1]}" if len(tried) > 1 else name
            raise InstallerError(f"no rtoc plugin {names_tried} is installed; nothing was removed")
        if normalize(found.name) == CORE:
            raise InstallerError(
                f"{CORE} is rtoc itself, not a plugin; rtoc uninstall removes plugins only "
                f"(pip uninstall {CORE} removes rtoc); nothing was removed"
            )
        if not found.is_plugin:
            raise InstallerError(
                f"{found} is no rtoc plugin (it has no entry point in the group "
                f"{ENTRY_POINT_GROUP!r}); rtoc uninstall removes plugins only; nothing was removed"
            )
        chosen.append(found)
    (note or (lambda _line: None))(f"Running pip uninstall for {', '.join(map(str, chosen))}...")
    code, text = _pip(python, ["uninstall", "--yes", *(dist.name for dist in chosen)], output)
    after = installed_distributions(python)
    result = PipResult(code == 0, [], text, code)
    for dist in chosen:
        if normalize(dist.name) in after:
            result.ok = False
            result.messages.append(f"{dist} is still installed (pip exit {code})")
        else:
            result.messages.append(f"Removed {dist}.")
            result.changed.append(str(dist))
    return result
