"""Global events and actions (globalEvents.json, globalActions.json) on a real logger."""

import json
import time

import attrs
import pytest

from rtoc import Device
from rtoc.automation import conditions
from rtoc.automation.rules import RuleError
from rtoc.config import Config
from rtoc.events import Priority
from rtoc.logger import Logger
from rtoc.testing.waiting import wait_until

EVENTS = "globalEvents.json"
ACTIONS = "globalActions.json"


def config(events=True, actions=True):
    cfg = Config()
    return attrs.evolve(
        cfg,
        global_=attrs.evolve(
            cfg.global_, globalEventsActivated=events, globalActionsActivated=actions
        ),
    )


@pytest.fixture
def make_logger(tmp_path):
    """Start a logger in ``tmp_path`` after writing the given rule files there."""
    made = []

    def make(events=None, actions=None, *, events_on=True, actions_on=True):
        for name, data in ((EVENTS, events), (ACTIONS, actions)):
            if isinstance(data, str):
                (tmp_path / name).write_text(data, encoding="utf-8")
            elif data is not None:
                (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
        logger = Logger(config(events_on, actions_on), home=tmp_path)
        made.append(logger)
        logger.start()
        return logger

    yield make
    for logger in made:
        logger.close()


def tick(signal="Gen.X"):
    """A rule that fires at every evaluation of ``signal``: proof that a pass happened."""
    return {"cond": f"{signal}.latest == {signal}.latest", "trigger": "true", "id": "tick"}


def with_id(logger, id):
    return [event for event in logger.events if event.id == id]


def reports(logger, priority):
    return [
        event
        for event in logger.events
        if (event.device, event.signal) == ("rtoc", "automation") and event.priority == priority
    ]


def settle(logger):
    """Wait for the pass under way: it holds the watcher's lock while it raises events."""
    with logger.automation.watcher._lock:
        pass


def step(logger, y, sname="X", dname="Gen", tick_id="tick"):
    """Stream one sample and wait until the pass that evaluated it is over."""
    before = len(with_id(logger, tick_id))
    logger.stream(y, sname, dname)
    wait_until(lambda: len(with_id(logger, tick_id)) > before, what=f"{dname}.{sname}={y}")
    settle(logger)


def read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


# -- trigger modes and what an event carries -------------------------------------------

SAMPLES = [0, 5, 6, 0, 7, 0, 0, 8]  # "> 1": F T T F T F F T


@pytest.mark.timeout(10)
def test_every_trigger_mode_fires_the_expected_number_of_times(make_logger):
    def rule(trigger, id):
        return {"cond": "Gen.X.latest > 1", "trigger": trigger, "id": id}

    logger = make_logger(
        {
            "rising": rule("rising", "rising"),
            "falling": rule("falling", "falling"),
            "both": rule("both", "both"),
            "true": rule("true", "true"),
            "false": rule("false", "false"),
            "json true": rule(True, "json-true"),  # the manual writes them unquoted
            "json false": rule(False, "json-false"),
            "tick": tick(),
        }
    )
    described = logger.automation.describe_events()
    assert described["json true"]["trigger"] == "true" and not described["json true"]["errors"]
    assert described["json false"]["trigger"] == "false"

    for y in SAMPLES:
        step(logger, y)

    counts = {
        id: len(with_id(logger, id))
        for id in ("rising", "falling", "both", "true", "false", "json-true", "json-false")
    }
    assert counts == {
        "rising": 3,
        "falling": 2,
        "both": 5,
        "true": 4,
        "false": 4,
        "json-true": 4,
        "json-false": 4,
    }
    assert len(with_id(logger, "tick")) == len(SAMPLES)
    assert reports(logger, Priority.ERROR) == reports(logger, Priority.WARNING) == []


@pytest.mark.timeout(10)
def test_a_batch_of_samples_is_evaluated_once_on_its_newest_value(make_logger):
    logger = make_logger(
        {
            "both": {"cond": "Gen.X.latest > 1", "trigger": "both", "id": "both"},
            "tick": tick(),
        }
    )

    logger.stream_many(None, [5, 0, 5, 0, 5, 0, 7], "X", "Gen")
    wait_until(lambda: len(with_id(logger, "tick")) == 1)
    step(logger, 9)  # a later pass: had the batch been evaluated twice, it would show now

    assert len(with_id(logger, "tick")) == 2
    [event] = with_id(logger, "both")  # F -> T once; 9 keeps it true
    assert event.value == 7.0


@pytest.mark.timeout(10)
def test_the_event_carries_the_rules_fields_or_the_signals_names_and_latest_value(make_logger):
    logger = make_logger(
        {
            "oven": {
                "cond": "Gen.X.latest > 80",
                "text": "Oven is hot",
                "priority": 2,
                "id": "hot",
                "sname": "Temperature",
                "dname": "Oven",
            },
            "plain": {"cond": "Gen.X.latest > 50", "priority": 1, "id": "plain"},
            "tick": tick(),
        }
    )

    step(logger, 10)
    logger.stream_many(None, [60, 85.5], "X", "Gen")
    wait_until(lambda: len(with_id(logger, "hot")) == 1 and len(with_id(logger, "plain")) == 1)

    [hot] = with_id(logger, "hot")
    assert (hot.text, hot.priority, hot.device, hot.signal) == (
        "Oven is hot",
        Priority.ERROR,
        "Oven",
        "Temperature",
    )
    assert hot.value == 85.5
    [plain] = with_id(logger, "plain")
    assert (plain.text, plain.priority, plain.device, plain.signal) == (
        "plain",  # no text: the rule's name
        Priority.WARNING,
        "Gen",
        "X",
    )
    assert plain.value == 85.5


# -- what a condition reads ------------------------------------------------------------


@pytest.mark.timeout(10)
def test_a_signal_that_does_not_exist_yet_is_not_an_error(make_logger):
    logger = make_logger(
        {
            "later": {"cond": "Later.Level.latest > 3", "id": "later"},
            "pair": {"cond": "Gen.X.latest > 1 and Gen.Y.latest > 1", "id": "pair"},
            "tick": tick(),
            "tock": {**tick("Later.Level"), "id": "tock"},
        }
    )

    step(logger, 5)  # pair is evaluated: Gen.Y has no samples yet, which means "not yet"
    step(logger, 6)
    assert with_id(logger, "pair") == []
    step(logger, 1, "Level", "Later", tick_id="tock")
    assert with_id(logger, "later") == []

    step(logger, 4, "Level", "Later", tick_id="tock")
    logger.stream(2, "Y", "Gen")
    wait_until(lambda: len(with_id(logger, "pair")) == 1)

    [later] = with_id(logger, "later")
    assert (later.device, later.signal, later.value) == ("Later", "Level", 4.0)
    [pair] = with_id(logger, "pair")
    assert (pair.device, pair.signal, pair.value) == ("Gen", "Y", 2.0)
    assert reports(logger, Priority.ERROR) == []


@pytest.mark.timeout(10)
def test_a_condition_over_two_signals_fires_when_either_gets_data(make_logger):
    logger = make_logger(
        {
            "sum": {"cond": "Gen.A.latest + Gen.B.latest > 10", "id": "sum"},
            "tick": {
                "cond": "Gen.A.latest + Gen.B.latest == Gen.A.latest + Gen.B.latest",
                "trigger": "true",
                "id": "tick",
            },
        }
    )
    assert set(logger.automation.watcher._index) == {("Gen", "A"), ("Gen", "B")}
    logger.stream(0, "A", "Gen")
    step(logger, 0, "B")

    step(logger, 11, "B")  # B's data fires it
    step(logger, -20, "A")  # false again
    step(logger, 0, "A")  # A's data fires it

    events = with_id(logger, "sum")
    assert [(e.signal, e.value) for e in events] == [("B", 11.0), ("A", 0.0)]


@pytest.mark.timeout(10)
def test_a_failing_condition_is_reported_once_naming_the_rule_and_others_keep_working(
    make_logger,
):
    logger = make_logger(
        {
            "divide": {"cond": "Gen.X.latest / 0 > 1", "id": "divide"},
            "typo": {"cond": "Gen.X.latest > limt", "id": "typo"},
            "good": {"cond": "Gen.X.latest > 1", "id": "good", "trigger": "true"},
            "tick": tick(),
        }
    )

    for y in (0, 2, 3, 4, 5):
        step(logger, y)

    errors = reports(logger, Priority.ERROR)
    divide = [e for e in errors if "global event divide" in e.text]
    typo = [e for e in errors if "global event typo" in e.text]
    assert len(divide) == 1 and "ZeroDivisionError" in divide[0].text
    assert len(typo) == 1 and "NameError" in typo[0].text and "limt" in typo[0].text
    assert len(errors) == 2
    assert len(with_id(logger, "good")) == 4
    assert with_id(logger, "divide") == with_id(logger, "typo") == []


@pytest.mark.timeout(10)
def test_a_failing_condition_whose_message_names_the_value_is_not_reported_per_sample(
    make_logger,
):
    logger = make_logger(
        {"index": {"cond": "Gen.X.y[int(Gen.X.latest)] > 0", "id": "index"}, "tick": tick()}
    )

    for y in (10, 11, 12, 13, 14):
        step(logger, y)

    failures = [e for e in reports(logger, Priority.ERROR) if "global event index" in e.text]
    assert len(failures) == 1


@pytest.mark.timeout(10)
def test_a_condition_that_reads_no_signal_is_evaluated_on_its_own(make_logger):
    started = time.monotonic()
    logger = make_logger({"clock": {"cond": "clock > 0", "id": "clock"}})

    wait_until(lambda: with_id(logger, "clock"), timeout=1.5)

    assert time.monotonic() - started < 1.5
    [event] = with_id(logger, "clock")
    assert (event.device, event.signal, event.value) == ("", "", None)
    assert logger.automation.watcher._unbound


@pytest.mark.timeout(10)
def test_signal_references_inside_strings_are_not_signals(make_logger):
    logger = make_logger(
        {
            "strings": {
                "cond": '"Gen.Foo" == "Gen.Foo" or Gen.Bar.latest > 1',
                "trigger": "true",
                "id": "strings",
            },
            "foo": {**tick("Gen.Foo"), "id": "foo"},
        }
    )

    assert set(logger.automation.watcher._index) == {("Gen", "Bar"), ("Gen", "Foo")}
    assert [w.rule.name for w in logger.automation.watcher._index[("Gen", "Foo")]] == ["foo"]
    step(logger, 1, "Foo", tick_id="foo")  # a pass over Gen.Foo: "strings" is not in it
    assert with_id(logger, "strings") == []

    logger.stream(0, "Bar", "Gen")  # always true once evaluated: only Gen.Bar evaluates it
    wait_until(lambda: len(with_id(logger, "strings")) == 1)
    assert with_id(logger, "strings")[0].signal == "Bar"


@pytest.mark.timeout(10)
def test_a_condition_that_hangs_is_interrupted_switched_off_and_others_go_on(
    make_logger, monkeypatch
):
    monkeypatch.setattr(conditions, "PASS_TIME_LIMIT", 0.3)
    logger = make_logger(
        {
            "hang": {"cond": "Gen.X.latest > 0 and all(True for _ in iter(int, 1))"},
            "good": {"cond": "Gen.X.latest > 0", "id": "good", "trigger": "true"},
            "tick": tick(),
        }
    )

    logger.stream(1, "X", "Gen")
    wait_until(lambda: reports(logger, Priority.ERROR))
    [error] = reports(logger, Priority.ERROR)
    assert "global event hang" in error.text and "limit of 0.3 s" in error.text
    assert "switched off" in error.text

    step(logger, 2)
    step(logger, 3)
    assert len(with_id(logger, "good")) >= 2
    assert logger.automation.watcher.watched == 2
    described = logger.automation.describe_events()["hang"]
    assert described["errors"] is True and "limit of 0.3 s" in described["error"]
    # a change to another entry does not bring the hanging one back; changing it does
    logger.automation.set_global_event("other", {"cond": "Gen.Y.latest > 0"})
    assert logger.automation.watcher.watched == 3
    logger.automation.set_global_event("hang", {"cond": "Gen.X.latest > 100"})
    assert logger.automation.watcher.watched == 4
    assert logger.automation.describe_events()["hang"]["errors"] is False


# -- globalEvents.json ------------------------------------------------------------------

GOOD = {"cond": "Gen.X.latest > 1", "id": "good"}
BROKEN = {
    "cond not text": {"cond": ["Gen.X.latest > 1"], "id": "a"},
    "active not bool": {"cond": "Gen.X.latest > 1", "active": "yes"},
    "not an object": "Gen.X.latest > 1",
    "typo": {"cond": "Gen.X.latest > 1", "trigeer": "rising"},
    "bad trigger": {"cond": "Gen.X.latest > 1", "trigger": "sometimes"},
    "priority": {"cond": "Gen.X.latest > 1", "priority": 5},
    "empty": {"cond": "   ", "id": "e"},
    "syntax": {"cond": "Gen.X.latest >", "id": "s"},
}
PROBLEMS = {
    "cond not text": "cond must be text, got ['Gen.X.latest > 1']",
    "active not bool": "active must be true or false, got 'yes'",
    "not an object": "must be an object of cond, text",
    "typo": "unknown key(s) 'trigeer'",
    "bad trigger": "trigger must be one of rising, falling, both, true, false, got 'sometimes'",
    "priority": "priority must be 0, 1 or 2, got 5",
    "empty": "cond is empty",
    "syntax": "cond does not compile",
}


@pytest.mark.timeout(10)
def test_broken_entries_are_listed_reported_and_kept_while_good_ones_fire(make_logger, tmp_path):
    entries = {"good": GOOD, **BROKEN, "also good": {**GOOD, "id": "also"}, "tick": tick()}
    logger = make_logger(entries)
    automation = logger.automation

    described = automation.describe_events()
    assert list(described) == list(entries)
    for name, problem in PROBLEMS.items():
        assert described[name]["errors"] is True, name
        assert name in described[name]["error"] and problem in described[name]["error"]
    assert "SyntaxError" in described["syntax"]["error"]
    assert described["not an object"]["value"] == "Gen.X.latest > 1"
    assert described["typo"]["trigeer"] == "rising"
    assert described["good"] == {
        "cond": "Gen.X.latest > 1",
        "text": "",
        "return": "",
        "priority": 0,
        "id": "good",
        "trigger": "rising",
        "sname": "",
        "dname": "",
        "active": True,
        "errors": False,
    }
    warnings = reports(logger, Priority.WARNING)
    assert len(warnings) == len(BROKEN)
    for name, problem in PROBLEMS.items():
        assert any(f"event {name!r}" in w.text and problem in w.text for w in warnings), name
    assert reports(logger, Priority.ERROR) == []

    step(logger, 5)
    assert len(with_id(logger, "good")) == len(with_id(logger, "also")) == 1

    automation.set_global_event("new", {"cond": "Gen.X.latest > 100", "id": "new"})

    saved = read_json(tmp_path / EVENTS)
    assert list(saved) == [*entries, "new"]
    for name, raw in BROKEN.items():
        assert saved[name] == raw, name
    assert saved["new"]["cond"] == "Gen.X.latest > 100" and saved["new"]["active"] is True


@pytest.mark.timeout(10)
@pytest.mark.parametrize("garbage", ["this is {not JSON", "{'a': 1,", "[1, 2, 3]"])
def test_a_file_that_is_not_json_is_reported_and_left_untouched(make_logger, tmp_path, garbage):
    logger = make_logger(garbage)
    automation = logger.automation

    assert automation.describe_events() == {}
    [error] = reports(logger, Priority.ERROR)
    assert "global events not loaded" in error.text and EVENTS in error.text
    with pytest.raises(RuleError, match="fix or remove the file before changing entries"):
        automation.set_global_event("new", {"cond": "Gen.X.latest > 1"})
    with pytest.raises(RuleError, match="fix or remove the file"):
        automation.remove_global_event("new")
    assert (tmp_path / EVENTS).read_text(encoding="utf-8") == garbage
    assert automation.describe_events() == {}


@pytest.mark.timeout(10)
def test_a_file_that_python_cannot_build_either_is_reported_not_raised(make_logger, tmp_path):
    logger = make_logger("{[1]: 2}")

    assert logger.automation.describe_events() == {}
    assert "global events not loaded" in reports(logger, Priority.ERROR)[0].text
    assert (tmp_path / EVENTS).read_text(encoding="utf-8") == "{[1]: 2}"


@pytest.mark.timeout(10)
def test_the_manuals_python_notation_loads_and_is_saved_back_as_json(make_logger, tmp_path):
    text = (
        "{'hot': {'cond': 'Gen.X.latest > 1', 'text': 'hot', 'return': '', 'priority': 1,\n"
        "         'id': 'hot', 'trigger': 'rising', 'sname': '', 'dname': '', 'active': True},\n"
        " 'tick': {'cond': 'Gen.X.latest == Gen.X.latest', 'trigger': 'true', 'id': 'tick'}}\n"
    )
    logger = make_logger(text)
    automation = logger.automation

    assert automation.describe_events()["hot"]["errors"] is False
    step(logger, 5)
    assert len(with_id(logger, "hot")) == 1
    assert (tmp_path / EVENTS).read_text(encoding="utf-8") == text  # not rewritten on load

    automation.set_global_event("cold", {"cond": "Gen.X.latest < 0", "id": "cold"})

    saved = read_json(tmp_path / EVENTS)
    assert list(saved) == ["hot", "tick", "cold"]
    assert saved["hot"]["active"] is True and saved["hot"]["priority"] == 1


def test_a_missing_file_is_empty_and_changes_create_and_update_it(make_logger, tmp_path):
    logger = make_logger()
    automation = logger.automation
    path = tmp_path / EVENTS

    assert automation.describe_events() == {} and list(logger.events) == []
    assert not path.exists()

    automation.set_global_event("a", {"cond": "Gen.X.latest > 1", "id": "a"})
    automation.set_global_event("b", {"cond": "Gen.X.latest > 2", "priority": 2})
    assert list(read_json(path)) == ["a", "b"]
    assert read_json(path)["b"]["priority"] == 2

    automation.remove_global_event("a")
    assert list(read_json(path)) == ["b"]
    assert list(automation.describe_events()) == ["b"]

    with pytest.raises(RuleError, match=r"no entry named 'nope'; entries: b"):
        automation.remove_global_event("nope")
    assert list(read_json(path)) == ["b"]
    assert list(logger.events) == []


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"cond": "Gen.X.latest > 1", "trigeer": "rising"}, "unknown key"),
        ({"cond": "Gen.X.latest > 1", "priority": 5}, "priority must be 0, 1 or 2"),
        ({"cond": ""}, "cond is empty"),
        ({"cond": "Gen.X.latest >"}, "cond does not compile"),
        ({"cond": "Gen.X.latest > 1", "trigger": "up"}, "trigger must be one of"),
        ("Gen.X.latest > 1", "must be an object"),
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_saved(make_logger, tmp_path, fields, problem):
    logger = make_logger()
    automation = logger.automation
    path = tmp_path / EVENTS

    with pytest.raises(RuleError, match=problem):
        automation.set_global_event("bad", fields)
    assert not path.exists()

    automation.set_global_event("ok", {"cond": "Gen.X.latest > 1"})
    before = path.read_text(encoding="utf-8")
    with pytest.raises(RuleError, match=problem):
        automation.set_global_event("ok", fields)  # nor does it replace a good one
    assert path.read_text(encoding="utf-8") == before
    assert automation.describe_events()["ok"]["cond"] == "Gen.X.latest > 1"


