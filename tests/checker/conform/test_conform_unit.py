"""Unit tests of memhp conform that need no QEMU: QMP handling, the comparison, the predictor's
sets, the suite generator's coverage, the kit's package check and the agent's refusal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from checker.conform import kit as kitmod
from checker.conform.predict import Predictor, operations
from checker.conform.qmp import QMP, QMPError
from checker.conform.run import run_suite, run_trace
from checker.conform.suite import Generator, generate, short
from checker.formats.traces import Trace, TraceStep
from spec.actions import EBUSY, EINVAL, write
from spec.errors import TraceError
from spec.profiles import get_profile
from spec.worlds import builtin_world

from tests.checker.conform.fakes import FakeSocket, SpecGuest

GREETING = {"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}}


# --- QMP --------------------------------------------------------------------------------------
def test_qmp_handshake_execute_and_events_in_between() -> None:
    ev = {"event": "ACPI_DEVICE_OST", "data": {"info": {"device": "dimm32", "status": 0x84}}}
    sock = FakeSocket([GREETING, {"return": {}}, ev, {"return": {"status": "running"}}])
    q = QMP(sock, timeout=1.0)
    q.handshake()
    assert q.execute("query-status") == {"status": "running"}
    assert sock.sent == [{"execute": "qmp_capabilities"}, {"execute": "query-status"}]
    assert q.events == [ev]  # queued, not lost
    got = q.wait_event(lambda e: e["event"] == "ACPI_DEVICE_OST", 0.1)
    assert got == ev and q.events == []


def test_qmp_error_closed_and_timeout() -> None:
    q = QMP(FakeSocket([GREETING, {"return": {}}, {"error": {"class": "GenericError", "desc": "no"}}]), 1.0)
    q.handshake()
    with pytest.raises(QMPError, match="GenericError: no"):
        q.execute("device_del", id="x")
    q2 = QMP(FakeSocket([GREETING, {"return": {}}], close_after=True), 1.0)
    q2.handshake()
    with pytest.raises(QMPError, match="closed"):
        q2.execute("quit")
    q3 = QMP(FakeSocket([GREETING, {"return": {}}]), 0.2)
    q3.handshake()
    assert q3.wait_event(lambda e: True, 0.1) is None
    with pytest.raises(QMPError, match="greet"):
        QMP(FakeSocket([{"return": {}}]), 0.2).handshake()


# --- the suite --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def suite() -> list:
    return generate([builtin_world("qemu-2node"), builtin_world("qemu-3node")])


def test_suite_size_kinds_and_errno_paths(suite: list) -> None:
    assert len(suite) >= 30
    assert len({(t.world.name, tuple(t.actions)) for _, t, _ in suite}) == len(suite)  # distinct
    kinds = {a.kind for _, t, _ in suite for a in t.actions}
    assert kinds == {"write", "step", "hotadd", "hotremove", "read", "inject"}
    purposes = "\n".join(p for _, _, p in suite)
    for path in ("write state garbage b'bogus' -EINVAL",  # garbage
                 "write state online hotplug online movable -EINVAL",  # same-state request
                 "write state offline boot-spanning-zones online kernel -EINVAL",  # zones + holes
                 "write state offline boot online kernel -EBUSY",  # unmovable pages
                 "write state online hotplug offline - GOING_ONLINE injected -ENOMEM",
                 "write state offline hotplug online movable GOING_OFFLINE injected -EBUSY",
                 "hotadd hotplug absent - ok", "hotremove hotplug online movable ok",
                 "hotremove hotplug online movable GOING_OFFLINE injected -EBUSY",  # refused eject
                 "write state online_movable hotplug-memoryless-node offline - ok",
                 "mem-on-off-test.sh"):
        assert path in purposes, path


def test_memoryless_node_gains_and_loses_memory(suite: list) -> None:
    """Some trace of qemu-3node onlines node 2's block and some offlines it again: has_memory
    of node 2 appears and disappears in the spec's replay."""
    world = builtin_world("qemu-3node")
    pred = Predictor(world, get_profile("v6.1"))
    gained = lost = False
    for _, t, _ in suite:
        if t.world.name != "qemu-3node":
            continue
        s = pred.initial()
        for op in operations(t):
            before = "N_MEMORY" in s.machine.nodes[2].flags
            s = pred.advance(s, op.action)[0].state
            after = "N_MEMORY" in s.machine.nodes[2].flags
            gained |= after and not before
            lost |= before and not after
    assert gained and lost


