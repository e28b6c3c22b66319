"""The transitions of the parametric model that only one profile has (spec/STEPS.md).

Models: v3.4's ``state_mutex`` checks in memory_block_change_state, the offline entry checks
before ``mem_hotplug_mutex``, online_pages/offline_pages up to GOING_X with 3.4's
``status_change_nid`` rules, and the final state update (writer) or device eject (firmware);
v6.1's device_online/device_offline under ``device_hotplug_lock`` with stale writes,
memory_block_online's zone and nids, offline_pages' refusals and node_states_check_changes_offline,
and the eject of a block already offline.
"""

from __future__ import annotations

from typing import Any

import z3

from checker.smt.parametric.ctx import Ctx, Rule


# --- v3.4 only ---------------------------------------------------------------------------------
def r34_ws_reject(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.finish(t)  # take state_mutex, refuse (-EINVAL / -EBUSY), release
    on = p.is_kind(t, "WON")
    bad_on = z3.Or(z3.Not(p.offline(b)), p.refuse_on(b), p.nonres(b))
    return z3.And(p.is_pc(t, "WAIT_SMX"), p.blk(t) == b, z3.Not(p.smx(b)),
                  z3.If(on, bad_on, z3.Not(p.st_on(b))))


def r34_ws_off(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.u.pt("smx", (b,), True)
    c.set_state(b, False, True)
    c.u.pt("pc", (t,), c.E("Pc", "OFF_ENTRY"))
    return z3.And(p.is_pc(t, "WAIT_SMX"), p.is_kind(t, "WOFF"), p.blk(t) == b,
                  z3.Not(p.smx(b)), p.st_on(b))


def r34_ws_on(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.u.pt("smx", (b,), True)
    c.u.pt("pc", (t,), c.E("Pc", "WAIT_HP"))
    return z3.And(p.is_pc(t, "WAIT_SMX"), p.is_kind(t, "WON"), p.blk(t) == b,
                  z3.Not(p.smx(b)), p.offline(b), z3.Not(p.refuse_on(b)), z3.Not(p.nonres(b)))


def r34_entry_refused(c: Ctx, P: dict[str, Any]) -> Any:
    """test_pages_in_a_zone() fails: -EINVAL (writer: state back to online, unlock)."""
    p, t, b = c.pre, P["t"], P["b"]
    w = p.is_kind(t, "WOFF")
    c.set_state(b, z3.Or(w, p.st_on(b)), z3.And(z3.Not(w), p.st_go(b)))
    c.u.pt("smx", (b,), z3.And(z3.Not(w), p.smx(b)))
    c.finish(t)
    return z3.And(p.is_pc(t, "OFF_ENTRY"), p.blk(t) == b, p.refuse(b))


def r34_entry_ok(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.u.pt("pc", (t,), c.E("Pc", "WAIT_HP"))
    return z3.And(p.is_pc(t, "OFF_ENTRY"), p.blk(t) == b, z3.Not(p.refuse(b)))


def r34_online(c: Ctx, P: dict[str, Any]) -> Any:
    """online_pages(): status_change_nid = nid if node_present_pages(nid) == 0."""
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    c.take(t)
    y = z3.Const("y_any", c.sig.sort("B"))
    scn = z3.BoolVal(True) if c.mut == "scn_always" else z3.ForAll(
        [y], z3.Not(z3.And(p.bn(y, n), p.nonres(y))))
    u.pt("scn", (t,), scn)
    u.flag("v_scn", scn != z3.Not(p.nmem(n)))
    c.start_chain(t, "GON")
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "WON"), p.blk(t) == b, p.bn(b, n),
                  z3.Not(p.locked))


def r34_isolate_busy(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.u.pt("err", (t,), True)
    c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "WOFF", "EJ"), p.blk(t) == b,
                  z3.Not(p.locked), p.unmov(b), p.pg_on(b))


def r34_isolate(c: Ctx, P: dict[str, Any]) -> Any:
    """offline_pages(): isolate, status_change_nid = node if nr_pages >= node_present_pages."""
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    c.take(t)
    c.set_pages(b, False, p.nonres(b))
    other = c.noother(b, n)
    scn = z3.If(other, True, z3.If(z3.And(p.nonres(b), z3.Not(p.hole(b))), False, P["hs"]))
    u.pt("scn", (t,), scn)
    u.flag("v_scn", scn != z3.And(p.nmem(n), other))
    c.start_chain(t, "GOFF")
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "WOFF", "EJ"), p.blk(t) == b, p.bn(b, n),
                  z3.Not(p.locked), z3.Not(z3.And(p.unmov(b), p.pg_on(b))))


