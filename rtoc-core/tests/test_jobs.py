"""Script jobs against a real Logger: schedules, runs, failures, overruns, stopping."""

import itertools
import logging
import math
import subprocess
import sys
import threading
import time

import pytest

from rtoc.automation.jobs import JobError, Schedule
from rtoc.automation.script import ScriptError
from rtoc.automation.watchdog import Interrupted, Watchdog
from rtoc.events import Priority
from rtoc.frontend import ScriptResult
from rtoc.logger import Logger
from rtoc.testing.waiting import wait_until

DEVICE, SIGNAL = "rtoc", "automation"


@pytest.fixture
def logger(tmp_path):
    logger = Logger(home=tmp_path)
    logger.start()
    yield logger
    logger.close()


def stays(predicate, duration=0.1):
    """True when ``predicate`` holds throughout ``duration`` (for what must not happen)."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(0.005)
    return predicate()


def outputs(logger, name):
    return [text for source, text in list(logger.automation.output) if source == name]


def automation_events(logger, priority=None):
    return [
        event
        for event in logger.events_of([(DEVICE, SIGNAL)])
        if priority is None or event.priority == priority
    ]


def wait_for_output(logger, name, text, timeout=3.0):
    """Wait until job ``name`` printed ``text``: its run is then registered and stoppable.

    (``info().state == "running"`` is not enough: the state changes before the
    run registers with the watchdog.)
    """
    wait_until(lambda: text in outputs(logger, name), timeout, f"{name} to print {text!r}")


def job_threads(*names):
    wanted = {f"rtoc-job-{name}" for name in names}
    return [t for t in threading.enumerate() if t.name in wanted and t.is_alive()]


# -- Schedule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Schedule.every(0), "interval must be from 0.001 to 1e[+]07 seconds, got 0"),
        (lambda: Schedule.every(-1), "from 0.001 to"),
        (lambda: Schedule.every(math.nan), "from 0.001 to"),
        (lambda: Schedule.every(math.inf), "from 0.001 to"),
        (lambda: Schedule.every(1e300), "from 0.001 to 1e[+]07 seconds, got 1e[+]300"),
        (lambda: Schedule.every(1e-300), "from 0.001 to"),
        (lambda: Schedule.every("1"), "number of seconds"),
        (lambda: Schedule.every(True), "number of seconds"),
        (lambda: Schedule.every(None), "number of seconds"),
        (lambda: Schedule.samplerate(0), "samplerate must be from 1e-07 to 1000 runs per second"),
        (lambda: Schedule.samplerate(-2.5), "samplerate must be from"),
        (lambda: Schedule.samplerate(1e308), "samplerate must be from 1e-07 to 1000"),
        (lambda: Schedule.samplerate(math.inf), "samplerate must be from"),
        (lambda: Schedule.samplerate("5"), "samplerate is a number"),
        (lambda: Schedule.on_signals([]), "at least one signal"),
    ],
)
def test_invalid_schedules_raise_job_error_naming_the_problem(make, words):
    with pytest.raises(JobError, match=words):
        make()


def test_job_error_is_a_value_error():
    assert issubclass(JobError, ValueError)


def test_schedule_forms_and_their_text():
    assert str(Schedule.once()) == "once"
    every = Schedule.every(2)
    assert every.seconds == 2.0 and isinstance(every.seconds, float)
    assert str(every) == "every 2 s"
    assert str(Schedule.every(0.25)) == "every 0.25 s"
    assert Schedule.samplerate(4) == Schedule.every(0.25)
    signals = Schedule.on_signals([("D", "S"), ("E", "T"), ("D", "S")])
    assert signals.signals == (("D", "S"), ("E", "T"))  # duplicates dropped, order kept
    assert str(signals) == "on new data of D.S, E.T"
    assert str(Schedule.on_events(["a", "b", "a"])) == "on events 'a', 'b'"


# -- once and periodic jobs --------------------------------------------------------------


@pytest.mark.timeout(10)
def test_once_job_runs_exactly_once_and_its_output_reaches_the_automation(logger):
    job = logger.automation.jobs.add("hello", "print('hi', 1 + 1)\n", Schedule.once())

    wait_until(lambda: job.info().state == "done", what="the once job to be done")

    info = job.info()
    assert info.runs == 1 and info.failures == 0
    assert info.schedule == "once" and info.last_duration is not None
    assert ("hello", "hi 2") in logger.automation.output
    assert outputs(logger, "hello") == ["hi 2"]
    # "done" is set in the thread's last lines: the thread ends right after
    wait_until(lambda: not job.running, 1.0, "the once job's thread to end")
    assert [i.name for i in logger.automation.jobs.infos()] == ["hello"]


@pytest.mark.timeout(10)
def test_periodic_job_keeps_globals_and_trig_fires_on_rising_edges_only(logger):
    source = (
        "global n = 0\nn += 1\nprint('run', n)\ntrig 3 <= n <= 4 or n >= 7:\n    print('edge', n)\n"
    )
    job = logger.automation.jobs.add("count", source, Schedule.every(0.01))

    wait_until(lambda: job.runs >= 9, what="nine runs")
    logger.automation.jobs.stop("count")

    printed = outputs(logger, "count")
    runs = [int(text.split()[1]) for text in printed if text.startswith("run")]
    assert runs == list(range(1, len(runs) + 1))  # n persists across runs
    assert [text for text in printed if text.startswith("edge")] == ["edge 3", "edge 7"]
    assert job.info().state == "stopped"


# -- failures ------------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_a_failing_run_is_reported_and_the_next_run_still_happens(logger):
    source = "global n = 0\nn += 1\nif n == 1:\n    x = 1 / 0\nprint('ok', n)\n"
    job = logger.automation.jobs.add("flaky", source, Schedule.every(0.01))

    wait_until(lambda: "ok 2" in outputs(logger, "flaky"), what="the run after the failure")
    logger.automation.jobs.stop("flaky")

    errors = automation_events(logger, Priority.ERROR)
    assert len(errors) == 1
    event = errors[0]
    assert event.priority == 2 and (event.device, event.signal) == ("rtoc", "automation")
    assert "flaky" in event.text
    assert "line 4" in event.text and "x = 1 / 0" in event.text
    assert "ZeroDivisionError" in event.text
    info = job.info()
    assert info.failures == 1
    assert "ZeroDivisionError" in info.last_error and "line 4" in info.last_error
    assert "ok 1" not in outputs(logger, "flaky")


@pytest.mark.timeout(10)
def test_the_same_failure_every_run_is_reported_once(logger):
    job = logger.automation.jobs.add("broken", "x = 1\nundefined_name\n", Schedule.every(0.005))

    wait_until(lambda: job.failures >= 10, what="ten failures")
    logger.automation.jobs.stop("broken")

    errors = automation_events(logger, Priority.ERROR)
    assert len(errors) == 1, [e.text for e in errors]
    assert "NameError" in errors[0].text and "line 2" in errors[0].text
    assert job.info().runs >= 10 and job.info().failures >= 10


@pytest.mark.timeout(10)
def test_a_different_failure_is_reported_separately(logger):
    source = "global n = 0\nn += 1\nif n < 3:\n    x = 1 / 0\nelse:\n    y = [][n]\n"
    job = logger.automation.jobs.add("two", source, Schedule.every(0.005))

    wait_until(lambda: job.failures >= 5, what="five failures")
    logger.automation.jobs.stop("two")

    texts = [e.text for e in automation_events(logger, Priority.ERROR)]
    assert len(texts) == 2, texts
    assert "ZeroDivisionError" in texts[0] and "IndexError" in texts[1]


# -- overrun ---------------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_overrunning_periodic_job_skips_ticks_instead_of_stacking_runs(logger):
    source = (
        "import time\n"
        "global active = 0\n"
        "global peak = 0\n"
        "global spans = []\n"
        "active += 1\n"
        "peak = max(peak, active)\n"
        "start = time.monotonic()\n"
        "time.sleep(0.08)\n"
        "spans.append((start, time.monotonic()))\n"
        "active -= 1\n"
    )
    started = time.monotonic()
    job = logger.automation.jobs.add("slow", source, Schedule.every(0.02))

    wait_until(lambda: job.runs >= 4, what="four runs")
    logger.automation.jobs.stop("slow")
    elapsed = time.monotonic() - started

    kept = job.script.globals
    # never two runs at once (``active`` may be 1: stop interrupts a run under way)
    assert kept["peak"] == 1
    spans = kept["spans"]
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    assert job.runs <= elapsed / 0.08 + 1  # not one run per 20 ms tick
    info = job.info()
    assert info.skipped > 0
    assert info.failures == 0
    warnings = automation_events(logger, Priority.WARNING)
    assert len(warnings) == 1  # repeated overruns are reported once
    assert "skipped" in warnings[0].text and "slow" in warnings[0].text
    assert "0.02 s" in warnings[0].text


# -- signal-triggered jobs -----------------------------------------------------------


@pytest.mark.timeout(10)
def test_signal_job_runs_on_new_data_of_its_signal_only(logger):
    source = "print(trigger.device + '.' + trigger.name, len(trigger))\n"
    job = logger.automation.jobs.add("on_s", source, Schedule.on_signals([("D", "S")]))
    assert job.info().schedule == "on new data of D.S"

    logger.stream(1.0, "Other", "D")
    logger.stream(1.0, "S", "E")
    logger.stream(1.0, "S", "D")

    wait_until(lambda: job.runs == 1 and job.info().state == "waiting", what="one run")
    assert outputs(logger, "on_s") == ["D.S 1"]
    assert job.info().folded == 0
    assert stays(lambda: job.runs == 1)

    logger.stream(2.0, "S", "D")
    wait_until(lambda: job.runs == 2, what="a second run")
    assert outputs(logger, "on_s") == ["D.S 1", "D.S 2"]


@pytest.mark.timeout(10)
def test_triggers_during_a_run_fold_into_one_more_run(logger):
    source = (
        "import time\n"
        "print('run', len(trigger))\n"
        "while ('Gate', 'open') not in logger.store:\n"
        "    time.sleep(0.002)\n"
    )
    job = logger.automation.jobs.add("fold", source, Schedule.on_signals([("D", "S")]))

    logger.stream(0.0, "S", "D")
    wait_for_output(logger, "fold", "run 1")  # the first run is under way
    for value in range(1, 6):
        logger.stream(float(value), "S", "D")  # five triggers while the run waits
    logger.stream(1.0, "open", "Gate")

    wait_until(lambda: job.runs == 2 and job.info().state == "waiting", what="two runs")
    assert stays(lambda: job.runs == 2)
    assert job.info().folded == 4  # the first of the five made the next run, four folded in
    assert outputs(logger, "fold") == ["run 1", "run 6"]


@pytest.mark.timeout(10)
def test_stopped_signal_job_does_not_run_and_starts_again(logger):
    job = logger.automation.jobs.add("sig", "print('x')\n", Schedule.on_signals([("D", "S")]))
    jobs = logger.automation.jobs

    assert jobs.stop("sig") is True
    logger.stream(1.0, "S", "D")
    assert stays(lambda: job.runs == 0)

    jobs.start("sig")
    logger.stream(2.0, "S", "D")
    wait_until(lambda: job.runs == 1, what="a run after restarting")


# -- stopping endless scripts ----------------------------------------------------------


@pytest.mark.timeout(10)
def test_endless_job_does_not_stop_sampling_and_stops_quickly(logger):
    source = "print('started')\nwhile True:\n    pass\n"
    job = logger.automation.jobs.add("spin", source, Schedule.once())
    wait_for_output(logger, "spin", "started")

    for i in range(10_000):
        logger.stream(float(i), "fast", "D")

    assert len(logger.store.get("D", "fast")) == 10_000
    assert job.info().state == "running"
    started = time.monotonic()
    assert logger.automation.jobs.stop("spin") is True
    assert time.monotonic() - started < 1.0
    assert not job.running
    info = job.info()
    assert info.state == "stopped" and info.failures == 0 and info.last_error == ""
    assert automation_events(logger, Priority.ERROR) == []


@pytest.mark.timeout(10)
def test_script_catching_exception_broadly_is_still_stopped(logger):
    source = (
        "print('started')\n"
        "n = 0\n"
        "while True:\n"
        "    try:\n"
        "        n += 1\n"
        "    except Exception:\n"
        "        pass\n"
    )
    job = logger.automation.jobs.add("stubborn", source, Schedule.every(0.5))
    wait_for_output(logger, "stubborn", "started")

    assert logger.automation.jobs.stop("stubborn") is True
    assert job.info().state == "stopped"
    assert automation_events(logger, Priority.ERROR) == []


#: Loops whose jump back lands on a ``try``: CPython 3.10 never handles pending work there.
LOOPS_INTO_A_TRY = [
    "while True:\n    try:\n        n += 1\n    except Exception:\n        pass\n",
    "while n >= 0:\n    try:\n        n += 1\n    finally:\n        pass\n",
    "def spin():\n    while True:\n        try:\n            pass\n        except Exception:\n"
    "            pass\n\nspin()\n",
]
#: Runs each script in LOOPS_INTO_A_TRY under a 0.2 s limit and prints why it ended.
INTERRUPT_EACH = """
import sys
from rtoc.automation.script import Script
from rtoc.automation.watchdog import Watchdog

