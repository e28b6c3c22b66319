"""One QEMU guest running the kit's kernel and agent, driven from the host.

Builds the QEMU command line from a world (q35, TCG, one 512 MiB NUMA node per node with boot
blocks, memoryless nodes with a CPU only; docs/qemu.md), starts QEMU paused, connects QMP and
the agent's virtio-serial port (ttyS0 is the console, logged to a file), and offers the actions
of a trace: sysfs writes and reads in the guest, hot-add (object-add + device_add pc-dimm at the
block's address on its node) and hot-remove (device_del, then DEVICE_DELETED, or a refused eject
shown by ACPI_DEVICE_OST status 0x82) over QMP, and snapshots of the files conform compares.

``checkpoint`` saves the booted guest with QEMU's migration to a file and ``revert`` starts a
new QEMU from it: the machine as booted again in about two seconds instead of a boot.

QEMU is always reaped: the process dies with its parent (PR_SET_PDEATHSIG), and ``close`` (also
run by the context manager on any exception, Ctrl-C included) quits it and kills its process
group. Leaves out: KVM (the machines' KVM cannot run a stock kernel), migration, snapshots.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from spec.actions import EBUSY
from spec.config import World
from spec.errors import MemhpError

from checker.conform.kit import Kit
from checker.conform.qmp import QMP, QMPError

NODE_MIB = 512
SYS = "/sys/devices/system"
OST_BUSY = 0x82
OST_EJECT_IN_PROGRESS = 0x84  # Linux reports it first; the final status follows
ETIMEDOUT = 110  # no event in time: shown as -ETIMEDOUT, which no model step returns


class GuestError(MemhpError):
    """The guest did not boot, the agent did not answer, or QEMU died."""


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def memory_nodes(world: World) -> list[int]:
    return sorted({b.node for b in world.blocks if b.boot != "absent"})


def qemu_command(kit: Kit, world: World, work: Path) -> list[str]:
    mem_nodes = memory_nodes(world)
    ncpu = len(world.nodes)
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max",
           "-m", f"{NODE_MIB * len(mem_nodes)}M,slots=4,maxmem=4G", "-smp", str(max(2, ncpu)),
           "-nodefaults", "-display", "none", "-no-reboot", "-S",
           "-kernel", str(kit.vmlinuz), "-initrd", str(kit.initrd),
           "-append", f"console=ttyS0 memhp_default_state=offline movable_node panic=-1 "
                      f"loglevel=4 {kit.marker}",
           "-chardev", f"file,id=con,path={work / 'console.log'},append=on", "-serial", "chardev:con",
           "-device", "virtio-serial-pci,id=vs",
           "-chardev", f"socket,id=agent,path={work / 'agent.sock'},server=on,wait=off",
           "-device", "virtserialport,bus=vs.0,chardev=agent,name=memhp.agent",
           "-qmp", f"unix:{work / 'qmp.sock'},server=on,wait=off"]
    for n in world.nodes:
        if n.id in mem_nodes:
            cmd += ["-object", f"memory-backend-ram,id=m{n.id},size={NODE_MIB}M",
                    "-numa", f"node,nodeid={n.id},cpus={n.id},memdev=m{n.id}"]
        else:
            cmd += ["-numa", f"node,nodeid={n.id},cpus={n.id}"]
    return cmd


class Guest:
    """A booted guest; use as a context manager so QEMU is reaped whatever happens."""

    def __init__(self, kit: Kit, world: World, log: Callable[[str], None] = lambda s: None) -> None:
        self.kit, self.world, self.log = kit, world, log
        self._tmp = tempfile.TemporaryDirectory(prefix="memhp-conform-")
        self.work = Path(self._tmp.name)
        self.proc: subprocess.Popen[bytes] | None = None
        self.qmp: QMP | None = None
        self.agent: socket.socket | None = None
        self.abuf = b""
        self.seq = 0
        self.boot_seconds = 0.0
        self._lock = threading.Lock()  # start() may run on a thread while close() is called
        self._closed = False
        self._t0 = 0.0

    def __enter__(self) -> "Guest":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def console_log(self) -> Path:
        return self.work / "console.log"

    def console_tail(self, n: int = 5) -> str:
        try:
            lines = self.console_log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return " | ".join(lines[-n:])

    # --- life cycle -------------------------------------------------------------------------
    def start(self, timeout: float = 120.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self, incoming: Path | None = None) -> None:
        """Start QEMU (paused; from a checkpoint file if ``incoming``). Call it on the thread
        that lives longest: the process gets SIGKILL when the thread that forked it ends
        (PR_SET_PDEATHSIG)."""
        self._t0 = time.monotonic()
        cmd = qemu_command(self.kit, self.world, self.work)
        if incoming is not None:
            cmd += ["-incoming", f"exec:cat {shlex.quote(str(incoming))}"]
        with self._lock:
            if self._closed:
                raise GuestError("the guest was closed before it started")
            with open(self.work / "qemu.err", "wb") as err:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=err, start_new_session=True,
                                             preexec_fn=_die_with_parent)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Connect QMP and the agent, let the guest run, wait for the agent (any thread)."""
        t0 = self._t0
        self._connect(t0)
        assert self.qmp is not None
        self.qmp.execute("cont")
        while True:
            line = self._line(t0 + timeout, "boot")
            if line == "MEMHP-READY":
                break
        self.boot_seconds = time.monotonic() - t0

    def _check_alive(self) -> None:
        if self._closed:
            raise GuestError("the guest was closed")
        if self.proc is not None and self.proc.poll() is not None:
            err = (self.work / "qemu.err").read_text(errors="replace").strip().splitlines()[-1:]
            raise GuestError(f"QEMU exited with {self.proc.returncode}: {err[0] if err else ''}"
                             f" (console: {self.console_tail()})")

    # --- checkpoint and revert: restoring the machine without booting -------------------------
    def checkpoint(self, timeout: float = 120.0) -> None:
        """Save the whole guest (its agent idle) to a file, so ``revert`` can come back to it."""
        assert self.qmp is not None
        path = self.work / "checkpoint"
        self.qmp.execute("stop")
        self.qmp.execute("migrate", uri=f"exec:cat > {shlex.quote(str(path))}")
        self._wait_status(lambda: self.qmp.execute("query-migrate").get("status"),  # type: ignore[union-attr]
                          ("completed",), ("failed", "cancelled"), timeout, "saving the checkpoint")
        self.qmp.execute("cont")
        self.checkpoint_path: Path | None = path

    def revert(self, timeout: float = 120.0) -> None:
        """Replace the running QEMU by one loaded from the checkpoint (seconds, not a boot)."""
        path = getattr(self, "checkpoint_path", None)
        if path is None:
            raise GuestError("no checkpoint to revert to")
        self._stop_qemu()
        for name in ("qmp.sock", "agent.sock"):
            (self.work / name).unlink(missing_ok=True)
        self.abuf = b""
        self.launch(incoming=path)
        t0 = self._t0
        self._connect(t0)
        assert self.qmp is not None
        self._wait_status(lambda: self.qmp.execute("query-status").get("status"),  # type: ignore[union-attr]
                          ("paused", "prelaunch", "postmigrate", "running"), ("internal-error",),
                          timeout, "loading the checkpoint", skip=("inmigrate",))
        self.qmp.execute("cont")
        self.request("P", timeout=timeout)
        self.revert_seconds = time.monotonic() - t0

    def _wait_status(self, get: Callable[[], Any], ok: tuple[str, ...], bad: tuple[str, ...],
                     timeout: float, what: str, skip: tuple[str, ...] = ()) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            st = get()
            if st in bad:
                raise GuestError(f"{what} failed (status {st})")
            if st in ok and st not in skip:
                return
            if time.monotonic() > deadline:
                raise GuestError(f"{what} did not finish within {timeout:.0f} s (status {st})")
            time.sleep(0.05)

    def _connect(self, t0: float) -> None:
        for name in ("qmp.sock", "agent.sock"):
            while not (self.work / name).exists():
                self._check_alive()
                if time.monotonic() - t0 > 20:
                    raise GuestError(f"QEMU did not open {name} within 20 s")
                time.sleep(0.02)
        self.qmp = QMP.connect(str(self.work / "qmp.sock"))
        self.agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.agent.connect(str(self.work / "agent.sock"))

    def close(self) -> None:
        self._stop_qemu(final=True)
        try:
            self._tmp.cleanup()
        except OSError:
            pass

    def _stop_qemu(self, final: bool = False) -> None:
        with self._lock:
            if final:
                self._closed = True
            proc, self.proc = self.proc, None
        if final and self.qmp is not None and proc is not None and proc.poll() is None:
            try:  # a polite quit at the end; a revert just kills the old process
                self.qmp.timeout = 2.0
                self.qmp.execute("quit")
            except (QMPError, OSError):
                pass
        for s in (self.agent, getattr(self.qmp, "sock", None)):
            try:
                s.close()  # type: ignore[union-attr]
            except (OSError, AttributeError):
                pass
        self.agent, self.qmp = None, None
        if proc is not None:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    # --- the agent ----------------------------------------------------------------------------
    def _line(self, deadline: float, what: str) -> str:
        assert self.agent is not None
        while b"\n" not in self.abuf:
            self._check_alive()
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError(f"the guest agent did not answer ({what}; partial answer "
                                 f"{self.abuf[-200:]!r}); console: {self.console_tail()}")
            self.agent.settimeout(min(left, 0.5))
            try:
                chunk = self.agent.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise GuestError(f"the agent's serial line closed ({what}); console: {self.console_tail()}")
            self.abuf += chunk
        line, self.abuf = self.abuf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")

    def request(self, cmd: str, *args: str, timeout: float = 30.0) -> list[str]:
        assert self.agent is not None
        self.seq += 1
        tag = f"q{self.seq}"
        self.agent.sendall((" ".join((tag, cmd) + args) + "\n").encode())
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            line = self._line(deadline, cmd)
            if line == f"{tag} END":
                return out
            out.append(line)

    def write(self, path: str, text: bytes) -> int:
        """One write(2) of ``text`` in the guest: the count written, or -errno."""
        out = self.request("W", path, text.hex() or "")
        for line in out:
            kind, _, val = line.partition(" ")
            if kind == "ok":
                return int(val)
            if kind == "err":
                return -int(val)
        raise GuestError(f"mhwrite gave no result for {path}: {out!r}")

    def read(self, path: str) -> str | None:
        out = self.request("R", path)
        if out and out[0].startswith("ok "):
            return out[0][3:] + "\n"
        if out and out[0] == "ok":
            return "\n"
        return None

    def snapshot(self) -> dict[str, str]:
        blocks = ",".join(str(b.id) for b in self.world.blocks)
        out = self.request("S", blocks, str(len(self.world.nodes)))
        snap: dict[str, str] = {}
        for line in out:
            k, sep, v = line.partition("=")
            if sep:
                snap[k] = v
        return snap

    # --- the firmware, over QMP -----------------------------------------------------------------
    def hotadd(self, block: int, timeout: float = 10.0) -> int:
        assert self.qmp is not None
        spec = self.world.block(block)
        addr = self.world.start_pfn(block) * 4096
        size = self.world.block_size_bytes
        try:
            self.qmp.execute("object-add", **{"qom-type": "memory-backend-ram", "id": f"mb{block}",
                                              "size": size})
            self.qmp.execute("device_add", driver="pc-dimm", id=f"dimm{block}", memdev=f"mb{block}",
                             node=spec.node, addr=addr)
        except QMPError as e:
            raise GuestError(f"hot-add of memory{block} refused by QEMU: {e}") from None
        deadline = time.monotonic() + timeout
        while self.read(f"{SYS}/memory/memory{block}/state") is None:
            if time.monotonic() > deadline:
                raise GuestError(f"memory{block} did not appear in the guest within {timeout:.0f} s")
            time.sleep(0.02)
        return 0

    def hotremove(self, block: int, timeout: float = 20.0) -> int:
        """0 when the guest ejected the DIMM, -EBUSY when it refused (ACPI OST 0x82)."""
        assert self.qmp is not None
        dev = f"dimm{block}"
        self.qmp.drain()
        self.qmp.execute("device_del", id=dev)

        def done(ev: dict[str, Any]) -> bool:
            data = ev.get("data", {})
            if ev.get("event") == "DEVICE_DELETED" and data.get("device") == dev:
                return True
            info = data.get("info", {})
            return (ev.get("event") == "ACPI_DEVICE_OST" and info.get("device") == dev
                    and info.get("status") not in (0, None, OST_EJECT_IN_PROGRESS))

        ev = self.qmp.wait_event(done, timeout)
        if ev is None:
            return -ETIMEDOUT
        if ev["event"] == "DEVICE_DELETED":
            self.qmp.execute("object-del", id=f"mb{block}")
            return 0
        status = ev["data"]["info"]["status"]
        return -EBUSY if status == OST_BUSY else -1000 - int(status)
