# ruff: noqa: S310 - loopback URLs built by the tests
"""Real servers and Socket.IO clients for tests of a served Guildhall (a thread or a process)."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Callable

import socketio

NS = "/chat"
WAIT = 15.0


def wait_for(predicate: Callable[[], object], timeout: float = WAIT) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_spec(config: dict) -> str:
    """``--app`` call syntax (gunicorn takes it too): these literal keyword arguments
    are passed to create_app."""
    args = ", ".join(f"{key}={value!r}" for key, value in config.items())
    return f'app:create_app("development", {args})'


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class Listener:
    """A python-socketio client on /chat, over WebSocket, recording every message it receives."""

    def __init__(self, base: str, cookie: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.messages: list[dict] = []
        self.removed: list[dict] = []
        self.client.on("new_message", self.messages.append, namespace=NS)
        self.client.on("new_messages", self._batch, namespace=NS)
        self.client.on("channel_removed", self.removed.append, namespace=NS)
        self.client.connect(
            base, headers={"Cookie": cookie}, namespaces=[NS], transports=["websocket"], wait_timeout=10
        )

    def _batch(self, batch: dict) -> None:
        """A ``new_messages`` event: a room's messages stored together, oldest first."""
        assert all(message["channel_id"] == batch["channel_id"] for message in batch["messages"])
        self.messages.extend(batch["messages"])

    def send(self, channel_id: int, body: str, client_id: str) -> dict:
        payload = {"channel_id": channel_id, "body": body, "client_id": client_id}
        return self.client.call("send", payload, namespace=NS, timeout=10)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()
