"""Test doubles: a QMP socket that replays scripted messages, and a guest backed by the v6.1 spec
(what a real kernel that agrees with the model would show), optionally lying about one write."""

from __future__ import annotations

import json
import socket
from typing import Any

from checker.conform.predict import Predictor, expected
from checker.conform.run import INJECT, SYS
from spec.actions import Action, hotadd, hotremove, inject, read, write
from spec.config import World
from spec.profiles import get_profile

BOOT_MEMTOTAL = 400000


class FakeSocket:
    def __init__(self, incoming: list[dict[str, Any]], close_after: bool = False) -> None:
        self.data = b"".join(json.dumps(m).encode() + b"\r\n" for m in incoming)
        self.sent: list[dict[str, Any]] = []
        self.close_after = close_after

    def sendall(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    def settimeout(self, t: float | None) -> None:
        pass

    def recv(self, n: int) -> bytes:
        if not self.data:
            if self.close_after:
                return b""
            raise socket.timeout()
        chunk, self.data = self.data[:7], self.data[7:]  # arrive in small pieces
        return chunk


class SpecGuest:
    """Runs each operation on the v6.1 spec, shows snapshots in the agent's format."""

    def __init__(self, world: World, lie_on: tuple[int, int] | None = None) -> None:
        self.world = world
        self.pred = Predictor(world, get_profile("v6.1"))
        self.s0 = self.pred.initial()
        self.state = self.s0
        self.lie_on = lie_on  # (write number, errno to return instead)
        self.writes = 0

    def _op(self, a: Action) -> int:
        outs = self.pred.advance(self.state, a)
        self.state = outs[0].state
        return outs[0].ret

    def write(self, path: str, text: bytes) -> int:
        for ev in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
            if path == INJECT.format(ev):
                self._op(inject(ev, text.decode()))
                return len(text)
        self.writes += 1
        block, file = path[len(f"{SYS}/memory/memory"):].split("/")
        if self.lie_on and self.lie_on[0] == self.writes:
            return -self.lie_on[1]
        return self._op(write("w0", int(block), text, file=file))

    def read(self, path: str) -> str | None:
        if not path.startswith(f"{SYS}/memory/memory"):
            return None
        block, file = path[len(f"{SYS}/memory/memory"):].split("/")
        i = self.world.block_index(int(block))
        if not self.state.machine.blocks[i].registered:
            return None
        return self.pred.spec.step(self.state, read(int(block), file))[1].read

    def snapshot(self) -> dict[str, str]:
        snap = expected(self.world, get_profile("v6.1"), self.state, self.s0)
        for k in list(snap):
            if k.startswith("meminfo/"):
                snap[k] = str(BOOT_MEMTOTAL + int(snap[k]))
        return snap

    def hotadd(self, block: int) -> int:
        return self._op(hotadd(block))

    def hotremove(self, block: int) -> int:
        return self._op(hotremove(block))
