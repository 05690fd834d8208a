"""config.json: defaults, RTOC 2.x files, validation messages, `rtoc config`, autorun_devices."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

from rtoc.config import (
    Config,
    ConfigError,
    backup_directory,
    config_to_dict,
    get_value,
    load_config,
    read_autorun_devices,
    save_config,
    set_value,
)
from rtoc.config_cli import config_command
from rtoc.plugins import PluginRegistry

SEED_KEYS = {
    "global": {
        "language": "en",
        "recordLength": 500000,
        "name": "RTOC-Remote",
        "documentfolder": "~/RTOC",
        "webserver_port": 8050,
        "globalActionsActivated": False,
        "globalEventsActivated": False,
        "hangLimit": 10.0,
    },
    "postgresql": {
        "active": False,
        "user": "postgres",
        "password": "",
        "host": "127.0.0.1",
        "port": 5432,
        "database": "postgres",
        "onlyPush": True,
        "spoolLimit": 50_000_000,
        "spoolKeep": "newest",
        "timeout": 10.0,
        "keepDays": 0.0,
        "resampleAfterDays": 0.0,
        "resampleRate": 0.1,
    },
    "GUI": {
        "darkmode": True,
        "scriptWidget": True,
        "deviceWidget": True,
        "deviceRAWWidget": True,
        "pluginsWidget": False,
        "eventWidget": True,
        "restoreWidgetPosition": False,
        "newSignalSymbols": True,
        "plotLabelsEnabled": True,
        "plotGridEnabled": True,
        "showEvents": True,
        "grid": [True, True, 1.0],
        "plotLegendEnabled": False,
        "blinkingIdentifier": False,
        "plotRate": 8.0,
        "plotInverted": False,
        "xTimeBase": True,
        "timeAxis": True,
        "systemTray": False,
        "signalInactivityTimeout": 2.0,
        "autoShowGraph": False,
        "antiAliasing": True,
        "openGL": True,
        "useWeave": True,
        "csv_profiles": {},
    },
    "telegram": {
        "active": False,
        "token": "",
        "default_eventlevel": 0,
        "default_permission": "blocked",
        "inlineMenu": False,
        "onlyAdmin": False,
        "base_url": "https://api.telegram.org/bot",
        "editAutomation": False,
    },
    "tcp": {
        "active": False,
        "port": 5050,
        "password": "",
        "knownHosts": {},
        "remoteRefreshRate": 1.0,
        # rtoc's additions (see rtoc.net.server)
        "host": "",
        "maxMessageSize": 64 * 1024 * 1024,
        "frameTimeout": 10.0,
        "idleTimeout": 600.0,
        "maxClients": 100,
        "allowPlainLoopback": False,
    },
    "backup": {
        "active": True,  # rtoc records to its embedded store by default (RTOC: False)
        "path": "",
        "clear": False,
        "autoIfFull": True,
        "autoOnClose": True,
        "loadOnOpen": True,
        "intervall": 1.0,
        "resample": 0.0,
        "backend": "sqlite",
    },
}


def write_config(home: Path, data: object) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def load_error(home: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    return str(caught.value)


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(config_command, list(args), obj={"home": home})


# --- defaults and round trip -------------------------------------------------


def test_missing_file_is_created_with_the_seed_defaults(tmp_path: Path) -> None:
    home = tmp_path / "new" / ".RTOC"

    config = load_config(home)

    assert config == Config()
    written = json.loads((home / "config.json").read_text(encoding="utf-8"))
    assert written == SEED_KEYS
    assert list(written) == ["global", "postgresql", "GUI", "telegram", "tcp", "backup"]


def test_defaults_as_python_attributes() -> None:
    config = Config()

    assert config.global_.recordLength == 500000
    assert config.gui.grid == (True, True, 1.0)
    assert config.telegram.default_permission == "blocked"
    assert config.backup.active is True
    assert config_to_dict(config) == SEED_KEYS


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    config = Config()
    config = attrs.evolve(
        config,
        tcp=attrs.evolve(config.tcp, port=6000, knownHosts={"lab:5050": ["lab", ""]}),
        gui=attrs.evolve(config.gui, grid=(False, True, 0.5), plotRate=2.5),
        global_=attrs.evolve(config.global_, language="de", name="Pumpenhaus Süd"),
    )

    save_config(config, tmp_path)

    assert load_config(tmp_path) == config
    text = (tmp_path / "config.json").read_text(encoding="utf-8")
    assert text.startswith('{\n  "global": {\n    "language": "de"')
    assert "Pumpenhaus Süd" in text


def test_save_is_atomic_and_private(tmp_path: Path) -> None:
    save_config(Config(), tmp_path)
    save_config(Config(), tmp_path)

    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]
    assert (tmp_path / "config.json").stat().st_mode & 0o077 == 0


def test_rtoc2_file_with_partial_sections_loads(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {
            "global": {"language": "de", "recordLength": 100000, "name": "Keller"},
            "GUI": {"plotRate": 8, "grid": [True, False, 1], "csv_profiles": {"a.csv": {}}},
            "telegram": {"active": True, "token": "123:abc", "default_permission": "write"},
            "tcp": {"active": True, "port": 5050, "password": "geheim"},
            "backup": {"active": False, "path": "~/RTOC/backup", "intervall": 240},
        },
    )

    config = load_config(tmp_path)

    assert config.global_.language == "de"
    assert config.global_.recordLength == 100000
    assert config.global_.webserver_port == 8050
    assert config.gui.plotRate == 8.0
    assert isinstance(config.gui.plotRate, float)
    assert config.gui.grid == (True, False, 1.0)
    assert config.gui.csv_profiles == {"a.csv": {}}
    assert config.telegram.default_permission == "write"
    assert config.tcp.password == "geheim"
    assert config.backup.intervall == 240.0
    assert config.postgresql == Config().postgresql


def test_backup_directory_resolves_against_home(tmp_path: Path) -> None:
    def resolved(path: str) -> Path:
        config = Config()
        return backup_directory(
            attrs.evolve(config, backup=attrs.evolve(config.backup, path=path)), tmp_path
        )

    assert resolved("") == tmp_path
    assert resolved("data") == tmp_path / "data"
    assert resolved("~/RTOC/backup") == Path.home() / "RTOC" / "backup"
    assert resolved("/srv/rtoc") == Path("/srv/rtoc")


# --- invalid files -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"tcp": {"port": "abc"}}, "tcp.port: expected an integer from 1 to 65535, got 'abc'"),
        ({"tcp": {"port": 0}}, "tcp.port: expected an integer from 1 to 65535, got 0"),
        ({"tcp": {"port": 5050.5}}, "tcp.port: expected an integer from 1 to 65535"),
        (
            {"global": {"recordLength": True}},
            "global.recordLength: expected an integer from 1 to 100000000, got True",
        ),
        ({"global": {"language": "fr"}}, "global.language: expected one of 'en', 'de', got 'fr'"),
        ({"telegram": {"default_permission": "root"}}, "telegram.default_permission: expected one"),
        ({"telegram": {"default_eventlevel": True}}, "telegram.default_eventlevel: expected one"),
        ({"GUI": {"plotRate": "8"}}, "GUI.plotRate: expected a number > 0 and <= 1000000, got '8'"),
        ({"GUI": {"darkmode": "yes"}}, "GUI.darkmode: expected true or false, got 'yes'"),
        ({"GUI": {"grid": [True, True]}}, "GUI.grid: expected a list of 3 items"),
        ({"GUI": {"csv_profiles": []}}, "GUI.csv_profiles: expected an object, got []"),
        ({"postgresql": {"user": 5}}, "postgresql.user: expected a string, got 5"),
        (
            {"backup": {"intervall": 0}},
            "backup.intervall: expected a number > 0 and <= 1000000, got 0",
        ),
        ({"backup": {"intervall": float("inf")}}, "backup.intervall: expected a number > 0"),
        (
            {"backup": {"resample": -1}},
            "backup.resample: expected a number from 0 to 1000000, got -1",
        ),
        (
            {"backup": {"intervall": 1e300}},
            "backup.intervall: expected a number > 0 and <= 1000000, got 1e+300",
        ),
        (
            {"global": {"recordLength": 10**10}},
            "global.recordLength: expected an integer from 1 to 100000000",
        ),
        ({"backup": 240}, "backup: expected an object, got 240"),
    ],
)
def test_wrong_value_names_file_and_key_path(tmp_path: Path, data: dict, expected: str) -> None:
    write_config(tmp_path, data)

    message = load_error(tmp_path)

    assert message.startswith(f"{tmp_path / 'config.json'}: {expected}")


def test_all_errors_are_reported_together(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {
            "global": {"recordLength": True},
            "tcp": {"port": "abc", "active": "no"},
            "telegram": {"default_permission": "root"},
        },
    )

    lines = load_error(tmp_path).splitlines()

    assert len(lines) == 4
    assert all(line.startswith(f"{tmp_path / 'config.json'}: ") for line in lines)
    paths = {line.split(": ")[1] for line in lines}
    assert paths == {"global.recordLength", "tcp.port", "tcp.active", "telegram.default_permission"}


def test_corrupt_json_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{\n  "tcp": {\n    "port": 5050,,\n  }\n}\n')

    message = load_error(tmp_path)

    assert message.startswith(f"{tmp_path / 'config.json'}: invalid JSON at line 3, column 18")


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9])
def test_half_written_file_names_file_and_line(tmp_path: Path, keep: float) -> None:
    save_config(Config(), tmp_path)
    path = tmp_path / "config.json"
    text = path.read_text(encoding="utf-8")
    cut = text[: int(len(text) * keep)]
    path.write_text(cut, encoding="utf-8")

    message = load_error(tmp_path)

    last_line = cut.count("\n") + 1
    assert re.fullmatch(
        rf"{re.escape(str(path))}: invalid JSON at line (\d+), column \d+: .+", message
    )
    assert int(re.search(r"line (\d+)", message)[1]) in (last_line - 1, last_line)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("")

    assert "invalid JSON at line 1, column 1" in load_error(tmp_path)


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    write_config(tmp_path, [{"tcp": {}}])

    message = load_error(tmp_path)

    assert (
        message
        == f"{tmp_path / 'config.json'}: expected a JSON object at the top level, got a list"
    )


def test_unknown_keys_are_ignored_and_unknown_sections_kept_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_config(tmp_path, {"tcp": {"prot": 5051, "port": 5052}, "web": {"port": 8050}})

    with caplog.at_level(logging.WARNING, logger="rtoc.config"):
        config = load_config(tmp_path)

    assert config.tcp.port == 5052
    assert config.unknown_sections == {"web": {"port": 8050}}
    warnings = [r.getMessage() for r in caplog.records if r.name == "rtoc.config"]
    assert f"{tmp_path / 'config.json'}: unknown key tcp.prot (ignored)" in warnings
    assert (
        f"{tmp_path / 'config.json'}: section web: no installed distribution registers it "
        "(kept as it is, unchecked)" in warnings
    )


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(b'\xef\xbb\xbf{"global": {"name": "Br\xc3\xbccke"}}')

    assert load_config(tmp_path).global_.name == "Brücke"


# --- get_value / set_value ---------------------------------------------------


def test_get_and_set_value_with_json_names() -> None:
    config = Config()

    assert get_value(config, "global.recordLength") == 500000
    assert get_value(config, "GUI.grid") == [True, True, 1.0]
    changed = set_value(config, "GUI.plotRate", "4")
    assert changed.gui.plotRate == 4.0
    assert config.gui.plotRate == 8.0  # the original is unchanged


def _numeric_keys() -> list[str]:
    """Every number setting in config.json as SECTION.KEY."""
    return [
        f"{section}.{key}"
        for section, values in config_to_dict(Config()).items()
        for key, value in values.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]


@pytest.mark.parametrize("key", _numeric_keys())
@pytest.mark.parametrize("raw", ["1e300", "-1e300", str(10**30)])
def test_every_number_setting_has_finite_bounds(key: str, raw: str) -> None:
    with pytest.raises(
        ConfigError, match=rf"{re.escape(key)}: expected (an? \w+ (from|>) |one of)"
    ):
        set_value(Config(), key, raw)


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("tcp.port", "5051", 5051),
        ("tcp.active", "true", True),
        ("GUI.grid", "[true, false, 2]", [True, False, 2.0]),
        ("tcp.knownHosts", '{"lab:5050": "lab"}', {"lab:5050": "lab"}),
        ("global.name", '"Labor 1"', "Labor 1"),
        ("global.name", "Labor 1", "Labor 1"),
        ("telegram.token", "12345", "12345"),  # valid JSON, but a token is text
        ("global.language", "de", "de"),
    ],
)
def test_set_value_reads_json_then_plain_text(key: str, raw: str, expected: object) -> None:
    assert get_value(set_value(Config(), key, raw), key) == expected


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        (
            "tcp.port",
            "abc",
            "config.json: tcp.port: expected an integer from 1 to 65535, got 'abc'",
        ),
        ("tcp.port", "70000", "config.json: tcp.port: expected an integer from 1 to 65535"),
        ("tcp.prot", "1", "config.json: tcp.prot: unknown key; keys in tcp are active, port,"),
        ("tpc.port", "1", "config.json: tpc.port: unknown section 'tpc'; sections are global,"),
        ("port", "1", "config.json: port: expected SECTION.KEY"),
    ],
)
def test_set_value_rejects_bad_keys_and_values(key: str, raw: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        set_value(Config(), key, raw)

    assert str(caught.value).startswith(expected)


# --- rtoc config -------------------------------------------------------------


def test_cli_show_prints_the_whole_config(tmp_path: Path) -> None:
    result = run(tmp_path, "show")

    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    installed = set(PluginRegistry.load(tmp_path).config_sections())  # e.g. rtoc-web's "web"
    assert {name: keys for name, keys in shown.items() if name not in installed} == SEED_KEYS


def test_cli_get_prints_json(tmp_path: Path) -> None:
    write_config(tmp_path, {"global": {"name": "Keller"}})

    assert run(tmp_path, "get", "global.name").output == '"Keller"\n'
    assert run(tmp_path, "get", "GUI.grid").output == "[true, true, 1.0]\n"


def test_cli_set_persists(tmp_path: Path) -> None:
    result = run(tmp_path, "set", "tcp.port", "5051")

    assert result.exit_code == 0, result.output
    assert result.output == "5051\n"
    assert json.loads((tmp_path / "config.json").read_text())["tcp"]["port"] == 5051
    assert run(tmp_path, "get", "tcp.port").output == "5051\n"


def test_cli_set_bad_value_fails_and_keeps_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"tcp": {"port": 5050}})
    before = path.read_bytes()

    result = run(tmp_path, "set", "tcp.port", "abc")

    assert result.exit_code == 1
    assert "Error: config.json: tcp.port: expected an integer from 1 to 65535" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


def test_cli_set_repairs_a_wrong_value_in_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, {"tcp": {"port": "abc"}, "global": {"name": "Keller"}})

    result = run(tmp_path, "set", "tcp.port", "5051")

    assert result.exit_code == 0, result.output
    assert result.output == "5051\n"
    config = load_config(tmp_path)
    assert (config.tcp.port, config.global_.name) == (5051, "Keller")


def test_cli_set_repairs_one_key_at_a_time_and_names_the_rest(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"tcp": {"port": "abc"}, "GUI": {"plotRate": "x"}})

    first = run(tmp_path, "set", "tcp.port", "5051")

    assert first.exit_code == 0, first.output
    assert first.output.startswith("5051\nSaved; config.json still has wrong values:\n")
    assert "GUI.plotRate: expected a number > 0" in first.output and "tcp.port" not in first.output
    assert json.loads(path.read_text()) == {"tcp": {"port": 5051}, "GUI": {"plotRate": "x"}}
    refused = run(tmp_path, "set", "GUI.plotRate", "-1")
    assert refused.exit_code == 1 and "GUI.plotRate: expected a number > 0" in refused.output
    second = run(tmp_path, "set", "GUI.plotRate", "4")
    assert second.exit_code == 0 and second.output == "4.0\n"
    assert load_config(tmp_path).gui.plotRate == 4.0


def test_cli_set_backend_must_be_installed(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"backup": {"backend": "sqlite"}})
    before = path.read_bytes()

    result = run(tmp_path, "set", "backup.backend", "nosuch")

    assert result.exit_code == 1
    assert "config.json: backup.backend: no storage backend 'nosuch'; installed: " in result.output
    assert "sqlite" in result.output and path.read_bytes() == before
    assert run(tmp_path, "set", "backup.backend", "memory").exit_code == 0
    assert load_config(tmp_path).backup.backend == "memory"


def test_cli_set_accepts_negative_numbers_as_values(tmp_path: Path) -> None:
    result = run(tmp_path, "set", "backup.resample", "-1")

    assert result.exit_code == 1
    assert "backup.resample: expected a number from 0 to 1000000, got -1" in result.output


def test_cli_unknown_key_lists_the_valid_keys(tmp_path: Path) -> None:
    result = run(tmp_path, "get", "tcp.prot")

    assert result.exit_code == 1
    assert "tcp.prot: unknown key; keys in tcp are active, port, password" in result.output


def test_cli_broken_file_is_reported_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"tcp": ')

    result = run(tmp_path, "show")

    assert result.exit_code == 1
    assert "config.json: invalid JSON at line 1" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_uses_rtoc_home_without_a_parent_group(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        config_command, ["set", "global.name", "Labor"], env={"RTOC_HOME": os.fspath(tmp_path)}
    )

    assert result.exit_code == 0, result.output
    assert load_config(tmp_path).global_.name == "Labor"


# --- autorun_devices ---------------------------------------------------------


def test_autorun_devices(tmp_path: Path) -> None:
    (tmp_path / "autorun_devices").write_text(
        "DPS5020\n\n  # started by hand for now\n#INA219\n  Heliotherm  \n\t\nVC820"
    )

    assert read_autorun_devices(tmp_path) == ["DPS5020", "Heliotherm", "VC820"]


def test_autorun_devices_missing_file(tmp_path: Path) -> None:
    assert read_autorun_devices(tmp_path) == []
