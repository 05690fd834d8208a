"""Menu paths per role, with the real python-telegram-bot against the loopback Bot API."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from telegram_rig import ADA, BOB, Rig, wait_until

from rtoc_telegram.clients import CLIENTS_FILE


def labels(message) -> list[str]:
    return [text for text, _ in message.buttons]


def test_first_user_is_admin_later_ones_blocked_until_the_admin_says_so(rig: Rig) -> None:
    menu = rig.menu(ADA)
    assert "admin" in menu.text
    assert labels(menu) == [
        "📈 Latest values",
        "📊 Signals",
        "🔌 Devices",
        "✉️ Send event / value",
        "⚙️ Automation",
        "🔧 Settings",
    ]
    refused = rig.menu(BOB)
    assert refused.buttons == [] and "not open to you" in refused.text
    # a blocked user's forged press gets no menu either
    assert rig.press_data(BOB, "devices").buttons == []

    rig.press(ADA, "Settings")
    rig.press(ADA, "Bot clients")
    rig.press(ADA, "Bob: blocked")
    assert "Bob now has read" in rig.press(ADA, "read").text
    stored = json.loads((rig.home / CLIENTS_FILE).read_text())
    assert stored["202"]["permission"] == "read"
    assert stored["101"] == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "permission": "admin",
        "eventlevel": 0,
        "shortcuts": [[], []],
        "menu": "menu",
    }

    menu = rig.menu(BOB)
    assert labels(menu) == ["📈 Latest values", "📊 Signals", "🔧 Settings"]
    forged = rig.press_data(BOB, "devices")
    assert "Devices needs the write permission; you have read" in forged.text
    assert "🔌 Devices" not in labels(forged)
    assert "Send value needs the write permission" in rig.press_data(BOB, "value").text
    assert "Clients needs the admin permission" in rig.press_data(BOB, "clients").text
    assert "needs the admin permission" in rig.press_data(BOB, "perm:0").text
    assert "out of date" in rig.press_data(BOB, "sig:zzz").text
    assert "out of date" in rig.press_data(BOB, "no-such-route").text


def test_read_user_sees_latest_values_with_unit_and_age(make_rig) -> None:
    rig = make_rig(default_permission="read")
    rig.logger.stream(21.5, "Temp", "Greenhouse", unit="°C")
    rig.menu(ADA)
    rig.menu(BOB)
    answer = rig.press(BOB, "Latest values")
    assert answer.text.startswith("Greenhouse.Temp: 21.5 °C (")
    assert answer.text.endswith(" s ago)")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_a_plot_arrives_as_a_png_of_the_chosen_signals(rig: Rig) -> None:
    import time

    import numpy as np

    now = time.time()
    x = now - 3000 + np.arange(3000.0)
    rng = np.random.default_rng(7)
    temp = 22 + 3 * np.sin(x / 400) + rng.normal(0, 0.1, len(x))
    temp[2000:] -= np.linspace(0, 4, 1000)  # the window opens
    humidity = 60 + 10 * np.cos(x / 500) + rng.normal(0, 0.5, len(x))
    rig.logger.stream_many(x, temp, "Temp", "Greenhouse", unit="°C")
    rig.logger.stream_many(x, humidity, "Humidity", "Greenhouse", unit="%")
    rig.logger.event("window opened", device="Greenhouse", time=x[2000])
    rig.logger.event("too humid", device="Greenhouse", priority=1, time=x[700])
    rig.menu(ADA)
    rig.press(ADA, "Signals")
    rig.press(ADA, "Greenhouse.Temp")
    picked = labels(rig.press(ADA, "Greenhouse.Humidity"))
    assert "✅ Greenhouse.Temp" in picked and "✅ Greenhouse.Humidity" in picked
    after = len(rig.api.sent)
    rig.api.press_button(ADA, "Generate plot")
    photo = rig.api.wait_for_message(ADA, lambda m: m.method == "sendPhoto", after=after)
    assert png_size(photo.file) == (1000, 600)
    assert "Greenhouse.Temp" in photo.text and "Greenhouse.Humidity" in photo.text
    if os.environ.get("RTOC_WRITE_DOCS"):  # the README's picture: RTOC_WRITE_DOCS=1 pytest ...
        (Path(__file__).parents[1] / "docs" / "plot.png").write_bytes(photo.file)


def test_a_write_user_starts_a_device_sets_a_parameter_and_calls_a_function(make_rig) -> None:
    rig = make_rig(default_permission="write")
    rig.menu(ADA)
    menu = rig.menu(BOB)
    assert "⚙️ Automation" not in labels(menu) and "🔌 Devices" in labels(menu)
    rig.press(BOB, "Devices")
    device = rig.press(BOB, "Pump")
    assert "Pump (stopped)" in device.text
    assert "Pump (running)" in rig.press(BOB, "Start").text
    wait_until(lambda: rig.logger.latest().get(("Pump", "Flow")))

    assert "Send the new value" in rig.press(BOB, "speed").text
    assert "expected a number, got 'fast'" in rig.menu(BOB, "fast").text
    assert "speed is 0 to 10, got 99.0" in rig.menu(BOB, "99").text
    assert "Pump.speed = 2.5" in rig.menu(BOB, "2,5").text
    assert rig.logger.get_parameter("Pump", "speed") == 2.5

    rig.press(BOB, "Menu")
    rig.press(BOB, "Devices")
    rig.press(BOB, "Pump")
    assert "send litres" in rig.press(BOB, "⚡ flush").text
    assert "expected a number, got 'lots'" in rig.menu(BOB, "lots").text
    assert "send times" in rig.menu(BOB, "1.5").text
    assert "expected a whole number, got '2.5'" in rig.menu(BOB, "2.5").text
    assert "flushed 3.0 l" in rig.menu(BOB, "2").text
    rig.press(BOB, "Menu")
    rig.press(BOB, "Devices")
    rig.press(BOB, "Pump")
    assert "Pump (stopped)" in rig.press(BOB, "Stop").text


def test_send_event_and_text_in_the_wrong_place(rig: Rig) -> None:
    rig.menu(ADA)
    assert "Use the menu" in rig.menu(ADA, "__import__('os').system('echo hi')").text
    assert "too long" in rig.menu(ADA, "x" * 5000).text
    assert "Main menu" in rig.menu(ADA, "/nosuchcommand").text
    for forged in ("::::", "dev:" + "9" * 60, "", "menu:extra:parts"):
        assert "out of date" in rig.press_data(ADA, forged).text
    rig.press(ADA, "Send event")
    rig.press(ADA, "Event")
    rig.menu(ADA, "door opened")
    after = len(rig.api.sent)
    rig.api.press_button(ADA, "warning")
    rig.api.wait_for_message(ADA, lambda m: "Event sent: door opened" in m.text, after=after)
    # and, as any event at her level, it comes back to her as a notification
    notice = rig.api.wait_for_message(ADA, lambda m: m.text.startswith("🟠"), after=after)
    assert "telegram.Ada Lovelace: door opened" in notice.text
    [event] = rig.events("door opened")
    assert event.priority == 1 and event.signal == "Ada Lovelace"


def test_admin_switches_a_global_event_but_edits_none_by_default(rig: Rig) -> None:
    rig.logger.set_rule("event", "hot", {"cond": "Pump.Flow.latest > 5", "text": "hot"})
    rig.menu(ADA)
    listing = rig.press(ADA, "Automation")
    assert any("event hot" in label for label in labels(listing))
    assert not any("Event" in label and "🆕" in label for label in labels(listing))
    screen = rig.press(ADA, "event hot")
    assert '"cond": "Pump.Flow.latest > 5"' in screen.text
    assert "✏️ Edit" not in labels(screen)
    before = {r.name: r.active for r in rig.logger.automation_state().rules}["hot"]
    rig.press(ADA, "Switch")
    after = {r.name: r.active for r in rig.logger.automation_state().rules}["hot"]
    assert after is not before
    rig.press(ADA, "« Automation")
    events_were = rig.logger.automation_state().events_active
    listing = rig.press(ADA, "All events")
    assert rig.logger.automation_state().events_active is not events_were
    assert f"Global events {'off' if events_were else 'on'}" in listing.text


def test_admin_adds_edits_and_deletes_rules_when_the_config_allows(make_rig) -> None:
    rig = make_rig(editAutomation=True)
    rig.menu(ADA)
    rig.press(ADA, "Automation")
    rig.press(ADA, "🆕 Event")
    assert "Send the fields of event cold as JSON" in rig.menu(ADA, "cold").text
    assert "not JSON" in rig.menu(ADA, "{cond: 1").text
    refused = rig.menu(ADA, '{"cond": "Pump.Flow.latest <", "text": "cold"}')
    assert "line 1: SyntaxError" in refused.text and "cold" not in {
        r.name for r in rig.logger.automation_state().rules
    }
    screen = rig.menu(ADA, '{"cond": "Pump.Flow.latest < 1", "text": "cold", "priority": 2}')
    assert "Global event cold" in screen.text
    [rule] = rig.logger.automation_state().rules
    assert rule.fields["cond"] == "Pump.Flow.latest < 1" and rule.fields["priority"] == 2
    assert "Send the new fields" in rig.press(ADA, "Edit").text
    rig.menu(ADA, '{"cond": "Pump.Flow.latest < 2", "text": "colder"}')
    [rule] = rig.logger.automation_state().rules
    assert rule.fields["text"] == "colder"
    rig.press(ADA, "Delete")
    assert rig.logger.automation_state().rules == ()


def test_parameters_and_functions_as_shortcuts_on_the_main_menu(rig: Rig) -> None:
    rig.menu(ADA)
    rig.press(ADA, "Devices")
    rig.press(ADA, "Pump")
    rig.press(ADA, "speed")
    menu = rig.press(ADA, "Add as shortcut")
    assert "Pump.speed is on your main menu now" in menu.text
    assert labels(menu)[0] == "⭐ Pump.speed"
    rig.press(ADA, "Devices")
    rig.press(ADA, "Pump")
    rig.press(ADA, "⚡ flush")
    menu = rig.press(ADA, "Add as shortcut")
    assert labels(menu)[:2] == ["⭐ Pump.speed", "⭐ Pump.flush()"]
    stored = json.loads((rig.home / CLIENTS_FILE).read_text())
    assert stored["101"]["shortcuts"] == [["Pump.speed"], ["Pump.flush"]]

    assert "send litres" in rig.press(ADA, "⭐ Pump.flush()").text
    rig.menu(ADA, "2")
    assert "flushed 2.0 l" in rig.menu(ADA, "1").text
    rig.menu(ADA)
    assert "Send the new value" in rig.press(ADA, "⭐ Pump.speed").text
    assert "Pump.speed is no longer on your main menu" in rig.press(ADA, "Remove shortcut").text
    assert labels(rig.menu(ADA))[0] == "⭐ Pump.flush()"


def test_a_measured_value_sent_from_the_chat(rig: Rig) -> None:
    rig.menu(ADA)
    rig.press(ADA, "Send event")
    assert "Garden.Rain 3.5 mm" in rig.press(ADA, "Measured value").text
    assert "expected a number, got 'lots'" in rig.menu(ADA, "Garden.Rain lots").text
    assert "Device.Signal" in rig.menu(ADA, "Rain 3").text
    assert "Lab.1.Rain = 3.5 mm" in rig.menu(ADA, "Lab.1.Rain 3,5 mm").text
    reading = rig.logger.latest()[("Lab.1", "Rain")]
    assert (reading.y, reading.unit) == (3.5, "mm")
