"""Global events, actions and script jobs in a real ``rtoc run``, driven over TCP.

The home folder holds RTOC-style ``globalEvents.json``/``globalActions.json``
(one entry broken on purpose); the Generator device provides the signal the
event watches, and a TCP client changes the device, adds jobs and rules.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from rtoc.net import Client, RemoteError
from rtoc.testing.installed import rtoc_command, run_rtoc
from rtoc.testing.waiting import wait_until

EVENTS = {
    "offset high": {
        "cond": "Generator.Square.latest > 2",
        "text": "offset above 2",
        "return": "",
        "priority": 1,
        "id": "high",
        "trigger": "rising",
        "sname": "",
        "dname": "",
        "active": True,
    },
    "broken": {"cond": "Generator.Square.latest >", "text": "never"},
}
ACTIONS = {
    "lower": {
        "listenID": ["high"],
        "parameters": "",
        "script": "Generator.offset = 0\nstream(value, 'seen', 'Actions')",
        "active": True,
    }
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def rtoc(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    config = {
        "tcp": {"active": True, "port": port},
        "backup": {"active": False},
        "global": {"globalEventsActivated": True, "globalActionsActivated": True},
    }
    (home / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (home / "globalEvents.json").write_text(json.dumps(EVENTS), encoding="utf-8")
    (home / "globalActions.json").write_text(json.dumps(ACTIONS), encoding="utf-8")
    process = subprocess.Popen(
        rtoc_command(home, "run", "--device", "Generator"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    wait_until(lambda: any("TCP server listening" in line for line in lines), 15, "the server")
    client = Client("127.0.0.1", port)
    try:
        yield home, client, lines
    finally:
        client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        reader.join(2)


@pytest.mark.timeout(60)
def test_global_event_runs_action_and_broken_entry_is_reported(rtoc):
    _home, client, lines = rtoc
    rules = client.request(logger={"globalEvents": True})["logger"]["globalEvents"]
    assert rules["offset high"]["errors"] is False
    assert rules["broken"]["errors"] is True
    assert "cond does not compile" in rules["broken"]["error"]
    assert any("global event skipped" in line and "broken" in line for line in lines)
    assert any(
        line.startswith("Global events: 1 from ") and "1 skipped for errors." in line
        for line in lines
    )
    assert any(line.startswith("Global actions: 1 from ") for line in lines)

    client.request(plugin={"Generator": {"offset": 5}})  # Square goes to 4 or 6: above 2

    def action_ran():
        return client.request(getLatest=True)["latest"].get("Actions.seen")

    seen = wait_until(action_ran, 10, what="the action's signal")
    assert seen[1] > 2  # the action got the event's value
    events = client.request(getEventList=True)["events"].values()  # {uid: [dev, sig, uid, text...]}
    raised = [e for e in events if e[:2] == ["Generator", "Square"] and e[3] == "offset above 2"]
    assert raised and raised[0][5] > 2, events
    wait_until(
        lambda: (
            client.request(plugin={"Generator": {"get": "offset"}})["plugin"]["Generator"]["get"]
            == 0
        ),
        10,
        "the action to set the offset back",
    )


@pytest.mark.timeout(60)
def test_jobs_and_rules_over_tcp_persist_and_leave_broken_entries(rtoc):
    home, client, _lines = rtoc
    reply = client.request(
        logger={
            "addJob": {
                "name": "double",
                "script": "stream(Generator.Sine.latest * 2, 'double', 'Jobs')",
                "signals": ["Generator.Sine"],
            }
        }
    )
    assert reply["logger"]["addJob"]["schedule"] == "on new data of Generator.Sine"
    wait_until(lambda: "Jobs.double" in client.request(getLatest=True)["latest"], 10, "job")
    jobs = client.request(logger={"jobs": True})["logger"]["jobs"]
    assert jobs[0]["name"] == "double" and jobs[0]["runs"] > 0
    assert client.request(logger={"stopJob": "double"})["logger"]["stopJob"] == {"double": True}

    output = client.request(logger={"runScript": "print(len(Generator.Sine.y) > 0)"})
    assert output["logger"]["runScript"] == {"output": ["True"]}
    with pytest.raises(RemoteError, match=r"line 2.*ZeroDivisionError"):
        client.request(logger={"runScript": "x = 1\nx / 0"})

    client.request(
        logger={"setGlobalEvent": {"cold": {"cond": "Generator.Sine.latest < -5", "text": "cold"}}}
    )
    saved = json.loads((home / "globalEvents.json").read_text(encoding="utf-8"))
    assert saved["broken"] == EVENTS["broken"]  # kept exactly as the user wrote it
    assert saved["cold"]["cond"] == "Generator.Sine.latest < -5"
    assert saved["cold"]["trigger"] == "rising"  # RTOC's default filled in

    with pytest.raises(RemoteError, match="trigger must be one of"):
        client.request(logger={"setGlobalEvent": {"bad": {"cond": "1", "trigger": "up"}}})
    assert "bad" not in json.loads((home / "globalEvents.json").read_text(encoding="utf-8"))
    client.request(logger={"removeGlobalEvent": "cold"})
    assert "cold" not in json.loads((home / "globalEvents.json").read_text(encoding="utf-8"))


@pytest.mark.timeout(90)
def test_rtoc_script_and_rtoc_jobs_from_the_shell(rtoc, tmp_path):
    home, client, _lines = rtoc
    port = str(client.port)
    script = tmp_path / "mean.py"
    script.write_text(
        "global runs = 0\nruns += 1\nprint('mean', rtoc.mean(Generator.Sine, n=10) > -2)\n",
        encoding="utf-8",
    )
    once = run_rtoc(home, "script", str(script), "-p", port)
    assert once.returncode == 0, once.stderr
    assert once.stdout.strip() == "mean True"

    job = run_rtoc(home, "script", str(script), "-p", port, "--every", "0.1")
    assert job.returncode == 0, job.stderr
    assert job.stdout.strip() == f"Job mean runs every 0.1 s in 127.0.0.1:{port}."
    listed = run_rtoc(home, "jobs", "-p", port)
    assert listed.stdout.startswith("mean: every 0.1 s,"), listed.stdout
    stopped = run_rtoc(home, "jobs", "-p", port, "--stop", "mean")
    assert "mean: every 0.1 s, stopped" in stopped.stdout

    broken = tmp_path / "broken.py"
    broken.write_text("x = 1\ny = x +\n", encoding="utf-8")
    failed = run_rtoc(home, "script", str(broken), "-p", port)
    assert failed.returncode == 1
    assert "script broken, line 2" in failed.stderr and "SyntaxError" in failed.stderr
    both = run_rtoc(home, "script", str(script), "-p", port, "--every", "1", "--on", "A.B")
    assert both.returncode == 2 and "choose one of --every, --samplerate and --on" in both.stderr
    unknown = run_rtoc(home, "jobs", "-p", port, "--stop", "nope")
    assert unknown.returncode == 1 and "no job named 'nope'" in unknown.stderr
    nobody = run_rtoc(home, "jobs", "-p", str(free_port()))
    assert nobody.returncode == 1 and "cannot talk to 127.0.0.1" in nobody.stderr