def test_short_suite_covers_every_kind(suite: list) -> None:
    sh = short(suite)
    assert 5 <= len(sh) < len(suite)
    assert {a.kind for _, t, _ in sh for a in t.actions} == {"write", "step", "hotadd", "hotremove", "read", "inject"}
    assert any(n.endswith("-selftest") for n, _, _ in sh)


def test_operations_refuse_interleaving() -> None:
    w = builtin_world("qemu-2node")
    g = Generator(w)
    t = g.trace([write("w0", 0, "offline")])
    assert len(operations(t)) == 1
    steps = [TraceStep(write("w0", 0, "offline"), t.steps[0].obs), TraceStep(write("w0", 4, "offline"), t.steps[0].obs)]
    with pytest.raises(TraceError, match="never returns|interleaves"):
        operations(Trace("v6.1", w, steps))


# --- prediction sets and the comparison ---------------------------------------------------------
def test_boot_block_offline_is_a_set_hot_added_movable_is_not() -> None:
    from spec.actions import hotadd

    w = builtin_world("qemu-2node")
    pred = Predictor(w, get_profile("v6.1"))
    s = pred.initial()
    rets = sorted(o.ret for o in pred.advance(s, write("w0", 4, "offline")))
    assert rets == [-EBUSY, 7]  # unmovable pages met, or not
    s = pred.advance(s, hotadd(32))[0].state
    s = pred.advance(s, write("w0", 32, "online_movable"))[0].state
    assert [o.ret for o in pred.advance(s, write("w0", 32, "offline"))] == [7]
    assert [o.ret for o in pred.advance(s, write("w0", 0, "offline"))] == [-EINVAL]


def test_agreeing_guest_agrees_and_wrong_profile_diverges(suite: list) -> None:
    name, t, purpose = next(x for x in suite if x[0] == "qemu-2node-selftest")
    r = run_trace(SpecGuest(t.world), name, t, get_profile("v6.1"), purpose)
    assert r.verdict == "agree" and r.done == r.operations == len(operations(t))
    bad = run_trace(SpecGuest(t.world), name, t, get_profile("v3.4"), purpose)
    assert bad.verdict == "diverged"
    assert bad.divergence is not None and bad.divergence["differences"]


def test_a_lying_kernel_is_caught_with_both_sides_and_the_trace() -> None:
    from spec.actions import hotadd

    w = builtin_world("qemu-2node")
    g = Generator(w)
    t = g.trace([hotadd(32), write("w0", 32, "online_movable"), write("w0", 32, "offline")])
    r = run_trace(SpecGuest(w, lie_on=(2, EBUSY)), "lie", t, get_profile("v6.1"))
    assert r.verdict == "diverged" and r.done == 2
    d = r.divergence
    assert d is not None and d["operation"] == 3
    assert d["real"]["ret"] == -EBUSY and d["predicted"][0]["ret"] == 7
    assert "ret: real -16, model 7" in d["differences"]
    assert len(d["trace_up_to"]) == 3


def test_run_suite_restores_between_traces(suite: list) -> None:
    items = [x for x in suite if x[1].world.name == "qemu-2node"][:8]
    guests: list = []

    class Boot:
        def __init__(self, w):  # noqa: ANN001
            self.g = SpecGuest(w)
            guests.append(self)

        def __enter__(self):  # noqa: ANN204
            return self.g

        def __exit__(self, *a):  # noqa: ANN002
            pass

    def boot(w):  # noqa: ANN001, ANN202
        b = Boot(w)
        b.g.__enter__ = b.__enter__  # type: ignore[attr-defined]
        b.g.__exit__ = b.__exit__  # type: ignore[attr-defined]
        return _Wrapped(b.g)

    run = run_suite(items, get_profile("v6.1"), boot, lambda s: None)
    assert [r.verdict for r in run.results] == ["agree"] * len(items)
    assert run.reboots == 0 and len(guests) == 1


