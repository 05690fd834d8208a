"""Telegram away, a revoked token, a corrupt clients file: the logger keeps going."""

from __future__ import annotations

import json

from telegram_rig import ADA, Rig, wait_until

from rtoc.events import Priority
from rtoc_telegram.clients import CLIENTS_FILE


def test_telegram_away_and_back_loses_no_notification(rig: Rig) -> None:
    rig.menu(ADA)
    rig.api.stop()
    wait_until(lambda: rig.events("Telegram is unreachable"))
    rig.logger.event("frost!", device="Greenhouse", priority=2)
    for index in range(20):
        rig.logger.stream(float(index), "Temp", "Greenhouse")
    start = len(rig.api.sent)
    rig.api.start()  # the same port
    rig.api.wait_for_message(ADA, lambda m: "frost!" in m.text, after=start, timeout=20)
    wait_until(lambda: rig.events("Telegram is reachable again"))
    [warning] = rig.events("Telegram is unreachable")
    assert warning.priority == Priority.WARNING
    assert len(rig.events("reachable again")) == 1
    assert len(rig.logger.read("Greenhouse", "Temp").y) == 20
    assert "Main menu" in rig.menu(ADA).text  # and the menu works again


def test_a_revoked_token_is_one_error_event_and_the_logger_records_on(rig: Rig) -> None:
    rig.menu(ADA)
    rig.api.revoked = True
    wait_until(lambda: rig.events("refused the bot token"))
    bot = rig.frontend.bot
    assert bot is not None
    wait_until(lambda: not bot._thread.is_alive())
    [error] = rig.events("refused the bot token")
    assert error.priority == Priority.ERROR
    rig.logger.stream(1.0, "Temp", "Greenhouse")
    assert rig.logger.latest()[("Greenhouse", "Temp")].y == 1.0


def test_a_token_refused_at_start(make_rig, tmp_path) -> None:
    rig = make_rig(token="999:wrong")
    wait_until(lambda: rig.events("refused the bot token"))
    assert len(rig.events("refused the bot token")) == 1


def test_a_corrupt_clients_file_is_refused_and_left_as_it_is(make_rig, tmp_path) -> None:
    (tmp_path / CLIENTS_FILE).write_text('{"101": {"permission": "root"}}')
    rig = make_rig()
    assert rig.frontend.bot is None
    [error] = rig.events("the Telegram bot does not start")
    assert "telegram_clients.json: not a valid Telegram clients file" in error.text
    assert "unknown role 'root'" in error.text
    assert json.loads((tmp_path / CLIENTS_FILE).read_text()) == {"101": {"permission": "root"}}


def test_a_base_url_that_is_no_web_address_is_an_error_event(make_rig) -> None:
    rig = make_rig(base_url="ftp://127.0.0.1/bot")
    assert rig.frontend.bot is None
    [error] = rig.events("telegram.base_url must be an http(s) address")
    assert error.priority == Priority.ERROR


def test_telegram_unreachable_at_start_then_reached(make_rig) -> None:
    from rtoc_telegram.testing import BotApiStub

    waiting = BotApiStub()
    waiting.start()
    port = waiting.port
    waiting.stop()  # nothing listens on the port the bot is given
    rig = make_rig(token=waiting.token, base_url=waiting.base_url)
    wait_until(lambda: rig.events("Telegram is unreachable"))
    rig.logger.event("due while away", device="Greenhouse", priority=2)
    api = BotApiStub(port=port).start()
    try:
        api.wait_for_call("getMe", timeout=20)
        wait_until(lambda: rig.events("Telegram is reachable again"))
        api.send_text(ADA, "/start")
        assert "admin" in api.wait_for_message(ADA, lambda m: bool(m.buttons)).text
    finally:
        api.stop()
    assert len(rig.events("Telegram is unreachable")) == 1