def r34_fin_eject(c: Ctx, P: dict[str, Any]) -> Any:
    """The ACPI driver after remove_memory(): on success the device is ejected; the memory
    block device, its state and links stay."""
    p, t, b = c.pre, P["t"], P["b"]
    ok = z3.Not(p.err(t))
    c.remove_flag(t, b, ok)
    c.u.pt("present", (b,), z3.And(p.present(b), z3.Not(ok)))
    c.finish(t)
    return z3.And(p.is_pc(t, "FIN"), p.is_kind(t, "EJ"), p.blk(t) == b)


def r34_fin_write(c: Ctx, P: dict[str, Any]) -> Any:
    """memory_block_change_state(): mem->state = to (success) or from (error), unlock."""
    p, t, b = c.pre, P["t"], P["b"]
    c.set_state(b, p.is_kind(t, "WON") != p.err(t), False)
    c.u.pt("smx", (b,), False)
    c.finish(t)
    return z3.And(p.is_pc(t, "FIN"), p.is_kind(t, "WON", "WOFF"), p.blk(t) == b)


# --- v6.1 only ---------------------------------------------------------------------------------
def _hp61(c: Ctx, t: Any, b: Any) -> Any:
    p = c.pre
    return z3.And(p.is_pc(t, "WAIT_HP"), p.blk(t) == b, z3.Not(p.locked))


