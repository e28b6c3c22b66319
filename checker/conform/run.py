"""Replay of traces on a real guest, compared operation by operation with the spec's prediction.

For each trace: the machine as it stands (after boot, or restored) is compared with the spec's
initial state; then each operation runs where it belongs (``perform``: sysfs writes and reads and
injector settings in the guest through the agent, hot-add and eject on the host over QMP), the
guest reports what it shows (return value or errno, the world's block directories, node masks,
links, the change of each node's MemTotal), and that must be one of the outcomes the spec
predicts from the branches still consistent with the run (membership; most steps have one).
The first operation whose observation is in no predicted outcome is the divergence: both sides,
the keys that differ from the nearest prediction, and the trace up to it.

Between traces ``restore`` clears the injector, offlines and ejects hot-added DIMMs, onlines boot
blocks that a trace offlined, and checks the machine is as booted. When it cannot (a hot-added
block onlined to a kernel zone soon holds unmovable pages and never offlines again), the guest is
reverted to the checkpoint QEMU saved right after boot (a second or two); only if that fails is
it rebooted.

Leaves out: notifier calls and points inside an operation (a real machine does not show them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from spec.actions import EINVAL, ENOENT, Action
from spec.config import World
from spec.errors import ActionError
from spec.profiles import Profile

from checker.conform.predict import Predictor, operations
from checker.formats.traces import Trace

SYS = "/sys/devices/system"
INJECT = "/sys/kernel/debug/notifier-error-inject/memory/actions/{}/error"


class GuestLike(Protocol):
    world: World

    def write(self, path: str, text: bytes) -> int: ...

    def read(self, path: str) -> str | None: ...

    def snapshot(self) -> dict[str, str]: ...

    def hotadd(self, block: int) -> int: ...

    def hotremove(self, block: int) -> int: ...


@dataclass
class TraceResult:
    name: str
    world: str
    verdict: str  # agree / diverged / error
    operations: int
    seconds: float
    purpose: str = ""
    divergence: dict[str, Any] | None = None
    error: str | None = None
    done: int = 0  # operations that agreed
    console: list[str] = field(default_factory=list)  # the guest console's end, on an error
    # a guest failure on the first attempt, after which the trace ran again on a fresh boot
    first_attempt: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"trace": self.name, "world": self.world, "verdict": self.verdict,
                               "operations": self.operations, "agreed": self.done,
                               "seconds": round(self.seconds, 3), "purpose": self.purpose}
        if self.divergence:
            out["divergence"] = self.divergence
        if self.error:
            out["error"] = self.error
        if self.console:
            out["console"] = self.console
        if self.first_attempt:
            out["first_attempt"] = self.first_attempt
        return out


def perform(guest: GuestLike, a: Action) -> tuple[int, str | None]:
    """Run one operation on the real machine: (return value or -errno, text read)."""
    if a.kind == "write":
        return guest.write(f"{SYS}/memory/memory{a.block}/{a.file}", a.text or b""), None
    if a.kind == "read":
        text = guest.read(f"{SYS}/memory/memory{a.block}/{a.file}")
        return (len(text), text) if text is not None else (-ENOENT, None)
    if a.kind == "inject":
        text = a.text or b""
        r = guest.write(INJECT.format(a.choice), text)
        return (0 if r == len(text) else r), None  # debugfs setting: the model's ret is 0
    if a.kind == "hotadd":
        return guest.hotadd(a.block), None  # type: ignore[arg-type]
    if a.kind == "hotremove":
        return guest.hotremove(a.block), None  # type: ignore[arg-type]
    raise ActionError(f"{a.label()}: not an operation a real machine runs")


def normalise(snap: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """The agent's snapshot with MemTotal as the change since ``base``."""
    out = {}
    for k, v in snap.items():
        if k.startswith("meminfo/"):
            try:
                out[k] = str(int(v) - int(base.get(k, v)))
            except ValueError:
                out[k] = v
        else:
            out[k] = v
    return out


