"""config.json: rtoc's settings, with RTOC 2.x's sections, key spellings and defaults.

The file lives in ``$RTOC_HOME``. Each section is a frozen attrs class; a
:class:`cattrs.Converter` turns the JSON object into them and back. Wrong types
and out-of-range values are rejected all at once, each named by its key path
(``tcp.port``); unknown keys are logged and ignored, so RTOC 2.x files load.

Distributions add sections of their own (``web``, ``mqtt``) through the hook
``rtoc_config_sections``: the caller passes them in as ``sections``
(:meth:`rtoc.plugins.PluginRegistry.config_sections`) and they are checked,
saved and changed exactly like the core's. A section that no installed
distribution registers is kept in the file as it is, with a warning: it may
belong to one that is installed later.
"""

from __future__ import annotations

import json
import logging
import math
import reprlib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception

from rtoc.files import write_atomically
from rtoc.signals import MAX_CAPACITY

__all__ = [
    "AUTORUN_FILE",
    "CONFIG_FILE",
    "MAX_COUNT",
    "MAX_FLOAT",
    "BackupConfig",
    "Config",
    "ConfigChange",
    "ConfigError",
    "GlobalConfig",
    "GuiConfig",
    "Limits",
    "NonNegativeFloat",
    "Port",
    "PositiveFloat",
    "PositiveInt",
    "PostgresqlConfig",
    "Sections",
    "TcpConfig",
    "TelegramConfig",
    "backup_directory",
    "change_config_file",
    "check_section_class",
    "config_to_dict",
    "get_value",
    "load_config",
    "read_autorun_devices",
    "save_change",
    "save_config",
    "set_value",
]

CONFIG_FILE = "config.json"
AUTORUN_FILE = "autorun_devices"

# attrs field metadata key: the JSON name of a field whose Python name differs.
_JSON_NAME = "rtoc.json_name"
# attrs field metadata key: a field of Config that is not a core section of the file.
_NOT_A_SECTION = "rtoc.not_a_section"

#: Sections that distributions register: JSON name -> attrs class (``rtoc_config_sections``).
Sections = Mapping[str, type]

logger = logging.getLogger("rtoc.config")


class ConfigError(Exception):
    """config.json, or a value meant for it, is unusable; the message names file and key."""


@attrs.frozen
class Limits:
    """The allowed range of an ``Annotated`` int or float field.

    Every numeric setting has a maximum: an unbounded one lets ``1e300``
    through, which overflows a thread's wait or a buffer long after the
    config was accepted.
    """

    minimum: float
    maximum: float
    exclusive: bool = False  # True: the minimum itself is not allowed

    def allows(self, value: float) -> bool:
        above = value > self.minimum if self.exclusive else value >= self.minimum
        return above and value <= self.maximum

    def describe(self) -> str:
        if self.exclusive:
            return f"> {_plain(self.minimum)} and <= {_plain(self.maximum)}"
        return f"from {_plain(self.minimum)} to {_plain(self.maximum)}"


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


#: The ceiling of settings without a natural one of their own: counts and
#: sizes fit a C int; seconds, hertz and days stay far from overflowing a
#: thread's wait (``threading.TIMEOUT_MAX``) or a time stamp.
MAX_COUNT = 2**31 - 1
MAX_FLOAT = 1e6

Port = Annotated[int, Limits(1, 65535)]
PositiveInt = Annotated[int, Limits(1, MAX_COUNT)]
PositiveFloat = Annotated[float, Limits(0, MAX_FLOAT, exclusive=True)]
NonNegativeFloat = Annotated[float, Limits(0, MAX_FLOAT)]


@attrs.frozen
class GlobalConfig:
    """Section ``global``: language, local recording limit, name, global events/actions."""

    language: Literal["en", "de"] = "en"
    recordLength: Annotated[int, Limits(1, MAX_CAPACITY)] = 500000
    name: str = "RTOC-Remote"
    documentfolder: str = "~/RTOC"
    webserver_port: Port = 8050
    globalActionsActivated: bool = False
    globalEventsActivated: bool = False
    #: ``rtoc run`` ends itself (exit 1) when no Python has run for this long: see rtoc.hangguard
    hangLimit: Annotated[float, Limits(1, 3600)] = 10.0


