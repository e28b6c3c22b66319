"""The short real run: Debian's 6.1 kernel under QEMU, traces generated from the model.

Runs when the kit can be built (the Debian packages installed, the mirror reachable) and skips
with the reason otherwise; with MEMHP_REQUIRE_QEMU=1 (set by .ci/run) a missing kit fails instead.
Checks: model traces agree on the real kernel under v6.1 and diverge under v3.4 (a deliberately
wrong profile); the boot checkpoint restores the machine; Ctrl-C and SIGKILL of a running ``memhp conform`` leave no QEMU process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.conform.kit import Kit, KitError, build_kit
from checker.conform.machine import Guest
from checker.conform.run import restore, run_trace
from checker.conform.suite import Generator
from spec.actions import hotadd, hotremove, inject, write
from spec.profiles import get_profile
from spec.worlds import builtin_world

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def kit() -> Kit:
    try:
        return build_kit()
    except KitError as e:
        if os.environ.get("MEMHP_REQUIRE_QEMU") == "1":
            pytest.fail(f"MEMHP_REQUIRE_QEMU=1 but the kit cannot be built: {e}")
        pytest.skip(f"no conformance kit on this machine: {e}")


@pytest.fixture(scope="module")
def guest(kit: Kit):  # noqa: ANN201
    with Guest(kit, builtin_world("qemu-2node")) as g:
        yield g


def test_model_traces_agree_on_the_real_kernel_and_v34_diverges(guest: Guest) -> None:
    w = guest.world
    g = Generator(w)
    boot = guest.snapshot()
    guest.checkpoint()
    traces = {
        "refused-eject": g.trace([inject("MEM_GOING_OFFLINE", "-16"), hotadd(32),
                                  write("w0", 32, "online_movable"), hotremove(32)]),
        "boot-blocks": g.trace([write("w0", 0, "offline"), write("w0", 4, "offline"),
                                write("w0", 0, "online"), write("w0", 4, "bogus")]),
        "selftest": g.trace(g.selftest()),
    }
    for name, t in traces.items():
        r = run_trace(guest, name, t, get_profile("v6.1"))
        assert r.verdict == "agree", (name, r.divergence)
        assert restore(guest, boot)[0] is None
    wrong = run_trace(guest, "refused-eject", traces["refused-eject"], get_profile("v3.4"))
    assert wrong.verdict == "diverged" and wrong.divergence and wrong.divergence["differences"]
    assert restore(guest, boot)[0] is None


def test_revert_to_the_boot_checkpoint(guest: Guest) -> None:
    """A kernel-zone block that may never offline again: the checkpoint brings the boot back."""
    boot = guest.snapshot()
    guest.checkpoint()
    assert guest.hotadd(32) == 0
    assert guest.write("/sys/devices/system/memory/memory32/state", b"online_kernel") == 13
    assert guest.snapshot() != boot
    guest.revert()
    assert guest.snapshot() == boot


def _qemu_children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and cmd.startswith(b"qemu-system"):
            out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_run_leaves_no_qemu(kit: Kit, tmp_path: Path, sig: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the whole suite, so that the run is still going when the signal comes (a few cases
    # could finish within the second the test waits after QEMU starts)
    p = subprocess.Popen([sys.executable, "-m", "checker.cli", "conform",
                          "--out", str(tmp_path)], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         # a shell that starts pytest in the background hands it SIGINT ignored,
                         # and an ignored SIGINT is inherited: give the child the default
                         # disposition, as a terminal would, so that Python installs its handler
                         preexec_fn=_default_sigint)
    try:
        children: list[int] = []
        deadline = time.monotonic() + 120
        while not children and time.monotonic() < deadline and p.poll() is None:
            children = _qemu_children(p.pid)
            time.sleep(0.1)
        assert children, "memhp conform started no QEMU"
        time.sleep(1.0)
        assert p.poll() is None, "memhp conform ended before it could be interrupted"
        p.send_signal(sig)
        p.wait(timeout=60)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(c) for c in children), f"QEMU {children} survived {signal.Signals(sig).name}"
        if sig == signal.SIGINT:
            assert p.returncode == 130  # "memhp: interrupted", after the guests were closed
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        assert p.stderr is not None
        p.stderr.close()
