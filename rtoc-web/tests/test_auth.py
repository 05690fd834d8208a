"""rtoc_web.auth through Flask's test client: login, sessions, the guard, roles, open access.

Users are real (UserStore in a temporary home, argon2 with cheap parameters
so a login costs a millisecond); the clock sessions expire by and the login
guard's clock are fakes that tests move on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import stat
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dash
import flask
import pytest
from argon2 import PasswordHasher

from rtoc.net.login_guard import LoginGuard
from rtoc.users import Role, UserStore
from rtoc_web.auth import COOKIE_NAME, Auth, BindRefused, check_bind, is_loopback, safe_next
from rtoc_web.secret_key import SECRET_BYTES, SECRET_FILE, load_secret

FAST_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
FAST = PasswordHasher(**FAST_PARAMETERS)
PASSWORD = "correct horse"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    store = UserStore(tmp_path, FAST)
    store.add("ada", PASSWORD, "admin")
    store.add("wes", PASSWORD, "write")
    store.add("rea", PASSWORD, "read")
    return store


def make_app(auth: Auth) -> flask.Flask:
    """A server as the dashboard builds one: pages, a callback route, a health route."""
    app = flask.Flask(__name__)
    auth.install(app, public=["/health"])

    @app.get("/")
    def home():
        return f"home of {auth.current_user().name}"

    @app.get("/plots")
    def plots():
        return "plots"

    @app.get("/health")
    def health():
        return "ok"

    @app.post("/_dash-update-component")
    def callback():
        user = auth.require(Role.WRITE, "switch the power supply off")
        return {"switched off by": user.name}

    return app


@pytest.fixture
def make(tmp_path: Path, store: UserStore, clock: Clock) -> Callable[..., flask.Flask]:
    def make(**options) -> flask.Flask:
        options = {"open_access": False, "hasher": FAST, "clock": clock, **options}
        return make_app(Auth(tmp_path, **options))

    return make


@pytest.fixture
def app(make) -> flask.Flask:
    return make()


def login(client, name: str, password: str = PASSWORD, next: str | None = None, **kwargs):
    form = {"name": name, "password": password}
    if next is not None:
        form["next"] = next
    return client.post("/login", data=form, **kwargs)


def notice(response) -> str:
    text = response.get_data(as_text=True)
    start = text.index('role="alert">') + len('role="alert">')
    return text[start : text.index("</p>", start)]


# --- login -------------------------------------------------------------------


def test_a_page_without_session_redirects_to_the_login_form_and_back(app) -> None:
    client = app.test_client()
    response = client.get("/plots?range=1h")
    assert response.status_code == 302
    assert response.location == "/login?next=/plots?range%3D1h"
    form = client.get(response.location)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert '<form method="post" action="/login">' in html
    assert 'value="/plots?range=1h"' in html
    assert 'type="password" autocomplete="current-password"' in html

    response = login(client, "ada", next="/plots?range=1h")
    assert (response.status_code, response.location) == (303, "/plots?range=1h")
    assert client.get("/").get_data(as_text=True) == "home of ada"
    assert client.get("/login").location == "/"  # logged in already


@pytest.mark.parametrize(
    ("name", "password"),
    [("ada", "wrong password"), ("nobody", PASSWORD), ("blocky", PASSWORD)],
    ids=["wrong password", "unknown user", "blocked user"],
)
def test_a_refused_login_says_the_same_for_every_reason(app, store, name, password) -> None:
    store.add("blocky", PASSWORD, "blocked")
    client = app.test_client()
    response = login(client, name, password)
    assert response.status_code == 401
    assert notice(response) == "Wrong user name or password."
    assert f'value="{name}"' in response.get_data(as_text=True)  # kept, to correct the password
    assert client.get("/").status_code == 302
    assert COOKIE_NAME not in response.headers.get("Set-Cookie", "")


def test_the_login_form_escapes_what_it_shows_again(app) -> None:
    response = login(app.test_client(), '"><script>alert(1)</script>', "x", next="/a?b=<i>")
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_login_pages_allow_their_own_stylesheet_and_nothing_else(app) -> None:
    for path in ("/login", "/login?out=1"):
        response = app.test_client().get(path)
        html = response.get_data(as_text=True)
        css = html[html.index("<style>") + len("<style>") : html.index("</style>")]
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        policy = response.headers["Content-Security-Policy"]
        assert policy.startswith(f"default-src 'none'; style-src 'sha256-{digest}'; ")
        assert "<script" not in html
        assert response.headers["Cache-Control"] == "no-store"


def test_failed_logins_slow_down_one_address_and_not_the_others(make, caplog) -> None:
    guard_clock = Clock()
    guard = LoginGuard(free=2, first_delay=10.0, clock=guard_clock, door="web")
    client = make(guard=guard).test_client()
    attacker = {"environ_base": {"REMOTE_ADDR": "10.0.0.1"}}
    for _ in range(2):
        assert notice(login(client, "ada", "guess one", **attacker)).startswith("Wrong")
    with caplog.at_level(logging.WARNING, logger="rtoc.net"):
        third = login(client, "ada", "guess two", **attacker)
    assert notice(third) == "Wrong user name or password. Try again in 10 s."
    assert "web: 3 wrong passwords from 10.0.0.1" in caplog.text

    refused = login(client, "ada", PASSWORD, **attacker)  # the right one, but too soon
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "10"
    assert notice(refused) == "Too many failed logins from your address. Try again in 10 s."
    other = login(client, "ada", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 303
    guard_clock.now += 10
    assert login(client, "ada", PASSWORD, **attacker).status_code == 303


def test_one_address_checks_one_password_at_a_time(tmp_path, store) -> None:
    """Parallel guesses would pass the wait before the first failure counted."""
    entered, release = threading.Event(), threading.Event()

    class SlowHasher(PasswordHasher):
        def verify(self, hash, password):
            entered.set()
            release.wait(10)
            return super().verify(hash, password)

    app = make_app(Auth(tmp_path, open_access=False, hasher=SlowHasher(**FAST_PARAMETERS)))
    results = []
    first = threading.Thread(
        target=lambda: results.append(login(app.test_client(), "ada", "guess").status_code)
    )
    first.start()
    try:
        assert entered.wait(10)
        second = login(app.test_client(), "ada", "guess two")
        assert second.status_code == 429
        assert notice(second) == "Too many failed logins from your address. Try again in 1 s."
    finally:
        release.set()
        first.join(10)
    assert results == [401]


# --- the cookie and its key --------------------------------------------------


def test_the_session_cookie_is_httponly_samesite_strict_and_secure_over_https(app) -> None:
    cookie = login(app.test_client(), "ada").headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "; HttpOnly" in cookie and "; SameSite=Strict" in cookie and "; Path=/" in cookie
    assert "; Expires=" in cookie
    assert "Secure" not in cookie
    secure = login(app.test_client(), "ada", base_url="https://localhost")
    assert "; Secure" in secure.headers["Set-Cookie"]


def test_the_secure_flag_can_be_forced_behind_a_proxy(make) -> None:
    cookie = login(make(secure_cookie=True).test_client(), "ada").headers["Set-Cookie"]
    assert "; Secure" in cookie


def test_the_key_is_made_once_0600_and_sessions_survive_a_restart(tmp_path, make) -> None:
    client = make().test_client()
    login(client, "wes")
    key_file = tmp_path / SECRET_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    assert len(bytes.fromhex(key.decode())) == SECRET_BYTES

    restarted = make()  # a new Auth and server on the same home
    assert key_file.read_bytes() == key
    cookie = client.get_cookie(COOKIE_NAME)
    again = restarted.test_client()
    again.set_cookie(COOKIE_NAME, cookie.value)
    assert again.get("/").get_data(as_text=True) == "home of wes"


@pytest.mark.parametrize(
    ("content", "mode", "why"),
    [
        (b"abcd\n", 0o600, "2 bytes, a key has 32"),
        (b"not hex at all", 0o600, "not a key in hexadecimal"),
        (bytes(SECRET_BYTES).hex().encode(), 0o644, "readable by others (mode 0644)"),
    ],
    ids=["short", "not hex", "readable by others"],
)
def test_a_bad_key_file_is_replaced_and_its_sessions_end(
    tmp_path, make, caplog, content, mode, why
) -> None:
    client = make().test_client()
    login(client, "wes")
    key_file = tmp_path / SECRET_FILE
    key_file.write_bytes(content)
    key_file.chmod(mode)
    with caplog.at_level(logging.WARNING, logger="rtoc_web.secret_key"):
        restarted = make()
    assert f"{key_file}: {why}; replaced by a new key" in caplog.text
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key_file.read_text())) == SECRET_BYTES
    again = restarted.test_client()
    again.set_cookie(COOKIE_NAME, client.get_cookie(COOKIE_NAME).value)
    assert again.get("/").status_code == 302


def test_processes_starting_at_once_share_one_key(tmp_path) -> None:
    barrier = threading.Barrier(8)
    keys = []

    def start() -> None:
        barrier.wait()
        keys.append(load_secret(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [path.name for path in tmp_path.iterdir()] == [SECRET_FILE]  # no temporary left


def test_a_key_file_that_cannot_be_read_is_an_error_naming_it(tmp_path) -> None:
    (tmp_path / SECRET_FILE).mkdir()
    with pytest.raises(IsADirectoryError, match=SECRET_FILE):
        Auth(tmp_path, open_access=True)


def test_a_forged_cookie_is_no_session(app) -> None:
    client = app.test_client()
    login(client, "rea")
    value = client.get_cookie(COOKIE_NAME).value
    payload, rest = value.split(".", 1)
    client.set_cookie(COOKIE_NAME, payload[:-2] + "xx." + rest)
    assert client.get("/").status_code == 302


# --- how sessions end --------------------------------------------------------


def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(app) -> None:
    client = app.test_client()
    login(client, "wes")
    copy = client.get_cookie(COOKIE_NAME).value
    confirm = client.get("/logout")  # a link asks first: a GET changes nothing
    assert "Signed in as <strong>wes</strong>" in confirm.get_data(as_text=True)
    assert client.get("/").status_code == 200
    out = client.post("/logout")
    assert (out.status_code, out.location) == (303, "/login?out=1")
    assert client.get_cookie(COOKIE_NAME) is None
    assert notice(client.get(out.location)) == "You are logged out."
    client.set_cookie(COOKIE_NAME, copy)
    assert client.get("/").status_code == 302


def test_a_session_expires_after_its_lifetime(make, clock) -> None:
    client = make(session_lifetime=timedelta(hours=12)).test_client()
    login(client, "wes")
    clock.now += 12 * 3600 - 1
    assert client.get("/").status_code == 200
    clock.now += 1
    assert client.get("/").status_code == 302
    assert client.get_cookie(COOKIE_NAME) is None


def test_role_changes_count_on_the_next_request(app, store) -> None:
    client = app.test_client()
    login(client, "wes")
    assert client.post("/_dash-update-component").json == {"switched off by": "wes"}
    store.set_role("wes", "read")
    refused = client.post("/_dash-update-component")
    assert refused.status_code == 403
    store.set_role("wes", "blocked")
    assert client.get("/").status_code == 302
    store.set_role("wes", "write")
    assert client.get("/").status_code == 302  # a blocked user's session ended for good


def test_a_removed_user_is_out_on_the_next_request(app, store) -> None:
    client = app.test_client()
    login(client, "wes")
    store.remove("wes")
    assert client.get("/").status_code == 302
    store.add("wes", PASSWORD, "write")  # someone new with the old name
    assert client.get("/").status_code == 302


def test_a_new_password_ends_the_old_sessions(app, store) -> None:
    client = app.test_client()
    login(client, "wes")
    store.set_password("wes", "a new password")
    assert client.get("/").status_code == 302
    assert login(client, "wes", "a new password").status_code == 303


# --- roles and forged requests -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"), [("rea", 403), ("wes", 200), ("ada", 200)], ids=["read", "write", "admin"]
)
def test_require_lets_each_role_do_what_it_may(app, name, status) -> None:
    client = app.test_client()
    login(client, name)
    response = client.post("/_dash-update-component", json={"output": "power"})
    assert response.status_code == status
    if status == 403:
        assert response.json == {
            "error": "switch the power supply off needs the write role or higher; "
            "user 'rea' has read"
        }


def test_a_callback_without_session_gets_401_json_and_no_redirect(app) -> None:
    client = app.test_client()
    response = client.post("/_dash-update-component", json={"output": "power"})
    assert response.status_code == 401
    assert response.json == {"error": "not logged in", "login": "/login"}
    assert client.get("/_dash-layout").status_code == 401


def test_state_changing_requests_from_another_site_are_refused(app) -> None:
    client = app.test_client()
    login(client, "ada")
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}):
        response = client.post("/_dash-update-component", headers=headers)
        assert response.status_code == 403
        assert response.json == {"error": "refused: this request came from another site"}
    evil_referer = {"Referer": "http://evil.example/page"}
    assert client.post("/_dash-update-component", headers=evil_referer).status_code == 403
    assert client.post("/logout", headers={"Origin": "http://evil.example"}).status_code == 403
    same = {"Origin": "http://localhost", "Referer": "http://localhost/plots"}
    assert client.post("/_dash-update-component", headers=same).status_code == 200
    assert client.get("/", headers={"Origin": "https://evil.example"}).status_code == 200
    cross_login = login(app.test_client(), "ada", headers={"Origin": "https://evil.example"})
    assert cross_login.status_code == 403


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "plots",
    ],
)
def test_login_never_redirects_off_site(app, target) -> None:
    assert safe_next(target) == "/"
    response = login(app.test_client(), "ada", next=target)
    assert (response.status_code, response.location) == (303, "/")
    response = app.test_client().get("/login", query_string={"next": target})
    assert 'name="next" value="/"' in response.get_data(as_text=True)


def test_public_paths_need_no_session_and_every_answer_forbids_framing(app) -> None:
    response = app.test_client().get("/health")
    assert response.get_data(as_text=True) == "ok"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_broken_users_file_closes_the_doors_with_503(app, store) -> None:
    client = app.test_client()
    login(client, "ada")
    store.path.write_text("{", encoding="utf-8")
    response = client.post("/_dash-update-component")
    assert response.status_code == 503
    assert response.json == {"error": "the users file cannot be read; see the server's log"}


# --- without users -----------------------------------------------------------


@pytest.fixture
def empty_home(tmp_path: Path) -> Path:
    home = tmp_path / "empty"
    home.mkdir()
    return home


def test_open_access_makes_local_browsers_admin_until_a_user_is_added(empty_home) -> None:
    auth = Auth(empty_home, open_access=True, hasher=FAST)
    client = make_app(auth).test_client()
    assert client.get("/").get_data(as_text=True) == "home of local"
    assert client.post("/_dash-update-component").json == {"switched off by": "local"}
    assert client.get("/login").location == "/"

    UserStore(empty_home, FAST).add("ada", PASSWORD, "admin")  # while running
    assert client.get("/").status_code == 302
    assert client.post("/_dash-update-component").status_code == 401


def test_open_access_answers_to_this_machine_only(empty_home) -> None:
    client = make_app(Auth(empty_home, open_access=True, hasher=FAST)).test_client()
    remote = client.get("/", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert remote.status_code == 403
    assert "rtoc users add NAME --role admin" in remote.get_data(as_text=True)
    rebound = client.post("/_dash-update-component", headers={"Host": "evil.example:8050"})
    assert rebound.status_code == 403  # DNS rebinding: a foreign name resolving to 127.0.0.1
    for host in ("127.0.0.1:8050", "localhost", "[::1]:8050"):
        assert client.get("/", headers={"Host": host}).status_code == 200


def test_without_users_and_open_access_nobody_gets_in(empty_home) -> None:
    client = make_app(Auth(empty_home, open_access=False, hasher=FAST)).test_client()
    response = client.post("/_dash-update-component")
    assert response.status_code == 403
    assert "rtoc users add NAME --role admin" in response.json["error"]


# --- binding -----------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.8.9.1", "localhost", "LOCALHOST.", "::1", "[::1]", "::ffff:127.0.0.1"],
)
def test_loopback_may_be_bound_without_users(host) -> None:
    assert is_loopback(host)
    check_bind(host, users_exist=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.20", "example.org", "fe80::1"])
def test_other_addresses_need_a_user(host) -> None:
    assert not is_loopback(host)
    check_bind(host, users_exist=True)
    with pytest.raises(BindRefused, match=r"Add a user first: rtoc users add NAME --role admin"):
        check_bind(host, users_exist=False)


def test_the_sessions_file_lists_open_sessions_only(tmp_path, app, clock) -> None:
    client = app.test_client()
    login(client, "ada")
    login(app.test_client(), "wes")
    sessions = json.loads((tmp_path / "web-sessions.json").read_text())
    assert len(sessions) == 2
    assert stat.S_IMODE((tmp_path / "web-sessions.json").stat().st_mode) == 0o600
    client.post("/logout")
    assert len(json.loads((tmp_path / "web-sessions.json").read_text())) == 1
    clock.now += 13 * 3600
    login(app.test_client(), "rea")  # writing drops the expired ones
    assert len(json.loads((tmp_path / "web-sessions.json").read_text())) == 1


def test_a_broken_sessions_file_ends_every_session_and_is_written_over(
    tmp_path, app, caplog
) -> None:
    client = app.test_client()
    login(client, "ada")
    sessions_file = tmp_path / "web-sessions.json"
    sessions_file.write_text("[1, 2", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rtoc_web.sessions"):
        assert client.get("/").status_code == 302
    assert f"{sessions_file}: not a sessions file" in caplog.text
    assert login(client, "ada").status_code == 303
    assert client.get("/").status_code == 200
    assert len(json.loads(sessions_file.read_text(encoding="utf-8"))) == 1


def test_with_open_access_a_cookie_from_removed_users_counts_as_none(tmp_path, store) -> None:
    client = make_app(Auth(tmp_path, open_access=True, hasher=FAST)).test_client()
    login(client, "ada")
    for name in ("rea", "wes", "ada"):
        store.remove(name)
    assert client.get("/").get_data(as_text=True) == "home of local"
    assert client.get_cookie(COOKIE_NAME) is None


def test_a_forged_dash_callback_is_refused_by_the_guard_and_by_require(tmp_path, store) -> None:
    """A real Dash app with no error handler of its own: the refusals reach the client as JSON."""
    auth = Auth(tmp_path, open_access=False, hasher=FAST)
    app = dash.Dash(__name__)
    auth.install(app.server)
    app.layout = dash.html.Div([dash.html.Button(id="off"), dash.html.P(id="state")])

    @app.callback(
        dash.Output("state", "children"), dash.Input("off", "n_clicks"), prevent_initial_call=True
    )
    def switch_off(_clicks: int) -> str:
        return f"off by {auth.require(Role.WRITE, 'switch the power supply off').name}"

    forged = {
        "output": "state.children",
        "outputs": {"id": "state", "property": "children"},
        "inputs": [{"id": "off", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["off.n_clicks"],
        "state": [],
    }
    client = app.server.test_client()
    assert client.post("/_dash-update-component", json=forged).status_code == 401
    login(client, "rea")
    refused = client.post("/_dash-update-component", json=forged)
    assert refused.status_code == 403
    assert "user 'rea' has read" in refused.json["error"]
    writer = app.server.test_client()
    login(writer, "wes")
    done = writer.post("/_dash-update-component", json=forged)
    assert done.json["response"]["state"]["children"] == "off by wes"
