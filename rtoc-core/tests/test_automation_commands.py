"""The ``logger`` request's automation commands: answers, and bad input named plainly."""

from __future__ import annotations

import json
import sys
import time

import pytest

from rtoc.logger import Logger
from rtoc.net.requests import RequestHandler
from rtoc.testing.waiting import wait_until


@pytest.fixture
def logger(tmp_path):
    logger = Logger(home=tmp_path)
    logger.start()
    yield logger
    logger.close()


@pytest.fixture
def ask(logger):
    handler = RequestHandler(logger)
    return lambda **commands: handler.handle({"logger": commands})


def test_add_list_stop_and_remove_a_periodic_job(ask, logger):
    reply = ask(addJob={"name": "tick", "script": "stream(1, 'tick')", "every": 0.02})
    assert reply["error"] is False
    assert reply["logger"]["addJob"]["schedule"] == "every 0.02 s"
    wait_until(lambda: ("Script", "tick") in logger.store)
    (listed,) = ask(jobs=True)["logger"]["jobs"]
    assert listed["name"] == "tick" and listed["runs"] >= 1 and listed["failures"] == 0
    assert ask(stopJob="tick")["logger"]["stopJob"] == {"tick": True}
    assert ask(jobs=True)["logger"]["jobs"][0]["state"] == "stopped"
    assert ask(startJob=["tick"])["logger"]["startJob"] == {"tick": True}
    assert ask(removeJob="tick")["logger"]["removeJob"] == {"tick": True}
    assert ask(jobs=True)["logger"]["jobs"] == []


def test_samplerate_once_and_signal_schedules(ask, logger):
    assert (
        ask(addJob={"name": "a", "script": "1", "samplerate": 4})["logger"]["addJob"]["schedule"]
        == "every 0.25 s"
    )
    assert (
        ask(addJob={"name": "b", "script": "1", "once": True})["logger"]["addJob"]["schedule"]
        == "once"
    )
    logger.stream(1.0, "S", "Dev.ice")  # a device name with a dot still resolves
    reply = ask(addJob={"name": "c", "script": "1", "signals": ["Dev.ice.S"]})
    assert reply["logger"]["addJob"]["schedule"] == "on new data of Dev.ice.S"


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ("not an object", "addJob takes an object"),
        ({"name": "j", "script": "1", "every": 1, "colour": "red"}, "unknown key(s) colour"),
        ({"script": "1", "every": 1}, "addJob needs a name"),
        ({"name": "j", "script": 5, "every": 1}, "needs the script as text"),
        ({"name": "j", "script": "1"}, "exactly one of once, every, samplerate, signals"),
        ({"name": "j", "script": "1", "every": 1, "once": True}, "exactly one of"),
        ({"name": "j", "script": "1", "every": -2}, "from 0.001 to 1e+07 seconds, got -2"),
        ({"name": "j", "script": "1", "every": 1e300}, "from 0.001 to 1e+07 seconds, got 1e+300"),
        ({"name": "j", "script": "1", "samplerate": "fast"}, "number of runs per second"),
        ({"name": "j", "script": "1", "signals": 3}, 'list of "Device.Signal" names'),
        ({"name": "j", "script": "1", "signals": []}, "at least one signal"),
        ({"name": "j", "script": "1", "signals": ["nodot"]}, 'not a "Device.Signal" name'),
        ({"name": "j", "script": "x = (", "every": 1}, "script j, line 1"),
        ({"name": "j", "script": "1", "every": 1, "replace": "yes"}, "replace must be true"),
    ],
)
def test_bad_add_job_is_refused_with_the_reason(ask, job, message):
    reply = ask(addJob=job)
    assert reply["error"] is True and reply["logger"]["addJob"] is False
    assert message in reply["message"]
    assert ask(jobs=True)["logger"]["jobs"] == []


def test_a_taken_name_needs_replace(ask):
    ask(addJob={"name": "j", "script": "1", "every": 10})
    reply = ask(addJob={"name": "j", "script": "2", "every": 10})
    assert reply["error"] is True and "a job named 'j' exists" in reply["message"]
    reply = ask(addJob={"name": "j", "script": "2", "every": 10, "replace": True})
    assert reply["error"] is False and reply["logger"]["addJob"]["source"] == "2"


def test_unknown_job_names_change_nothing(ask):
    ask(addJob={"name": "j", "script": "1", "every": 10})
    reply = ask(stopJob=["j", "nope"])
    assert reply["error"] is True and "no job named 'nope'; jobs: j" in reply["message"]
    assert ask(jobs=True)["logger"]["jobs"][0]["state"] != "stopped"  # j was not stopped either
    assert "takes a job name" in ask(removeJob=5)["message"]