def test_a_name_is_required(make_logger):
    automation = make_logger().automation
    for name in ("", "  ", None):
        with pytest.raises(RuleError, match="an entry needs a name"):
            automation.set_global_event(name, {"cond": "Gen.X.latest > 1"})


# -- switching on and off ---------------------------------------------------------------


@pytest.mark.timeout(10)
def test_inactive_rules_do_not_fire(make_logger):
    logger = make_logger(
        {
            "off": {"cond": "Gen.X.latest > 1", "id": "off", "active": False},
            "on": {"cond": "Gen.X.latest > 1", "id": "on"},
            "tick": tick(),
        }
    )

    step(logger, 0)
    step(logger, 5)

    assert len(with_id(logger, "on")) == 1
    assert with_id(logger, "off") == []
    assert logger.automation.describe_events()["off"]["active"] is False


@pytest.mark.timeout(10)
def test_switched_off_events_do_not_fire_until_activated(make_logger):
    logger = make_logger(
        {"hot": {"cond": "Gen.X.latest > 1", "id": "hot"}, "tick": tick()}, events_on=False
    )

    logger.stream(5, "X", "Gen")
    # nothing evaluates while switched off, so there is nothing to wait for:
    # a short bounded wait gives a wrongly running watcher time to show itself
    time.sleep(0.2)
    assert with_id(logger, "hot") == with_id(logger, "tick") == []
    assert logger.automation.watcher.watched == 0

    logger.automation.activate(events=True)
    step(logger, 6)

    assert len(with_id(logger, "tick")) == 1  # the sample from before was never evaluated
    assert len(with_id(logger, "hot")) == 1

    logger.automation.activate(events=False)
    logger.stream(0, "X", "Gen")
    logger.stream(7, "X", "Gen")
    time.sleep(0.2)  # as above: nothing to wait for while switched off
    assert len(with_id(logger, "hot")) == len(with_id(logger, "tick")) == 1


