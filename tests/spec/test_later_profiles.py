"""The later profiles' own behaviour (facts.md sections 3.5, 4.3, 7 and 8), one operation at a
time on the default world."""

from __future__ import annotations

import pytest

from checker.review.diff import run_ops
from checker.model import SpecModel
from spec.actions import EINVAL, EPERM, hotadd, write
from spec.parse import prefix_request_38
from spec.profiles import PROFILES, get_profile
from spec.worlds import builtin_world


@pytest.mark.parametrize("text,want", [
    (b"online", "online_kernel"),       # strncmp(buf, "online_kernel", min(6, 13)) matches first
    (b"o", "online_kernel"),
    (b"online\n", "online"),            # 7 bytes: "online\n" != "online_"; then "online" (6)
    (b"online_movable", "online_movable"),
    (b"online_kernel\n", "online_kernel"),
    (b"offline", "offline"),
    (b"off", "offline"),
    (b"bogus", None),
])
def test_v3_8_store_mem_state_prefixes(text: bytes, want: str | None) -> None:
    assert prefix_request_38(text) == want


def test_profiles_are_the_rows_of_facts_section_8() -> None:
    assert list(PROFILES) == ["v3.4", "v3.8", "v4.15", "v5.6", "v6.1", "v6.17"]


class _Run:
    def __init__(self, profile: str) -> None:
        self.m = SpecModel(builtin_world("default"), get_profile(profile))
        self.s = self.m.initial()[0]

    def op(self, action, choices=()):  # type: ignore[no-untyped-def]
        runs = [r for r in run_ops(self.m, self.s, action, self.m.view(self.s))
                if r.choices[:len(choices)] == tuple(choices)]
        run = runs[0]
        self.s = run.post
        return run

    def block(self, bid: int):  # type: ignore[no-untyped-def]
        return self.m.machine(self.s).blocks[self.m.world.block_index(bid)]


def test_v3_8_online_movable_needs_the_zone_edge() -> None:
    r = _Run("v3.8")
    r.op(hotadd(16))
    r.op(hotadd(17))
    refused = r.op(write("w0", 16, "online_movable"))
    assert refused.ret == -EPERM and refused.calls == ()  # memory17 is still ZONE_NORMAL above it
    assert r.block(16).zones == ("Normal",)
    ok = r.op(write("w0", 17, "online_movable"), ("NOTIFY_OK", "0"))
    assert ok.ret == len("online_movable") and r.block(17).zones == ("Movable",)
    going = [c for c in ok.calls if c.event == "MEM_GOING_ONLINE"][0]
    assert (going.status_change_nid, going.status_change_nid_normal) == (1, -1)
    assert "node1 +N_MEMORY" in ok.node and not any("NORMAL" in n for n in ok.node)


def test_v4_15_cancel_offline_before_undo_and_no_timeout() -> None:
    r = _Run("v4.15")
    r.op(hotadd(16))
    r.op(write("w0", 16, "online"), ("NOTIFY_OK", "0"))
    runs = run_ops(r.m, r.s, write("w0", 16, "offline"), r.m.view(r.s))
    assert not any("-EAGAIN" in x.choices for x in runs)
    bad = [x for x in runs if x.choices[:1] == ("NOTIFY_BAD",)][0]
    cancel = [c for c in bad.calls if c.event == "MEM_CANCEL_OFFLINE"]
    assert cancel and not any(c.allocatable for c in cancel)  # isolation undone only after


def test_v4_15_offlines_a_block_with_a_hole_v5_6_refuses() -> None:
    old, new = _Run("v4.15"), _Run("v5.6")
    a = old.op(write("w0", 1, "offline"), ("NOTIFY_OK", "0", "ok"))
    b = new.op(write("w0", 1, "offline"))
    assert a.ret == len("offline") and b.ret == -EINVAL and b.calls == ()


def test_v6_17_node_events_around_the_memory_chain() -> None:
    r = _Run("v6.17")
    r.op(hotadd(16))
    on = r.op(write("w0", 16, "online"), ("NOTIFY_OK", "0"))
    assert [(c.event, c.callback) for c in on.calls] == [
        ("NODE_ADDING_FIRST_MEMORY", "slub"), ("MEM_GOING_ONLINE", "tier"),
        ("MEM_GOING_ONLINE", "inject"), ("NODE_ADDED_FIRST_MEMORY", "slub"),
        ("MEM_ONLINE", "tier"), ("MEM_ONLINE", "inject")]
    assert all(c.status_change_nid == (1 if c.event.startswith("NODE_") else -1) for c in on.calls)
    off = r.op(write("w0", 16, "offline"), ("NOTIFY_BAD",))
    assert [c.event for c in off.calls] == [
        "NODE_REMOVING_LAST_MEMORY", "MEM_GOING_OFFLINE", "MEM_CANCEL_OFFLINE", "MEM_CANCEL_OFFLINE",
        "NODE_CANCEL_REMOVING_LAST_MEMORY"]
    assert off.node == ()
