"""The shell reproducer, run with sh against a fake sysfs tree in a temporary folder (never
/sys): the marker refusal, --force, the exact bytes written, the comparison with the model's
return values and block states, the injector settings, NOT REPRODUCIBLE traces refused, and the
embedded trace read back."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from checker.formats import parse, shell
from checker.model import SpecModel
from checker.formats.traces import Trace, replay

SH = "/bin/sh"


def fake_root(tmp: Path, blocks: dict[int, str], inject: bool = False) -> Path:
    root = tmp / "sys"
    mem = root / "devices" / "system" / "memory"
    for b, state in blocks.items():
        (mem / f"memory{b}").mkdir(parents=True)
        (mem / f"memory{b}" / "state").write_text(state + "\n")
    if inject:
        for ev in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
            d = root / "kernel" / "debug" / "notifier-error-inject" / "memory" / "actions" / ev
            d.mkdir(parents=True)
            (d / "error").write_text("0\n")
    return root


def run_script(trace: Trace, tmp: Path, root: Path, marker: bool = True, *args: str,
               env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = tmp / "repro.sh"
    script.write_text(shell.render(trace))
    cmdline = tmp / "cmdline"
    cmdline.write_text("BOOT_IMAGE=/vmlinuz console=ttyS0 " + ("memhp_test_vm " if marker else "") + "quiet\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MEMHP_SYSFS_ROOT": str(root),
           "MEMHP_CMDLINE": str(cmdline), "MEMHP_HOST_WAIT": "0", **(env_extra or {})}
    return subprocess.run([SH, str(script), *args], capture_output=True, text=True, env=env, errors="replace",
                          stdin=subprocess.DEVNULL, timeout=60)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_refuses_without_the_marker_and_writes_nothing(all_traces, tmp_path) -> None:
    t = all_traces["v6.1/cycle"]
    root = fake_root(tmp_path, {32: "offline"}, inject=True)
    before = tree(root)
    r = run_script(t, tmp_path, root, False)
    assert r.returncode == 2
    assert "refusing to run" in r.stderr and "memhp_test_vm" in r.stderr
    assert r.stdout == ""
    assert tree(root) == before


def test_default_root_is_sys_and_real_cmdline_refuses(all_traces, tmp_path) -> None:
    """Without the overrides the script would use /sys and /proc/cmdline; this machine is not a
    test VM, so it must refuse before touching anything."""
    text = shell.render(all_traces["v6.1/cycle"])
    assert "SYSFS=${MEMHP_SYSFS_ROOT:-/sys}" in text
    assert "memhp_test_vm" not in Path("/proc/cmdline").read_text().split()
    script = tmp_path / "repro.sh"
    script.write_text(text)
    r = subprocess.run([SH, str(script)], capture_output=True, text=True, timeout=60,
                       env={"PATH": os.environ.get("PATH", "/bin")}, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "refusing to run" in r.stderr


def test_v61_cycle_runs_against_a_fake_tree(all_traces, tmp_path) -> None:
    t = all_traces["v6.1/cycle"]
    assert shell.analyse(t) == ([], {})
    root = fake_root(tmp_path, {32: "offline"}, inject=True)
    r = run_script(t, tmp_path, root)
    out = r.stdout
    # host-side steps are printed, with QMP and HMP commands
    assert '"execute": "object-add"' in out and '"qom-type": "memory-backend-ram"' in out
    assert '"driver": "pc-dimm"' in out and '"node": 1' in out and '"addr": 4294967296' in out
    assert '"execute": "device_del"' in out and "object_del memhp-mem32" in out
    # a fake tree accepts every write, so the writes the model refuses show as mismatches
    assert "step 4: write memory32/state -> ok, MISMATCH: the model predicts -ENOMEM" in out
    assert "step 15: write memory32/state -> ok, MISMATCH: the model predicts -EINVAL" in out
    assert "step 9: write memory32/state -> ok, as the model predicts" in out
    assert r.returncode == 1
    # the exact bytes of the last write went to the file, the injector setting came back to 0
    mem32 = root / "devices/system/memory/memory32"
    assert (mem32 / "state").read_bytes() == b"offline"
    err = root / "kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_ONLINE/error"
    assert err.read_bytes() == b"0"


def test_errno_of_a_failing_write_is_reported(all_traces, tmp_path) -> None:
    """/dev/full fails every write with ENOSPC: the script names the errno it got."""
    t = all_traces["v6.1/cycle"]
    root = fake_root(tmp_path, {}, inject=True)
    mem32 = root / "devices/system/memory/memory32"
    mem32.mkdir(parents=True)
    (mem32 / "state").symlink_to("/dev/full")
    r = run_script(t, tmp_path, root)
    assert "step 9: write memory32/state -> -ENOSPC, MISMATCH: the model predicts ok" in r.stdout
    assert r.returncode == 1


def test_force_runs_without_the_marker(all_traces, tmp_path) -> None:
    t = all_traces["v3.4/status_change_nid--offline_MEM_GOING_OFFLINE"]
    root = fake_root(tmp_path, {16: "offline"})
    r = run_script(t, tmp_path, root, False, "--force")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "step 2: memory16/state -> offline, as the model predicts" in r.stdout
    assert "every result as the model predicts" in r.stdout


def test_exact_bytes(all_traces, tmp_path) -> None:
    t = all_traces["v3.4/odd-bytes"]
    root = fake_root(tmp_path, {1: "online"})
    r = run_script(t, tmp_path, root)
    state = root / "devices/system/memory/memory1/state"
    # the second write is empty: open and truncate, no bytes, as the kernel sees a zero-length write
    assert state.read_bytes() == b""
    assert "step 1: write memory1/state -> ok, MISMATCH: the model predicts -EINVAL" in r.stdout
    assert "step 2: write memory1/state -> ok, as the model predicts" in r.stdout
    one = tmp_path / "one"
    fmt = shell.printf_format(t.steps[0].action.text)
    subprocess.run([SH, "-c", f"printf {fmt} > {one}"], check=True)
    assert one.read_bytes() == t.steps[0].action.text


def test_injected_errno_is_set_before_and_cleared_after(all_traces, tmp_path) -> None:
    t = all_traces["v3.4/injected"]
    why, inj = shell.analyse(t)
    assert why == [] and inj == {2: ("MEM_GOING_ONLINE", -12)}
    text = shell.render(t)
    body = text[text.index("# step 3:"):text.index("# step 13:")]
    lines = [x for x in body.splitlines() if x.startswith("memhp_")]
    assert lines[0] == "memhp_inject 3 MEM_GOING_ONLINE -12"
    assert lines[1].startswith("memhp_write 3 'memory16/state' 'online' '-ENOMEM'")
    assert lines[2] == "memhp_inject 3 MEM_GOING_ONLINE 0"
    assert lines[3] == "memhp_state 12 memory16 'offline'"


@pytest.mark.parametrize("name, reason", [
    ("v3.4/notifier_protocol--online_MEM_ONLINE", "answers NOTIFY_STOP"),
    ("v3.4/alloc_cancel_offline--offline_MEM_CANCEL_OFFLINE", "answers NOTIFY_BAD"),
    ("v3.4/remove_only_offline--offline_eject", "runs inside the operation"),
])
def test_model_only_choices_are_not_reproducible(all_traces, tmp_path, name, reason) -> None:
    t = all_traces[name]
    text = shell.render(t)
    head = text.split("\nset -u", 1)[0]
    assert "NOT REPRODUCIBLE on a real kernel" in head and reason in head
    root = fake_root(tmp_path, {1: "online", 16: "offline"}, inject=True)
    before = tree(root)
    r = run_script(t, tmp_path, root, True, "--force")
    assert r.returncode == 2 and "NOT REPRODUCIBLE" in r.stderr
    assert tree(root) == before


def test_migration_failure_is_not_reproducible() -> None:
    from spec.actions import write
    from tests.checker.formats.conftest import build

    # default world, memory1 offline succeeds but page migration fails with -EBUSY (a choice)
    t = build("default", [(write("w0", 1, "offline"), {4: "NOTIFY_OK", 5: "0", 6: "-EBUSY"})])
    assert any(s.action.choice == "-EBUSY" for s in t.steps)
    why, _ = shell.analyse(t)
    assert any("page migration fails with -EBUSY" in w for w in why), why


def test_round_trip_replays(all_traces) -> None:
    for name, t in all_traces.items():
        back = parse(shell.render(t), name + ".sh")
        assert back.to_json() == t.to_json(), name
        assert replay(back, SpecModel(back.world.with_profile(back.profile))).ok, name


def test_every_script_is_valid_sh(all_traces, tmp_path) -> None:
    for i, t in enumerate(all_traces.values()):
        f = tmp_path / f"s{i}.sh"
        f.write_text(shell.render(t))
        r = subprocess.run([SH, "-n", str(f)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_world_injector_settings_are_set_at_the_start(tmp_path) -> None:
    from dataclasses import replace

    from spec.actions import hotadd, write
    from spec.worlds import builtin_world
    from tests.checker.formats.conftest import build

    w = replace(builtin_world("qemu-2node"), inject_errors=(("MEM_GOING_ONLINE", -16),))
    t = build(w, [(hotadd(32), {}), (write("w0", 32, "online_movable"), {})])
    assert t.steps[-1].obs.ret == -16
    text = shell.render(t)
    assert text.index("memhp_inject 0 MEM_GOING_ONLINE -16") < text.index("memhp_host 1")
    root = fake_root(tmp_path, {32: "offline"}, inject=True)
    run_script(t, tmp_path, root)
    err = root / "kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_ONLINE/error"
    assert err.read_bytes() == b"-16"