def r61_nodev(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.finish(t)  # kernfs: the write's device was removed while it waited (-ENODEV)
    return z3.And(_hp61(c, t, b), p.is_kind(t, "WON", "WOFF"), z3.Or(p.stale(t), z3.Not(p.reg(b))))


def r61_noop(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.finish(t)  # device_online()/device_offline() on a device already there: returns 1
    return z3.And(_hp61(c, t, b), z3.Not(p.stale(t)), p.reg(b),
                  z3.Or(z3.And(p.is_kind(t, "WON"), z3.Not(p.offline(b))),
                        z3.And(p.is_kind(t, "WOFF"), p.offline(b))))


def r61_online(c: Ctx, P: dict[str, Any]) -> Any:
    """memory_block_online(): zone chosen, nids from the node states, GOING_ONLINE."""
    p, u, t, b, n, kzc = c.pre, c.u, P["t"], P["b"], P["n"], P["kzc"]
    c.take(t)
    u.pt("kz", (b,), kzc)
    scn = z3.BoolVal(True) if c.mut == "scn_always" else z3.Not(p.nmem(n))
    scnn = z3.And(kzc, z3.Not(p.nnorm(n)))
    u.pt("scn", (t,), scn)
    u.pt("scnn", (t,), scnn)
    u.flag("v_scn", z3.Or(scn != z3.Not(p.nmem(n)), scnn != z3.And(z3.Not(p.nnorm(n)), kzc)))
    c.start_chain(t, "GON")
    return z3.And(_hp61(c, t, b), p.is_kind(t, "WON"), p.bn(b, n), z3.Not(p.stale(t)),
                  p.reg(b), p.offline(b))


def r61_eject_offline(c: Ctx, P: dict[str, Any]) -> Any:
    """acpi eject of a block already offline: removed at once."""
    p, t, b = c.pre, P["t"], P["b"]
    c.remove_block(t, b, z3.BoolVal(True))
    for r in ("st_on", "st_go", "pg_on", "pg_iso", "kz"):
        c.u.pt(r, (b,), False)
    c.finish(t)
    cond = z3.BoolVal(True) if c.mut == "eject_online" else p.offline(b)
    return z3.And(_hp61(c, t, b), p.is_kind(t, "EJ"), cond)


def r61_going(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.take(t)
    c.set_state(b, False, True)
    c.u.pt("pc", (t,), c.E("Pc", "OFF_ENTRY"))
    return z3.And(_hp61(c, t, b), p.is_kind(t, "WOFF", "EJ"), z3.Not(p.offline(b)),
                  z3.Or(p.is_kind(t, "EJ"), z3.And(z3.Not(p.stale(t)), p.reg(b))))


def r61_entry_fail(c: Ctx, P: dict[str, Any]) -> Any:
    """No single zone, holes, or isolation fails: state back to online, unlock."""
    p, t, b = c.pre, P["t"], P["b"]
    c.set_state(b, True, False)
    c.release()
    c.finish(t)
    return z3.And(p.is_pc(t, "OFF_ENTRY"), p.blk(t) == b,
                  z3.Or(p.refuse(b), z3.And(p.unmov(b), p.pg_on(b))))


def r61_isolate(c: Ctx, P: dict[str, Any]) -> Any:
    """offline_pages(): isolate, node_states_check_changes_offline(), GOING_OFFLINE."""
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    c.set_pages(b, False, True)
    other, other_k = c.noother(b, n), c.noother(b, n, kernel=True)
    own = p.nonres(b)
    scn = z3.If(other, True, z3.If(own, False, P["hs"]))
    scnn = z3.And(p.kz(b), z3.If(other_k, True, z3.If(own, False, P["hsn"])))
    u.pt("scn", (t,), scn)
    u.pt("scnn", (t,), scnn)
    u.flag("v_scn", z3.Or(scn != z3.And(p.nmem(n), other),
                          scnn != z3.And(p.nnorm(n), p.kz(b), other_k)))
    c.start_chain(t, "GOFF")
    return z3.And(p.is_pc(t, "OFF_ENTRY"), p.blk(t) == b, p.bn(b, n), z3.Not(p.refuse(b)),
                  z3.Not(z3.And(p.unmov(b), p.pg_on(b))))


_T, _B, _N = ("t", "T"), ("b", "B"), ("n", "N")
V34 = (
    Rule("state_mutex_refuse", (_T, _B), r34_ws_reject),
    Rule("state_mutex_going_offline", (_T, _B), r34_ws_off),
    Rule("state_mutex_online", (_T, _B), r34_ws_on),
    Rule("offline_entry_refused", (_T, _B), r34_entry_refused),
    Rule("offline_entry", (_T, _B), r34_entry_ok),
    Rule("online_pages", (_T, _B, _N), r34_online),
    Rule("isolate_busy", (_T, _B), r34_isolate_busy),
    Rule("offline_pages", (_T, _B, _N, ("hs", "Bool")), r34_isolate),
    Rule("finish_eject", (_T, _B), r34_fin_eject),
    Rule("finish_write", (_T, _B), r34_fin_write),
)
V61 = (
    Rule("write_nodev", (_T, _B), r61_nodev),
    Rule("device_noop", (_T, _B), r61_noop),
    Rule("memory_block_online", (_T, _B, _N, ("kzc", "Bool")), r61_online),
    Rule("eject_offline_block", (_T, _B), r61_eject_offline),
    Rule("going_offline", (_T, _B), r61_going),
    Rule("offline_entry_failed", (_T, _B), r61_entry_fail),
    Rule("offline_pages", (_T, _B, _N, ("hs", "Bool"), ("hsn", "Bool")), r61_isolate),
)
