"""Serving a WSGI app from a thread with werkzeug, stoppable."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger("rtoc_web")


class QuietRequestHandler(WSGIRequestHandler):
    """Requests go to the debug log: every open page asks about twice a second, so
    werkzeug's line per request at INFO would flood a Raspberry Pi's journal."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug('"%s" %s %s', self.requestline, code, size)


class Server:
    """``app`` served on ``host:port`` (port 0: a free one) from a daemon thread."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=QuietRequestHandler
        )
        self.host = host
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"rtoc-web:{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> Server:
        self._thread.start()
        log.info("web dashboard on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; returns once the thread has ended."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