watchdog = Watchdog()
for source in sys.argv[1:]:
    script = Script(source, "loop")
    print(watchdog.call("loop", 0.2, lambda: script.run({"n": 0})).reason, flush=True)
"""


@pytest.mark.timeout(30)
def test_loops_jumping_back_into_a_try_are_interrupted():
    # In a child process: a loop that keeps the GIL would freeze this one, timeouts included.
    try:
        done = subprocess.run(
            [sys.executable, "-c", INTERRUPT_EACH, *LOOPS_INTO_A_TRY],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired as hung:
        raise AssertionError(f"a loop kept running; it printed {hung.stdout!r}") from None
    assert done.stdout.splitlines() == ["ran longer than its limit of 0.2 s"] * 3, done.stderr


@pytest.mark.timeout(10)
def test_job_over_its_time_limit_is_interrupted_reported_and_runs_again(logger):
    source = "global n = 0\nn += 1\nprint('run', n)\nwhile True:\n    pass\n"
    job = logger.automation.jobs.add("limited", source, Schedule.every(0.01), time_limit=0.1)

    wait_until(lambda: job.failures >= 2, what="two interrupted runs")
    logger.automation.jobs.stop("limited")

    assert "limit of 0.1 s" in job.info().last_error
    errors = automation_events(logger, Priority.ERROR)
    assert len(errors) == 1 and "limited" in errors[0].text and "0.1 s" in errors[0].text
    assert outputs(logger, "limited")[:2] == ["run 1", "run 2"]


@pytest.mark.timeout(10)
def test_stop_requested_before_the_run_begins_is_not_lost(logger):
    watchdog = logger.automation.watchdog
    # Holding the watchdog's lock only pins the interleaving: the job's thread
    # has started but has not registered its run yet when stop() comes.
    with watchdog._lock:
        job = logger.automation.jobs.add("early", "while True:\n    pass\n", Schedule.once())
        job.stop(timeout=0.01)  # the thread is parked in watchdog.begin
    try:
        wait_until(lambda: not job.running, timeout=0.5, what="the stopped job to end")
        assert job.info().state == "stopped"
    finally:
        job.stop()  # with the run registered now, this one does interrupt it


@pytest.mark.timeout(10)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_run_raising_keyboard_interrupt_is_reported_and_the_job_goes_on(logger):
    source = "global n = 0\nn += 1\nif n == 1:\n    raise KeyboardInterrupt\nprint('ok', n)\n"
    job = logger.automation.jobs.add("kb", source, Schedule.every(0.01))

    wait_until(lambda: job.runs >= 1, what="the first run")
    wait_until(lambda: "ok 2" in outputs(logger, "kb"), timeout=0.5, what="the next run")
    assert job.failures == 1
    assert automation_events(logger, Priority.ERROR)


# -- managing jobs -----------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_replace_remove_start_stop_and_unknown_names(logger):
    automation = logger.automation
    jobs = automation.jobs
    counting = "global n = 0\nn += 1\nprint('{tag}', n)\n"
    old = automation.jobs.add("a", counting.format(tag="old"), Schedule.every(0.01))
    automation.jobs.add("b", "pass\n", Schedule.once(), start=False)
    wait_until(lambda: old.runs >= 3, what="three runs of the old job")

    with pytest.raises(JobError, match="'a' exists"):
        automation.jobs.add("a", "pass\n", Schedule.once())
    assert jobs.get("a") is old and old.running

    new = automation.jobs.add("a", counting.format(tag="new"), Schedule.every(0.01), replace=True)
    assert not old.running and old.info().state == "stopped"
    assert jobs.get("a") is new
    wait_until(lambda: new.runs >= 1, what="a run of the new job")
    printed = outputs(logger, "a")
    assert printed[0] == "old 1" and "new 1" in printed  # the new script's globals start afresh
    assert not any(text.startswith("old") for text in printed[printed.index("new 1") :])

    assert jobs.stop("a") is True and new.info().state == "stopped"
    runs = new.runs
    jobs.start("a")
    wait_until(lambda: new.runs > runs, what="a run after starting again")
    assert new.info().state in ("waiting", "running")

    assert [info.name for info in automation.jobs.infos()] == ["a", "b"]
    assert jobs.get("b").info().state == "waiting" and jobs.get("b").runs == 0

    assert jobs.remove("a") is True
    assert "a" not in jobs and not new.running
    with pytest.raises(JobError, match=r"no job named 'a'; jobs: b"):
        jobs.get("a")
    with pytest.raises(JobError, match="no job named 'zzz'"):
        jobs.stop("zzz")
    jobs.remove("b")
    with pytest.raises(JobError, match="jobs: none"):
        jobs.get("b")

    for bad in ("", "   ", None):
        with pytest.raises(JobError, match="needs a name"):
            automation.jobs.add(bad, "pass\n", Schedule.once())


@pytest.mark.timeout(10)
def test_a_job_that_does_not_compile_leaves_the_old_one_running(logger):
    automation = logger.automation
    old = automation.jobs.add("keep", "global n = 0\nn += 1\n", Schedule.every(0.01))
    wait_until(lambda: old.runs >= 1, what="a run")

    with pytest.raises(ScriptError) as raised:
        automation.jobs.add("keep", "x = 1\ny = (\n", Schedule.every(0.01), replace=True)
    assert raised.value.line == 2 or "line 2" in str(raised.value)

    assert automation.jobs.get("keep") is old and old.running
    runs = old.runs
    wait_until(lambda: old.runs > runs, what="the old job to go on running")

    with pytest.raises(ScriptError):
        automation.jobs.add("fresh", "def (:\n", Schedule.once())
    assert "fresh" not in automation.jobs


@pytest.mark.timeout(10)
def test_sys_exit_ends_only_that_run(logger):
    source = "global n = 0\nn += 1\nprint('before', n)\nsys.exit()\nprint('after', n)\n"
    job = logger.automation.jobs.add("quits", source, Schedule.every(0.01))

    wait_until(lambda: job.runs >= 3, what="three runs")
    logger.automation.jobs.stop("quits")

    printed = outputs(logger, "quits")
    assert printed[:3] == ["before 1", "before 2", "before 3"]
    assert not any(text.startswith("after") for text in printed)
    assert job.failures == 0 and automation_events(logger, Priority.ERROR) == []


# -- Automation.run ---------------------------------------------------------------------


def test_run_returns_what_the_script_printed(logger):
    printed = logger.automation.run("print('a')\nprint('b', 1, sep='-')\n", name="once")
    assert printed == ["a", "b-1"]
    assert ("once", "a") in logger.automation.output


def test_run_with_a_syntax_error_names_the_users_line(logger):
    with pytest.raises(ScriptError) as raised:
        logger.automation.run("x = 1\ny = (1,\n", name="bad")
    assert raised.value.line is not None
    assert "bad" in str(raised.value) and "SyntaxError" in str(raised.value)


def test_run_with_a_runtime_error_names_the_users_line(logger):
    with pytest.raises(ScriptError) as raised:
        logger.automation.run("x = 1\ny = x / 0\n", name="div")
    assert raised.value.line == 2
    assert "y = x / 0" in str(raised.value)


@pytest.mark.timeout(10)
def test_run_of_an_endless_script_is_stopped_at_its_time_limit(logger):
    started = time.monotonic()
    with pytest.raises(ScriptError, match=r"limit of 0\.3 s"):
        logger.automation.run("while True:\n    pass\n", name="endless", time_limit=0.3)
    assert time.monotonic() - started < 2.0

    total = 0
    for i in range(200_000):  # no stray Interrupted lands in the caller afterwards
        total += i
    assert total == sum(range(200_000))


# -- Automation.execute (LoggerView.run_script) -------------------------------------------


def test_execute_answers_output_value_and_errors_instead_of_raising(logger):
    ran = logger.automation.execute("print('a')\nprint('b', 1)\n6 * 7", name="sum")
    assert ran == ScriptResult("a\nb 1", 42, "", None)
    assert logger.automation.execute("x = 6 * 7").value is None  # no expression last
    failed = logger.automation.execute("print('before')\nx = 1\ny = x / 0\n", name="div")
    assert (failed.output, failed.value, failed.line) == ("before", None, 3)
    assert failed.error.startswith("script div, line 3") and "ZeroDivisionError" in failed.error
    broken = logger.automation.execute("x = 1\nif x\n", name="syntax")
    assert broken.line == 2 and "SyntaxError" in broken.error and broken.output == ""


def test_execute_keeps_globals_and_trig_per_name_until_the_source_changes(logger):
    source = "global n = 0\nn += 1\ntrig n >= 2:\n    print('fired at', n)\nn"
    runs = [logger.automation.execute(source, name="count") for _ in range(3)]
    assert [run.value for run in runs] == [1, 2, 3]
    assert [run.output for run in runs] == ["", "fired at 2", ""]  # the edge fired once
    assert logger.automation.execute(source, name="other").value == 1  # its own globals
    assert logger.automation.execute(source + " * 10", name="count").value == 10  # afresh


@pytest.mark.timeout(10)
def test_execute_of_an_endless_script_is_stopped_without_a_line(logger):
    ran = logger.automation.execute("print('go')\nwhile True:\n    pass\n", time_limit=0.3)
    assert ran.output == "go" and ran.line is None
    assert "stopped: it ran longer than its limit of 0.3 s" in ran.error


# -- the watchdog itself ------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_interrupt_of_an_ended_run_returns_false_and_never_raises_later():
    watchdog = Watchdog()
    try:
        run = watchdog.begin("done")
        watchdog.end(run)
        assert watchdog.interrupt(run, "too late") is False
        total = 0
        deadline = time.monotonic() + 0.1
        while time.monotonic() < deadline:
            total += 1
        assert total > 0
        assert run.reason == ""
    finally:
        watchdog.stop()


@pytest.mark.timeout(10)
def test_interruption_sent_but_not_raised_is_withdrawn_by_end():
    watchdog = Watchdog()
    gate, sent, finished = threading.Event(), threading.Event(), threading.Event()
    caught: list[str] = []
    holder: list = []

    def target():
        run = watchdog.begin("blocked")
        holder.append(run)
        try:
            try:
                gate.wait(5)  # blocked in C: the interruption cannot land yet
            finally:
                watchdog.end(run)
        except Interrupted:
            watchdog.end(run)
            caught.append("run")
        sent.wait(5)
        try:
            n = 0
            for i in range(100_000):  # code after the run: must not be interrupted
                n += i
        except Interrupted:
            caught.append("after")
        finished.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    wait_until(lambda: holder, what="the run to begin")
    assert watchdog.interrupt(holder[0], "stop") is True
    gate.set()
    sent.set()
    assert finished.wait(5)
    thread.join(5)
    watchdog.stop()
    assert "after" not in caught
    assert watchdog.interrupt(holder[0], "again") is False


@pytest.mark.timeout(10)
def test_watchdog_interrupts_a_run_past_its_limit():
    watchdog = Watchdog()
    run = watchdog.begin("limited", limit=0.1)
    started = time.monotonic()
    try:
        with pytest.raises(Interrupted):
            try:
                while True:
                    pass
            finally:
                watchdog.end(run)
    finally:
        watchdog.end(run)
        watchdog.stop()
    assert 0.09 <= time.monotonic() - started < 2.0
    assert "limit of 0.1 s" in run.reason


@pytest.mark.timeout(10)
def test_watchdog_reports_a_long_run_without_a_limit_once():
    reported = []
    watchdog = Watchdog(on_long_run=reported.append, long_run=0.05)
    run = watchdog.begin("long")
    try:
        wait_until(lambda: reported, what="the long-run report")
        assert stays(lambda: len(reported) == 1, 0.15)
    finally:
        watchdog.end(run)
        watchdog.stop()
    assert reported == [run] and run.reason == ""


# -- closing ------------------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_logger_close_stops_all_jobs(tmp_path):
    names = ("close-spin", "close-tick", "close-sig")
    logger = Logger(home=tmp_path)
    logger.start()
    try:
        automation = logger.automation
        source = "print('started')\nwhile True:\n    pass\n"
        spin = automation.jobs.add("close-spin", source, Schedule.once())
        tick = automation.jobs.add("close-tick", "x = 1\n", Schedule.every(0.01))
        sig = automation.jobs.add("close-sig", "x = 1\n", Schedule.on_signals([("D", "S")]))
        wait_for_output(logger, "close-spin", "started")
        wait_until(lambda: tick.runs >= 1, what="a periodic run")
        assert len(job_threads(*names)) == 3
    finally:
        started = time.monotonic()
        logger.close()
    assert time.monotonic() - started < 3.0
    assert not any(job.running for job in (spin, tick, sig))
    assert job_threads(*names) == []
    assert {job.info().state for job in (spin, tick, sig)} == {"stopped"}


def test_output_listeners_hear_every_line_and_a_broken_one_stops_nothing(logger, caplog):
    heard = []

    def broken(source, text):
        raise RuntimeError("listener bug")

    logger.automation.subscribe_output(broken)
    logger.automation.subscribe_output(lambda source, text: heard.append((source, text)))
    with caplog.at_level(logging.ERROR, "rtoc.automation"):
        assert logger.automation.run("print('a')\nprint('b', 2)", "talk") == ["a", "b 2"]
    assert heard == [("talk", "a"), ("talk", "b 2")]
    assert "listener bug" in caplog.text
