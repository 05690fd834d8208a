"""Users and roles: one model for every remote door (web, Telegram, the GUI's remote mode).

Roles are RTOC's Telegram permissions, in order: ``blocked < read < write <
admin``. Users live in ``$RTOC_HOME/users.json``; their passwords are hashed
with Argon2id (argon2-cffi) and never stored or shown in clear.

A frontend calls :meth:`UserStore.authenticate` and then asks the user it got
back for a role with :meth:`User.may` or :meth:`User.require`, on the server,
for every action that changes something.

The file is read again on every call, so a user added, removed or demoted
with ``rtoc users`` counts at once in a running frontend. Every change reads,
changes and rewrites it under an advisory lock (``users.lock``), so two
processes (``rtoc users add`` and a dashboard rehashing a password on login)
never lose each other's change. A file that cannot be read as a users file is
refused with its path and never written over: treating it as "no users"
would open a frontend that was closed.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rtoc.files import locked, write_atomically

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "USERS_FILE",
    "PermissionDenied",
    "Role",
    "User",
    "UserError",
    "UserStore",
    "UsersFileError",
    "check_name",
    "check_password",
    "utc_text",
]

USERS_FILE = "users.json"
LOCK_FILE = "users.lock"
FILE_VERSION = 1
MAX_NAME_LENGTH = 64
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # a login form must not make the server hash megabytes

log = logging.getLogger(__name__)


class UserError(ValueError):
    """A name, password or role that is refused, or a change that is not allowed; says why."""


class UsersFileError(UserError):
    """``users.json`` cannot be read as a users file; the message names it. It is left untouched."""


class Role(enum.IntEnum):
    """What a user may do; each role may do everything the roles below it may.

    The names are RTOC's Telegram permissions: ``blocked`` cannot log in,
    ``read`` sees signals, events and plots, ``write`` also controls devices
    and sends events and signals, ``admin`` also runs automation and code,
    deletes data and changes settings.
    """

    BLOCKED = 0
    READ = 1
    WRITE = 2
    ADMIN = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: Role | str) -> Role:
        """The role named ``value`` (any case), or :class:`UserError` listing the names."""
        if isinstance(value, Role):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(str(role) for role in cls)
            raise UserError(f"unknown role {value!r}; one of: {names}") from None


class PermissionDenied(Exception):
    """A user asked for something their role does not allow."""

    def __init__(self, user: User, needed: Role, action: str) -> None:
        self.user, self.needed, self.action = user, needed, action
        super().__init__(
            f"{action} needs the {needed} role or higher; user {user.name!r} has {user.role}"
        )


@dataclass(frozen=True)
class User:
    """A user as frontends see it: no password hash."""

    name: str
    role: Role
    created: datetime

    def may(self, role: Role | str) -> bool:
        """Whether this user has ``role`` or a higher one (a blocked user may nothing)."""
        return self.role > Role.BLOCKED and self.role >= Role.parse(role)

    def require(self, role: Role | str, action: str) -> None:
        """Raise :class:`PermissionDenied` naming ``action`` unless :meth:`may` ``role``."""
        needed = Role.parse(role)
        if not self.may(needed):
            raise PermissionDenied(self, needed, action)


@dataclass(frozen=True)
class _Record:
    user: User
    hash: str


def check_name(name: str) -> str:
    """``name`` in Unicode NFC form, or :class:`UserError` saying which rule it breaks."""
    if not isinstance(name, str) or not name:
        raise UserError("a user name must not be empty")
    name = unicodedata.normalize("NFC", name)
    if len(name) > MAX_NAME_LENGTH:
        raise UserError(f"a user name has at most {MAX_NAME_LENGTH} characters, got {len(name)}")
    for char in name:
        if char.isspace() or unicodedata.category(char).startswith("C"):
            raise UserError(
                f"a user name must not contain spaces or control characters, got {name!r}"
            )
    return name


def check_password(password: str) -> str:
    """``password`` in Unicode NFC form, or :class:`UserError` saying which rule it breaks.

    NFC makes the same password typed on two keyboards (é as one character
    or as e + accent) the same.
    """
    if not isinstance(password, str) or not password:
        raise UserError("a password must not be empty")
    password = unicodedata.normalize("NFC", password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def utc_text(moment: datetime) -> str:
    """``moment`` as ISO 8601 in UTC with a ``Z``, as users.json and ``rtoc users list`` show it."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _key(name: str) -> str:
    """Names are unique regardless of case: ``Alice`` and ``alice`` are one user."""
    return unicodedata.normalize("NFC", name).casefold()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"{key!r} appears twice")
    return dict(pairs)


