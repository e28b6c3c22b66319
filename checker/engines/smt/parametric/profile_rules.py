"""The transitions of the parametric model that belong to one lock model or one eject (spec/STEPS.md).

Models: the 3.4 lock model (``locks=state_mutex``): ``state_mutex`` and the checks of
memory_block_change_state (with ``pages_correctly_reserved()`` where the profile has it), the
offline entry checks before ``mem_hotplug_mutex``, online_pages / offline_pages up to GOING_X,
and the final ``mem->state`` update; the 6.1 lock model (``locks=device_hotplug``):
device_online / device_offline under ``device_hotplug_lock`` with stale writes, the zone an
online picks, offline_pages' refusals (holes where ``holes_refused``); the nids of either, from
the present pages (3.4) or from the node states (``nid_normal`` profiles and 6.1), with
``status_change_nid_normal`` where ``nid_normal``; the eject (``hot_remove``): 3.4's, which
leaves the device behind, or 6.1's removal of a block already offline; 3.8's ``zone_shift``
refusal (-EPERM, no event).

Leaves out: what spec/STEPS.md does not describe (see checker.engines.smt.parametric.flags).
"""

from __future__ import annotations

from typing import Any

import z3

from checker.engines.smt.parametric.ctx import Ctx, Rule


# --- the 3.4 lock model (locks=state_mutex) ----------------------------------------------------
def _unreserved(c: Ctx, b: Any) -> Any:
    """pages_correctly_reserved() fails: a missing section, or pages not reserved (-EBUSY)."""
    if not c.p.pages_correctly_reserved:
        return z3.BoolVal(False)
    return z3.Or(c.pre.refuse_on(b), c.pre.nonres(b))


def r34_ws_reject(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.finish(t)  # take state_mutex, refuse (-EINVAL / -EBUSY), release
    on = p.is_kind(t, "WON")
    bad_on = z3.Or(z3.Not(p.offline(b)), _unreserved(c, b))
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
                  z3.Not(p.smx(b)), p.offline(b), z3.Not(_unreserved(c, b)))


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
    """online_pages(): 3.4 status_change_nid = nid if node_present_pages(nid) == 0; with
    nid_normal (3.8 node_states_check_changes_online()) from N_MEMORY and N_NORMAL_MEMORY;
    with zone_shift the block may first move to the other zone (the kz choice)."""
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    c.take(t)
    kz = P["kzc"] if c.p.zone_shift else p.kz(b)
    if c.p.zone_shift:
        u.pt("kz", (b,), kz)
    if c.mut == "scn_always":
        scn = z3.BoolVal(True)
    elif c.p.nid_normal:
        scn = z3.Not(p.nmem(n))
    else:
        y = z3.Const("y_any", c.sig.sort("B"))
        scn = z3.ForAll([y], z3.Not(z3.And(p.bn(y, n), p.nonres(y))))
    u.pt("scn", (t,), scn)
    bad = [scn != z3.Not(p.nmem(n))]
    if c.p.nid_normal:
        scnn = z3.And(kz, z3.Not(p.nnorm(n)))
        u.pt("scnn", (t,), scnn)
        bad.append(scnn != z3.And(z3.Not(p.nnorm(n)), kz))
    u.flag("v_scn", z3.Or(*bad))
    c.start_chain(t, "GON")
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "WON"), p.blk(t) == b, p.bn(b, n),
                  z3.Not(p.locked))


def r38_zone_refused(c: Ctx, P: dict[str, Any]) -> Any:
    """3.8 online_pages(): the block is not at the zone's edge: -1 (-EPERM), no event; the
    lock is taken and released in the step, mem->state goes back under state_mutex."""
    p, t, b = c.pre, P["t"], P["b"]
    c.u.pt("err", (t,), True)
    c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "WON"), p.blk(t) == b, z3.Not(p.locked))


def r34_isolate_busy(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.u.pt("err", (t,), True)
    c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "WOFF", "EJ"), p.blk(t) == b,
                  z3.Not(p.locked), p.unmov(b), p.pg_on(b))


def offline_nids(c: Ctx, P: dict[str, Any]) -> None:
    """offline_pages(): status_change_nid = node if nr_pages >= node_present_pages(node), and
    (nid_normal) status_change_nid_normal = node if the block is in a kernel zone and nr_pages
    >= the node's kernel-zone present pages. nr_pages is the span, holes included: exact when
    no other block of the node has counted pages (then always the node) or when the block's
    own pages are counted and it has no hole (then never); a free choice otherwise."""
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    none_other, none_other_k = c.noother(b, n), c.noother(b, n, kernel=True)
    own = z3.And(p.nonres(b), z3.Not(p.hole(b)))
    scn = z3.If(none_other, True, z3.If(own, False, P["hs"]))
    u.pt("scn", (t,), scn)
    bad = [scn != z3.And(p.nmem(n), none_other)]
    if c.p.nid_normal:
        scnn = z3.And(p.kz(b), z3.If(none_other_k, True, z3.If(own, False, P["hsn"])))
        u.pt("scnn", (t,), scnn)
        bad.append(scnn != z3.And(p.nnorm(n), p.kz(b), none_other_k))
    u.flag("v_scn", z3.Or(*bad))