@pytest.mark.timeout(10)
def test_unchanged_rules_keep_their_state_across_changes_and_reloads(make_logger, tmp_path):
    logger = make_logger({"hot": {"cond": "Gen.X.latest > 1", "id": "hot"}, "tick": tick()})
    automation = logger.automation

    step(logger, 5)
    assert len(with_id(logger, "hot")) == 1

    automation.set_global_event("other", {"cond": "Gen.Y.latest > 1", "id": "other"})
    step(logger, 6)
    automation.set_global_event("hot", {"cond": "Gen.X.latest > 1", "id": "hot"})  # same
    step(logger, 7)
    assert automation.reload() == []
    step(logger, 8)
    assert len(with_id(logger, "hot")) == 1  # still above: no new rising edge

    automation.set_global_event("hot", {"cond": "Gen.X.latest > 1", "id": "hot", "text": "new"})
    step(logger, 9)  # a changed rule starts afresh
    assert [e.text for e in with_id(logger, "hot")] == ["hot", "new"]


@pytest.mark.timeout(10)
def test_reload_reads_hand_edited_files(make_logger, tmp_path):
    logger = make_logger({"tick": tick()})
    data = read_json(tmp_path / EVENTS)
    data["hand"] = {"cond": "Gen.X.latest > 1", "id": "hand"}
    data["broken"] = {"cond": "Gen.X.latest > 1", "priority": 9}
    (tmp_path / EVENTS).write_text(json.dumps(data), encoding="utf-8")

    [invalid] = logger.automation.reload()

    assert invalid.name == "broken" and "priority" in invalid.error
    step(logger, 5)
    assert len(with_id(logger, "hand")) == 1


