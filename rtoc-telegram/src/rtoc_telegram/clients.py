"""The bot's users in ``$RTOC_HOME/telegram_clients.json``, in RTOC's format.

RTOC's file maps each chat id to ``{"eventlevel": 0, "shortcuts": [[], []],
"first_name": ..., "last_name": ..., "permission": "admin", "menu": "menu"}``.
The first user to write becomes admin; later ones get
``telegram.default_permission`` and ``telegram.default_eventlevel``.
Permissions are the core's roles (:class:`rtoc.users.Role`).

Every change is written atomically. A file that cannot be read as a clients
file is refused with its path and never written over: treating it as "no
users" would make the next stranger who writes admin.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rtoc.files import write_atomically
from rtoc.users import Role, UserError

CLIENTS_FILE = "telegram_clients.json"


class ClientsFileError(Exception):
    """telegram_clients.json is unusable; the message names it. It is left untouched."""


@dataclass(frozen=True)
class Client:
    """One Telegram user of the bot, with RTOC's fields."""

    id: int
    first_name: str = ""
    last_name: str = ""
    permission: str = "blocked"
    eventlevel: int = 0
    shortcuts: list[list[str]] = field(default_factory=lambda: [[], []])
    menu: str = "menu"

    @property
    def role(self) -> Role:
        return Role.parse(self.permission)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or str(self.id)

    def may(self, role: Role) -> bool:
        return self.role > Role.BLOCKED and self.role >= role


class ClientStore:
    """The clients of one rtoc home; loaded once, written on every change (thread-safe)."""

    def __init__(self, home: Path, default_permission: str = "blocked", default_level: int = 0):
        self.path = Path(home) / CLIENTS_FILE
        self.default_role = Role.parse(default_permission)
        self.default_level = default_level
        self._lock = threading.Lock()
        self._clients = self._load()

    def get(self, chat_id: int) -> Client | None:
        with self._lock:
            return self._clients.get(chat_id)

    def all(self) -> list[Client]:
        with self._lock:
            return sorted(self._clients.values(), key=lambda c: c.id)

    def meet(self, chat_id: int, first_name: str, last_name: str) -> tuple[Client, bool]:
        """The client ``chat_id``, added when new (admin if the very first): (client, is_new)."""
        with self._lock:
            known = self._clients.get(chat_id)
            if known is not None:
                return known, False
            role = Role.ADMIN if not self._clients else self.default_role
            client = Client(
                id=chat_id,
                first_name=first_name or "",
                last_name=last_name or "",
                permission=str(role),
                eventlevel=self.default_level,
            )
            self._save({**self._clients, chat_id: client})
            return client, True

    def change(self, chat_id: int, **fields: Any) -> Client:
        """Change a client's fields (``permission``, ``eventlevel``, ``menu``...).

        Demoting the last admin is refused: nobody could manage the bot then.
        """
        with self._lock:
            client = self._clients[chat_id]
            changed = replace(client, **fields)
            changed.role  # noqa: B018 (raises UserError for an unknown permission)
            others = [c for c in self._clients.values() if c.id != chat_id]
            demoted = client.role is Role.ADMIN and changed.role is not Role.ADMIN
            if demoted and not any(c.role is Role.ADMIN for c in others):
                raise UserError(f"{client.name} is the bot's last admin")
            self._save({**self._clients, chat_id: changed})
            return changed

    def _save(self, clients: dict[int, Client]) -> None:
        data = {str(chat): _dump(client) for chat, client in sorted(clients.items())}
        write_atomically(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        self._clients = clients

    def _load(self) -> dict[int, Client]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as error:
            raise self._corrupt(str(error)) from None
        try:
            data = json.loads(text)
        except ValueError as error:
            raise self._corrupt(f"not JSON: {error}") from None
        if not isinstance(data, dict):
            raise self._corrupt("expected an object of chat id -> client")
        clients = {}
        for key, entry in data.items():
            try:
                client = _client(key, entry)
            except (TypeError, ValueError, UserError) as error:
                raise self._corrupt(f"client {key!r}: {error}") from None
            clients[client.id] = client
        return clients

    def _corrupt(self, reason: str) -> ClientsFileError:
        return ClientsFileError(
            f"{self.path}: not a valid Telegram clients file ({reason}); it is left as it is, "
            "repair or remove it (the bot does not start until then)"
        )


def _client(key: str, entry: Any) -> Client:
    if not isinstance(entry, dict):
        raise TypeError("expected an object")
    level = entry.get("eventlevel", 0)
    if level not in (0, 1, 2) or isinstance(level, bool):
        raise ValueError(f"eventlevel must be 0, 1 or 2, not {level!r}")
    shortcuts = entry.get("shortcuts", [[], []])
    if not isinstance(shortcuts, list):
        raise TypeError("shortcuts must be a list")
    client = Client(
        id=int(key),
        first_name=str(entry.get("first_name") or ""),
        last_name=str(entry.get("last_name") or ""),
        permission=str(entry.get("permission", "blocked")),
        eventlevel=level,
        shortcuts=shortcuts,
        menu=str(entry.get("menu", "menu")),
    )
    client.role  # noqa: B018 (raises UserError naming the roles)
    return client


def _dump(client: Client) -> dict[str, Any]:
    data = asdict(client)
    del data["id"]
    return data