@attrs.frozen
class PostgresqlConfig:
    """Section ``postgresql``: the PostgreSQL database that loggers may push to."""

    active: bool = False
    user: str = "postgres"
    password: str = ""
    host: str = "127.0.0.1"
    port: Port = 5432
    database: str = "postgres"
    onlyPush: bool = True
    # rtoc only: samples kept in the local spool while the database is away,
    # and which to keep when that is full ("newest" or "oldest").
    spoolLimit: PositiveInt = 50_000_000
    spoolKeep: Literal["newest", "oldest"] = "newest"
    # rtoc only: seconds a connect or a write may take before the database
    # counts as unreachable and writes go to the spool.
    timeout: Annotated[float, Limits(1, 3600)] = 10.0
    # rtoc only: long recordings. Samples older than resampleAfterDays are
    # thinned to resampleRate (Hz); data older than keepDays is deleted.
    # 0 days switches either off.
    keepDays: NonNegativeFloat = 0.0
    resampleAfterDays: NonNegativeFloat = 0.0
    resampleRate: PositiveFloat = 0.1


@attrs.frozen
class GuiConfig:
    """Section ``GUI``: the desktop program's widgets and graph settings."""

    darkmode: bool = True
    scriptWidget: bool = True
    deviceWidget: bool = True
    deviceRAWWidget: bool = True
    pluginsWidget: bool = False
    eventWidget: bool = True
    restoreWidgetPosition: bool = False
    newSignalSymbols: bool = True
    plotLabelsEnabled: bool = True
    plotGridEnabled: bool = True
    showEvents: bool = True
    # [x lines, y lines, line width]
    grid: tuple[bool, bool, NonNegativeFloat] = (True, True, 1.0)
    plotLegendEnabled: bool = False
    blinkingIdentifier: bool = False
    plotRate: PositiveFloat = 8.0  # Hz
    plotInverted: bool = False
    xTimeBase: bool = True
    timeAxis: bool = True
    systemTray: bool = False
    signalInactivityTimeout: NonNegativeFloat = 2.0  # seconds
    autoShowGraph: bool = False
    antiAliasing: bool = True
    openGL: bool = True
    useWeave: bool = True
    csv_profiles: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class TelegramConfig:
    """Section ``telegram``: the Telegram bot and the rights of new users."""

    active: bool = False
    token: str = ""
    default_eventlevel: Literal[0, 1, 2] = 0
    default_permission: Literal["blocked", "read", "write", "admin"] = "blocked"
    inlineMenu: bool = False
    onlyAdmin: bool = False
    # rtoc only: the Bot API address the token is appended to; a self-hosted
    # Bot API server (or a test's stub) instead of Telegram's own.
    base_url: str = "https://api.telegram.org/bot"
    # rtoc only: admins may add, edit and delete global events and actions in the
    # chat. Off by default: their conditions and scripts are code the logger runs.
    editAutomation: bool = False


@attrs.frozen
class TcpConfig:
    """Section ``tcp``: the TCP JSON server and remote sessions."""

    active: bool = False
    port: Port = 5050
    password: str = ""
    knownHosts: dict[str, Any] = attrs.field(factory=dict)
    remoteRefreshRate: PositiveFloat = 1.0  # Hz
    # rtoc's own keys. "" binds 127.0.0.1 without a password and every
    # interface (0.0.0.0) with one; RTOC 2.x always bound 0.0.0.0.
    host: str = ""
    maxMessageSize: PositiveInt = 64 * 1024 * 1024  # bytes of one incoming frame body
    frameTimeout: PositiveFloat = 10.0  # seconds for a started frame to arrive whole
    idleTimeout: PositiveFloat = 600.0  # seconds a silent connection stays open
    maxClients: PositiveInt = 100
    # With a password, also accept plain frames from this machine's loopback
    # addresses: RTOC 2.x's jsonsocket client sends plain text to 127.0.0.1
    # and localhost whatever its password. Off: every frame must be encrypted.
    allowPlainLoopback: bool = False


