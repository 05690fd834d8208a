"""telegram.inlineMenu false: the same menus as a reply keyboard, driven by the labels' text."""

from __future__ import annotations

import time

import numpy as np
from telegram_rig import ADA, BOB, Rig


def labels(message) -> list[str]:
    return [text for text, _ in message.buttons]


def test_the_main_menu_is_a_reply_keyboard_and_its_labels_are_buttons(make_rig) -> None:
    rig: Rig = make_rig(inlineMenu=False)
    now = time.time()
    x = now - 100 + np.arange(100.0)
    rig.logger.stream_many(x, np.arange(100.0), "Temp", "Greenhouse", "°C")
    menu = rig.menu(ADA)
    assert "keyboard" in menu.parameters["reply_markup"]
    assert labels(menu)[:2] == ["📈 Latest values", "📊 Signals"]
    assert all(data == "" for _, data in menu.buttons)  # nothing but the labels goes to the chat
    assert rig.menu(ADA, "📈 Latest values").text.startswith("Greenhouse.Temp: 99 °C (")
    rig.menu(ADA, "« Menu")
    rig.menu(ADA, "📊 Signals")
    picked = rig.menu(ADA, "Greenhouse.Temp")
    assert "✅ Greenhouse.Temp" in labels(picked)
    after = len(rig.api.sent)
    rig.api.send_text(ADA, "🖼 Generate plot")
    rig.api.wait_for_message(ADA, lambda m: m.method == "sendPhoto", after=after)


def test_text_that_is_no_button_is_answered_with_the_buttons(make_rig) -> None:
    rig: Rig = make_rig(inlineMenu=False)
    rig.menu(ADA)
    rig.menu(ADA, "🔧 Settings")
    answer = rig.menu(ADA, "Settigns please")
    assert "“Settigns please” is none of the buttons here" in answer.text
    assert "⚙️ General" in labels(answer)  # the Settings keyboard again
    assert "Main menu" in rig.menu(ADA, "/menu").text


def test_prompts_take_text_and_labels_stay_buttons(make_rig) -> None:
    rig: Rig = make_rig(inlineMenu=False)
    rig.menu(ADA)
    rig.menu(ADA, "🔌 Devices")
    rig.menu(ADA, "⏹ Pump")
    assert "Send the new value" in rig.menu(ADA, "✏️ speed = 1.0").text
    assert "expected a number, got 'fast'" in rig.menu(ADA, "fast").text
    assert "Pump.speed = 2.5" in rig.menu(ADA, "2.5").text
    assert rig.logger.get_parameter("Pump", "speed") == 2.5
    assert "Main menu" in rig.menu(ADA, "« Menu").text


def test_a_role_only_reaches_its_own_buttons(make_rig) -> None:
    rig: Rig = make_rig(inlineMenu=False, default_permission="read")
    rig.menu(ADA)
    menu = rig.menu(BOB)
    assert "🔌 Devices" not in labels(menu)
    typed = rig.menu(BOB, "🔌 Devices")  # an admin's label typed by hand is no button
    assert "is none of the buttons here" in typed.text
    assert rig.logger.describe_devices()[0].running is False


def test_an_admin_deletes_through_the_reply_keyboard_after_confirming(make_rig) -> None:
    rig: Rig = make_rig(inlineMenu=False)
    now = time.time()
    rig.logger.stream_many(now - 100 + np.arange(100.0), np.arange(100.0), "Temp", "Greenhouse")
    rig.menu(ADA)
    rig.menu(ADA, "📊 Signals")
    rig.menu(ADA, "Greenhouse.Temp")
    assert "Delete their samples" in rig.menu(ADA, "🗑 Delete samples").text
    assert len(rig.logger.read("Greenhouse", "Temp").x) == 100
    assert "Deleted from 1 signals" in rig.menu(ADA, "🗑 Yes, delete").text
    assert len(rig.logger.read("Greenhouse", "Temp").x) == 0


def test_a_blocked_user_gets_no_keyboard_and_no_button_works(make_rig) -> None:
    rig: Rig = make_rig(inlineMenu=False)
    rig.menu(ADA)
    refused = rig.menu(BOB)
    assert "not open to you" in refused.text
    assert refused.parameters["reply_markup"] == {"remove_keyboard": True}
    assert "not open to you" in rig.menu(BOB, "📈 Latest values").text