@pytest.mark.timeout(10)
def test_removing_or_switching_off_rules_unsubscribes_from_their_signals(make_logger):
    logger = make_logger({"hot": {"cond": "Gen.X.latest > 1", "id": "hot"}})
    automation = logger.automation
    logger.stream(0, "X", "Gen")
    signal = logger.store.get("Gen", "X")
    assert len(signal.listeners) == 1

    for _ in range(3):
        automation.activate(events=False)
        automation.activate(events=True)
    assert len(signal.listeners) == 1

    automation.remove_global_event("hot")
    assert signal.listeners == ()


def test_closing_unsubscribes_the_automation_from_events(make_logger):
    logger = make_logger()
    logger.close()
    assert logger.automation._on_event not in logger.events._listeners


# -- global actions ---------------------------------------------------------------------


class Heater(Device):
    samplerate = 0
    power = 0.0


HOT = {"hot": {"cond": "Gen.X.latest > 1", "id": "hot"}, "tick": tick()}


def action(script, *ids, active=True):
    return {"listenID": list(ids), "parameters": "", "script": script, "active": active}


def latest(logger, device, name):
    signal = logger.store.get(device, name)
    newest = signal.latest if signal is not None else None
    return None if newest is None else newest[1]


@pytest.mark.timeout(10)
def test_an_action_runs_for_its_events_id_seeing_value_and_trigger(make_logger):
    logger = make_logger(
        HOT,
        {
            "times ten": action(
                "stream(value * 10, 'Out', 'Act')\nevent(trigger.text + '!', id='echo')", "hot"
            )
        },
    )
    logger.add_device(Heater)
    logger.automation.set_global_action("heat", action("Heater.power = value * 2", "hot"))

    step(logger, 5)

    wait_until(lambda: latest(logger, "Act", "Out") == 50.0)
    wait_until(lambda: logger.get_parameter("Heater", "power") == 10.0)
    wait_until(lambda: with_id(logger, "echo"))
    assert with_id(logger, "echo")[0].text == "hot!"
    assert reports(logger, Priority.ERROR) == []


