"""The examples in docs/automation.md run as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtoc.automation.namespace import script_namespace
from rtoc.automation.script import Script
from rtoc.devices.generator import Generator
from rtoc.logger import Logger
from rtoc.net import Client
from rtoc.net.script_cli import script_command
from rtoc.net.server import ServerSettings, TcpServer

DOCS = Path(__file__).resolve().parent.parent / "docs" / "automation.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def logger(tmp_path):
    logger = Logger(home=tmp_path)
    logger.start()
    generator = logger.add_device(Generator)
    generator.sample()  # one sample of Sine, Square and Wave, without the sampling thread
    yield logger
    logger.close()


def test_the_script_language_example_runs(logger):
    script = blocks("python")[0]
    assert "trig Generator.Sine.latest > 0.9:" in script
    logger.stream(1.0, "Sine", "Generator")  # make the trig fire
    compiled = Script(script, "example")
    printed = []
    for _ in range(2):  # one script, run twice: trig and global state carry over
        compiled.run(script_namespace(logger, printed.append, compiled.device_references))
    assert compiled.globals["count"] == 2
    assert printed[0].startswith("peak at ")
    assert logger.devices["Generator"].offset == 0.5
    assert logger.devices["Generator"].waveform == "square"
    assert logger.store.get("Script", "Sine mean").unit == "V"
    peaks = [event for event in logger.events if event.id == "peak"]
    assert len(peaks) == 1  # the trig block ran on the rising edge only


def test_the_rule_file_examples_are_valid_json_and_valid_rules(logger, tmp_path):
    events, actions = (json.loads(text) for text in blocks("json"))
    (tmp_path / "globalEvents.json").write_text(json.dumps(events), encoding="utf-8")
    (tmp_path / "globalActions.json").write_text(json.dumps(actions), encoding="utf-8")
    assert logger.automation.reload() == []


@pytest.mark.timeout(30)
def test_the_tcp_example_runs(logger, tmp_path):
    server = TcpServer()
    _, port = server.serve(logger, ServerSettings(port=0))
    try:
        example = blocks("python")[-1].replace("5050", str(port))
        namespace = {}
        exec(example, namespace)
        client = namespace["rtoc"]
        assert isinstance(client, Client)
        jobs = client.request(logger={"jobs": True})["logger"]["jobs"]
        assert [job["name"] for job in jobs] == ["mean"]
        client.close()
    finally:
        server.stop()


@pytest.mark.timeout(30)
def test_the_error_example_is_what_rtoc_script_prints(logger, tmp_path):
    (example,) = re.findall(r"^```\n(\$ rtoc script .*?)^```", DOCS.read_text("utf-8"), re.S | re.M)
    command, *expected = example.splitlines()
    file = command.split()[-1]
    # the script: the example's line 3, after two lines the example does not show
    line = re.search(r"^ +3 \| (.*)$", example, re.M)[1]
    (tmp_path / file).write_text(f"power = 2000.0\n# W / A\n{line}\n", encoding="utf-8")
    logger.stream(0.0, "Current", "Oven", "A")
    server = TcpServer()
    _, port = server.serve(logger, ServerSettings(port=0))
    try:
        result = CliRunner().invoke(script_command, [str(tmp_path / file), "-p", str(port)])
    finally:
        server.stop()
    assert result.exit_code == 1
    assert result.output.splitlines() == [text.replace(":5050", f":{port}") for text in expected]


def test_the_load_and_export_example_prints_what_the_docs_show(logger, tmp_path):
    text = DOCS.read_text("utf-8")
    home = "/tmp/io3/home"  # the home of the run the docs show
    rows = re.findall(r"`([^`]*)`", re.search(r"holding\s(.*?), a script", text, re.S)[1])
    (tmp_path / "import").mkdir()
    (tmp_path / "import" / "lab.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    script = blocks("python")[1]
    assert "rtoc.load" in script and "rtoc.export" in script
    printed = re.search(r"prints\n\n```\n(.*?)```", text, re.S)[1]
    assert logger.automation.run(script) == printed.replace(home, str(tmp_path)).splitlines()
    assert (tmp_path / "export" / "bench-u.csv").read_text("utf-8").splitlines() == [
        "device,signal,unit,x,y",
        "Bench,U,V,2.0,1.5",
    ]
    failures = re.search(r"fail:\n\n```\n(.*?)```", text, re.S)[1].replace(home, str(tmp_path))
    got = []
    for source in ('rtoc.load("lab.csv", "Bench")', 'importData("/etc/passwd")'):
        with pytest.raises(Exception) as failure:
            logger.automation.run(source)
        got.extend(str(failure.value).splitlines())
    assert got == failures.splitlines()
