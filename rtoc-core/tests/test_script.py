"""The script language: trig, global, signal and device access, errors at the user's position."""

import sys

import numpy as np
import pytest

from rtoc import Device
from rtoc.automation.namespace import script_namespace
from rtoc.automation.script import Script, ScriptError
from rtoc.logger import Logger

#: Tracebacks carry columns from CPython 3.11 on (PEP 657); on 3.10 a runtime error has a line only.
TRACEBACK_COLUMNS = sys.version_info >= (3, 11)


def runtime_position(line: int, column: int) -> str:
    """How a runtime error's position reads on this Python: as precise as it can know."""
    return f"line {line}, column {column}" if TRACEBACK_COLUMNS else f"line {line}"


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


class Pump(Device):
    flow = 1.5
    primed = False

    def prime(self, seconds: float = 1.0) -> str:
        self.primed = True
        return f"primed for {seconds} s"


def run(script: Script, logger: Logger, printed: list | None = None, **extra):
    output = printed.append if printed is not None else (lambda text: None)
    names = script_namespace(logger, output, script.device_references)
    return script.run({**names, **extra})


def test_trig_fires_on_rising_edges_only_across_runs():
    script = Script("fired = False\ntrig level > 5:\n    fired = True\n")

    results = [script.run({"level": level})["fired"] for level in (1, 6, 7, 2, 8, 9)]

    assert results == [False, True, False, False, True, False]


def test_each_trig_keeps_its_own_edge_and_works_in_blocks_and_functions():
    source = """
hits = []
def check(v):
    trig v > 0:
        return "up"
    return None
for v in values:
    trig v > 10:
        hits.append(v)
result = check(values[-1])
"""
    script = Script(source)

    first = script.run({"values": [1, 11, 12, 3, 15]})
    second = script.run({"values": [20]})

    assert first["hits"] == [11, 15] and first["result"] == "up"
    assert second["hits"] == [] and second["result"] is None  # still above: no new edge


def test_trig_with_an_inline_block_and_parenthesised_condition():
    script = Script("n = 0\ntrig (a >\n      1): n = 1\n")
    assert [script.run({"a": a})["n"] for a in (0, 2, 2)] == [0, 1, 0]


def test_trig_and_global_as_ordinary_names_are_left_alone():
    source = "trig = 3\ntrig: int = 4\nresult = trig + len([trig])\nglobal_total = trig\n"
    assert Script(source).run({})["result"] == 5


def test_global_keeps_its_value_between_runs_and_initialises_once():
    source = "global count = 10\ncount += 1\nglobal seen = []\nseen.append(count)\n"
    script = Script(source)

    runs = [script.run({})["count"] for _ in range(3)]

    assert runs == [11, 12, 13]
    assert script.globals == {"count": 13, "seen": [11, 12, 13]}


def test_global_set_inside_a_function_is_the_scripts_global():
    source = "def bump():\n    global total = 0\n    total += 5\n    return total\nvalue = bump()\n"
    script = Script(source)
    assert [script.run({})["value"] for _ in range(2)] == [5, 10]


def test_other_variables_start_fresh_each_run():
    script = Script("try:\n    x += 1\nexcept NameError:\n    x = 0\n")
    assert [script.run({})["x"] for _ in range(2)] == [0, 0]


def test_strings_and_comments_are_never_rewritten(logger):
    logger.stream(1.0, "Sine", "Generator")
    source = (
        'text = "trig x: Generator.Sine global y = 1"  # trig z: Generator.Sine\n'
        "other = '''\nglobal q = 2\ntrig w:\n'''\n"
    )

    names = run(Script(source), logger)

    assert names["text"] == "trig x: Generator.Sine global y = 1"
    assert names["other"] == "\nglobal q = 2\ntrig w:\n"


def test_signals_parameters_and_functions_through_device_names(logger):
    logger.add_device(Pump)
    logger.stream_many([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], "Level", "Tank", "cm")
    source = """
[x], [y] = Tank.Level
[ys] = Tank.Level.y
xs, values = Tank.Level
newest = Tank.Level.latest
Pump.flow = "2.5"
flow = Pump.flow
answer = Pump.prime(3)
"""
    names = run(Script(source), logger)

    assert names["x"].tolist() == [1.0, 2.0, 3.0] and names["y"].tolist() == [10.0, 20.0, 30.0]
    assert names["ys"].tolist() == [10.0, 20.0, 30.0] and names["values"][-1] == 30.0
    assert names["newest"] == 30.0
    assert names["flow"] == 2.5 and logger.get_parameter("Pump", "flow") == 2.5
    assert names["answer"] == "primed for 3 s" and logger.devices["Pump"].primed


