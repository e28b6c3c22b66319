"""The Hypothesis lockstep of the kernel mirror against the spec (checker.engines.stateful)."""

from __future__ import annotations

import json
import pickle
import types

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from checker.model import MirrorModel
from checker.engines.stateful import (BUDGETS, Lockstep, LockstepDivergence, StatefulResult,
                              lockstep_machine, minimize, replay_mirror, run_stateful)
from checker.formats.traces import Trace, TraceStep, replay
from spec.actions import Action
from spec.worlds import builtin_world
from tests.mutants.common import SEED, known_findings, load_manifest

KNOWN = known_findings(load_manifest(), "v3.4", "default")


def _impl(name: str, source: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    exec(source, mod.__dict__)
    return mod


def test_budgets() -> None:
    ci, thorough = BUDGETS["ci"], BUDGETS["thorough"]
    assert ci.max_examples >= 200 and ci.stateful_step_count >= 50
    assert thorough.max_examples >= 5000 and thorough.stateful_step_count >= 100
    assert all(p.deadline is None and p.database is None for p in BUDGETS.values())
    assert settings.get_profile("memhp-ci") is ci
    assert settings.get_profile("ci") is not ci  # Hypothesis' own ci profile is left alone


def test_default_world_ci_budget_passes() -> None:
    r = run_stateful(builtin_world("default"), budget="ci", expected=KNOWN, seed=SEED)
    assert r.passed, r.message
    assert (r.verdict, r.bound, r.failure) == ("sampled", "200x50", None)
    assert r.total_steps > 150 * 50


def test_seeds_are_reproducible() -> None:
    w = builtin_world("default")
    a = run_stateful(w, budget="dev", expected=KNOWN, seed=7)
    b = run_stateful(w, budget="dev", expected=KNOWN, seed=7)
    c = run_stateful(w, budget="dev", expected=KNOWN)  # derandomized
    assert a.passed and b.passed and c.passed
    assert a.total_steps == b.total_steps and a.bound == "20x20"


def test_an_unexpected_finding_fails_as_its_invariant() -> None:
    """The unmodified 3.4 mirror breaks sysfs_names at boot (block ids, two sections a block)."""
    r = run_stateful(builtin_world("default"), budget="dev", seed=SEED)
    assert not r.passed
    assert (r.failure, r.cause, r.trace) == ("sysfs_names", "names", [])
    assert "memory1 not named by a first section id" in r.message


def test_invariant_failure_is_minimised_and_replays() -> None:
    """A chain registered in the wrong order: the failing actions come back as JSON, minimised,
    and replay on the patched mirror alone (``checker.formats.traces.replay`` through MirrorModel)."""
    impl = _impl("reversed_chain", (
        "def notifier_chain_register(nl, n):\n"
        "    i = 0\n"
        "    while i < len(nl) and not n.priority >= nl[i].priority:\n"
        "        i += 1\n"
        "    nl.insert(i, n)\n"
        "    return 0\n"))
    w = builtin_world("default")
    r = run_stateful(w, impl, "ci", expected=KNOWN, seed=SEED)
    assert (r.failure, r.cause) == ("chain_order", "offline:MEM_GOING_OFFLINE")
    assert len(r.trace) <= 6 < r.original_length + 1
    listed = json.loads(r.message[r.message.index("\n["):])
    assert [Action.from_json(x) for x in listed] == r.trace
    v = replay_mirror(w, impl, r.trace, KNOWN)
    assert v is not None and v.invariant == "chain_order"
    model = MirrorModel(w, impl)
    s, steps = model.initial()[0], []
    for a in r.trace:
        s, obs = model.step(s, a)
        steps.append(TraceStep(a, obs))
    assert replay(Trace(w.profile, w, steps), MirrorModel(w, impl)).ok


def test_a_divergence_without_an_invariant_is_lockstep() -> None:
    """phys_device printed as 1 ("not well implemented", says the seed): no invariant speaks
    of its value, the views differ."""
    impl = _impl("phys_device_one", "def show_phys_device(k, mem):\n    return '1\\n'\n")
    r = run_stateful(builtin_world("default"), impl, "dev", expected=KNOWN, seed=SEED)
    assert r.failure == "lockstep" and r.cause is None
    assert "phys_device: spec '0\\n', mirror '1\\n'" in r.message


def test_block_size_bytes_with_0x_breaks_the_audit() -> None:
    """block_size_bytes printed with 0x: the audit of every quiescent view catches it."""
    impl = _impl("hex_block_size", "def print_block_size(k):\n    return '%#x\\n' % k.world.block_size_bytes\n")
    r = run_stateful(builtin_world("default"), impl, "dev", expected=KNOWN, seed=SEED)
    assert (r.failure, r.cause) == ("sysfs_names", "block_size_bytes")


def test_an_observation_divergence_is_minimised() -> None:
    """A successful write that returns one byte too many (no invariant reads a success's
    count): reported as lockstep with a short trace that still diverges on replay."""
    impl = _impl("count_plus_one", (
        "from spec.actions import EINVAL, MEM_OFFLINE, MEM_ONLINE\n"
        "from spec.kernel.lib import strncmp\n"
        "def store_mem_state(k, mem, buf, count):\n"
        "    ret = -EINVAL\n"
        "    if not strncmp(buf, b'online', min(count, 6)):\n"
        "        ret = yield from k.fn.memory_block_change_state(k, mem, MEM_ONLINE, MEM_OFFLINE)\n"
        "    elif not strncmp(buf, b'offline', min(count, 7)):\n"
        "        ret = yield from k.fn.memory_block_change_state(k, mem, MEM_OFFLINE, MEM_ONLINE)\n"
        "    if ret:\n"
        "        return ret\n"
        "    return count + 1\n"))
    w = builtin_world("default")
    r = run_stateful(w, impl, "ci", expected=KNOWN, seed=SEED)
    assert r.failure == "lockstep", r.message
    assert "observations differ" in r.message
    assert r.trace[-1].kind == "step" and len(r.trace) <= r.original_length
    with pytest.raises(LockstepDivergence):
        h = Lockstep(w, impl, KNOWN)
        for a in r.trace:
            h.do(a, replay=True)


def test_the_machine_runs_as_a_plain_hypothesis_test() -> None:
    cls = lockstep_machine(builtin_world("default"), expected=KNOWN)
    run_state_machine_as_test(cls, settings=settings(BUDGETS["dev"], max_examples=5))
    assert cls.TestCase.settings is BUDGETS["ci"]


def test_results_pickle() -> None:
    """memhp verify runs the lockstep in a forked process and pickles the result back."""
    r = StatefulResult(examples=3, steps=50, passed=False, failure="chain_order",
                       trace=[Action("hotadd", thread="fw", block=16)], message="m", cause="c")
    assert pickle.loads(pickle.dumps(r)) == r


def test_minimize_removes_what_does_not_matter() -> None:
    acts = [Action("read", block=i, file="state") for i in range(12)]

    def fails(cand: list[Action]) -> list[Action] | None:
        ids = [a.block for a in cand]
        if 3 in ids and 7 in ids and ids.index(3) < ids.index(7):
            return cand[:ids.index(7) + 1]  # the failure shows at block 7
        return None

    assert [a.block for a in minimize(acts, fails)] == [3, 7]


def test_developer_entry_point_refuses_bad_arguments_in_one_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from checker.engines.stateful import _main

    bad = tmp_path / "expect.json"
    bad.write_text('[["only-one"]]')
    for argv, says in ((["default", "--expect", str(tmp_path / "missing.json")], "cannot read"),
                       (["default", "--expect", str(bad)], "[invariant, cause] pairs"),
                       ([str(tmp_path / "nosuch.toml")], "cannot read the world file")):
        assert _main(argv) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1, err