@pytest.mark.timeout(10)
def test_actions_run_for_device_and_logger_events_too(make_logger):
    logger = make_logger(
        None,
        {
            "count": action("stream(value, trigger.id, 'Act')", "oc", "manual"),
        },
    )
    heater = logger.add_device(Heater)

    heater.event("Overcurrent", "I", priority=2, id="oc", value=3)
    wait_until(lambda: latest(logger, "Act", "oc") == 3.0)
    logger.event("by hand", id="manual", value=7)
    wait_until(lambda: latest(logger, "Act", "manual") == 7.0)


@pytest.mark.timeout(10)
def test_actions_for_other_ids_or_switched_off_do_not_run(make_logger):
    logger = make_logger(
        None,
        {
            "runs": action("stream(value, 'Runs', 'Act')", "hot"),
            "other": action("stream(value, 'Other', 'Act')", "cold"),
            "inactive": action("stream(value, 'Inactive', 'Act')", "hot", active=False),
        },
    )
    jobs = logger.automation._action_jobs

    logger.event("hot", id="hot", value=1)  # listeners run here: triggers are set on return
    wait_until(lambda: latest(logger, "Act", "Runs") == 1.0)

    assert "inactive" not in jobs
    other = jobs.get("other")
    assert other.runs == 0 and other._pending is None
    assert logger.store.get("Act", "Other") is None and logger.store.get("Act", "Inactive") is None

    logger.automation.activate(actions=False)
    assert list(jobs) == []
    logger.event("hot", id="hot", value=2)
    logger.automation.activate(actions=True)  # a new job: the event before is not pending
    logger.event("hot", id="hot", value=3)
    wait_until(lambda: latest(logger, "Act", "Runs") == 3.0)
    assert logger.store.get("Act", "Runs").y.tolist() == [1.0, 3.0]