@attrs.frozen
class BackupConfig:
    """Section ``backup``: recording to the storage backend (embedded SQLite by default)."""

    # Deliberately True, unlike RTOC 2.x (False): rtoc records to its embedded
    # SQLite store out of the box.
    active: bool = True
    # Directory of the embedded store: "" is $RTOC_HOME, "~" is expanded,
    # relative paths are relative to $RTOC_HOME (see backup_directory()).
    path: str = ""
    clear: bool = False
    autoIfFull: bool = True
    autoOnClose: bool = True
    loadOnOpen: bool = True
    # Seconds between write-behind flushes (RTOC's backup period).
    intervall: PositiveFloat = 1.0
    resample: NonNegativeFloat = 0.0  # Hz; 0 keeps the samples as they are
    # rtoc only: storage backend name, checked later against the installed backends.
    backend: str = "sqlite"


@attrs.frozen
class Config:
    """The whole config.json; JSON sections ``global`` and ``GUI`` are ``global_`` and ``gui``.

    Sections of distributions are in ``plugin_sections``; read one with
    :meth:`section`.
    """

    global_: GlobalConfig = attrs.field(factory=GlobalConfig, metadata={_JSON_NAME: "global"})
    postgresql: PostgresqlConfig = attrs.field(factory=PostgresqlConfig)
    gui: GuiConfig = attrs.field(factory=GuiConfig, metadata={_JSON_NAME: "GUI"})
    telegram: TelegramConfig = attrs.field(factory=TelegramConfig)
    tcp: TcpConfig = attrs.field(factory=TcpConfig)
    backup: BackupConfig = attrs.field(factory=BackupConfig)
    #: The sections installed distributions register, checked and typed, by JSON name.
    plugin_sections: Mapping[str, Any] = attrs.field(factory=dict, metadata={_NOT_A_SECTION: True})
    #: Sections that no installed distribution registers, as they are in the file.
    unknown_sections: Mapping[str, Any] = attrs.field(factory=dict, metadata={_NOT_A_SECTION: True})

    def section(self, name: str) -> Any:
        """The section ``name`` (its JSON name: ``"tcp"``, ``"GUI"``, ``"web"``) as its class.

        LookupError when it is neither a core section nor one that an
        installed distribution registers.
        """
        if name in _SECTIONS:
            return getattr(self, _SECTIONS[name][0])
        try:
            return self.plugin_sections[name]
        except KeyError:
            raise LookupError(
                f"{CONFIG_FILE}: no section {name!r}; "
                f"sections are {', '.join([*_SECTIONS, *self.plugin_sections])}"
            ) from None


attrs.resolve_types(Config)


def _json_name(field: attrs.Attribute[Any]) -> str:
    return field.metadata.get(_JSON_NAME, field.name)


# JSON section name -> (Python attribute name, section class)
_SECTIONS: dict[str, tuple[str, type]] = {
    _json_name(field): (field.name, field.type)
    for field in attrs.fields(Config)
    if not field.metadata.get(_NOT_A_SECTION)
}


def _section_keys(cls: type) -> list[str]:
    return [_json_name(field) for field in attrs.fields(cls)]


# --- converter ---------------------------------------------------------------


class _Invalid(ValueError):
    """A value rejected by one of the hooks below; its message is shown as it is."""


StructureHook = Callable[[Any, Any], Any]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _number_hook(base: type, limits: Limits | None = None) -> StructureHook:
    """Strict int/float: no bools, strings or NaN; ints are fine where floats are expected."""
    expected = "an integer" if base is int else "a number"
    if limits is not None:
        expected = f"{expected} {limits.describe()}"
    accepts = _is_int if base is int else _is_number

    def structure(value: Any, _: Any) -> Any:
        if not accepts(value) or (limits is not None and not limits.allows(value)):
            raise _Invalid(f"expected {expected}, got {reprlib.repr(value)}")
        return base(value)

    return structure


