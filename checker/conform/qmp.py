"""A small client of the QEMU Machine Protocol (JSON lines on a unix socket).

Handles the greeting and capability negotiation, ``execute`` (commands answered by ``return`` or
``error``; events arriving meanwhile are queued), and waiting for events by name and predicate.
The transport is any object with ``sendall``, ``recv`` and ``settimeout`` (a socket, or a fake in
the tests). Leaves out: out-of-band execution, command ids, fd passing.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any, Callable, Protocol

from spec.errors import MemhpError


class QMPError(MemhpError):
    """QEMU answered an error, closed the socket, or did not answer in time."""


class Transport(Protocol):
    def sendall(self, data: bytes) -> None: ...

    def recv(self, n: int) -> bytes: ...

    def settimeout(self, t: float | None) -> None: ...


class QMP:
    def __init__(self, sock: Transport, timeout: float = 30.0) -> None:
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.events: list[dict[str, Any]] = []

    @classmethod
    def connect(cls, path: str, timeout: float = 30.0) -> "QMP":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        q = cls(s, timeout)
        q.handshake()
        return q

    def handshake(self) -> dict[str, Any]:
        greeting = self._read(time.monotonic() + self.timeout)
        if "QMP" not in greeting:
            raise QMPError(f"QEMU did not greet with QMP: {greeting!r}")
        self.execute("qmp_capabilities")
        return greeting

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("QEMU did not answer on QMP in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                raise QMPError(f"QMP socket failed: {e}") from None
            if not chunk:
                raise QMPError("QEMU closed the QMP socket")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            raise QMPError(f"QEMU sent a malformed QMP message: {line[:200]!r}") from None
        if not isinstance(msg, dict):
            raise QMPError(f"QEMU sent a QMP message that is not an object: {line[:200]!r}")
        return msg

    def execute(self, command: str, **arguments: Any) -> Any:
        msg: dict[str, Any] = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        try:
            self.sock.sendall(json.dumps(msg).encode() + b"\r\n")
        except OSError as e:
            raise QMPError(f"QMP socket failed: {e}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                err = reply["error"]
                raise QMPError(f"QMP {command}: {err.get('class')}: {err.get('desc')}")
            if "return" in reply:
                return reply["return"]
            raise QMPError(f"QMP {command}: unexpected reply {reply!r}")

    def wait_event(self, match: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any] | None:
        """The first queued or arriving event ``match`` accepts (removed from the queue), or None."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if match(ev):
                    return self.events.pop(i)
            try:
                msg = self._read(deadline)
            except QMPError as e:
                if "in time" in str(e):
                    return None
                raise
            if "event" in msg:
                self.events.append(msg)

    def drain(self) -> None:
        """Forget queued events (between traces)."""
        self.events.clear()