class UserStore:
    """The users of one rtoc home, in ``home/users.json``.

    ``hasher`` defaults to argon2-cffi's ``PasswordHasher()`` with the
    library's default parameters (RFC 9106's low-memory profile); tests pass
    a cheap one. A stored hash made with other parameters is replaced on the
    next successful login.
    """

    def __init__(self, home: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = Path(home) / USERS_FILE
        self._lock_path = Path(home) / LOCK_FILE
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    # reading

    def users(self) -> list[User]:
        """Every user, by name."""
        return sorted((record.user for record in self._load().values()), key=lambda u: _key(u.name))

    def get(self, name: str) -> User | None:
        """The user called ``name`` (any case), or None."""
        record = self._load().get(_key(name))
        return record.user if record else None

    def get_with_stamp(self, name: str) -> tuple[User, str] | None:
        """The user called ``name`` and a stamp of their password, or None; one read of the file.

        The stamp changes whenever the stored hash does (a new password, or
        a rehash with new parameters) and tells nothing about the password
        (the hash's salt is needed to test a guess). A session keeps it and
        ends when it no longer matches, so a new password ends old sessions.
        """
        record = self._load().get(_key(name))
        if record is None:
            return None
        return record.user, hashlib.sha256(record.hash.encode()).hexdigest()[:32]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs and they are not blocked, else None.

        Takes as long for a name that does not exist as for a wrong password:
        an unknown name is checked against a dummy hash made with the same
        parameters, so timing does not tell which names exist.
        """
        dummy = self._dummy()  # made before the first lookup, so no first call stands out
        record = self._load().get(_key(name)) if isinstance(name, str) else None
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            password = ""
        password = unicodedata.normalize("NFC", password)
        if record is None:
            self._verify(dummy, password)
            return None
        if not self._verify(record.hash, password) or record.user.role is Role.BLOCKED:
            return None
        if self._hasher.check_needs_rehash(record.hash):
            self._rehash(record, password)
        return record.user

    # changing

    def add(self, name: str, password: str, role: Role | str) -> User:
        """Add a user; :class:`UserError` when the name is taken or breaks a rule."""
        name, password, role = check_name(name), check_password(password), Role.parse(role)
        user = User(name=name, role=role, created=_now())
        digest = self._hasher.hash(password)

        def change(records: dict[str, _Record]) -> None:
            existing = records.get(_key(name))
            if existing is not None:
                raise UserError(f"user {existing.user.name!r} exists already")
            records[_key(name)] = _Record(user, digest)

        self._update(change)
        return user

    def remove(self, name: str) -> None:
        """Remove a user; refused for the last admin while other users remain."""

        def change(records: dict[str, _Record]) -> None:
            record = self._find(records, name)
            del records[_key(name)]
            self._keep_an_admin(records, record, "remove")

        self._update(change)

    def set_password(self, name: str, password: str) -> None:
        """Give a user a new password."""
        password = check_password(password)
        digest = self._hasher.hash(password)

        def change(records: dict[str, _Record]) -> None:
            record = self._find(records, name)
            records[_key(name)] = _Record(record.user, digest)

        self._update(change)

    def set_role(self, name: str, role: Role | str) -> User:
        """Change a user's role; demoting the last admin is refused."""
        role = Role.parse(role)
        changed: list[User] = []

        def change(records: dict[str, _Record]) -> None:
            record = self._find(records, name)
            user = User(name=record.user.name, role=role, created=record.user.created)
            records[_key(name)] = _Record(user, record.hash)
            self._keep_an_admin(records, record, "demote")
            changed.append(user)

        self._update(change)
        return changed[0]

    # inside

    def _find(self, records: dict[str, _Record], name: str) -> _Record:
        record = records.get(_key(name))
        if record is None:
            raise UserError(f"no user {name!r} in {self.path}")
        return record

    @staticmethod
    def _keep_an_admin(records: dict[str, _Record], before: _Record, verb: str) -> None:
        """Refuse a change that leaves users but no admin, when ``before`` was the last one.

        Without an admin nobody could run automation or manage the others
        from a frontend. Removing the only user is allowed: with no users at
        all there is nobody to manage.
        """
        if before.user.role is not Role.ADMIN or not records:
            return
        if any(record.user.role is Role.ADMIN for record in records.values()):
            return
        raise UserError(
            f"{before.user.name!r} is the last admin: without one nobody could manage users "
            f"or automation from a frontend. Make another user admin first "
            f"(rtoc users role NAME admin), then {verb} {before.user.name!r}"
        )

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self._hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _rehash(self, old: _Record, password: str) -> None:
        """Store a hash with today's parameters, unless the password changed meanwhile."""
        digest = self._hasher.hash(password)

        def change(records: dict[str, _Record]) -> None:
            current = records.get(_key(old.user.name))
            if current is not None and current.hash == old.hash:
                records[_key(old.user.name)] = _Record(current.user, digest)

        try:
            self._update(change)
        except (OSError, UserError) as error:  # the login itself is good
            log.warning("could not store a new hash for %r: %s", old.user.name, error)

    def _update(self, change: Callable[[dict[str, _Record]], None]) -> None:
        with locked(self._lock_path):
            records = self._load()
            change(records)
            write_atomically(self.path, _dump(records))

    def _load(self) -> dict[str, _Record]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as error:
            raise self._corrupt(str(error)) from None
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates)
        except ValueError as error:
            raise self._corrupt(f"not JSON: {error}") from None
        return self._parse(data)

    def _parse(self, data: Any) -> dict[str, _Record]:
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
            raise self._corrupt('expected {"version": 1, "users": {NAME: {...}}}')
        if data.get("version") != FILE_VERSION:
            raise self._corrupt(
                f"version {data.get('version')!r}, this rtoc reads version {FILE_VERSION}"
            )
        records: dict[str, _Record] = {}
        for name, entry in data["users"].items():
            try:
                record = _record(name, entry)
            except (UserError, TypeError, KeyError, ValueError) as error:
                raise self._corrupt(f"user {name!r}: {error}") from None
            if _key(name) in records:
                raise self._corrupt(f"users {name!r} and {records[_key(name)].user.name!r} clash")
            records[_key(name)] = record
        return records

    def _corrupt(self, reason: str) -> UsersFileError:
        return UsersFileError(
            f"{self.path}: not a valid users file ({reason}); it is left as it is, "
            "repair or remove it"
        )


def _record(name: str, entry: Any) -> _Record:
    if check_name(name) != name:
        raise UserError("name not in Unicode NFC form")
    if not isinstance(entry, dict):
        raise TypeError("expected an object with role, hash and created")
    digest = entry["hash"]
    if not isinstance(digest, str) or not digest.startswith("$argon2"):
        raise ValueError("hash is not an argon2 hash")
    created = datetime.fromisoformat(str(entry["created"]).replace("Z", "+00:00"))
    if created.tzinfo is None:
        raise ValueError("created has no time zone")
    return _Record(User(name, Role.parse(entry["role"]), created), digest)


def _dump(records: dict[str, _Record]) -> str:
    users = {
        record.user.name: {
            "role": str(record.user.role),
            "created": utc_text(record.user.created),
            "hash": record.hash,
        }
        for record in sorted(records.values(), key=lambda r: _key(r.user.name))
    }
    data = {"version": FILE_VERSION, "users": users}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