def _exact_hook(base: type, expected: str) -> StructureHook:
    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, base):
            raise _Invalid(f"expected {expected}, got {reprlib.repr(value)}")
        return value

    return structure


def _is_limited(type_: Any) -> bool:
    return get_origin(type_) is Annotated and any(isinstance(m, Limits) for m in type_.__metadata__)


def _limited_hook(type_: Any) -> StructureHook:
    base, *metadata = get_args(type_)
    return _number_hook(base, next(m for m in metadata if isinstance(m, Limits)))


def _is_literal(type_: Any) -> bool:
    return get_origin(type_) is Literal


def _literal_hook(type_: Any) -> StructureHook:
    """One of the listed values, of the same type (so True is not 1)."""
    choices = get_args(type_)
    listed = ", ".join(repr(choice) for choice in choices)

    def structure(value: Any, _: Any) -> Any:
        if not any(type(value) is type(choice) and value == choice for choice in choices):
            raise _Invalid(f"expected one of {listed}, got {reprlib.repr(value)}")
        return value

    return structure


def _is_fixed_tuple(type_: Any) -> bool:
    return get_origin(type_) is tuple and ... not in get_args(type_)


def _fixed_tuple_hook(converter: cattrs.Converter, type_: Any) -> StructureHook:
    """A JSON list of exactly the tuple's length, each item checked by its own hook."""
    item_types = get_args(type_)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)) or len(value) != len(item_types):
            raise _Invalid(f"expected a list of {len(item_types)} items, got {reprlib.repr(value)}")
        items = []
        for index, (item, item_type) in enumerate(zip(value, item_types, strict=True)):
            try:
                items.append(converter.structure(item, item_type))
            except _Invalid as exc:
                raise _Invalid(f"item {index}: {exc}") from None
        return tuple(items)

    return structure


def _is_open_tuple(type_: Any) -> bool:
    return get_origin(type_) is tuple and ... in get_args(type_)


def _open_tuple_hook(converter: cattrs.Converter, type_: Any) -> StructureHook:
    """A JSON list of any length; a text is refused (it would be taken as its characters).

    A bad item is named by its index, as cattrs names them (``subscribe[2].qos``).
    """
    item_type = get_args(type_)[0]

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)):
            raise _Invalid(f"expected a list, got {reprlib.repr(value)}")
        items, errors = [], []
        for index, item in enumerate(value):
            try:
                items.append(converter.structure(item, item_type))
            except Exception as exc:
                note = IterableValidationNote(
                    f"Structuring {type_} @ index {index}", index, item_type
                )
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
        return tuple(items)

    return structure


def _section_hook(converter: cattrs.Converter, cls: type) -> StructureHook:
    """A section (or the whole file): a JSON object, keys renamed as _JSON_NAME says."""
    structure_fields = make_dict_structure_fn(cls, converter, **_overrides(cls))

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _Invalid(f"expected an object, got {reprlib.repr(value)}")
        return structure_fields(value, cls)

    return structure


def _overrides(cls: type) -> dict[str, Any]:
    """Fields whose JSON name differs, and Config's fields that are no section (left out)."""
    overrides = {}
    for field in attrs.fields(cls):
        if field.metadata.get(_NOT_A_SECTION):
            overrides[field.name] = override(omit=True)
        elif _json_name(field) != field.name:
            overrides[field.name] = override(rename=_json_name(field))
    return overrides


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(int, _number_hook(int))
    converter.register_structure_hook(float, _number_hook(float))
    converter.register_structure_hook(bool, _exact_hook(bool, "true or false"))
    converter.register_structure_hook(str, _exact_hook(str, "a string"))
    converter.register_structure_hook_func(
        lambda type_: type_ == dict[str, Any], _exact_hook(dict, "an object")
    )
    converter.register_structure_hook_factory(_is_limited, _limited_hook)
    converter.register_structure_hook_factory(_is_literal, _literal_hook)
    converter.register_structure_hook_factory(
        _is_fixed_tuple, lambda type_: _fixed_tuple_hook(converter, type_)
    )
    converter.register_structure_hook_factory(
        _is_open_tuple, lambda type_: _open_tuple_hook(converter, type_)
    )
    converter.register_structure_hook_factory(attrs.has, lambda cls: _section_hook(converter, cls))
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, **_overrides(cls))
    )
    converter.register_unstructure_hook_factory(_is_fixed_tuple, lambda _: list)
    return converter


