"""The custom menu from telegramActions.json: answers, errors with their line, time limits."""

from __future__ import annotations

import json
import time

import pytest
from telegram_rig import ADA, BOB, Rig

import rtoc_telegram.actions
from rtoc_telegram.actions import ACTIONS_FILE


def labels(message) -> list[str]:
    return [text for text, _ in message.buttons]


@pytest.fixture
def actions_rig(make_rig, tmp_path, monkeypatch) -> Rig:
    monkeypatch.setattr(rtoc_telegram.actions, "TIME_LIMIT", 1.0)
    picture = tmp_path / "overview.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\nan overview")
    actions = {
        "Count": "n = len(logger.signal_infos())\nreturn 'text', f'{n} signals'",
        "_Secret": "\n        return 'text', 'for admins'\n    ",
        "Boom": "x = 1\nx / 0",
        "Loop": "while True:\n    pass",
        "Overview": f"return 'picture', {str(picture)!r}",
        "Printer": "print('hello', 42)",
        "Odd": "return 42",
        "Broken": "return (",
        "Slow": "import time\ntime.sleep(0.9)\nreturn 'text', 'slept'",
    }
    (tmp_path / ACTIONS_FILE).write_text(json.dumps(actions))
    return make_rig(default_permission="read")


def test_actions_answer_with_text_pictures_and_their_errors(actions_rig: Rig) -> None:
    rig = actions_rig
    rig.logger.stream(1.0, "T", "Lab")
    menu = rig.menu(ADA)
    assert labels(menu)[:9] == [
        "▶ Count",
        "▶ Secret",
        "▶ Boom",
        "▶ Loop",
        "▶ Overview",
        "▶ Printer",
        "▶ Odd",
        "▶ Broken",
        "▶ Slow",
    ]
    assert "1 signals" in rig.press(ADA, "▶ Count").text
    rig.menu(ADA)
    assert "for admins" in rig.press(ADA, "▶ Secret").text
    rig.menu(ADA)
    assert "Boom, line 2: ZeroDivisionError: division by zero" in rig.press(ADA, "▶ Boom").text
    rig.menu(ADA)
    began = time.monotonic()
    assert "Loop: stopped" in rig.press(ADA, "▶ Loop").text
    assert time.monotonic() - began < 5
    rig.menu(ADA)
    after = len(rig.api.sent)
    rig.api.press_button(ADA, "▶ Overview")
    photo = rig.api.wait_for_message(ADA, lambda m: m.method == "sendPhoto", after=after)
    assert photo.file.endswith(b"an overview")
    rig.menu(ADA)
    assert rig.press(ADA, "▶ Printer").text == "hello 42"
    rig.menu(ADA)
    assert "Odd: returned 42; an action returns" in rig.press(ADA, "▶ Odd").text
    rig.menu(ADA)
    assert "Broken, line 1:" in rig.press(ADA, "▶ Broken").text
    # and the bot goes on
    assert "Main menu" in rig.menu(ADA).text

    menu = rig.menu(BOB)
    assert "▶ Secret" not in labels(menu) and "▶ Count" in labels(menu)


def test_one_users_slow_action_does_not_keep_others_waiting(actions_rig: Rig) -> None:
    rig = actions_rig
    rig.menu(ADA)
    rig.menu(BOB)
    after = len(rig.api.sent)
    rig.api.press_button(ADA, "▶ Slow")
    time.sleep(0.1)
    rig.api.send_text(BOB, "/menu")
    rig.api.wait_for_message(BOB, lambda m: "Main menu" in m.text, after=after)
    assert not any("slept" in m.text for m in rig.api.sent[after:])  # Bob was answered first
    rig.api.wait_for_message(ADA, lambda m: m.text == "slept", after=after)


def test_an_actions_file_that_is_not_json_is_shown_to_admins(actions_rig: Rig) -> None:
    rig = actions_rig
    (rig.home / ACTIONS_FILE).write_text("{'Count': 'return 1'")
    menu = rig.menu(ADA)
    assert "telegramActions.json: not JSON" in menu.text
    assert not any(label.startswith("▶") for label in labels(menu))
    assert "not JSON" not in rig.menu(BOB).text
