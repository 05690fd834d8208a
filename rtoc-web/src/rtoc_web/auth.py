"""Who may use the dashboard: login, sessions, the guard on every request, role checks.

``Auth(home, open_access=...)`` works on the users of one rtoc home
(:class:`rtoc.users.UserStore`); :meth:`Auth.install` puts it in front of a
Flask server (a Dash app's ``app.server``).

- **Users exist**: every request but the login page needs a session. A page
  asked for without one is redirected to ``/login?next=...``; anything else
  (Dash's ``/_dash-update-component`` and the other ``/_dash-*`` routes, any
  POST) gets ``401`` and JSON.
- **No user exists and ``open_access``** (the server listens on loopback
  only): requests from this machine, by a loopback address and with a
  loopback ``Host`` (no DNS rebinding), act as the admin ``local``. Others
  get ``403``.
- **No user exists and not ``open_access``**: ``403`` with how to add one;
  :func:`check_bind` keeps a server from starting that way.

Which case holds is decided on every request, from the users file, so
``rtoc users add`` closes an open dashboard at once without a restart.

A session is a cookie signed with the key in ``$RTOC_HOME/web-secret.key``
(:mod:`rtoc_web.secret_key`), ``HttpOnly``, ``SameSite=Strict``, ``Secure``
when the request came over https. It holds the user name, a stamp of the
password (:meth:`~rtoc.users.UserStore.get_with_stamp`) and a session id
listed in ``$RTOC_HOME/web-sessions.json`` (:mod:`rtoc_web.sessions`) until
logout or :data:`SESSION_LIFETIME` after login. Each request reads the user
again, so a removed or blocked user is out and a changed role counts on
the next request, and a new password ends the old sessions.

Cross-site requests: ``SameSite=Strict`` keeps the cookie off requests from
other sites, and every state-changing request (anything but GET, HEAD,
OPTIONS) whose ``Origin`` (or, without one, ``Referer``) names another
origin is refused with ``403``. Every response forbids framing
(clickjacking) and sniffing.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import flask
from argon2 import PasswordHasher
from flask import Blueprint, g, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from rtoc.net.login_guard import LoginGuard, source
from rtoc.users import PermissionDenied, Role, User, UsersFileError, UserStore
from rtoc_web.login_page import render_login, render_logout
from rtoc_web.secret_key import load_secret
from rtoc_web.sessions import SessionRegistry

__all__ = [
    "COOKIE_NAME",
    "LOCAL_USER",
    "SESSION_LIFETIME",
    "Auth",
    "BindRefused",
    "check_bind",
    "is_loopback",
    "safe_next",
]

#: How long a session lasts after login, however active it is.
SESSION_LIFETIME = timedelta(hours=12)
COOKIE_NAME = "rtoc_session"
#: Who a request is with open access (no users, loopback only).
LOCAL_USER = User("local", Role.ADMIN, datetime(1970, 1, 1, tzinfo=timezone.utc))
#: Who :meth:`Auth.require` names when a request has no user at all.
ANONYMOUS = User("anonymous", Role.BLOCKED, datetime(1970, 1, 1, tzinfo=timezone.utc))

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NO_USER = object()  # flask.g marker: not looked up yet in this request

log = logging.getLogger(__name__)


class BindRefused(ValueError):
    """The dashboard would be reachable from other machines with nobody to log in."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only: localhost, 127.0.0.0/8, ::1."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False  # another name: it may resolve to anything
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_bind(host: str, users_exist: bool) -> None:
    """Refuse to listen beyond loopback while no user is configured.

    Without users the dashboard has nobody to ask for a password, so on
    any other address (``0.0.0.0`` included) anyone on the network could
    start devices or switch a power supply off.
    """
    if users_exist or is_loopback(host):
        return
    raise BindRefused(
        f"rtoc web will not listen on {host!r}: that is reachable from other machines, "
        "and no user is configured, so anyone there could control the devices. "
        "Add a user first: rtoc users add NAME --role admin "
        "(or listen on 127.0.0.1 only)"
    )


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default``: no open redirect.

    Refused: absolute URLs (``https://evil``), scheme-relative ones
    (``//evil``), backslashes (``/\\evil``, which browsers read as ``//``)
    and control characters (which browsers drop, ``/\\t/evil``).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


class _SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, ``Secure`` when asked or when the request is https."""

    def __init__(self, secure: bool | None) -> None:
        self.secure = secure

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        return request.is_secure if self.secure is None else self.secure


class Auth:
    """The dashboard's login, sessions and role checks for the users of the rtoc home ``home``.

    ``open_access``: the server listens on loopback only, so while no user
    exists, local browsers are the admin :data:`LOCAL_USER`. Pass
    ``is_loopback(host)``. ``secure_cookie`` forces the cookie's ``Secure``
    flag on or off (default: on for https requests). ``hasher``, ``guard``
    and ``clock`` are for tests: a cheap argon2 hasher, a
    :class:`~rtoc.net.login_guard.LoginGuard` with other delays, the clock
    (unix seconds) sessions expire by.

    The key file is read (or made) here, so a home that cannot hold it
    fails at start rather than at the first login.
    """

    def __init__(
        self,
        home: Path,
        *,
        open_access: bool,
        session_lifetime: timedelta = SESSION_LIFETIME,
        secure_cookie: bool | None = None,
        hasher: PasswordHasher | None = None,
        guard: LoginGuard | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.home = Path(home)
        self.open_access = open_access
        self.users = UserStore(self.home, hasher)
        self.secret = load_secret(self.home)
        self.session_lifetime = session_lifetime
        self.secure_cookie = secure_cookie
        self.guard = guard or LoginGuard(door="web")
        self.sessions = SessionRegistry(self.home, clock)
        self._guard_lock = threading.Lock()  # LoginGuard is not thread-safe; werkzeug threads
        self._checking: set[str] = set()  # sources with a password being checked right now
        self._public: set[str] = set()

    # --- the API for pages and callbacks ------------------------------------

    def install(self, server: flask.Flask, *, public: Iterable[str] = ()) -> None:
        """Guard every request to ``server``; add ``/login`` and ``/logout``.

        ``public``: further paths answered without a session (a health check).
        """
        server.secret_key = self.secret
        server.config.update(
            SESSION_COOKIE_NAME=COOKIE_NAME,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Strict",
            PERMANENT_SESSION_LIFETIME=self.session_lifetime,
            # the cookie is signed once, at login: its age is the session's age
            SESSION_REFRESH_EACH_REQUEST=False,
        )
        server.session_interface = _SessionCookies(self.secure_cookie)
        self._public.update(public)
        server.register_blueprint(self._blueprint())
        server.before_request(self._guard)
        server.after_request(_security_headers)
        server.register_error_handler(PermissionDenied, _refused)
        server.register_error_handler(UsersFileError, _users_file_broken)

    def current_user(self) -> User | None:
        """The user of the current request (:data:`LOCAL_USER` with open access), or None.

        Only inside a request (a page, a callback); looked up once per request.
        """
        user = g.get("rtoc_user", _NO_USER)
        if user is _NO_USER:
            user = g.rtoc_user = self._resolve()
        return user  # type: ignore[return-value]

    def require(self, role: Role, action: str) -> User:
        """The current user when they have ``role``; else :class:`PermissionDenied`.

        Every callback that changes something calls this first: the guard
        only knows that someone logged in, not what they may do.
        """
        user = self.current_user() or ANONYMOUS
        user.require(role, action)
        return user

    # --- who is asking -------------------------------------------------------

    def _resolve(self) -> User | None:
        name = session.get("user")
        if isinstance(name, str):
            found = self.users.get_with_stamp(name)
            if found is not None and self._session_holds(found):
                return found[0]
            session.clear()  # the response deletes the cookie
        if self.open_access and not self.users.users() and _from_this_machine():
            return LOCAL_USER
        return None

    def _session_holds(self, found: tuple[User, str]) -> bool:
        user, stamp = found
        sid = session.get("sid")
        return (
            session.get("stamp") == stamp
            and user.role > Role.BLOCKED
            and isinstance(sid, str)
            and self.sessions.holds(sid)
        )

    # --- the guard -----------------------------------------------------------

    def _guard(self) -> Response | None:
        if request.method not in _SAFE_METHODS and not _same_origin():
            return _answer(403, "refused: this request came from another site")
        if request.blueprint == "rtoc_auth" or request.path in self._public:
            return None
        if self.current_user() is not None:
            return None
        if self.users.users():
            if _is_page():
                return redirect(url_for("rtoc_auth.login", next=_here()))
            return _answer(401, "not logged in", login=url_for("rtoc_auth.login"))
        if self.open_access:
            return _answer(
                403,
                "no user is configured, so this dashboard answers to this machine only "
                "(as localhost or 127.0.0.1); add a user with: rtoc users add NAME --role admin",
            )
        return _answer(403, "no user is configured; add one with: rtoc users add NAME --role admin")

    # --- /login and /logout --------------------------------------------------

    def _blueprint(self) -> Blueprint:
        pages = Blueprint("rtoc_auth", __name__)
        pages.add_url_rule("/login", "login", self._login, methods=["GET", "POST"])
        pages.add_url_rule("/logout", "logout", self._logout, methods=["GET", "POST"])
        return pages

    def _login(self) -> Response:
        target = safe_next(request.values.get("next"), default=_home())
        if not self.users.users() or self.current_user() is not None:
            return redirect(target, 303)
        action = url_for("rtoc_auth.login")
        if request.method == "GET":
            notice = "You are logged out." if request.args.get("out") else ""
            return render_login(action=action, next=target, notice=notice)
        name = request.form.get("name", "")
        where = source(request.remote_addr or "")
        with self._guard_lock:
            wait = self.guard.wait(where)
            busy = where in self._checking
            if not wait and not busy:
                self._checking.add(where)
        if wait or busy:
            seconds = max(1, math.ceil(wait))
            response = render_login(
                action=action,
                next=target,
                name=name,
                notice=f"Too many failed logins from your address. Try again in {seconds} s.",
                error=True,
                status=429,
            )
            response.headers["Retry-After"] = str(seconds)
            return response
        try:
            user = self.users.authenticate(name, request.form.get("password", ""))
            found = self.users.get_with_stamp(user.name) if user is not None else None
        finally:
            with self._guard_lock:
                self._checking.discard(where)
        if found is None:
            with self._guard_lock:
                self.guard.failed(where)
                wait = self.guard.wait(where)
            notice = "Wrong user name or password."
            if wait:
                notice += f" Try again in {math.ceil(wait)} s."
            return render_login(
                action=action, next=target, name=name, notice=notice, error=True, status=401
            )
        session.clear()
        session.permanent = True
        sid = self.sessions.open(self.session_lifetime.total_seconds())
        session.update(user=found[0].name, stamp=found[1], sid=sid)
        log.info("web: %s logged in from %s", found[0].name, request.remote_addr)
        return redirect(target, 303)

    def _logout(self) -> Response:
        user = self.current_user()
        if request.method == "GET" and user is not None and user is not LOCAL_USER:
            return render_logout(action=url_for("rtoc_auth.logout"), name=user.name, back=_home())
        sid = session.get("sid")
        if isinstance(sid, str):
            self.sessions.close(sid)
        session.clear()
        return redirect(url_for("rtoc_auth.login", out=1), 303)


def _home() -> str:
    return request.script_root + "/"


def _here() -> str:
    """The path and query of this request, as a ``next`` to come back to."""
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + (f"?{query}" if query else "")


def _is_page() -> bool:
    """A browser navigating to a page, which a redirect to the login helps.

    Dash's own routes (``/_dash-layout``, ``/_dash-update-component``,
    ``/_dash-component-suites/...``, ``/_reload-hash``) start with ``_``;
    their fetches get JSON instead.
    """
    if request.method not in ("GET", "HEAD"):
        return False
    return not any(part.startswith("_") for part in request.path.split("/"))


def _answer(status: int, message: str, **extra: str) -> Response:
    if _is_page():
        return Response(message + "\n", status=status, mimetype="text/plain")
    response = jsonify(error=message, **extra)
    response.status_code = status
    return response


def _host_name(host: str) -> str:
    """``host`` of a ``Host`` header without its port."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _from_this_machine() -> bool:
    """The client is on this machine and asked for this machine by a loopback name.

    The ``Host`` check stops DNS rebinding: a web page whose own name
    resolves to 127.0.0.1 runs in the local browser, but sends its name.
    """
    return is_loopback(request.remote_addr or "") and is_loopback(_host_name(request.host))


def _same_origin() -> bool:
    """Whether a state-changing request came from a page of this site (or from no page).

    Browsers send ``Origin`` on every cross-origin POST (and ``Referer``
    unless told not to); a client that sends neither (curl, a script) is
    no browser and carries no one's cookies.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if not referer:
            return True
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.rstrip("/") == request.host_url.rstrip("/")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _refused(error: PermissionDenied) -> Response:
    log.warning("web: refused: %s", error)
    return _answer(403, str(error))


def _users_file_broken(error: UsersFileError) -> Response:
    log.error("web: %s", error)
    return _answer(503, "the users file cannot be read; see the server's log")