_converter = _make_converter()


# --- errors ------------------------------------------------------------------


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, _Invalid):
        return str(exc)
    return format_exception(exc, type_)


def _json_path(cattrs_path: str) -> str:
    """``$.global_.language`` (cattrs, Python names) -> ``global.language`` (JSON names)."""
    python_names = {name: json_name for json_name, (name, _) in _SECTIONS.items()}
    section, dot, rest = cattrs_path.removeprefix("$").removeprefix(".").partition(".")
    return python_names.get(section, section) + dot + rest


#: A problem found in config.json: (key path such as ``tcp.port``, message).
Problem = tuple[str, str]

_NO_SECTIONS: Sections = MappingProxyType({})


def _problems(exc: cattrs.ClassValidationError, section: str | None = None) -> list[Problem]:
    """Each problem cattrs found; ``section``: the JSON name of the section ``exc`` is about."""
    problems = []
    for line in cattrs.transform_error(exc, format_exception=_format_exception):
        message, _, path = line.rpartition(" @ ")
        where = _json_path(path) if section is None else section + path.removeprefix("$")
        problems.append((where, message))
    return problems


def _check(data: dict[str, Any], sections: Sections) -> tuple[Config | None, list[Problem]]:
    """``data`` as a Config, or None and every problem found in it.

    ``sections``: the distributions' sections, checked like the core's; any
    other section is kept as it is in ``Config.unknown_sections``.
    """
    problems: list[Problem] = []
    config: Config | None = None
    try:
        config = _converter.structure({k: v for k, v in data.items() if k in _SECTIONS}, Config)
    except cattrs.ClassValidationError as exc:
        problems.extend(_problems(exc))
    plugin_sections = {}
    for name, cls in sections.items():
        try:
            plugin_sections[name] = _converter.structure(data.get(name, {}), cls)
        except cattrs.ClassValidationError as exc:
            problems.extend(_problems(exc, name))
        except _Invalid as exc:  # not an object
            problems.append((name, str(exc)))
    if config is None or problems:
        return None, problems
    unknown = {k: v for k, v in data.items() if k not in _SECTIONS and k not in sections}
    return attrs.evolve(config, plugin_sections=plugin_sections, unknown_sections=unknown), []


def _structure(data: dict[str, Any], source: str, sections: Sections) -> Config:
    """Validate a JSON object as a Config; every problem goes into one ConfigError."""
    config, problems = _check(data, sections)
    if config is None:
        raise ConfigError(_problem_text(problems, source))
    return config


def _problem_text(problems: list[Problem], source: str) -> str:
    return "\n".join(f"{source}: {path}: {message}" for path, message in problems)


def check_section_class(name: object, cls: object) -> None:
    """Refuse what cannot be a distribution's config section ``name`` (TypeError, ValueError).

    A section is an attrs class whose fields all have defaults that pass its
    own checks (an ``Annotated`` number with :class:`Limits` outside them is a
    mistake of the distribution, not of the user) and can be written as JSON,
    under a name of its own.
    """
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"config section name {name!r}: expected a text without dots")
    if name in _SECTIONS:
        raise ValueError(f"config section {name!r} is one of rtoc-core's own")
    if not (isinstance(cls, type) and attrs.has(cls)):
        raise TypeError(f"config section {name!r}: {cls!r} is not an attrs class")
    try:
        attrs.resolve_types(cls)
        defaults = _converter.unstructure(cls())
        json.dumps(defaults)  # saved as JSON: a set or a date would fail at the first save
        _converter.structure(defaults, cls)
    except cattrs.ClassValidationError as exc:
        wrong = "; ".join(f"{path}: {message}" for path, message in _problems(exc, name))
        raise ValueError(
            f"config section {name!r}: a default of {cls.__name__} is wrong: {wrong}"
        ) from None
    except Exception as exc:
        raise TypeError(
            f"config section {name!r}: {cls.__name__} cannot be a section: {exc}"
        ) from None


