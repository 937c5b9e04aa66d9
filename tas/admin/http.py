"""The one HTTP server of ``tas serve``: uvicorn serving the admin app inside the server's own
event loop (``uvicorn.Server.serve()`` as a task), so routes read live state with no threads.

We bind the socket ourselves (an ``OSError`` naming the address when it is taken, where
uvicorn would ``sys.exit``) and keep uvicorn's hands off the process's signal handlers:
SIGTERM belongs to the drain (:mod:`tas.drain`)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import uvicorn

from tas.hostport import HostPort

__all__ = ["HttpServer"]


class _Embedded(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the drain owns SIGINT/SIGTERM
        yield


class HttpServer:
    """``await start()`` serves ``app`` on ``listen`` (``host:port``; port 0: a free one)."""

    def __init__(
        self, app: Any, listen: str, *, certfile: str | None = None, keyfile: str | None = None
    ) -> None:
        self.app = app
        self.listen = listen
        self.certfile, self.keyfile = certfile, keyfile
        self._server: _Embedded | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    @property
    def address(self) -> str:
        """``host:port`` actually bound."""
        if self._sock is None:
            raise RuntimeError("HTTP server not started")
        host, port = self._sock.getsockname()[:2]
        return str(HostPort(host, port))

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"

    async def start(self) -> str:
        try:
            host, port = HostPort.parse(self.listen).address()
        except (ValueError, TypeError):
            raise ValueError(
                f"HTTP listen address must be host:port, got {self.listen!r}"
            ) from None
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        try:
            self._sock = socket.create_server((host, port), family=family, reuse_port=False)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {self.listen}: {exc.strerror}") from None
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ssl_certfile=self.certfile,
            ssl_keyfile=self.keyfile,
            timeout_graceful_shutdown=2,
        )
        self._server = _Embedded(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        for _ in range(500):  # bounded: startup is a few loop turns
            if self._server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()  # raises what stopped it
        return self.address

    async def stop(self) -> None:
        """Stop serving, close the socket. Idempotent."""
        server, task, sock = self._server, self._task, self._sock
        self._server = self._task = None
        if server is not None and task is not None:
            server.should_exit = True
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5.0)
        if sock is not None:
            sock.close()
        self._sock = None
