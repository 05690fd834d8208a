"""Notifications: at or above each user's level, coalesced per user; plugins' messages."""

from __future__ import annotations

import time

from telegram_rig import ADA, BOB, CY, Rig, wait_until

from rtoc.compat.loggerplugin import LoggerPlugin


def notices(rig: Rig, user, after: int = 0) -> list:
    return [m for m in rig.api.messages(user)[after:] if m.text[:1] in "🔵🟠🔴"]


def test_an_event_reaches_users_at_or_below_its_level_only(make_rig) -> None:
    rig = make_rig(default_permission="read", default_eventlevel=1)
    rig.menu(ADA)  # admin, level 1 (the default)
    rig.menu(BOB)  # read, level 1
    rig.menu(CY)
    rig.press(CY, "Settings")
    rig.press(CY, "errors only")  # level 2
    rig.press(ADA, "Settings")
    rig.press(ADA, "all (info and up)")  # level 0
    start = len(rig.api.sent)
    rig.logger.event("tank low", device="Tank", signal="Level", priority=1)
    for user in (ADA, BOB):
        message = rig.api.wait_for_message(user, lambda m: "tank low" in m.text, after=start)
        assert message.text.startswith("🟠 Tank.Level: tank low\n")
    rig.logger.event("all fine", device="Tank", priority=0)
    rig.api.wait_for_message(ADA, lambda m: "all fine" in m.text, after=start)
    rig.logger.event("pump broke", device="Pump", priority=2)
    rig.api.wait_for_message(CY, lambda m: "pump broke" in m.text, after=start)
    time.sleep(0.5)  # give a wrong notification the time to arrive
    assert [m.text.split(":")[1].strip().split("\n")[0] for m in notices(rig, CY)] == ["pump broke"]
    assert not any("all fine" in m.text for m in rig.api.messages(BOB))


def test_a_flood_of_events_is_coalesced_and_nothing_is_lost(rig: Rig) -> None:
    rig.menu(ADA)
    start = len(rig.api.sent)
    began = time.monotonic()
    for index in range(1000):
        rig.logger.event(f"flapping {index}", device="Sensor", priority=1)
    wait_until(lambda: _counted(rig, start) >= 1000)
    took = time.monotonic() - began
    sent = notices(rig, ADA)
    # one message per 0.3 s (the rig's notify_interval) at most, whatever the machine's speed
    assert 1 <= len(sent) <= 2 + took / 0.3
    assert _counted(rig, start) == 1000
    assert any("more events (highest: 🟠 WARNING)" in m.text for m in sent)


def _counted(rig: Rig, start: int) -> int:
    """Events the notifications sent after ``start`` account for (in full or counted)."""
    total = 0
    for message in notices(rig, ADA):
        total += message.text.count("Sensor: flapping")
        if "more events" in message.text:
            total += int(message.text.split("… and ")[1].split()[0])
    return total


class Greenhouse(LoggerPlugin):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setDeviceName("Greenhouse")


def test_rtoc_plugins_telegram_send_reaches_the_users(make_rig, tmp_path) -> None:
    rig = make_rig(default_permission="read")
    rig.menu(ADA)
    rig.menu(BOB)
    plugin = Greenhouse(rig.logger)
    start = len(rig.api.sent)
    plugin.telegram_send_message("window open")
    for user in (ADA, BOB):
        rig.api.wait_for_message(user, lambda m: m.text == "Greenhouse: window open", after=start)
    picture = tmp_path / "shot.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    plugin.telegram_send_photo(str(picture), onlyAdmin=True)
    photo = rig.api.wait_for_message(ADA, lambda m: m.method == "sendPhoto", after=start)
    assert photo.file == picture.read_bytes() and photo.file_name == "shot.png"
    plugin.telegram_send_document(str(tmp_path / "missing.csv"))
    wait_until(lambda: rig.events("telegram_send_document"))
    assert not any(m.method == "sendPhoto" for m in rig.api.messages(BOB))
