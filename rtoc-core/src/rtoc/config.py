"""config.json: rtoc's settings, with RTOC 2.x's sections, key spellings and defaults.

The file lives in ``$RTOC_HOME``. Each section is a frozen attrs class; a
:class:`cattrs.Converter` turns the JSON object into them and back. Wrong types
and out-of-range values are rejected all at once, each named by its key path
(``tcp.port``); unknown keys are logged and ignored, so RTOC 2.x files load.
"""

from __future__ import annotations

import json
import logging
import math
import reprlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception

from rtoc.files import write_atomically
from rtoc.signals import MAX_CAPACITY

__all__ = [
    "AUTORUN_FILE",
    "CONFIG_FILE",
    "BackupConfig",
    "Config",
    "ConfigChange",
    "ConfigError",
    "GlobalConfig",
    "GuiConfig",
    "Limits",
    "PostgresqlConfig",
    "TcpConfig",
    "TelegramConfig",
    "backup_directory",
    "change_config_file",
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
    """The whole config.json; JSON sections ``global`` and ``GUI`` are ``global_`` and ``gui``."""

    global_: GlobalConfig = attrs.field(factory=GlobalConfig, metadata={_JSON_NAME: "global"})
    postgresql: PostgresqlConfig = attrs.field(factory=PostgresqlConfig)
    gui: GuiConfig = attrs.field(factory=GuiConfig, metadata={_JSON_NAME: "GUI"})
    telegram: TelegramConfig = attrs.field(factory=TelegramConfig)
    tcp: TcpConfig = attrs.field(factory=TcpConfig)
    backup: BackupConfig = attrs.field(factory=BackupConfig)


attrs.resolve_types(Config)


def _json_name(field: attrs.Attribute[Any]) -> str:
    return field.metadata.get(_JSON_NAME, field.name)


# JSON section name -> (Python attribute name, section class)
_SECTIONS: dict[str, tuple[str, type]] = {
    _json_name(field): (field.name, field.type) for field in attrs.fields(Config)
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


def _section_hook(converter: cattrs.Converter, cls: type) -> StructureHook:
    """A section (or the whole file): a JSON object, keys renamed as _JSON_NAME says."""
    structure_fields = make_dict_structure_fn(cls, converter, **_renames(cls))

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _Invalid(f"expected an object, got {reprlib.repr(value)}")
        return structure_fields(value, cls)

    return structure


def _renames(cls: type) -> dict[str, Any]:
    return {
        field.name: override(rename=_json_name(field))
        for field in attrs.fields(cls)
        if _json_name(field) != field.name
    }


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
    converter.register_structure_hook_factory(attrs.has, lambda cls: _section_hook(converter, cls))
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, **_renames(cls))
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


def _check(data: dict[str, Any]) -> tuple[Config | None, list[Problem]]:
    """``data`` as a Config, or None and every problem found in it."""
    try:
        return _converter.structure(data, Config), []
    except cattrs.ClassValidationError as exc:
        problems = []
        for line in cattrs.transform_error(exc, format_exception=_format_exception):
            message, _, path = line.rpartition(" @ ")
            problems.append((_json_path(path), message))
        return None, problems


def _structure(data: dict[str, Any], source: str) -> Config:
    """Validate a JSON object as a Config; every problem goes into one ConfigError."""
    config, problems = _check(data)
    if config is None:
        raise ConfigError(_problem_text(problems, source))
    return config


def _problem_text(problems: list[Problem], source: str) -> str:
    return "\n".join(f"{source}: {path}: {message}" for path, message in problems)


# --- files -------------------------------------------------------------------


def load_config(home: Path) -> Config:
    """Read ``home/config.json``; create it with the defaults if it does not exist.

    Missing sections and keys take their defaults; unknown ones are logged and
    ignored. Raises ConfigError for unreadable or invalid JSON and wrong values.
    """
    path = home / CONFIG_FILE
    data = read_json_file(path)
    if data is _MISSING:
        config = Config()
        save_config(config, home)
        return config
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level, got {_kind(data)}")
    _warn_unknown(data, path)
    return _structure(data, str(path))


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


def _warn_unknown(data: dict[str, Any], path: Path) -> None:
    for section, values in data.items():
        if section not in _SECTIONS:
            logger.warning("%s: unknown section %s (ignored)", path, section)
        elif isinstance(values, dict):
            known = _section_keys(_SECTIONS[section][1])
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
    """The config as a JSON-ready dict with config.json's section and key names."""
    return _converter.unstructure(config)


def get_value(config: Config, key: str) -> Any:
    """The JSON value at a key path such as ``"tcp.port"`` or ``"GUI.plotRate"``."""
    section, name = _split_key(key)
    return config_to_dict(config)[section][name]


def set_value(config: Config, key: str, raw: str) -> Config:
    """A new, validated Config with ``raw`` at the key path ``key``.

    ``raw`` is read as JSON (``5051``, ``true``, ``[1, 2]``, ``"x"``); if that
    fails or gives a value the key does not accept, the plain text is tried.
    """
    section, name = _split_key(key)
    data = config_to_dict(config)
    errors: list[ConfigError] = []
    for value in _candidates(raw):
        data[section][name] = value
        try:
            return _structure(data, CONFIG_FILE)
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


def change_config_file(home: Path, key: str, raw: str) -> ConfigChange:
    """``home/config.json`` with ``raw`` at the key path ``key`` (read as :func:`set_value` does).

    Unlike :func:`set_value` this works on a file that is invalid elsewhere,
    so that ``rtoc config set`` can repair it one key at a time: only a
    problem at ``key`` itself refuses the change (ConfigError). A valid result
    is written in full, normalised; one still invalid elsewhere is written as
    it is, apart from ``key``.
    """
    section, name = _split_key(key)
    path = home / CONFIG_FILE
    data = read_json_file(path, missing=None)
    if data is None:
        data = config_to_dict(Config())
    elif not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level, got {_kind(data)}")
    values = data.get(section)
    data = {**data, section: dict(values) if isinstance(values, dict) else {}}
    refusals: list[Problem] = []
    for value in _candidates(raw):
        data[section][name] = value
        config, problems = _check(data)
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


def _split_key(key: str) -> tuple[str, str]:
    section, dot, name = key.partition(".")
    if not dot or "." in name:
        raise ConfigError(f"{CONFIG_FILE}: {key}: expected SECTION.KEY, e.g. tcp.port")
    if section not in _SECTIONS:
        raise ConfigError(
            f"{CONFIG_FILE}: {key}: unknown section {section!r}; "
            f"sections are {', '.join(_SECTIONS)}"
        )
    keys = _section_keys(_SECTIONS[section][1])
    if name not in keys:
        raise ConfigError(
            f"{CONFIG_FILE}: {key}: unknown key; keys in {section} are {', '.join(keys)}"
        )
    return section, name
