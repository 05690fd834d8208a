"""rtoc over TCP: RTOC 2.x's JSON protocol, a server, a client and a remote logger.

See ``docs/tcp.md`` for the protocol: frame layout, every request key, errors.
"""

from rtoc.net.client import AuthenticationError, Client, RemoteError
from rtoc.net.remote import RemoteLogger
from rtoc.net.server import ServerError, ServerSettings, TcpServer

__all__ = [
    "AuthenticationError",
    "Client",
    "RemoteError",
    "RemoteLogger",
    "ServerError",
    "ServerSettings",
    "TcpServer",
]
