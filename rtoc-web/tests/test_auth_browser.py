"""rtoc_web.auth in a real browser: Chromium through Playwright against a Dash app on werkzeug.

The app is the smallest dashboard that shows the pattern pages follow: the
layout names the user, a button's callback calls ``auth.require`` before it
acts, and the app's ``on_error`` shows a refusal where the user sees it.
Users are hashed with argon2's default parameters, as in production.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dash import Dash, Input, Output, dcc, html, set_props
from werkzeug.serving import make_server

from rtoc.users import PermissionDenied, Role, UserStore
from rtoc_web.auth import Auth

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse"
playwright = pytest.importorskip("playwright.sync_api")

if not os.access(CHROMIUM, os.X_OK):
    reason = f"no Chromium at {CHROMIUM} (apt install chromium)"
    if os.environ.get("RTOC_REQUIRE_SERVICES"):
        raise RuntimeError(f"{reason} (RTOC_REQUIRE_SERVICES is set)")
    pytest.skip(reason, allow_module_level=True)


def build_app(auth: Auth) -> Dash:
    def show_refusal(error: Exception) -> None:
        if not isinstance(error, PermissionDenied):
            raise error
        set_props("notice", {"children": str(error)})

    app = Dash(__name__, on_error=show_refusal)
    auth.install(app.server)
    app.layout = html.Main(
        [
            dcc.Location(id="url"),
            html.H1("Power supply"),
            html.P(id="who"),
            html.Button("Switch off", id="off"),
            html.P(id="state"),
            html.P(id="notice", role="alert"),
            html.Form(html.Button("Log out"), action="/logout", method="POST"),
        ]
    )

    @app.callback(Output("who", "children"), Input("url", "pathname"))
    def who(_path: str) -> str:
        return f"Signed in as {auth.current_user().name}"

    @app.callback(Output("state", "children"), Input("off", "n_clicks"), prevent_initial_call=True)
    def switch_off(_clicks: int) -> str:
        user = auth.require(Role.WRITE, "switch the power supply off")
        return f"switched off by {user.name}"

    return app


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("home")
    store = UserStore(home)
    store.add("ada", PASSWORD, "admin")
    store.add("rea", PASSWORD, "read")
    app = build_app(Auth(home, open_access=False))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def log_in(page, base_url: str, name: str) -> None:
    page.goto(base_url + "/")
    playwright.expect(page).to_have_url(base_url + "/login?next=/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_log_in_use_the_page_and_log_out(page, base_url: str) -> None:
    log_in(page, base_url, "ada")
    expect = playwright.expect
    expect(page).to_have_url(base_url + "/")
    expect(page.locator("#who")).to_have_text("Signed in as ada")
    page.get_by_role("button", name="Switch off").click()
    expect(page.locator("#state")).to_have_text("switched off by ada")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(base_url + "/login?out=1")
    expect(page.get_by_role("alert")).to_have_text("You are logged out.")
    page.goto(base_url + "/")
    expect(page).to_have_url(base_url + "/login?next=/")


def test_a_read_user_sees_the_refusal_and_nothing_happens(page, base_url: str) -> None:
    log_in(page, base_url, "rea")
    expect = playwright.expect
    expect(page.locator("#who")).to_have_text("Signed in as rea")
    page.get_by_role("button", name="Switch off").click()
    expect(page.locator("#notice")).to_have_text(
        "switch the power supply off needs the write role or higher; user 'rea' has read"
    )
    expect(page.locator("#state")).to_have_text("")


def test_the_login_form_works_without_javascript(browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(base_url + "/login")
        page.get_by_label("User name").fill("ada")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        playwright.expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        playwright.expect(page).to_have_url(base_url + "/")
        cookies = {cookie["name"]: cookie for cookie in context.cookies()}
        assert cookies["rtoc_session"]["httpOnly"] is True
        assert cookies["rtoc_session"]["sameSite"] == "Strict"
        assert cookies["rtoc_session"]["secure"] is False  # plain http on loopback
    finally:
        context.close()