@pytest.mark.timeout(10)
def test_actions_do_not_run_when_switched_off_in_the_config(make_logger):
    logger = make_logger(None, {"a": action("stream(1, 'A', 'Act')", "hot")}, actions_on=False)

    logger.event("hot", id="hot", value=1)

    assert list(logger.automation._action_jobs) == []
    assert logger.automation.describe_actions()["a"]["errors"] is False
    logger.automation.activate(actions=True)
    logger.event("hot", id="hot", value=1)
    wait_until(lambda: latest(logger, "Act", "A") == 1.0)


@pytest.mark.timeout(10)
def test_an_endless_action_holds_up_nothing(make_logger):
    logger = make_logger(
        HOT,
        {
            "spin": action("while True:\n    pass\n", "spin"),
            "ok": action("stream(value, 'Ok', 'Act')", "ok", "hot"),
        },
    )
    spin = logger.automation._action_jobs.get("spin")
    logger.event("go", id="spin")
    wait_until(lambda: spin.info().state == "running" and spin._run is not None)

    started = time.monotonic()
    for i in range(10_000):
        logger.stream(float(i), "Fast", "Gen")
    assert time.monotonic() - started < 5
    assert len(logger.store.get("Gen", "Fast")) == 10_000

    logger.event("ok", id="ok", value=3)
    wait_until(lambda: latest(logger, "Act", "Ok") == 3.0)
    step(logger, 5)  # a global event fires, and its action runs
    assert len(with_id(logger, "hot")) == 1
    wait_until(lambda: latest(logger, "Act", "Ok") == 5.0)
    assert spin.info().state == "running"

    started = time.monotonic()
    logger.close()
    assert time.monotonic() - started < 3
    assert not spin.running