# --- files -------------------------------------------------------------------


def load_config(home: Path, sections: Sections = _NO_SECTIONS) -> Config:
    """Read ``home/config.json``; create it with the defaults if it does not exist.

    ``sections``: the sections distributions register
    (:meth:`rtoc.plugins.PluginRegistry.config_sections`).
    Missing sections and keys take their defaults; unknown keys are logged and
    ignored, unknown sections logged and kept. Raises ConfigError for
    unreadable or invalid JSON and wrong values.
    """
    path = home / CONFIG_FILE
    data = read_json_file(path)
    if data is _MISSING:
        config = _defaults(sections)
        save_config(config, home)
        return config
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level, got {_kind(data)}")
    _warn_unknown(data, path, sections)
    return _structure(data, str(path), sections)


def _defaults(sections: Sections) -> Config:
    return Config(plugin_sections={name: cls() for name, cls in sections.items()})


_MISSING: Any = object()


def read_json_file(path: Path, missing: Any = _MISSING) -> Any:
    """The JSON in ``path`` (a BOM is allowed), or ``missing`` when there is no file.

    ConfigError, naming the file, when it cannot be read or is not valid JSON.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return missing
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _kind(value: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _section_class(name: str, sections: Sections) -> type | None:
    return _SECTIONS[name][1] if name in _SECTIONS else sections.get(name)


def _warn_unknown(data: dict[str, Any], path: Path, sections: Sections) -> None:
    for section, values in data.items():
        cls = _section_class(section, sections)
        if cls is None:
            logger.warning(
                "%s: section %s: no installed distribution registers it (kept as it is, unchecked)",
                path,
                section,
            )
        elif isinstance(values, dict):
            known = _section_keys(cls)
            for key in values:
                if key not in known:
                    logger.warning("%s: unknown key %s.%s (ignored)", path, section, key)


def save_config(config: Config, home: Path) -> None:
    """Write ``home/config.json`` atomically (temporary file, then os.replace).

    The file is readable by its owner only: it holds passwords and tokens.
    """
    write_atomically(home / CONFIG_FILE, _json_text(config_to_dict(config)))


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def read_autorun_devices(home: Path) -> list[str]:
    """Device names from ``home/autorun_devices``: one per line, ``#`` comments, blanks ignored."""
    try:
        text = (home / AUTORUN_FILE).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    names = (line.strip() for line in text.splitlines())
    return [name for name in names if name and not name.startswith("#")]


def backup_directory(config: Config, home: Path) -> Path:
    """The directory of the embedded store: ``backup.path`` resolved against ``home``."""
    return home / Path(config.backup.path).expanduser()


# --- values ------------------------------------------------------------------


def config_to_dict(config: Config) -> dict[str, Any]:
    """The config as a JSON-ready dict with config.json's section and key names.

    The core's sections come first, then the distributions', then the
    unknown ones as they were read.
    """
    data: dict[str, Any] = _converter.unstructure(config)
    for name, section in config.plugin_sections.items():
        data[name] = _converter.unstructure(section)
    return {**data, **config.unknown_sections}


def _sections_of(config: Config) -> Sections:
    return {name: type(section) for name, section in config.plugin_sections.items()}


def get_value(config: Config, key: str) -> Any:
    """The JSON value at a key path such as ``"tcp.port"``, ``"GUI.plotRate"`` or ``"web.host"``."""
    section, name = _split_key(key, _sections_of(config), config.unknown_sections)
    return config_to_dict(config)[section][name]