def test_run_script_returns_output_and_errors_with_the_user_s_line(ask):
    assert ask(runScript="print('hi')\nprint(1 + 1)")["logger"]["runScript"] == {
        "output": ["hi", "2"]
    }
    reply = ask(runScript={"script": "a = 1\nb = a / 0"})
    assert reply["error"] is True
    # Tracebacks carry columns from CPython 3.11 on; 3.10 knows the line only.
    where = "line 2, column 5" if sys.version_info >= (3, 11) else "line 2"
    assert f"script remote, {where}: ZeroDivisionError" in reply["message"]
    reply = ask(runScript={"script": "a = 1\nb = a / 0", "name": "heater"})
    assert f"script heater, {where}: ZeroDivisionError" in reply["message"]
    reply = ask(runScript={"script": "while True: pass", "timeout": 0.2})
    assert "limit of 0.2 s" in reply["message"]
    for bad, message in [
        (5, "runScript takes the script as text"),
        ({"script": "1", "timeout": 0}, "timeout must be 0 to 600 seconds"),
        ({"script": "1", "timeout": "long"}, "timeout must be"),
        ({"script": "1", "name": " "}, "name must be a non-empty text, got ' '"),
        ({"script": "1", "name": 7}, "name must be a non-empty text, got 7"),
    ]:
        assert message in ask(runScript=bad)["message"]


def test_run_script_answers_a_script_result_when_asked(ask):
    source = "global n = 0\nn += 1\nprint('run', n)\n[n, 0.5]"
    answers = [
        ask(runScript={"script": source, "name": "n", "result": True})["logger"]["runScript"]
        for _ in range(2)
    ]
    assert answers == [
        {"output": "run 1", "value": [1, 0.5], "error": "", "line": None},
        {"output": "run 2", "value": [2, 0.5], "error": "", "line": None},
    ]
    reply = ask(runScript={"script": "print('a')\nb = 1 / 0", "result": True})
    answer = reply["logger"]["runScript"]
    assert reply["error"] is False and (answer["output"], answer["line"]) == ("a", 2)
    assert answer["error"].startswith("script remote, line 2")
    assert "ZeroDivisionError" in answer["error"]
    slow = {"script": "while True: pass", "timeout": 0.2, "result": True}
    assert "limit of 0.2 s" in ask(runScript=slow)["logger"]["runScript"]["error"]
    reply = ask(runScript={"script": "1", "result": "yes"})
    assert "runScript: result must be true or false, got 'yes'" in reply["message"]


def test_script_output_keeps_the_newest_lines(ask):
    ask(runScript="for i in range(4): print(i)")
    ask(runScript={"script": "print(4)", "name": "heater"})
    lines = ask(scriptOutput=2)["logger"]["scriptOutput"]
    assert lines == [{"source": "remote", "text": "3"}, {"source": "heater", "text": "4"}]
    assert len(ask(scriptOutput=True)["logger"]["scriptOutput"]) == 5
    assert ask(scriptOutput=0)["logger"]["scriptOutput"] == []
    assert "line count or true" in ask(scriptOutput=-1)["message"]


def test_global_events_set_all_or_nothing_and_remove(ask, tmp_path):
    good = {"cond": "D.S.latest > 1", "text": "big"}
    reply = ask(setGlobalEvent={"good": good, "bad": {"cond": "D.S.latest >"}})
    assert reply["error"] is True and "event 'bad': cond does not compile" in reply["message"]
    assert ask(globalEvents=True)["logger"]["globalEvents"] == {}
    assert not (tmp_path / "globalEvents.json").exists()

    assert ask(setGlobalEvent={"good": good})["logger"]["setGlobalEvent"] == {"good": True}
    listed = ask(globalEvents=True)["logger"]["globalEvents"]
    assert listed["good"]["trigger"] == "rising" and listed["good"]["errors"] is False
    saved = json.loads((tmp_path / "globalEvents.json").read_text(encoding="utf-8"))
    assert saved["good"]["cond"] == "D.S.latest > 1"

    reply = ask(removeGlobalEvent=["good", "nope"])
    assert "no entry named 'nope'; entries: good" in reply["message"]
    assert "good" in ask(globalEvents=True)["logger"]["globalEvents"]  # nothing removed
    assert ask(removeGlobalEvent="good")["logger"]["removeGlobalEvent"] == {"good": True}
    assert "takes an object of entries" in ask(setGlobalEvent=["x"])["message"]


def test_global_actions_and_switches(ask, logger, tmp_path):
    reply = ask(setGlobalAction={"a": {"listenID": "go", "script": "stream(value, 'acted')"}})
    assert reply["error"] is False
    assert ask(globalActions=True)["logger"]["globalActions"]["a"]["listenID"] == ["go"]
    logger.event("go!", id="go", value=3)
    time.sleep(0.2)  # actions are off by default (global.globalActionsActivated)
    assert ("Script", "acted") not in logger.store
    assert ask(globalActionsActivated=True)["logger"]["globalActionsActivated"] is True
    logger.event("go!", id="go", value=3)
    wait_until(lambda: ("Script", "acted") in logger.store)
    assert logger.store.get("Script", "acted").latest[1] == 3.0
    assert "takes true or false" in ask(globalEventsActivated="yes")["message"]
    reply = ask(setGlobalAction={"b": {"listenID": [], "script": "1"}})
    assert "listenID is empty" in reply["message"]
