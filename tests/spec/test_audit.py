"""The pure audit (spec.audit) on views the spec renders, and its rules one by one."""

from __future__ import annotations

import pytest

from spec.audit import (
    AUDIT_PROFILES, RULE, RULES, AuditInputError, audit, detect_profile, parse_nodelist,
)
from spec.invariants import BY_NAME, Monitor
from spec.invariants_sysfs import check_sysfs
from spec.profiles import get_profile
from spec.state import initial_machine, thread_names
from spec.sysfs import render
from spec.worlds import BUILTIN, builtin_world

V61, V34 = AUDIT_PROFILES["v6.1"], AUDIT_PROFILES["v3.4"]


def _view(name: str, profile: str | None = None):
    w = builtin_world(name)
    if profile:
        w = w.with_profile(profile)
    p = get_profile(w.profile)
    return w, p, render(w, p, initial_machine(w, p))


def _rules(view, profile, section=1 << 27):
    return sorted({(f.rule, f.files) for f in audit(view, profile, section) if f.severity == "violation"})


def test_every_rule_names_a_known_invariant_and_a_seed_section():
    for r in RULES:
        assert r.invariant in BY_NAME, r
        assert r.seed_section and r.text


@pytest.mark.parametrize("name", [n for n in BUILTIN if builtin_world(n).sections_per_block == 1])
@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_spec_renders_of_one_section_worlds_pass(name, profile):
    w, p, view = _view(name, profile)
    assert audit(view, AUDIT_PROFILES[profile], w.section_size_mib << 20) == []


def test_default_world_v34_breaks_the_seed_names_as_the_baseline_says():
    """Two sections per block: 3.4 names blocks by block id and prints it as end_phys_index;
    the audit sees from the tree alone what check_sysfs sees from the world."""
    w, p, view = _view("default")
    got = audit(view, V34, w.section_size_mib << 20)
    assert {(f.invariant, f.cause) for f in got} == {("sysfs_names", "names"),
                                                     ("sysfs_end_phys_index", "end_phys_index")}
    assert {f.files for f in got if f.rule == "first_section"} == {("memory/memory1",)}
    assert all(f.rule != "first_section" or "first section is 2" in f.found for f in got)


def test_profile_detection():
    assert detect_profile(_view("qemu-2node")[2])[0] == "v6.1"
    assert detect_profile(_view("default")[2])[0] == "v3.4"
    with pytest.raises(AuditInputError, match="--profile"):
        detect_profile({"memory/memory0/state": "online\n"})


def test_nodelist_parsing():
    assert parse_nodelist("0-2,4\n") == {0, 1, 2, 4}
    assert parse_nodelist("\n") == frozenset()
    assert parse_nodelist("zero\n") is None
    with pytest.raises(AuditInputError):
        parse_nodelist("0-99999999\n")


def test_not_a_memory_tree():
    with pytest.raises(AuditInputError, match="not a memory-hotplug sysfs"):
        audit({"node/possible": "0\n"}, V61)


# --- each rule catches its corruption of a spec render (qemu-2node, v6.1) ----------------------

def _corrupt(change):
    _, _, view = _view("qemu-2node")
    view = dict(view)
    change(view)
    return _rules(view, V61)