def set_value(config: Config, key: str, raw: str) -> Config:
    """A new, validated Config with ``raw`` at the key path ``key``.

    ``raw`` is read as JSON (``5051``, ``true``, ``[1, 2]``, ``"x"``); if that
    fails or gives a value the key does not accept, the plain text is tried.
    """
    sections = _sections_of(config)
    section, name = _split_key(key, sections, config.unknown_sections)
    data = config_to_dict(config)
    errors: list[ConfigError] = []
    for value in _candidates(raw):
        data[section][name] = value
        try:
            return _structure(data, CONFIG_FILE, sections)
        except ConfigError as exc:
            errors.append(exc)
    raise errors[0]


@attrs.frozen
class ConfigChange:
    """One key of config.json changed, ready to be saved with :func:`save_change`."""

    #: The new value at the key, as JSON.
    value: Any
    #: The whole new file.
    text: str
    #: Problems at other keys that the file still has, as ConfigError would name them.
    problems: str


def change_config_file(
    home: Path, key: str, raw: str, sections: Sections = _NO_SECTIONS
) -> ConfigChange:
    """``home/config.json`` with ``raw`` at the key path ``key`` (read as :func:`set_value` does).

    ``sections`` as for :func:`load_config`. Unlike :func:`set_value` this
    works on a file that is invalid elsewhere, so that ``rtoc config set`` can
    repair it one key at a time: only a problem at ``key`` itself refuses the
    change (ConfigError). A valid result is written in full, normalised; one
    still invalid elsewhere is written as it is, apart from ``key``. Sections
    no installed distribution registers are kept either way.
    """
    path = home / CONFIG_FILE
    data = read_json_file(path, missing=None)
    if data is None:
        data = config_to_dict(_defaults(sections))
    elif not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level, got {_kind(data)}")
    section, name = _split_key(key, sections, data)
    values = data.get(section)
    data = {**data, section: dict(values) if isinstance(values, dict) else {}}
    refusals: list[Problem] = []
    for value in _candidates(raw):
        data[section][name] = value
        config, problems = _check(data, sections)
        if config is not None:
            text = _json_text(config_to_dict(config))
            return ConfigChange(get_value(config, key), text, "")
        at_key = [(where, text) for where, text in problems if where == key]
        if not at_key:
            remaining = _problem_text(problems, str(path))
            return ConfigChange(value, _json_text(data), remaining)
        refusals.extend(at_key)
    raise ConfigError(_problem_text(refusals[:1], CONFIG_FILE))


def save_change(change: ConfigChange, home: Path) -> None:
    """Write the changed config.json atomically, readable by its owner only."""
    write_atomically(home / CONFIG_FILE, change.text)


def _candidates(raw: str) -> list[Any]:
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return [raw]
    return [parsed] if isinstance(parsed, str) else [parsed, raw]


def _split_key(key: str, sections: Sections, in_file: Mapping[str, Any]) -> tuple[str, str]:
    """``key`` as (section, key), both known; ``in_file``: the sections the file has."""
    section, dot, name = key.partition(".")
    if not dot or "." in name:
        raise ConfigError(f"{CONFIG_FILE}: {key}: expected SECTION.KEY, e.g. tcp.port")
    cls = _section_class(section, sections)
    if cls is None:
        known = ", ".join([*_SECTIONS, *sections])
        if section in in_file:
            raise ConfigError(
                f"{CONFIG_FILE}: {key}: no installed distribution registers section "
                f"{section!r}, so its values cannot be checked (install the one it belongs "
                f"to); sections are {known}"
            )
        raise ConfigError(
            f"{CONFIG_FILE}: {key}: unknown section {section!r}; sections are {known}"
        )
    keys = _section_keys(cls)
    if name not in keys:
        raise ConfigError(
            f"{CONFIG_FILE}: {key}: unknown key; keys in {section} are {', '.join(keys)}"
        )
    return section, name