@pytest.mark.timeout(10)
def test_a_failing_action_is_reported_with_the_users_line_and_runs_again(make_logger):
    logger = make_logger(
        None,
        {"broken": action("x = 1\nstream(value, 'Runs', 'Act')\ny = x / 0\n", "b")},
    )

    logger.event("first", id="b", value=1)
    wait_until(lambda: reports(logger, Priority.ERROR))
    [error] = reports(logger, Priority.ERROR)
    assert "script broken, line 3" in error.text
    assert "ZeroDivisionError" in error.text and "3 | y = x / 0" in error.text

    logger.event("second", id="b", value=2)
    wait_until(lambda: latest(logger, "Act", "Runs") == 2.0)
    job = logger.automation._action_jobs.get("broken")
    wait_until(lambda: job.failures == 2)
    assert logger.store.get("Act", "Runs").y.tolist() == [1.0, 2.0]


@pytest.mark.timeout(10)
def test_changing_an_action_replaces_its_running_job_and_removing_stops_it(make_logger, tmp_path):
    logger = make_logger(None, {"a": action("while True:\n    pass\n", "go")})
    automation = logger.automation
    old = automation._action_jobs.get("a")
    logger.event("go", id="go")
    wait_until(lambda: old._run is not None)

    automation.set_global_action("a", action("stream(value, 'A', 'Act')", "go"))

    assert not old.running
    new = automation._action_jobs.get("a")
    assert new is not old and new.running
    assert read_json(tmp_path / ACTIONS)["a"]["script"] == "stream(value, 'A', 'Act')"
    logger.event("go", id="go", value=4)
    wait_until(lambda: latest(logger, "Act", "A") == 4.0)

    automation.set_global_action("a", action("while True:\n    pass\n", "go"))
    spinning = automation._action_jobs.get("a")
    logger.event("go", id="go")
    wait_until(lambda: spinning._run is not None)

    automation.remove_global_action("a")

    assert not spinning.running
    assert "a" not in automation._action_jobs
    assert read_json(tmp_path / ACTIONS) == {}
    assert automation.describe_actions() == {}
    with pytest.raises(RuleError, match="no entry named 'a'; entries: none"):
        automation.remove_global_action("a")


