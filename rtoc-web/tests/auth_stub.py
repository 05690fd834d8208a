"""A stand-in with the API of ``rtoc_web.auth.Auth`` (written on another branch):
everyone is the same user with a fixed role."""

from __future__ import annotations

from datetime import datetime, timezone

import flask

from rtoc.users import Role, User


class OpenAuth:
    """Every request is ``user`` with ``role``; ``/logout`` exists so the link works."""

    def __init__(self, role: Role = Role.ADMIN, name: str = "local") -> None:
        self.user = User(name, role, datetime.now(timezone.utc))

    def install(self, server: flask.Flask) -> None:
        server.secret_key = "test"
        server.add_url_rule(
            "/logout", "logout", lambda: flask.redirect("/"), methods=["GET", "POST"]
        )

    def current_user(self) -> User | None:
        return self.user

    def require(self, role: Role, action: str) -> User:
        self.user.require(role, action)
        return self.user
