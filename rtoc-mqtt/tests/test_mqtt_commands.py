"""Commands over a real Mosquitto: off by default; on, users with the write role set
parameters and call functions, everybody else is refused with the reason."""

from __future__ import annotations

import json

import pytest
from mqtt_rig import wait_time

from rtoc.device import Device
from rtoc.users import UserStore


class Oven(Device):
    """A device with a parameter and a function."""

    setpoint = 20.0

    def heat(self, minutes: int, fan: bool = False) -> str:
        return f"heating {minutes} min, fan {'on' if fan else 'off'}"


@pytest.fixture
def users(tmp_path):
    store = UserStore(tmp_path)
    store.add("ada", "correct horse", "write")
    store.add("bob", "battery staple", "read")
    return store


def ask(watcher, name: str, user: str, command: object, count: int = 1) -> dict:
    watcher.publish(f"rtoc/{name}/command/{user}", json.dumps(command))
    return json.loads(watcher.wait_for(f"rtoc/{name}/command/{user}/reply", count)[-1].payload)


def test_commands_are_off_by_default(make_rig, watcher, name, users):
    rig = make_rig(name)
    rig.logger.add_device(Oven)
    rig.connected()
    watcher.subscribe(f"rtoc/{name}/command/#")
    watcher.publish(f"rtoc/{name}/command/ada", json.dumps({"set": {
        "device": "Oven", "parameter": "setpoint", "value": 99}}))  # fmt: skip
    wait_time(0.5)
    assert rig.logger.get_parameter("Oven", "setpoint") == 20.0
    assert watcher.on(f"rtoc/{name}/command/ada/reply") == []


def test_a_writer_sets_parameters_and_calls_functions(make_rig, watcher, name, users):
    rig = make_rig(name, commands=True)
    rig.logger.add_device(Oven)
    rig.connected()
    watcher.subscribe(f"rtoc/{name}/command/+/reply")
    command = {"id": 1, "set": {"device": "Oven", "parameter": "setpoint", "value": 180}}
    assert ask(watcher, name, "ada", command) == {"id": 1, "ok": True, "result": 180.0}
    assert rig.logger.get_parameter("Oven", "setpoint") == 180.0
    command = {"id": 2, "call": {"device": "Oven", "function": "heat", "args": [5],
                                 "kwargs": {"fan": True}}}  # fmt: skip
    assert ask(watcher, name, "ada", command, 2) == {
        "id": 2, "ok": True, "result": "heating 5 min, fan on"}  # fmt: skip


@pytest.mark.parametrize(
    ("user", "command", "error"),
    [
        ("bob", {"set": {"device": "Oven", "parameter": "setpoint", "value": 1}},
         "commands need the write role; user 'bob' has read"),
        ("eve", {"set": {"device": "Oven", "parameter": "setpoint", "value": 1}},
         "no rtoc user 'eve'"),
        ("ada", {"set": {"device": "Oven", "parameter": "setpoint", "value": "hot"}}, "setpoint"),
        ("ada", {"set": {"device": "Oven", "parameter": "nope", "value": 1}}, "nope"),
        ("ada", {"call": {"device": "Oven", "function": "bake"}}, "no function 'bake'"),
        ("ada", {"call": {"device": "Nowhere", "function": "heat"}}, "Nowhere"),
        ("ada", {"call": {"device": "Oven", "function": "heat", "args": 5}}, "call.args must be"),
        ("ada", {"set": {"device": "Oven"}}, "set: missing parameter, value"),
        ("ada", {"set": {}, "call": {}}, 'exactly one of "set" or "call"'),
        ("ada", {"run": "rm -rf /"}, 'exactly one of "set" or "call"'),
        ("ada", [1, 2], "a command is a JSON object"),
    ],
)  # fmt: skip
def test_refused_commands_say_why_and_change_nothing(
    make_rig, watcher, name, users, user, command, error
):
    rig = make_rig(name, commands=True)
    rig.logger.add_device(Oven)
    rig.connected()
    watcher.subscribe(f"rtoc/{name}/command/+/reply")
    reply = ask(watcher, name, user, command)
    assert reply["ok"] is False and error in reply["error"], reply
    assert rig.logger.get_parameter("Oven", "setpoint") == 20.0


def test_a_command_that_is_no_json_is_answered(make_rig, watcher, name, users):
    rig = make_rig(name, commands=True)
    rig.connected()
    watcher.subscribe(f"rtoc/{name}/command/+/reply")
    watcher.publish(f"rtoc/{name}/command/ada", b"\xff{")
    reply = json.loads(watcher.wait_for(f"rtoc/{name}/command/ada/reply")[0].payload)
    assert reply["ok"] is False and reply["error"].startswith("a command is a JSON object")
