"""Settings → Backup → Resample data: admins only, after a confirmation, with a report."""

from __future__ import annotations

import re
import time

import numpy as np
from telegram_rig import ADA, BOB, Rig

HOUR = 3600.0


def labels(message) -> list[str]:
    return [text for text, _ in message.buttons]


def record(rig: Rig) -> float:
    """Two hours of Greenhouse.Temp and .Humidity, one sample every 10 s."""
    now = time.time()
    x = now - 2 * HOUR + np.arange(720) * 10.0
    rig.logger.stream_many(x, np.arange(720.0), "Temp", "Greenhouse", "°C")
    rig.logger.stream_many(x, np.arange(720.0), "Humidity", "Greenhouse", "%")
    return now


def open_resample(rig: Rig):
    rig.menu(ADA)
    rig.press(ADA, "Settings")
    assert "📉 Resample data" in labels(rig.press(ADA, "Backup"))
    return rig.press(ADA, "Resample data")


def test_an_admin_resamples_every_signal_of_the_last_hour_to_one_a_minute(rig: Rig) -> None:
    now = record(rig)
    screen = open_resample(rig)
    assert "Signals: all 2 signals" in screen.text and "Period: the last 1 h" in screen.text
    assert "Picked in Signals (0)" in labels(screen)
    assert "Send the rate in Hz" in rig.press(ADA, "Choose the rate").text
    assert "expected a number, got 'often'" in rig.menu(ADA, "often").text
    assert "resampling rate must be a number of samples per second above 0" in (
        rig.menu(ADA, "-1").text
    )
    question = rig.menu(ADA, "0.0166666666666667")
    assert "Resample every signal, the last 1 h" in question.text
    assert "one mean sample per 60 s" in question.text and "cannot be undone" in question.text
    assert len(rig.logger.read("Greenhouse", "Temp").x) == 720  # nothing yet
    confirm = question.button("Yes, resample")
    done = rig.press(ADA, "Yes, resample")
    assert "Resampled 2 of 2 signals to 0.0166667 Hz" in done.text
    # 359 or 360 samples 10 s apart, as the hour falls on them; a minute's bins: 60 or 61
    for name in ("Temp", "Humidity"):
        before, after = re.search(
            rf"Greenhouse\.{name}: (3(?:59|60)) → (6[01])\b", done.text
        ).groups()
        x = rig.logger.read("Greenhouse", name).x
        assert len(x) == 720 - int(before) + int(after)
        assert np.diff(x[x > now - HOUR + 20]).min() > 10  # none is left of the 10 s ones
    assert "out of date" in rig.press_data(ADA, confirm).text  # pressed again: nothing more


def test_only_the_signals_picked_and_all_of_their_time(rig: Rig) -> None:
    record(rig)
    rig.menu(ADA)
    rig.press(ADA, "Signals")
    rig.press(ADA, "Greenhouse.Humidity")
    rig.menu(ADA, "/menu")
    rig.press(ADA, "Settings")
    rig.press(ADA, "Backup")
    rig.press(ADA, "Resample data")
    screen = rig.press(ADA, "Picked in Signals (1)")
    assert "Signals: Greenhouse.Humidity" in screen.text
    assert "Period: all of it" in rig.press(ADA, "all").text
    rig.press(ADA, "Choose the rate")
    assert "Resample Greenhouse.Humidity, all of it, to 0.01 Hz" in rig.menu(ADA, "0.01").text
    done = rig.press(ADA, "Yes, resample")
    assert "Resampled 1 of 1 signals" in done.text
    assert "Greenhouse.Humidity: 720 →" in done.text
    assert len(rig.logger.read("Greenhouse", "Humidity").x) <= 73  # one per 100 s of 2 h
    assert len(rig.logger.read("Greenhouse", "Temp").x) == 720


def test_write_users_cannot_resample(make_rig) -> None:
    rig = make_rig(default_permission="write")
    record(rig)
    rig.menu(ADA)
    rig.menu(BOB)
    settings = rig.press(BOB, "Settings")
    assert not any("Backup" in label for label in labels(settings))
    for forged in ("rsmp", "rsig:all", "rper:0", "rrate", "rsok:0"):
        answer = rig.press_data(BOB, forged)
        assert "Resampling data needs the admin permission; you have write" in answer.text
    assert len(rig.logger.read("Greenhouse", "Temp").x) == 720