def _diff(real: dict[str, Any], pred: dict[str, Any]) -> list[str]:
    lines = []
    if real["ret"] != pred["ret"]:
        lines.append(f"ret: real {real['ret']}, model {pred['ret']}")
    if real.get("read") != pred.get("read"):
        lines.append(f"read: real {real.get('read')!r}, model {pred.get('read')!r}")
    rs, ps = real["sysfs"], pred["sysfs"]
    for k in sorted(set(rs) | set(ps)):
        if rs.get(k) != ps.get(k):
            lines.append(f"{k}: real {rs.get(k, '(absent)')!r}, model {ps.get(k, '(absent)')!r}")
    return lines


def _observation(ret: int, read: str | None, sysfs: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"ret": ret, "sysfs": sysfs}
    if read is not None:
        out["read"] = read
    return out


def run_trace(guest: GuestLike, name: str, trace: Trace, profile: Profile, purpose: str = "",
              base: dict[str, str] | None = None) -> TraceResult:
    """Replay ``trace``; ``base`` is the guest's snapshot now, if the caller just took it."""
    t0 = time.monotonic()
    world = guest.world
    pred = Predictor(world, profile)
    ops = operations(trace)
    res = TraceResult(name, world.name, "agree", len(ops), 0.0, purpose)
    base = base if base is not None else guest.snapshot()
    s0 = pred.initial()
    real0 = normalise(base, base)
    want0 = pred.expected(s0, s0)
    if real0 != want0:
        res.verdict = "diverged"
        res.divergence = {"operation": 0, "action": "(the machine before the first operation)",
                          "differences": _diff(_observation(0, None, real0), _observation(0, None, want0)),
                          "trace_up_to": []}
        res.seconds = time.monotonic() - t0
        return res
    branches = [s0]
    for k, op in enumerate(ops, 1):
        ret, text = perform(guest, op.action)
        real = _observation(ret, text, normalise(guest.snapshot(), base))
        survivors, candidates = [], []
        for st in branches:
            try:
                outs = pred.advance(st, op.action)
            except ActionError as e:
                candidates.append({"ret": None, "sysfs": {}, "not_enabled": str(e)})
                continue
            for o in outs:
                p = _observation(o.ret, o.read, pred.expected(o.state, s0))
                candidates.append(p)
                if p == real and o.state not in survivors:
                    survivors.append(o.state)
        if not survivors:
            res.verdict = "diverged"
            enabled = [c for c in candidates if "not_enabled" not in c]
            nearest = min(enabled, key=lambda c: len(_diff(real, c))) if enabled else None
            res.divergence = {
                "operation": k, "action": op.action.label(),
                "real": real, "predicted": candidates,
                "differences": _diff(real, nearest) if nearest else
                [f"the model cannot run this operation: {candidates[0].get('not_enabled')}"],
                "trace_up_to": [o.action.label() for o in ops[:k]],
            }
            break
        branches = survivors
        res.done = k
    res.seconds = time.monotonic() - t0
    return res


def restore(guest: GuestLike, boot: dict[str, str]) -> tuple[str | None, dict[str, str]]:
    """Put the machine back as booted: (None, its snapshot now) when done, else (why not, {})."""
    world = guest.world
    for ev in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
        if (guest.read(INJECT.format(ev)) or "0").strip() != "0" and guest.write(INJECT.format(ev), b"0") < 0:
            return f"cannot clear the injector's {ev}", {}
    for spec in world.blocks:
        state = guest.read(f"{SYS}/memory/memory{spec.id}/state")
        if spec.hotplug and state is not None:
            if state.strip() == "online":
                r = guest.write(f"{SYS}/memory/memory{spec.id}/state", b"offline")
                if r < 0:
                    return f"memory{spec.id} does not offline ({r})", {}
            r = guest.hotremove(spec.id)
            if r != 0:
                return f"the eject of memory{spec.id} failed ({r})", {}
        elif not spec.hotplug and state is not None and state.strip() == "offline" and spec.boot == "online":
            zone = spec.zones[-1] if spec.zones else ""
            text = b"online_movable" if zone == "Movable" else b"online_kernel"
            r = guest.write(f"{SYS}/memory/memory{spec.id}/state", text)
            if r < 0 and r != -EINVAL:
                return f"memory{spec.id} does not online again ({r})", {}
    now = guest.snapshot()
    keys = {k for k in set(now) | set(boot) if not k.startswith("meminfo/")}
    diff = sorted(k for k in keys if now.get(k) != boot.get(k))
    if diff:
        return "the machine differs from its boot state: " + ", ".join(
            f"{k} {now.get(k)!r} (booted {boot.get(k)!r})" for k in diff[:4]), {}
    return None, now