def test_scripts_stream_plot_event_and_print(logger):
    printed = []
    source = """
stream(clock, "Clock", unit="s")
plot([0, 1, 2], [5, 6, 7], "Spectrum", "Analysis")
event("hot", "Clock", priority=1, id="hot")
print("value", 3, np.pi > 3, math.floor(2.5))
"""
    run(Script(source), logger, printed)

    assert logger.store.get("Script", "Clock").unit == "s"
    assert logger.read("Analysis", "Spectrum").y.tolist() == [5.0, 6.0, 7.0]
    [event] = logger.events_of()
    assert (event.text, event.device, event.signal, event.id) == ("hot", "Script", "Clock", "hot")
    assert printed == ["value 3 True 2"]


def test_a_signal_that_does_not_exist_yet_says_so(logger):
    script = Script("a = 1\nif Greenhouse.Humidity.latest > 50:\n    a = 2\n", "humid")

    with pytest.raises(ScriptError) as caught:
        run(script, logger)
    assert caught.value.line == 2
    assert "MissingSignal: no signal Greenhouse.Humidity (yet)" in str(caught.value)

    logger.stream(60.0, "Humidity", "Greenhouse")
    assert run(script, logger)["a"] == 2


def test_setting_a_bad_parameter_value_is_a_script_error(logger):
    logger.add_device(Pump)
    with pytest.raises(ScriptError) as caught:
        run(Script("ok = 1\nPump.flow = 'lots'\n", "set"), logger)
    assert f"{runtime_position(2, 1)}: ParameterError: Pump.flow takes a" in str(caught.value)


def test_a_script_cannot_set_an_infinite_samplerate(logger):
    pump = logger.add_device(Pump)
    with pytest.raises(ScriptError, match=r"Pump\.samplerate takes a finite number, got inf"):
        run(Script("Pump.samplerate = float('inf')\n", "set"), logger)
    assert pump.samplerate == 1.0


def python_position(source):
    """Where Python's own parser puts the error of plain-Python source."""
    try:
        compile(source, "x", "exec")
    except SyntaxError as error:
        return error.lineno, error.offset
    raise AssertionError("no syntax error")


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("x = 1\ny = (2 +\n", 2, 5, "SyntaxError: '(' was never closed"),
        ("a = 1\n  b = 2\n", *python_position("a = 1\n  b = 2\n"), "unexpected indent"),
        ("trig x > :\n    pass\n", 1, 10, "SyntaxError: invalid syntax"),
        ("global total = (1 +\n", 1, 16, "SyntaxError: '(' was never closed"),
        ("n = 0\nglobal total = n +* 2\n", 2, 19, "SyntaxError: invalid syntax"),
    ],
)
def test_syntax_errors_point_at_the_users_line_and_column(source, line, column, message):
    with pytest.raises(ScriptError) as caught:
        Script(source, "mine")
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert message in error.message
    assert str(error).startswith(f"script mine, line {line}, column {column}: ")
    assert f"\n    {line} | " in str(error)


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("x = 1\ny = x / 0\n", 2, 5, "ZeroDivisionError: division by zero"),
        ("global total = 1\nglobal other = missing + 1\n", 2, 16, "NameError: name 'missing'"),
        ("def f():\n    return [][3]\n\nf()\n", 2, 12, "IndexError: list index out of range"),
        ("trig undefined_thing > 1:\n    pass\n", 1, 6, "NameError"),
    ],
)
def test_runtime_errors_point_at_the_users_line_and_column(source, line, column, message):
    with pytest.raises(ScriptError) as caught:
        Script(source, "mine").run({})
    error = caught.value
    assert (error.line, error.column) == (line, column if TRACEBACK_COLUMNS else None), str(error)
    assert str(error).startswith(f"script mine, {runtime_position(line, column)}: ")
    assert message in error.message


def test_a_failing_run_still_keeps_globals_for_the_next(logger):
    script = Script("global n = 0\nn += 1\nif n == 2:\n    raise ValueError('second run')\n")
    script.run({})
    with pytest.raises(ScriptError, match="ValueError: second run"):
        script.run({})
    assert script.run({})["n"] == 3


def test_plugins_add_names_through_the_script_namespace_hook(logger):
    from rtoc.plugins import PluginInfo, PluginRegistry

    class Plugin:
        from rtoc import hookimpl

        @staticmethod
        @hookimpl
        def rtoc_script_namespace(logger):
            return {"kelvin": lambda celsius: celsius + 273.15}

    registry = PluginRegistry()
    registry.register(Plugin(), PluginInfo("kelvin", "test"))
    logger.plugins = registry

    assert run(Script("k = kelvin(20)"), logger)["k"] == pytest.approx(293.15)


def test_library_is_reachable_as_rtoc(logger):
    logger.stream_many([0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 4.0, 6.0], "Ramp", "Test")
    names = run(
        Script("slope = rtoc.d(Test.Ramp.x, Test.Ramp.y)\nm = rtoc.mean(Test.Ramp)"), logger
    )
    assert names["slope"] == 2.0
    assert names["m"] == pytest.approx(np.mean([0.0, 2.0, 4.0, 6.0]))
