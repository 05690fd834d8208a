"""Settings → General (write), Backup (admin), and a device's samplerate, through the real bot."""

from __future__ import annotations

import json
import socket

import attrs
import pytest
from telegram_rig import ADA, BOB, Rig, wait_until

from rtoc.config import Config
from rtoc.net.client import Client
from rtoc.net.server import TcpServer


def labels(message) -> list[str]:
    return [text for text, _ in message.buttons]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config_file(rig: Rig) -> dict:
    return json.loads((rig.home / "config.json").read_text())


def test_settings_entries_follow_the_role(make_rig) -> None:
    rig = make_rig(default_permission="read")
    rig.menu(ADA)
    assert labels(rig.press(ADA, "Settings"))[3:6] == ["⚙️ General", "💾 Backup", "👥 Bot clients"]
    rig.menu(BOB)
    settings = rig.press(BOB, "Settings")
    assert not any(label.endswith(("General", "Backup")) for label in labels(settings))
    assert "Settings → General needs the write permission" in rig.press_data(BOB, "gen").text
    assert "Recording length needs the write permission" in rig.press_data(BOB, "reclen").text
    rig.press(ADA, "Bot clients")
    rig.press(ADA, "Bob: read")
    rig.press(ADA, "write")
    rig.menu(BOB)
    assert "⚙️ General" in labels(rig.press(BOB, "Settings"))
    assert "Settings → Backup needs the admin permission" in rig.press_data(BOB, "backup").text
    assert "Deleting all data needs the admin permission" in rig.press_data(BOB, "wipeok").text


def test_recording_length_now_and_in_config_json(rig: Rig) -> None:
    rig.logger.stream_many(None, list(range(50)), "Temp", "Greenhouse")
    rig.menu(ADA)
    rig.press(ADA, "Settings")
    general = rig.press(ADA, "General")
    assert "Recording length: 500,000 samples per signal" in general.text
    assert "TCP server: none in this process" in general.text
    assert "keeps 500,000 samples" in rig.press(ADA, "Recording length").text
    assert "expected a whole number, got 'lots'" in rig.menu(ADA, "lots").text
    assert "recordLength must be from 1 to 100,000,000" in rig.menu(ADA, "0").text
    assert rig.logger.record_length == 500_000
    answer = rig.menu(ADA, "20 000")
    assert "Recording length is 20,000 samples now" in answer.text
    assert rig.logger.record_length == 20_000
    assert config_file(rig)["global"]["recordLength"] == 20_000
    assert len(rig.logger.read("Greenhouse", "Temp").y) == 50  # kept


def test_global_samplerate_reaches_every_running_device(rig: Rig) -> None:
    rig.menu(ADA)
    rig.press(ADA, "Settings")
    rig.press(ADA, "General")
    rig.press(ADA, "Global samplerate")
    assert "no running device has a samplerate" in rig.menu(ADA, "5").text
    rig.logger.start_device("Pump")
    assert "expected a number, got 'fast'" in rig.menu(ADA, "fast").text
    assert "above 0 and at most 10000 Hz" in rig.menu(ADA, "-1").text
    assert "Samplerate 5 Hz for Pump" in rig.menu(ADA, "5").text
    assert rig.logger.get_parameter("Pump", "samplerate") == 5.0


def test_the_tcp_server_is_switched_on_and_off_and_saved(rig: Rig) -> None:
    port = free_port()
    base = Config()
    (rig.home / "config.json").write_text(json.dumps({"tcp": {"port": port}}))
    server = TcpServer()  # as rtoc run starts it, with tcp.active false
    server.start(rig.logger, attrs.evolve(base, tcp=attrs.evolve(base.tcp, port=port)))
    try:
        rig.menu(ADA)
        rig.press(ADA, "Settings")
        general = rig.press(ADA, "General")
        assert f"TCP server: off (port {port})" in general.text
        answer = rig.press(ADA, "Switch the TCP server on")
        assert f"TCP server switched on (port {port})" in answer.text
        assert config_file(rig)["tcp"]["active"] is True
        with Client("127.0.0.1", port) as client:
            assert client.request(y=[2.0], sname="S", dname="D", x=[1.0])["sent"]
        assert "TCP server: on" in answer.text
        answer = rig.press(ADA, "Switch the TCP server off")
        assert "TCP server switched off" in answer.text and not server.serving
        assert config_file(rig)["tcp"]["active"] is False
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen()
            refused = rig.press(ADA, "Switch the TCP server on")
            assert f"cannot listen on 127.0.0.1:{port}" in refused.text
        assert config_file(rig)["tcp"]["active"] is False and not server.serving
        assert "switched on or off, not 'maybe'" in rig.press_data(ADA, "tcp:maybe").text
    finally:
        server.stop()
    assert "no TCP server to switch" in rig.press_data(ADA, "tcp:on").text


def test_backup_options_are_checked_and_saved(rig: Rig) -> None:
    rig.menu(ADA)
    rig.press(ADA, "Settings")
    backup = rig.press(ADA, "Backup")
    assert "✏️ intervall = 1.0" in labels(backup) and "✏️ resample = 0.0" in labels(backup)
    assert "seconds between two writes" in rig.press(ADA, "intervall").text
    refused = rig.menu(ADA, "often")
    assert "backup.intervall" in refused.text and "Send another value" in refused.text
    saved = rig.menu(ADA, "2.5")
    assert "backup.intervall = 2.5 saved" in saved.text
    assert config_file(rig)["backup"]["intervall"] == 2.5
    rig.press(ADA, "resample")
    assert "backup.resample" in rig.menu(ADA, "-1").text
    rig.menu(ADA, "0.5")
    assert config_file(rig)["backup"]["resample"] == 0.5


def test_delete_all_data_after_confirming(rig: Rig) -> None:
    rig.logger.stream_many(None, [1.0, 2.0], "Temp", "Greenhouse")
    rig.logger.stream(3.0, "Flow", "Pump")
    rig.logger.event("hello", device="Greenhouse")
    rig.menu(ADA)
    rig.press(ADA, "Settings")
    rig.press(ADA, "Backup")
    question = rig.press(ADA, "Delete all data")
    assert "Delete all 2 signals and 1 events" in question.text
    assert len(rig.logger.latest()) == 2  # not before the confirmation
    done = rig.press(ADA, "Yes, delete everything")
    assert "Deleted 2 signals and 1 events" in done.text
    assert rig.logger.latest() == {} and rig.events("hello") == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fast", "expected a number, got 'fast'"),
        ("0", "above 0, not '0'"),
        ("nan", "above 0, not 'nan'"),
        ("20000", "samplerate"),  # the device's own limit
    ],
)
def test_a_device_samplerate_is_an_entry_of_its_own_and_checked(make_rig, text, problem) -> None:
    rig = make_rig(default_permission="write")
    rig.menu(ADA)
    rig.menu(BOB)
    rig.press(BOB, "Devices")
    rig.press(BOB, "Pump")
    device = rig.press(BOB, "Start")
    assert "⏱ Samplerate: 20 Hz" in labels(device)
    assert not any(label.startswith("✏️ samplerate") for label in labels(device))
    assert "Pump samples 20 times a second" in rig.press(BOB, "Samplerate").text
    assert problem in rig.menu(BOB, text).text
    assert rig.logger.get_parameter("Pump", "samplerate") == 20.0
    assert "Pump samples at 50 Hz now" in rig.menu(BOB, "50").text
    assert rig.logger.get_parameter("Pump", "samplerate") == 50.0
    wait_until(lambda: rig.logger.latest().get(("Pump", "Flow")))