def r34_isolate(c: Ctx, P: dict[str, Any]) -> Any:
    """offline_pages(): isolate, the nids, GOING_OFFLINE."""
    p, t, b, n = c.pre, P["t"], P["b"], P["n"]
    c.take(t)
    c.set_pages(b, False, p.nonres(b))
    offline_nids(c, P)
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


# --- the 6.1 lock model (locks=device_hotplug) ------------------------------------------------
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
    u.pt("scn", (t,), scn)
    bad = [scn != z3.Not(p.nmem(n))]
    if c.p.nid_normal:
        scnn = z3.And(kzc, z3.Not(p.nnorm(n)))
        u.pt("scnn", (t,), scnn)
        bad.append(scnn != z3.And(z3.Not(p.nnorm(n)), kzc))
    u.flag("v_scn", z3.Or(*bad))
    c.start_chain(t, "GON")
    return z3.And(_hp61(c, t, b), p.is_kind(t, "WON"), p.bn(b, n), z3.Not(p.stale(t)),
                  p.reg(b), p.offline(b))


def r61_eject_offline(c: Ctx, P: dict[str, Any]) -> Any:
    """hot_remove=offline_and_remove: the eject of a block already offline removes it at once."""
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


def _refused61(c: Ctx, b: Any) -> Any:
    """memory_block_offline() / offline_pages() refuse at entry: no single zone or a missing
    section (``refuse``), memory holes (holes_refused, 5.6+: -EINVAL)."""
    p = c.pre
    return z3.Or(p.refuse(b), p.hole(b)) if c.p.holes_refused else p.refuse(b)


def r61_entry_fail(c: Ctx, P: dict[str, Any]) -> Any:
    """Refused at entry, or isolation fails: state back to online, unlock."""
    p, t, b = c.pre, P["t"], P["b"]
    c.set_state(b, True, False)
    c.release()
    c.finish(t)
    return z3.And(p.is_pc(t, "OFF_ENTRY"), p.blk(t) == b,
                  z3.Or(_refused61(c, b), z3.And(p.unmov(b), p.pg_on(b))))


def r61_isolate(c: Ctx, P: dict[str, Any]) -> Any:
    """offline_pages(): isolate, node_states_check_changes_offline(), GOING_OFFLINE."""
    p, t, b, n = c.pre, P["t"], P["b"], P["n"]
    c.set_pages(b, False, True)
    offline_nids(c, P)
    c.start_chain(t, "GOFF")
    return z3.And(p.is_pc(t, "OFF_ENTRY"), p.blk(t) == b, p.bn(b, n), z3.Not(_refused61(c, b)),
                  z3.Not(z3.And(p.unmov(b), p.pg_on(b))))


_T, _B, _N = ("t", "T"), ("b", "B"), ("n", "N")
_NIDS = (("hs", "Bool"), ("hsn", "Bool"))
STATE_MUTEX_RULES = (
    Rule("state_mutex_refuse", (_T, _B), r34_ws_reject),
    Rule("state_mutex_going_offline", (_T, _B), r34_ws_off),
    Rule("state_mutex_online", (_T, _B), r34_ws_on),
    Rule("offline_entry_refused", (_T, _B), r34_entry_refused),
    Rule("offline_entry", (_T, _B), r34_entry_ok),
    # kzc: the zone after a zone_shift move (unused without zone_shift)
    Rule("online_pages", (_T, _B, _N, ("kzc", "Bool")), r34_online),
    Rule("isolate_busy", (_T, _B), r34_isolate_busy),
    Rule("offline_pages", (_T, _B, _N) + _NIDS, r34_isolate),
    Rule("finish_write", (_T, _B), r34_fin_write),
)
DEVICE_HOTPLUG_RULES = (
    Rule("write_nodev", (_T, _B), r61_nodev),
    Rule("device_noop", (_T, _B), r61_noop),
    Rule("memory_block_online", (_T, _B, _N, ("kzc", "Bool")), r61_online),
    Rule("going_offline", (_T, _B), r61_going),
    Rule("offline_entry_failed", (_T, _B), r61_entry_fail),
    Rule("offline_pages", (_T, _B, _N) + _NIDS, r61_isolate),
)
#: hot_remove=offline_pages: the ACPI driver after remove_memory() (the device stays)
EJECT_OFFLINE_PAGES = (Rule("finish_eject", (_T, _B), r34_fin_eject),)
#: hot_remove=offline_and_remove: the eject of a block already offline removes it
EJECT_REMOVE = (Rule("eject_offline_block", (_T, _B), r61_eject_offline),)
#: zone_shift (3.8): online_kernel / online_movable off the zone's edge
ZONE_SHIFT = (Rule("online_pages_zone_refused", (_T, _B), r38_zone_refused),)
