"""Signals → deleting samples or events of a period: admins only, each after a confirmation."""

from __future__ import annotations

import time

import numpy as np
from telegram_rig import ADA, BOB, Rig

HOUR = 3600.0


def labels(message) -> list[str]:
    return [text for text, _ in message.buttons]


def record(rig: Rig) -> float:
    """Two hours of Greenhouse.Temp (one sample a minute), events 90 and 30 min ago."""
    now = time.time()
    x = now - 2 * HOUR + np.arange(120) * 60.0
    rig.logger.stream_many(x, np.arange(120.0), "Temp", "Greenhouse", "°C")
    rig.logger.stream_many(x, np.arange(120.0), "Humidity", "Greenhouse", "%")
    rig.logger.event("old alarm", device="Greenhouse", priority=2, time=now - 1.5 * HOUR)
    rig.logger.event("new alarm", device="Greenhouse", priority=2, time=now - 0.5 * HOUR)
    return now


def test_an_admin_deletes_the_samples_of_the_last_hour_after_confirming(rig: Rig) -> None:
    now = record(rig)
    rig.menu(ADA)
    rig.press(ADA, "Signals")
    rig.press(ADA, "Greenhouse.Temp")
    screen = rig.press(ADA, "• 1 h")  # the period chosen (1 h is the default)
    assert "🗑 Delete samples" in labels(screen) and "🗑 Delete events" in labels(screen)
    question = rig.press(ADA, "Delete samples")
    assert "Delete their samples of the last 1 h" in question.text
    assert "Greenhouse.Temp?" in question.text and "cannot be undone" in question.text
    assert len(rig.logger.read("Greenhouse", "Temp").x) == 120  # nothing yet
    confirm = question.button("Yes, delete")
    done = rig.press(ADA, "Yes, delete")
    assert "Deleted from 1 signals" in done.text
    kept = rig.logger.read("Greenhouse", "Temp").x
    assert len(kept) >= 59 and kept.max() < now - HOUR + 1
    assert len(rig.logger.read("Greenhouse", "Humidity").x) == 120  # not selected
    # the same confirmation pressed again deletes nothing more
    assert "out of date" in rig.press_data(ADA, confirm).text


def test_cancelling_deletes_nothing_and_all_deletes_whole_signals(rig: Rig) -> None:
    record(rig)
    rig.menu(ADA)
    rig.press(ADA, "Signals")
    rig.press(ADA, "Greenhouse.Humidity")
    rig.press(ADA, "Delete samples")
    rig.press(ADA, "« Signals")
    assert len(rig.logger.read("Greenhouse", "Humidity").x) == 120
    rig.press(ADA, "all")
    assert "Delete the whole signals: Greenhouse.Humidity?" in rig.press(ADA, "Delete samples").text
    rig.press(ADA, "Yes, delete")
    assert ("Greenhouse", "Humidity") not in rig.logger.latest()
    assert ("Greenhouse", "Temp") in rig.logger.latest()


def test_an_admin_deletes_the_events_of_a_period(rig: Rig) -> None:
    record(rig)
    rig.menu(ADA)
    rig.press(ADA, "Signals")
    question = rig.press(ADA, "Delete events")
    assert "Delete the 1 events of the last 1 h" in question.text
    assert "Deleted 1 events" in rig.press(ADA, "Yes, delete").text
    assert rig.events("new alarm") == [] and len(rig.events("old alarm")) == 1


def test_write_and_read_users_cannot_delete(make_rig) -> None:
    rig = make_rig(default_permission="write")
    record(rig)
    rig.menu(ADA)
    rig.menu(BOB)
    rig.press(BOB, "Signals")
    screen = rig.press(BOB, "Greenhouse.Temp")
    assert not any("Delete" in label for label in labels(screen))
    for forged in ("dels", "dele", "delok:0"):
        answer = rig.press_data(BOB, forged)
        assert "needs the admin permission; you have write" in answer.text
    assert len(rig.logger.read("Greenhouse", "Temp").x) == 120
    assert len(rig.events("alarm")) == 2


def test_a_read_user_is_refused_too(make_rig) -> None:
    rig = make_rig(default_permission="read")
    record(rig)
    rig.menu(ADA)
    rig.menu(BOB)
    assert "Deleting events needs the admin permission; you have read" in (
        rig.press_data(BOB, "dele").text
    )
    assert len(rig.events("alarm")) == 2