CORRUPTIONS = {
    "block_size": (lambda v: v.__setitem__("memory/block_size_bytes", "6000000\n"), "block_size_bytes"),
    "no_state": (lambda v: v.pop("memory/memory4/state"), "files"),
    "phys_index": (lambda v: v.__setitem__("memory/memory4/phys_index", "00000005\n"), "phys_index"),
    "state": (lambda v: v.__setitem__("memory/memory4/state", "onlin\n"), "state"),
    "online": (lambda v: v.__setitem__("memory/memory4/online", "0\n"), "online"),
    "removable": (lambda v: v.__setitem__("memory/memory4/removable", "0\n"), "removable"),
    "valid_zones": (lambda v: v.__setitem__("memory/memory4/valid_zones", "DMA32 Movable\n"), "valid_zones"),
    "no_link": (lambda v: v.pop("node/node1/memory4"), "link"),
    "no_backlink": (lambda v: v.pop("memory/memory4/node1"), "backlink"),
    "dangling": (lambda v: v.__setitem__("node/node1/memory9", ("link", "../../memory/memory9")), "dangling"),
    "unlinked": (lambda v: (v.pop("memory/memory4/node1"), v.pop("node/node1/memory4")), "unlinked"),
    "node_dir": (lambda v: v.__setitem__("node/online", "0\n"), "node_dirs"),
    "has_cpu": (lambda v: v.__setitem__("node/has_cpu", "0-2\n"), "has_cpu"),
    "has_memory": (lambda v: v.__setitem__("node/has_memory", "0\n"), "memory_mask"),
    "has_normal": (lambda v: v.__setitem__("node/has_normal_memory", "0\n"), "normal_mask"),
    "name": (lambda v: v.__setitem__("memory/memory004/state", "online\n"), "name"),
    "link_out": (lambda v: v.__setitem__("node/node1/cpu9", ("link", "/sys/devices/system/cpu/cpu9")),
                 "link_out"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_rule_catches_its_corruption(case):
    change, rule = CORRUPTIONS[case]
    got = _corrupt(change)
    assert rule in {r for r, _ in got}, got


def test_going_offline_is_a_note_not_a_violation():
    _, _, view = _view("qemu-2node")
    view = dict(view, **{"memory/memory4/state": "going-offline\n"})
    got = audit(view, V61)
    assert [(f.rule, f.severity) for f in got] == [("state", "note")]


def test_v34_memory_mask_is_has_normal_memory_with_n_high_memory_as_cause():
    w, p, view = _view("default")
    view = dict(view, **{"node/has_normal_memory": "\n"})
    got = [f for f in audit(view, V34, w.section_size_mib << 20) if f.rule == "memory_mask"]
    assert [(f.invariant, f.cause, f.files) for f in got] == [
        ("node_state", "N_HIGH_MEMORY", ("node/has_normal_memory",))]


def test_v34_profile_wants_no_has_memory_but_end_phys_index():
    _, _, view = _view("qemu-2node", "v3.4")
    assert "node/has_memory" not in view
    view = dict(view)
    view.pop("memory/memory4/end_phys_index")
    assert ("files", ("memory/memory4/end_phys_index",)) in _rules(view, V34)


# --- one audit for both worlds: the Monitor runs it -------------------------------------------

def test_check_sysfs_reports_audit_findings_under_their_invariant():
    w, p, _ = _view("qemu-2node")
    m = initial_machine(w, p)
    view = dict(render(w, p, m))
    view["node/node1/memory9"] = ("link", "../../memory/memory9")  # no block memory9
    v: list = []
    check_sysfs(w, p, m, view, v, set())
    assert any(x.invariant == "sysfs_links" and x.cause == "dangling" and "audit [dangling]" in x.message
               for x in v), v


def test_monitor_audits_the_initial_state():
    w, p, _ = _view("qemu-2node")
    mon = Monitor(w, p, thread_names(w))
    m = initial_machine(w, p)
    _, clean, _ = mon.initial(m, render(w, p, m))
    view = dict(render(w, p, m), **{"memory/memory4/online": "0\n"})
    _, v, _ = Monitor(w, p, thread_names(w)).initial(m, view)
    assert ("state_matches_memory", "online") not in {(x.invariant, x.cause) for x in clean}
    assert {(x.invariant, x.cause) for x in v} - {(x.invariant, x.cause) for x in clean} == {
        ("state_matches_memory", "online")}


def test_mask_findings_explained_by_a_state_invariant_are_not_doubled():
    """memory16 reads online after a 3.4 eject while node 1 lost N_HIGH_MEMORY: the state
    invariant state_matches_memory reports it; the mask rule's finding is its consequence."""
    w, p, _ = _view("default")
    m = initial_machine(w, p)
    view = dict(render(w, p, m), **{"node/has_normal_memory": "\n"})
    v: list = []
    check_sysfs(w, p, m, view, v, set())
    assert ("node_state", "N_HIGH_MEMORY") in {(x.invariant, x.cause) for x in v}
    from spec.invariants import Violation
    v2 = [Violation("state_matches_memory", "state", "memory16 reads online but its memory is gone")]
    check_sysfs(w, p, m, view, v2, set())
    assert ("node_state", "N_HIGH_MEMORY") not in {(x.invariant, x.cause) for x in v2}


def test_rule_table_is_complete():
    assert set(RULE) == {r.name for r in RULES}
    assert {r for _, (_, r) in CORRUPTIONS.items()} | {"first_section", "end_phys_index", "spans_nodes"} \
        == set(RULE)
