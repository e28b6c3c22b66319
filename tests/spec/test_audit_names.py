"""Names and links no kernel makes, judged on views alone (spec.audit): memory%u, node%u and
the kernel's relative link targets."""

from __future__ import annotations

import pytest

from spec.audit import AUDIT_PROFILES, audit, bad_name, block_id, link_out, node_id, shown
from spec.profiles import get_profile
from spec.state import initial_machine
from spec.sysfs import render
from spec.worlds import builtin_world

V61 = AUDIT_PROFILES["v6.1"]


@pytest.mark.parametrize("name,want", [
    ("memory0", 0), ("memory9", 9), ("memory4294967295", 4294967295), ("memory4294967296", None),
    ("memory007", None), ("memory00", None), ("memory+1", None), ("memory-1", None),
    ("memory1x", None), ("memory", None), ("memory\u0663", None), ("memory 1", None),
    ("memory99999999999", None), ("Memory1", None), ("node0", None),
])
def test_block_id(name, want):
    assert block_id(name) == want


@pytest.mark.parametrize("name,want", [
    ("node0", 0), ("node1023", 1023), ("node1024", None), ("node01", None), ("node+0", None),
    ("node", None), ("node0x", None), ("memory0", None),
])
def test_node_id(name, want):
    assert node_id(name) == want


@pytest.mark.parametrize("name,prefix,why", [
    ("memory007", "memory", "a leading zero"), ("memory+1", "memory", "a sign"),
    ("memory1x", "memory", "characters other than"), ("memory", "memory", "no id"),
    ("memory4294967296", "memory", "beyond 4294967295"), ("node01", "node", "a leading zero"),
    ("node2000", "node", "beyond 1023"), ("memory_1", "memory", "characters other than"),
])
def test_bad_name_says_why(name, prefix, why):
    assert why in (bad_name(name, prefix) or "")


@pytest.mark.parametrize("name", ["memory0", "memory_failure", "memory_side_cache", "block_size_bytes",
                                  "probe", "soft_offline_page", "auto_online_blocks", "uevent"])
def test_real_names_are_no_bad_name(name):
    assert bad_name(name, "memory") is None
    assert bad_name(name.replace("memory", "node"), "node") is None


@pytest.mark.parametrize("key,target", [
    ("memory/memory9/node0", "../../node/node0"), ("node/node0/memory9", "../../memory/memory9"),
    ("node/node0/cpu0", "../../cpu/cpu0"), ("memory/memory9/subsystem", "../../../../bus/memory"),
    ("memory/memory9/x", "../../../.."),  # the sysfs root itself
])
def test_kernel_links_stay_inside(key, target):
    assert link_out(key, target) is None


@pytest.mark.parametrize("key,target,why", [
    ("memory/memory9/node0", "/sys/devices/system/node/node0", "absolute"),
    ("memory/memory9/node0", "../../../../..", "climbs 5 levels"),
    ("node/node0/x", "../../../../../../etc/passwd", "climbs 6 levels"),
    # lexically inside, but memory9/node0 is itself a link: the kernel never writes '..' after a name
    ("node/node0/x", "../../memory/memory9/node0/../../../../..", "not the kernel's form"),
    ("node/node0/x", "./../../memory/memory9", "not the kernel's form"),
    ("node/node0/x", "../..//memory/memory9", "not the kernel's form"),
    ("node/node0/x", "", "not the kernel's form"),
])
def test_links_out_of_the_root(key, target, why):
    assert why in (link_out(key, target) or "")


def _render(name: str) -> dict:
    w = builtin_world(name)
    p = get_profile(w.profile)
    return dict(render(w, p, initial_machine(w, p)))


def test_misnamed_entries_are_findings_and_no_blocks():
    view = _render("qemu-2node")
    view["memory/memory004/state"] = "online\n"
    view["node/node01/"] = ""
    view["node/node1/memory+4"] = ("link", "../../memory/memory4")
    got = [(f.rule, f.invariant, f.cause, f.files) for f in audit(view, V61)]
    assert got == [("name", "sysfs_names", "names", ("memory/memory004",)),
                   ("name", "sysfs_names", "names", ("node/node01",)),
                   ("name", "sysfs_names", "names", ("node/node1/memory+4",))]


def test_link_out_is_a_finding_with_the_target_shown_on_one_line():
    view = _render("qemu-2node")
    view["node/node1/evil\n"] = ("link", "/etc/\udcffpasswd")
    got = [f for f in audit(view, V61) if f.rule == "link_out"]
    assert [f.files for f in got] == [("node/node1/evil\\n",)]
    assert "\\udcff" in got[0].found and "\n" not in got[0].line()
    assert shown("memory9") == "memory9" and shown("a\nb") == "a\\nb"


def test_spec_renders_have_no_name_or_link_finding():
    for name in ("qemu-2node", "qemu-3node", "default", "race"):
        assert not [f for f in audit(_render(name), V61) if f.rule in ("name", "link_out")]
