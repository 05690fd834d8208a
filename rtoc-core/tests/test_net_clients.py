"""The TCP server's other clients: ``rtoc remote``, RTOC's ``sendTCP``, the docs' example."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rtoc.compat.loggerplugin import LoggerPlugin
from rtoc.logger import Logger
from rtoc.net import ServerSettings, TcpServer
from rtoc.net.client import Client
from rtoc.net.frame import FrameDecoder, encode
from rtoc.net.remote_cli import remote_command
from rtoc.net.script_cli import jobs_command, script_command

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tcp.md"


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


def serve(logger: Logger, password: str = "") -> tuple[TcpServer, int]:
    server = TcpServer()
    _, port = server.serve(logger, ServerSettings(port=0, password=password))
    return server, port


@pytest.fixture
def port(logger):
    server, port = serve(logger)
    yield port
    server.stop()


def test_rtoc_remote_prints_signals_latest_values_and_events(logger, port):
    logger.stream(21.5, "Temperature", "Greenhouse", "°C", x=1_700_000_000.0)
    logger.stream_many([1.0, 2.0], [3.0, 4.0], "Level", "Tank", "cm")
    logger.event("door opened", "Greenhouse", "Temperature", priority=1)

    result = CliRunner().invoke(remote_command, ["127.0.0.1", "--port", str(port)])

    assert result.exit_code == 0, result.output
    assert re.search(r"Greenhouse\.Temperature\s+21\.5 °C\s+at 2023-11-1\d", result.output)
    assert re.search(r"Tank\.Level\s+4 cm", result.output)
    assert re.search(r"warning\s+Greenhouse\.Temperature: door opened", result.output)
    assert "Signals (2):" in result.output


def test_rtoc_remote_json(logger, port):
    logger.stream(1.5, "S", "D", "V", x=10.0)
    logger.event("hello")

    result = CliRunner().invoke(remote_command, ["127.0.0.1", "-p", str(port), "--json"])

    document = json.loads(result.output)
    assert document["signals"] == [{"device": "D", "signal": "S", "x": 10.0, "y": 1.5, "unit": "V"}]
    assert [event["text"] for event in document["events"]] == ["hello"]
    assert document["info"]["signals"] == 1


def test_rtoc_remote_names_an_unreachable_server_and_a_wrong_password(logger):
    server, port = serve(logger, password="right")
    try:
        wrong = CliRunner().invoke(
            remote_command, ["127.0.0.1", "-p", str(port), "--password", "wrong"]
        )
        missing = CliRunner().invoke(remote_command, ["127.0.0.1", "-p", str(port)])
        right = CliRunner().invoke(
            remote_command, ["127.0.0.1", "-p", str(port)], env={"RTOC_TCP_PASSWORD": "right"}
        )
    finally:
        server.stop()
    gone = CliRunner().invoke(remote_command, ["127.0.0.1", "-p", str(port)])

    assert wrong.exit_code == 1 and "refused the password: wrong password" in wrong.output
    assert missing.exit_code == 1 and "needs a password" in missing.output
    assert right.exit_code == 0, right.output
    assert gone.exit_code == 1 and f"cannot talk to 127.0.0.1:{port}" in gone.output
    assert "TCP server on? It is off until `rtoc config set tcp.active true`" in gone.output


@pytest.mark.parametrize("command", [remote_command, script_command, jobs_command])
def test_every_option_of_the_commands_that_talk_to_a_server_is_explained(command):
    options = [param for param in command.params if isinstance(param, click.Option)]
    assert "timeout" in [option.name for option in options]
    assert [option.name for option in options if not option.help] == []


class Sender(LoggerPlugin):
    name = "Sender"


def test_rtoc_plugins_send_and_ask_over_tcp_with_sendTCP(logger):
    server, port = serve(logger, password="pw")
    try:
        plugin = Sender()
        plugin.createTCPClient("127.0.0.1", password="pw", tcpport=port)

        sent = plugin.sendTCP(y=[1.0, 2.0], sname=["A", "B"], unit=["V", "A"])
        latest = plugin.sendTCP(getLatest=True)
        positional = plugin.sendTCP([5.0], ["A"], "Other")
    finally:
        server.stop()

    assert sent == {"error": False, "sent": True}
    assert latest["latest"]["Sender.A"][1:] == [1.0, "V"]
    assert positional["sent"] is True
    assert logger.latest([("Other", "A")])[("Other", "A")].y == 5.0


def test_sendTCP_returns_false_when_unreachable_or_not_set_up(logger, caplog):
    plugin = Sender()
    assert plugin.sendTCP(getLatest=True) is False
    assert "call createTCPClient() before sendTCP()" in caplog.text

    server, port = serve(logger)
    server.stop()
    plugin.createTCPClient("127.0.0.1", tcpport=port)
    assert plugin.sendTCP(getLatest=True) is False
    assert f"TCP request to 127.0.0.1:{port} failed" in caplog.text


def test_the_ten_line_client_in_the_docs_works(logger, port, capsys):
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```python\n(import json, socket\n.*?)```", text, re.S)
    assert example is not None, "docs/tcp.md lost its plain-Python client"
    code = example.group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 10

    exec(compile(code.replace("port=5050", f"port={port}"), str(DOCS), "exec"), {})

    assert logger.latest([("Greenhouse", "Temperature")])[("Greenhouse", "Temperature")].y == 21.5
    printed = capsys.readouterr().out
    assert "'Greenhouse.Temperature': [" in printed and "'error': False" in printed


def test_a_reply_that_comes_too_late_is_not_taken_for_the_next_one():
    """A request that timed out closes the connection: the next one opens a fresh
    connection and gets its own reply, not the late one of the request before."""
    release = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def answer(connection: socket.socket, late: bool) -> None:
        decoder = FrameDecoder()
        with connection, contextlib.suppress(OSError):  # the client went: fine
            while data := connection.recv(65536):
                for frame in decoder.feed(data):
                    if late:
                        release.wait(10)
                    connection.sendall(encode({"echo": json.loads(frame.body)["n"]}))

    def accept() -> None:
        with listener:
            for late in (True, False):
                connection, _ = listener.accept()
                threading.Thread(target=answer, args=(connection, late), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    client = Client("127.0.0.1", listener.getsockname()[1], timeout=0.3)
    with client:
        with pytest.raises(TimeoutError):
            client.request(n=1)
        release.set()
        assert client.request(n=2) == {"echo": 2}