def test_a_guest_failure_runs_the_trace_again_on_a_fresh_boot_and_says_so(suite: list) -> None:
    items = [x for x in suite if x[1].world.name == "qemu-2node"][:3]
    boots: list[SpecGuest] = []

    class Crashing(SpecGuest):
        def write(self, path: str, text: bytes) -> int:
            if len(boots) == 1 and self.crash_armed:
                raise ConnectionError("the guest agent stopped answering")
            return super().write(path, text)

    def boot(w):  # noqa: ANN001, ANN202
        g = Crashing(w)
        g.crash_armed = False
        boots.append(g)
        return _Wrapped(g)

    def progress(msg: str) -> None:
        if msg.startswith("[1/"):
            boots[0].crash_armed = True  # the first boot fails from the second trace on

    run = run_suite(items, get_profile("v6.1"), boot, progress)
    assert len(boots) == 2 and run.reboots == 1
    assert [r.verdict for r in run.results] == ["agree"] * len(items)
    retried = [r for r in run.results if r.first_attempt]
    assert [r.name for r in retried] == [items[1][0]]
    assert "stopped answering" in retried[0].first_attempt["error"]
    assert retried[0].to_json()["first_attempt"]["error"] == retried[0].first_attempt["error"]


class _Wrapped:
    def __init__(self, g: SpecGuest) -> None:
        self.g = g
        self.world = g.world
        self.boot_seconds = 0.0

    def __enter__(self) -> "_Wrapped":
        return self

    def __exit__(self, *a: object) -> None:
        pass

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.g, name)


# --- kit and agent safety ---------------------------------------------------------------------
def test_missing_packages_named_with_apt_get(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kitmod.shutil, "which", lambda tool: None if tool == "qemu-system-x86_64" else "/x")
    with pytest.raises(kitmod.KitError, match=r"apt-get install -y qemu-system-x86"):
        kitmod.require_packages()


def test_cli_exit_2_on_missing_package(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from checker import cli

    monkeypatch.setattr(kitmod, "missing_packages", lambda: ["qemu-system-x86"])
    assert cli.main(["conform", "--short", "--world", "qemu-2node", "--limit", "1", "--out", "/nonexistent/x"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install -y qemu-system-x86" in err and "Traceback" not in err


@pytest.mark.skipif(not Path("/bin/busybox").exists(), reason="busybox is not installed")
def test_agent_refuses_without_the_marker(tmp_path: Path) -> None:
    """Run on this host (no marker, not PID 1): it must exit 3 before mounting anything."""
    from importlib import resources

    script = resources.files("checker.conform").joinpath("guest", "agent.sh").read_text()
    agent = tmp_path / "init"
    agent.write_text(script.replace("@MARKER@", "memhp_conform=0123456789abcdef"))
    mounts = Path("/proc/mounts").read_text()
    for env in ({}, {"memhp_conform": "0123456789abcdef"}):  # the second: right token, not PID 1
        r = subprocess.run(["/bin/busybox", "sh", str(agent)], env={"PATH": "/nonexistent", **env},
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 3 and "refusing to run" in r.stderr
    assert Path("/proc/mounts").read_text() == mounts
    assert not (tmp_path / "proc").exists()


def test_report_validates_and_names_the_divergence(suite: list, tmp_path: Path) -> None:
    import json

    from checker.conform import report
    from checker.conform.run import SuiteRun
    from checker.formats.schemas import validate

    name, t, purpose = next(x for x in suite if x[0] == "qemu-2node-selftest")
    run = SuiteRun(results=[run_trace(SpecGuest(t.world), name, t, get_profile("v6.1"), purpose),
                            run_trace(SpecGuest(t.world), name, t, get_profile("v3.4"), purpose)])
    md, js = report.write(run, {"kernel": "k", "profile": "v6.1", "suite": "test"}, tmp_path)
    data = json.loads(js.read_text())
    validate(data, "memhp-conform/1", str(js))
    assert data["summary"]["agreement"] == "1/2" and data["summary"]["diverged"] == 1
    text = md.read_text()
    assert "**Agreement: 1/2 traces**" in text and "## Divergences and errors" in text
