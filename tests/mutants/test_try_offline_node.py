"""try_offline_node() (3.10+, 60a5a19e7419): the spec takes an emptied CPU-less node offline
after an ACPI eject, as the v6.1 kernel mirror (and Linux) does, and mirrors that get it wrong
are caught against the spec.

The world ``v61-cpuless-node`` has a node without CPUs whose only memory is two hot-pluggable
ACPI memory devices. The unmodified mirror and the spec go step for step through hot-add,
online, offline and eject of both, and agree after every step (machine and sysfs view); the
lockstep run of the unmodified mirror passes. ``bugs_detected/v61_offline_node_with_blocks``
(the node goes offline under a block never onlined) breaks sysfs_links and is pinned in
manifest.toml; the modules of ``diverges/`` break no promise of the seed, and the lockstep run
against the spec catches them as a divergence of the node's N_ONLINE.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from checker.engines.stateful import run_stateful
from checker.model import MirrorModel, SpecModel, load_impl
from spec.actions import Action
from spec.errors import ActionError
from spec.config import NodeSpec
from tests.mutants.common import SEED, known_findings, load_manifest, resolve_world

HERE = Path(__file__).resolve().parent
WORLD = "v61-cpuless-node"


def fw(kind: str, block: int | None = None) -> Action:
    return Action(kind, thread="fw", block=block)


def drive(model, plan):  # type: ignore[no-untyped-def]
    """Run ``plan`` (start actions); after each, the thread steps until it is idle. Yields the
    state after every single action."""
    s = model.initial()[0]
    yield s
    for a in plan:
        s, _ = model.step(s, a)
        yield s
        thread = a.thread or "fw"
        while True:
            try:
                nxt = [x for x, _, _ in model.thread_steps(s, thread)]
            except ActionError:  # the thread returned
                break
            s, _ = model.step(s, nxt[0])
            yield s


PLAN = [fw("hotadd", 16), fw("hotadd", 17),
        Action("write", "w0", 16, "state", b"online_movable"),
        Action("write", "w0", 16, "state", b"offline"),
        fw("hotremove", 16),      # memory17 (never onlined) still holds the node
        fw("hotremove", 17),      # the last memory of the node: offline
        fw("hotadd", 17)]         # a new hot-add brings the node back


def node1_online(model, s) -> bool:  # type: ignore[no-untyped-def]
    return model.machine(s).nodes[1].online


def test_spec_takes_the_emptied_cpuless_node_offline() -> None:
    w = resolve_world(WORLD)
    spec = SpecModel(w)
    states = list(drive(spec, PLAN))
    s = states[-1]
    online = [node1_online(spec, x) for x in states if spec.quiescent(x)]
    # boot, +16, +17, online, offline, -16, -17, +17
    assert online == [False, True, True, True, True, True, False, True]
    # after the last eject: no node1 directory, no link to or from it
    empty = [x for x in states if spec.quiescent(x)][6]
    view = spec.view(empty)
    assert view["node/online"] == "0\n"
    assert not [p for p in view if "node1" in p]
    # hot-added again: node1 is back with its links
    view = spec.view(s)
    assert view["node/online"] == "0-1\n" and "node/node1/" in view
    assert view["node/node1/memory17"] == ("link", "../../memory/memory17")
    assert view["memory/memory17/node1"] == ("link", "../../node/node1")


@pytest.mark.parametrize("profile", ["v4.15", "v5.6", "v6.1", "v6.17"])
def test_profiles_from_3_10_on_offline_the_node(profile: str) -> None:
    spec = SpecModel(resolve_world(WORLD).with_profile(profile))
    quiet = [x for x in drive(spec, PLAN[:6]) if spec.quiescent(x)]
    assert [node1_online(spec, x) for x in quiet][-2:] == [True, False]


@pytest.mark.parametrize("profile", ["v3.4", "v3.8"])
def test_the_3_4_eject_only_offlines(profile: str) -> None:
    """3.4's ACPI eject (remove_memory() -> offline_pages()) removes no device: the node stays."""
    spec = SpecModel(resolve_world(WORLD).with_profile(profile))
    plan = [fw("hotadd", 16), fw("hotremove", 16)]
    quiet = [x for x in drive(spec, plan) if spec.quiescent(x)]
    assert [node1_online(spec, x) for x in quiet] == [False, True, True]


def test_a_node_with_a_cpu_stays_online() -> None:
    w = resolve_world(WORLD)
    w = replace(w, nodes=tuple(NodeSpec(n.id, True) for n in w.nodes))
    spec = SpecModel(w)
    quiet = [x for x in drive(spec, PLAN[:6]) if spec.quiescent(x)]
    assert all(node1_online(spec, x) for x in quiet)


def test_spec_and_unmodified_mirror_agree_step_for_step() -> None:
    w = resolve_world(WORLD)
    spec, mirror = SpecModel(w), MirrorModel(w, None)
    pairs = list(zip(drive(spec, PLAN), drive(mirror, PLAN), strict=True))
    assert len(pairs) > len(PLAN)
    for n, (s, m) in enumerate(pairs):
        assert spec.machine(s) == mirror.machine(m), n
        assert spec.view(s) == mirror.view(m), n


def test_unmodified_mirror_passes_lockstep() -> None:
    w = resolve_world(WORLD)
    r = run_stateful(w, None, "ci", expected=known_findings(load_manifest(), "v6.1", WORLD),
                     seed=SEED)
    assert r.passed, r.message


# --- mirrors that get try_offline_node() wrong ------------------------------------------------

DIVERGES = {"v61_node_never_offlined": WORLD, "v61_offline_node_with_cpu": "v61-boot-hotplug"}


@pytest.mark.parametrize("name", sorted(DIVERGES))
def test_a_wrong_try_offline_node_diverges_from_the_spec(name: str) -> None:
    assert {p.stem for p in (HERE / "diverges").glob("*.py")} == set(DIVERGES)
    w = resolve_world(DIVERGES[name])
    impl = load_impl(str(HERE / "diverges" / f"{name}.py"))
    r = run_stateful(w, impl, "ci", expected=known_findings(load_manifest(), "v6.1", DIVERGES[name]),
                     seed=SEED)
    assert not r.passed and r.failure == "lockstep", (r.failure, r.message)
    assert "node1:" in r.message and "online=" in r.message
    assert any(a.get("kind") == "hotremove" for a in _actions(r.message))


def _actions(message: str) -> list[dict]:
    import json

    return json.loads(message[message.index("["):])


def test_review_reports_the_divergence(capsys) -> None:  # type: ignore[no-untyped-def]
    """``memhp review`` of the mutant against v6.1 on the CPU-less world: a behaviour change
    whose lockstep run diverges from the spec (the exit status of a finding)."""
    import json

    from checker.cli import main

    patch = str(HERE / "diverges" / "v61_node_never_offlined.py")
    code = main(["review", "--impl", patch, "--profile", "v6.1", "--world",
                 str(HERE / "worlds" / f"{WORLD}.toml"), "--budget", "dev", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["verdict"] == "changes behaviour" and not data["broken"]
    assert data["lockstep"].startswith("diverges from the v6.1 spec")
    assert "node1: spec   Node(online=False" in data["lockstep"]