@pytest.mark.timeout(10)
def test_an_action_that_loops_forever_is_interrupted_at_the_conditions_limit(
    make_logger, monkeypatch
):
    monkeypatch.setattr(conditions, "PASS_TIME_LIMIT", 0.3)
    logger = make_logger(None, {"spin": action("while True:\n    pass\n", "go")})
    job = logger.automation._action_jobs.get("spin")
    logger.event("go", id="go")
    wait_until(lambda: job.failures == 1)
    [error] = reports(logger, Priority.ERROR)
    assert error.text == "script spin was interrupted: it ran longer than its limit of 0.3 s"
    assert job.running  # and answers the next event
    logger.event("go", id="go")
    wait_until(lambda: job.failures == 2)


def test_broken_actions_are_listed_and_reported(make_logger, tmp_path):
    actions = {
        "good": action("stream(1, 'A', 'Act')", "x"),
        "no ids": action("stream(1, 'A', 'Act')"),
        "syntax": action("stream(1,", "x"),
        "typo": {"listenId": ["x"], "script": "pass"},
        "one id": {"listenID": "x", "script": "pass"},
    }
    logger = make_logger(None, actions)
    automation = logger.automation

    described = automation.describe_actions()
    assert described["good"]["errors"] is False
    assert described["one id"]["errors"] is False and described["one id"]["listenID"] == ["x"]
    assert "listenID is empty" in described["no ids"]["error"]
    assert "script does not compile" in described["syntax"]["error"]
    assert "unknown key(s) 'listenId'" in described["typo"]["error"]
    assert len(reports(logger, Priority.WARNING)) == 3
    assert sorted(job.name for job in automation._action_jobs) == ["good", "one id"]

    with pytest.raises(RuleError, match="script is empty"):
        automation.set_global_action("new", action("  ", "x"))
    automation.set_global_action("new", action("pass", "x"))
    saved = read_json(tmp_path / ACTIONS)
    for name in ("no ids", "syntax", "typo"):
        assert saved[name] == actions[name]
