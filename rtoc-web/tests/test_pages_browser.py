"""Events, devices and automation pages in Chromium, and what each role may do."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from auth_stub import OpenAuth
from browser import open_tab

from rtoc.users import PermissionDenied, Role, User, UserStore
from rtoc_web.auth import Auth

PASSWORD = "correct horse"

pytestmark = pytest.mark.timeout(90)


def test_events_are_paged_and_filtered_on_the_server(page, url) -> None:
    page.goto(url)
    open_tab(page, "Events")
    total = page.locator("#events-total")
    total.filter(has_text="122 events").wait_for()
    rows = page.locator("#events-table tbody tr:has(td)")
    assert rows.count() == 50  # one page of the default size
    first = rows.first.inner_text()
    assert "tank low" in first and "warning" in first  # newest first
    page.fill("#events-text", "pump")
    page.press("#events-text", "Enter")
    total.filter(has_text="1 event").wait_for()
    assert "⛔ error" in rows.first.inner_text()
    page.fill("#events-text", "")
    page.press("#events-text", "Enter")
    page.locator("#events-priorities").get_by_label("🔵 info").uncheck()
    total.filter(has_text="2 events").wait_for()


def test_events_page_to_the_oldest(page, url) -> None:
    page.goto(url)
    open_tab(page, "Events")
    page.locator("#events-total").filter(has_text="122 events").wait_for()
    page.locator("#events-table button.last-page").click()
    rows = page.locator("#events-table tbody tr:has(td)")
    page.locator("#events-table tbody").filter(has_text="routine check 0").wait_for()
    assert rows.count() == 22


def test_a_device_is_started_stopped_and_set(page, url, logger) -> None:
    page.goto(url)
    open_tab(page, "Devices")
    button = page.locator('[id*="dev-run"][id*="Generator"]')
    button.filter(has_text="Start").click()
    page.locator('[id*="dev-status"][id*="Generator"]').filter(has_text="running").wait_for()
    assert logger.describe_devices()[0].running
    amplitude = page.locator('input[id*="param-value"][id*="amplitude"]')
    amplitude.fill("2.5")
    page.locator('[id*="param-set"][id*="amplitude"]').click()
    page.locator('[id*="param-msg"][id*="amplitude"]').filter(has_text="amplitude = 2.5").wait_for()
    assert logger.get_parameter("Generator", "amplitude") == 2.5
    waveform = page.locator('input[id*="param-value"][id*="waveform"]')
    waveform.fill("zigzag")
    page.locator('[id*="param-set"][id*="waveform"]').click()
    refusal = page.locator('[id*="param-msg"][id*="waveform"]')
    refusal.filter(has_text="unknown waveform 'zigzag'").wait_for()
    assert logger.get_parameter("Generator", "waveform") == "sine"
    page.locator('input[id*="func-args"][id*="set_waveform"]').fill('["square"]')
    page.locator('[id*="func-call"][id*="set_waveform"]').click()
    page.locator('[id*="func-msg"][id*="set_waveform"]').filter(has_text="→ None").wait_for()
    assert logger.get_parameter("Generator", "waveform") == "square"
    page.locator('input[id*="func-args"][id*="set_waveform"]').fill("__import__('os')")
    page.locator('[id*="func-call"][id*="set_waveform"]').click()
    page.locator('[id*="func-msg"][id*="set_waveform"]').filter(has_text="JSON list").wait_for()
    button.filter(has_text="Stop").click()
    page.locator('[id*="dev-status"][id*="Generator"]').filter(has_text="stopped").wait_for()
    assert not logger.describe_devices()[0].running


class DemotedAuth(OpenAuth):
    """The page was loaded as a writer, who has since lost the role: the server must refuse."""

    def require(self, role: Role, action: str) -> User:
        raise PermissionDenied(User("ann", Role.READ, datetime.now(timezone.utc)), role, action)


def test_the_server_refuses_a_change_the_role_does_not_allow(page, serve, logger) -> None:
    page.goto(serve(auth=DemotedAuth(Role.ADMIN)))
    open_tab(page, "Devices")
    page.locator('[id*="dev-run"][id*="Generator"]').click()
    message = page.locator('[id*="dev-msg"][id*="Generator"]')
    message.filter(has_text="start Generator needs the write role").wait_for()
    assert not logger.describe_devices()[0].running


def test_a_reader_sees_no_control_pages(page, serve) -> None:
    page.goto(serve(auth=OpenAuth(Role.READ)))
    tabs = page.locator("#tabs")
    tabs.get_by_text("Events", exact=True).wait_for()
    assert tabs.get_by_text("Devices", exact=True).count() == 0
    assert tabs.get_by_text("Automation", exact=True).count() == 0


def test_a_global_event_is_switched_on_and_off(page, url, logger) -> None:
    logger.automation.set_global_event("hot", {"cond": "Sim.Volt.latest > 100", "id": "hot"})
    page.goto(url)
    open_tab(page, "Automation")
    switch = page.locator('[id*="rule-active"][id*="hot"] input')
    switch.first.wait_for()
    was = switch.first.is_checked()
    switch.first.click()
    page.locator('[id*="rule-msg"][id*="hot"]').filter(
        has_text="switched off" if was else "switched on"
    ).wait_for()
    rule = next(r for r in logger.automation_state().rules if r.name == "hot")
    assert rule.active is (not was)


def test_logged_in_users_see_the_pages_of_their_role(browser, serve, tmp_path) -> None:
    store = UserStore(tmp_path)
    store.add("wri", PASSWORD, "write")
    store.add("rea", PASSWORD, "read")
    url = serve(auth=Auth(tmp_path, open_access=False))
    for name, tabs in (("wri", ["Plots", "Events", "Devices"]), ("rea", ["Plots", "Events"])):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        page.get_by_label("User name").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.locator("#user").filter(has_text=f"{name} (").wait_for()
        assert page.locator("#tabs .tab").all_inner_texts() == tabs
        page.get_by_role("button", name="Log out").click()
        page.get_by_label("User name").wait_for()
        context.close()