@dataclass
class SuiteRun:
    results: list[TraceResult] = field(default_factory=list)
    boots: list[float] = field(default_factory=list)
    reboots: int = 0
    reverts: int = 0  # restores by loading the checkpoint taken after boot
    seconds: float = 0.0


def _attempt(guest: Any, name: str, trace: Trace, profile: str, purpose: str, base: Any,
             world: World) -> TraceResult:
    try:
        return run_trace(guest, name, trace, profile, purpose, base)
    except Exception as e:  # a guest failure: reported, never counted as agreement
        r = TraceResult(name, world.name, "error", 0, 0.0, purpose, error=f"{type(e).__name__}: {e}")
        log = getattr(guest, "console_log", None)
        if log is not None:
            try:
                r.console = log.read_text(errors="replace").splitlines()[-80:]
            except OSError:
                pass
        return r


def run_suite(traces: list[tuple[str, Trace, str]], profile: Profile,
              boot: Callable[[World], Any], progress: Callable[[str], None]) -> SuiteRun:
    """Run traces grouped by world, one boot per world (more if a restore fails). ``boot``
    returns a started guest (a context manager); every guest is closed before this returns."""
    run = SuiteRun()
    t0 = time.monotonic()
    by_world: dict[str, list[tuple[str, Trace, str]]] = {}
    for item in traces:
        by_world.setdefault(item[1].world.name, []).append(item)
    total, n = len(traces), 0
    for items in by_world.values():
        world = items[0][1].world
        guest = None
        try:
            for name, trace, purpose in items:
                n += 1
                if guest is None:
                    guest = boot(world)  # started; closed here through __exit__
                    run.boots.append(getattr(guest, "boot_seconds", 0.0))
                    progress(f"booted {world.name} in {run.boots[-1]:.1f} s")
                    booted = base = guest.snapshot()
                    if hasattr(guest, "checkpoint"):
                        guest.checkpoint()
                r = _attempt(guest, name, trace, profile, purpose, base, world)
                if r.verdict == "error":
                    # a guest that failed (a crash, a lost agent) runs the trace once more on a
                    # fresh boot; the first failure stays in the result and the report
                    progress(f"  guest error ({r.error}); booting afresh to run {name} again")
                    guest.__exit__(None, None, None)
                    guest = None
                    run.reboots += 1
                    guest = boot(world)
                    run.boots.append(getattr(guest, "boot_seconds", 0.0))
                    booted = base = guest.snapshot()
                    if hasattr(guest, "checkpoint"):
                        guest.checkpoint()
                    first = r
                    r = _attempt(guest, name, trace, profile, purpose, base, world)
                    r.first_attempt = {"error": first.error, "console": first.console}
                run.results.append(r)
                progress(f"[{n}/{total}] {world.name} {name}: {r.verdict} ({r.seconds:.1f} s)")
                why: str | None = "the run failed"
                try:
                    if r.verdict != "error":
                        why, base = restore(guest, booted)
                except Exception as e:
                    why = f"{type(e).__name__}: {e}"
                if why is not None and hasattr(guest, "revert"):
                    try:  # the checkpoint taken after boot: seconds instead of a boot
                        guest.revert()
                        base = guest.snapshot()
                        run.reverts += 1
                        why = None
                    except Exception as e:
                        why = f"{why}; the revert to the checkpoint failed too: {type(e).__name__}: {e}"
                if why is not None:
                    progress(f"  restore failed ({why}); rebooting")
                    guest.__exit__(None, None, None)
                    guest = None
                    run.reboots += 1
        finally:
            if guest is not None:
                guest.__exit__(None, None, None)
    run.seconds = time.monotonic() - t0
    return run
