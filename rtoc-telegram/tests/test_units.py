"""The clients file and chat values, without a bot."""

from __future__ import annotations

import json

import pytest

from rtoc.users import Role, UserError
from rtoc_telegram.clients import CLIENTS_FILE, ClientsFileError, ClientStore
from rtoc_telegram.values import argument_names, parse_value


def test_first_client_is_admin_then_the_default_and_the_last_admin_stays(tmp_path) -> None:
    store = ClientStore(tmp_path, default_permission="read", default_level=2)
    ada, new = store.meet(1, "Ada", "")
    assert new and ada.role is Role.ADMIN and ada.eventlevel == 2
    bob, _ = store.meet(2, "Bob", "B")
    assert bob.role is Role.READ
    assert store.meet(2, "Robert", "")[0].first_name == "Bob"  # known: unchanged
    with pytest.raises(UserError, match="last admin"):
        store.change(1, permission="write")
    with pytest.raises(UserError, match="unknown role 'root'"):
        store.change(2, permission="root")
    store.change(2, permission="admin")
    store.change(1, permission="blocked")
    again = ClientStore(tmp_path)
    assert [(c.id, c.permission) for c in again.all()] == [(1, "blocked"), (2, "admin")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not JSON"),
        ("[]", "expected an object"),
        ('{"abc": {}}', "client 'abc'"),
        ('{"1": {"eventlevel": 7}}', "eventlevel must be 0, 1 or 2"),
    ],
)
def test_a_corrupt_clients_file_is_refused_untouched(tmp_path, content, reason) -> None:
    (tmp_path / CLIENTS_FILE).write_text(content)
    with pytest.raises(ClientsFileError, match=reason):
        ClientStore(tmp_path)
    assert (tmp_path / CLIENTS_FILE).read_text() == content


def test_rtoc_2_clients_files_load(tmp_path) -> None:
    rtoc2 = {
        "123": {
            "eventlevel": 1,
            "shortcuts": [["Pump.speed"], []],
            "first_name": "Ada",
            "last_name": None,
            "permission": "write",
            "menu": "menu",
        }
    }
    (tmp_path / CLIENTS_FILE).write_text(json.dumps(rtoc2))
    [client] = ClientStore(tmp_path).all()
    assert (client.id, client.role, client.eventlevel) == (123, Role.WRITE, 1)
    assert client.shortcuts == [["Pump.speed"], []]


def test_values_from_chat_text_are_parsed_never_evaluated() -> None:
    assert parse_value("on", False) is True
    assert parse_value(" 3 ", 1) == 3
    assert parse_value("2,5", 1.0) == 2.5
    assert parse_value("hello", "x") == "hello"
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("__import__('os').getcwd()") == "__import__('os').getcwd()"
    with pytest.raises(ValueError, match="expected a whole number"):
        parse_value("1.5", 1)
    with pytest.raises(ValueError, match="expected on/off"):
        parse_value("maybe", True)
    with pytest.raises(ValueError, match="at most 1000 characters"):
        parse_value("1" * 1001, 1.0)


def test_arguments_asked_for_are_those_without_defaults() -> None:
    assert argument_names("(litres: float, times: int = 1) -> str") == [("litres", 0.0)]
    assert argument_names("(on: bool, name: str, n: int, x: list)") == [
        ("on", False),
        ("name", ""),
        ("n", 0),
        ("x", None),
    ]
    assert argument_names("(self, a, /, b, *args, c=1, **kw)") == [("a", None), ("b", None)]
    assert argument_names("not a signature") == []


def test_long_answers_are_split_between_lines() -> None:
    from rtoc_telegram.menu_base import split

    lines = [f"Many.S{i:04d}: {i} V (1 s ago)" for i in range(1000)]
    chunks = split("\n".join(lines), 4096)
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert "\n".join(chunks).splitlines() == lines
    assert split("x" * 5000, 4096) == ["x" * 4096, "x" * 904]
    assert split("") == ["…"]


@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")  # RetryAfter's own message
def test_flood_control_waits_as_long_as_telegram_says(monkeypatch) -> None:
    from telegram.error import RetryAfter

    from rtoc_telegram.notify import _seconds

    assert _seconds(RetryAfter(7)) == 7.0
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    assert _seconds(RetryAfter(7)) == 7.0


def test_measured_values_name_their_signal() -> None:
    from rtoc_telegram.values import parse_measurement

    assert parse_measurement("Garden.Rain 3.5 mm") == ("Garden", "Rain", 3.5, "mm")
    assert parse_measurement("Lab.1.T -2 °C ") == ("Lab.1", "T", -2.0, "°C")
    assert parse_measurement("Tank.Level 80 l of water")[3] == "l of water"
    for bad in ("Garden.Rain", "Rain 3", ".Rain 3", "Garden. 3", "Garden.Rain nan"):
        with pytest.raises(ValueError):
            parse_measurement(bad)
