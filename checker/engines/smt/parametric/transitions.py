"""The transitions of the parametric model at the protocol level of spec/model.py, per profile flags.

Models (spec/STEPS.md; which rule reads which ``spec.profiles.Profile`` flag is said where it
does): a sysfs write starting (online or offline request); the lock model (``locks``: 3.4's
per-block ``state_mutex`` with ``memory_block_change_state`` and ``mem_hotplug_mutex``, or 6.1's
``device_hotplug_lock`` around device_online/device_offline); going-offline; the offline entry
checks (a block that spans zones, holes where ``holes_refused``, unmovable pages); online_pages /
offline_pages up to the first event, with ``status_change_nid`` (and ``_normal`` where
``nid_normal``) computed from the node states or, in 3.4, from the present pages; hot-add with
its node and links, into the zone ``hotadd_zone`` or into none until online; one callback call
per step in chain order with the answers NOTIFY_OK, NOTIFY_STOP and NOTIFY_BAD (an errno answer
is NOTIFY_BAD's case: it stops the chain with an error); the end of a chain with what the kernel
does next (the commit of pages and node states, set unconditionally where ``online_gated`` or
N_HIGH_MEMORY and from the nids otherwise, cleared from the present pages (N_HIGH_MEMORY) or
from the nids; the migration outcome; undoing the isolation before or after CANCEL_OFFLINE
(``cancel_before_undo``); the final state and unlock); the eject (``hot_remove``: 3.4's
offline_pages() that leaves the device behind, or 6.1's device offline and removal, making
waiting writes stale); 3.8's zone move at online (``zone_shift``).

Coarsened, with the reason (each is sound for the invariants judged here):
* a wait for a lock and the step that takes it are one transition ("taking a lock is a right
  mover", STEPS.md); a step that takes and releases a lock without changing anything is one
  no-op finish;
* the start of a chain and its first call are two transitions, and so are the last call and
  what follows the chain: the extra intermediate states only add interleavings, and every
  chain runs under the hotplug lock, so no other thread can touch what the chain reads;
* the commit and the start of the closing chain are one transition, and so are 6.1's
  ``migrate_failed`` point and the undo plus CANCEL_OFFLINE that follows: the hotplug lock is
  held across both, and the point itself changes nothing another thread could see;
* writes that the parser refuses, empty writes, reads and the error injector's settings change
  no state the invariants read; they are left out (an injected errno is a NOTIFY_BAD answer).

Over-approximations (more behaviours than any world has): every callback may answer each GOING
event with any of the three answers; the migration outcome, the zone an online picks (6.1:
kernel or movable; 3.8: the zone move of online_kernel / online_movable, whose zone-edge
condition is not modelled, so a move or -EPERM is always possible) and ``status_change_nid``
in the cases where it depends on page counts the model does not keep (a hole larger than the
other blocks' memory) are free choices; any number of firmware threads.

Leaves out: the profiles :func:`checker.engines.smt.parametric.flags.supports` refuses.
"""

from __future__ import annotations

from typing import Any

import z3

from checker.engines.smt.parametric.ctx import MUTANTS, Ctx, Rule, flipcheck
from checker.engines.smt.parametric.flags import STATE_MUTEX, kernel_zone, require
from checker.engines.smt.parametric.profile_rules import (
    DEVICE_HOTPLUG_RULES,
    EJECT_OFFLINE_PAGES,
    EJECT_REMOVE,
    STATE_MUTEX_RULES,
    ZONE_SHIFT,
)
from checker.engines.smt.parametric.vocab import Vocab
from spec.profiles import Profile

__all__ = ["MUTANTS", "Rule", "instantiate", "rules"]


# --- rules common to both lock models ---------------------------------------------------------
def r_write_start(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b, on = c.pre, P["t"], P["b"], P["on"]
    c.start_op(t, b, z3.If(on, c.E("Kind", "WON"), c.E("Kind", "WOFF")),
               "WAIT_SMX" if c.state_mutex else "WAIT_HP")
    return z3.And(p.is_pc(t, "IDLE"), z3.Not(p.fw(t)), p.reg(b))


def r_add_start(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.start_op(t, b, c.E("Kind", "ADD"), "WAIT_HP")
    c.u.pt("present", (b,), True)
    return z3.And(p.is_pc(t, "IDLE"), p.fw(t), p.hot(b), z3.Not(p.present(b)))


def r_eject_start(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    # offline_pages: remove_memory() -> offline_pages(), no state_mutex, no going-offline;
    # offline_and_remove: the ACPI eject takes device_hotplug_lock, then device_offline()
    c.start_op(t, b, c.E("Kind", "EJ"),
               "OFF_ENTRY" if c.p.hot_remove == "offline_pages" else "WAIT_HP")
    return z3.And(p.is_pc(t, "IDLE"), p.fw(t), p.hot(b), p.present(b))


def r_add_busy(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.finish(t)  # -EEXIST: the resource is still registered
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "ADD"), p.blk(t) == b,
                  z3.Not(p.locked), p.res(b))


def r_add(c: Ctx, P: dict[str, Any]) -> Any:
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    for r in ("reg", "res"):
        u.pt(r, (b,), True)
    c.set_state(b, False, False)
    c.set_pages(b, False, False)
    # hotadd_zone: the zone fixed at hot-add (3.4: ZONE_NORMAL), or none until online
    u.pt("kz", (b,), kernel_zone(c.p.hotadd_zone))
    u.pt("non", (n,), True)

    def newlink(x: Any, y: Any) -> Any:
        # the new block is linked to its node (3.4: arch_add_memory() if the node is online,
        # else register_one_node(), which links the node's registered blocks; 6.1 onlines the
        # node first and links the new block only). The two agree wherever the model applies:
        # a block registered at boot sits on an online node (``initial``), nodes never go
        # offline, so no registered block sits on an offline node (the lemma registered_linked).
        return z3.Or(z3.And(x == n, y == b),
                     z3.And(x == n, z3.Not(p.non(n)), p.bn(y, n), p.reg(y)))
    u.fn("link", lambda x, y: z3.Or(p.link(x, y), newlink(x, y)))
    if c.mut != "add_no_backlink":
        u.fn("blink", lambda y, x: z3.Or(p.blink(y, x), newlink(x, y)))
    c.finish(t)
    return z3.And(p.is_pc(t, "WAIT_HP"), p.is_kind(t, "ADD"), p.blk(t) == b, p.bn(b, n),
                  z3.Not(p.locked), z3.Not(p.res(b)))


def r_call(c: Ctx, P: dict[str, Any]) -> Any:
    """One callback called with the chain's event; the next in chain order."""
    p, u, t, cb, stp, bad = c.pre, c.u, P["t"], P["c"], P["stp"], P["bad"]
    going = p.is_ev(t, "GON", "GOFF")
    c2 = z3.Const("c_prev", c.sig.sort("C"))
    t2 = z3.Const("t_other", c.sig.sort("T"))
    u.pt("cal", (t, cb), True)
    u.pt("sg", (t, cb), z3.Or(p.sg(t, cb), going))
    u.pt("okg", (t, cb), z3.If(going, z3.Not(stp), p.okg(t, cb)))
    u.pt("cl", (t, cb), z3.Or(p.cl(t, cb), z3.Not(going)))
    u.pt("cerr", (t,), z3.If(going, z3.And(stp, bad), p.cerr(t)))
    cancel_stops = c.mut == "cancel_first_only"
    u.pt("stop", (t,), z3.If(going, stp, p.is_ev(t, "CON", "COFF") if cancel_stops else False))
    u.flag("v_xunseen", z3.And(p.is_ev(t, "XON", "XOFF"), z3.Not(p.sg(t, cb))))
    u.flag("v_closed", z3.Exists([t2], z3.And(t2 != t, p.opn(t2))))
    guard = [p.is_pc(t, "CHAIN"), z3.Not(p.stop(t)), z3.Not(p.cal(t, cb)),
             z3.ForAll([c2], z3.Implies(p.lt(c2, cb), p.cal(t, c2))),
             z3.Or(going, z3.Not(stp))]
    if c.mut == "no_notify_stop":
        guard.append(z3.Implies(stp, bad))
    return z3.And(*guard)


def _chain_end(c: Ctx, P: dict[str, Any], ev: str, extra: Any = True) -> Any:
    p, t, b, n = c.pre, P["t"], P["b"], P["n"]
    cc = z3.Const("c_all", c.sig.sort("C"))
    return z3.And(p.is_pc(t, "CHAIN"), p.is_ev(t, ev), p.blk(t) == b, p.bn(b, n),
                  z3.Or(p.stop(t), z3.ForAll([cc], p.cal(t, cc))), extra)


def r_end_gon_err(c: Ctx, P: dict[str, Any]) -> Any:
    c.u.pt("err", (P["t"],), True)
    c.start_chain(P["t"], "CON")
    return _chain_end(c, P, "GON", c.pre.cerr(P["t"]))


def r_end_gon_ok(c: Ctx, P: dict[str, Any]) -> Any:
    """online_pages() commit: pages online and counted, node states, then MEM_ONLINE."""
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    c.set_pages(b, True, False)
    prof = c.p
    if c.mut == "online_no_node_state":
        new = p.nmem(n)
    elif "N_HIGH_MEMORY" in prof.node_flags or prof.online_gated:
        # if (onlined_pages) node_set_state(N_HIGH_MEMORY) / node_states_set_node() sets
        # N_MEMORY whatever the nid (every block has some System RAM)
        new = z3.BoolVal(True)
    else:  # 5.6+ node_states_set_node(): trusts status_change_nid
        new = z3.Or(p.nmem(n), p.scn(t))
    if "N_NORMAL_MEMORY" in prof.node_flags:  # N_NORMAL_MEMORY from status_change_nid_normal
        u.pt("nnorm", (n,), z3.Or(p.nnorm(n), p.scnn(t)))
    u.pt("nmem", (n,), new)
    flipcheck(c, t, n, new)
    c.start_chain(t, "XON")
    return _chain_end(c, P, "GON", z3.Not(p.cerr(t)))


def r_end_con(c: Ctx, P: dict[str, Any]) -> Any:
    t, b = P["t"], P["b"]
    c.release()
    if c.p.hotadd_zone is None:
        c.u.pt("kz", (b,), False)  # the zone chosen at online goes: remove_pfn_range_from_zone()
    if c.state_mutex:
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))  # mem->state is set under state_mutex
    else:
        c.finish(t)
    return _chain_end(c, P, "CON")


def r_end_xon(c: Ctx, P: dict[str, Any]) -> Any:
    t, b = P["t"], P["b"]
    c.release()
    if c.state_mutex:
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    else:
        c.set_state(b, True, False)
        c.finish(t)
    return _chain_end(c, P, "XON")


def _offline_failed(c: Ctx, t: Any, b: Any) -> None:
    p = c.pre
    c.u.pt("err", (t,), True)
    if not c.p.cancel_before_undo:  # 5.10+: undo the isolation, then CANCEL_OFFLINE
        c.set_pages(b, p.nonres(b), False)
    if c.mut == "no_cancel_offline":
        c.release()
        if c.p.cancel_before_undo:
            c.set_pages(b, p.nonres(b), False)
        if c.state_mutex:
            c.u.pt("pc", (t,), c.E("Pc", "FIN"))
        else:
            c.set_state(b, True, False)
            c.finish(t)
        return
    c.start_chain(t, "COFF")


def r_end_goff_err(c: Ctx, P: dict[str, Any]) -> Any:
    _offline_failed(c, P["t"], P["b"])
    return _chain_end(c, P, "GOFF", c.pre.cerr(P["t"]))


def r_end_goff_fail(c: Ctx, P: dict[str, Any]) -> Any:
    """Migration gave up (-EBUSY, -EINTR, -EAGAIN) or the pages were never isolated."""
    p = c.pre
    _offline_failed(c, P["t"], P["b"])
    return _chain_end(c, P, "GOFF", z3.And(z3.Not(p.cerr(P["t"])),
                                           z3.Or(z3.Not(P["mok"]), z3.Not(p.pg_iso(P["b"])))))


def r_end_goff_ok(c: Ctx, P: dict[str, Any]) -> Any:
    """offline_pages() commit: pages reserved, node states, then MEM_OFFLINE."""
    p, u, t, b, n = c.pre, c.u, P["t"], P["b"], P["n"]
    c.set_pages(b, False, False)
    if "N_HIGH_MEMORY" in c.p.node_flags:
        # if (!node_present_pages(node)) node_clear_state(N_HIGH_MEMORY): the actual count
        new = z3.And(p.nmem(n), z3.Not(c.noother(b, n)))
    else:  # node_states_clear_node(): trusts the nids
        new = z3.And(p.nmem(n), z3.Not(p.scn(t)))
    if "N_NORMAL_MEMORY" in c.p.node_flags:
        u.pt("nnorm", (n,), z3.And(p.nnorm(n), z3.Not(p.scnn(t))))
    u.pt("nmem", (n,), new)
    flipcheck(c, t, n, new)
    c.start_chain(t, "XOFF")
    return _chain_end(c, P, "GOFF", z3.And(z3.Not(p.cerr(t)), P["mok"], p.pg_iso(b)))


def r_end_coff(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.release()
    if c.p.cancel_before_undo:  # CANCEL_OFFLINE sent, now undo_isolate_page_range()
        c.set_pages(b, p.nonres(b), False)
    if c.state_mutex:
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    else:
        c.set_state(b, True, False)
        c.finish(t)
    return _chain_end(c, P, "COFF")


def r_end_xoff(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.release()
    if c.p.hotadd_zone is None:
        c.u.pt("kz", (b,), False)  # the zone chosen at online goes with the offline
    if c.state_mutex:
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    else:  # state offline; the removing eject then removes the block
        c.set_state(b, False, False)
        if c.p.hot_remove == "offline_and_remove":
            c.remove_block(t, b, p.is_kind(t, "EJ"))
        c.finish(t)
    return _chain_end(c, P, "XOFF")


_T, _B, _N, _C = ("t", "T"), ("b", "B"), ("n", "N"), ("c", "C")
COMMON = (
    Rule("write_start", (_T, _B, ("on", "Bool")), r_write_start),
    Rule("hotadd_start", (_T, _B), r_add_start),
    Rule("eject_start", (_T, _B), r_eject_start),
    Rule("hotadd_busy", (_T, _B), r_add_busy),
    Rule("hotadd", (_T, _B, _N), r_add),
    Rule("call", (_T, _C, ("stp", "Bool"), ("bad", "Bool")), r_call),
    Rule("end_going_online_error", (_T, _B, _N), r_end_gon_err),
    Rule("end_going_online_commit", (_T, _B, _N), r_end_gon_ok),
    Rule("end_cancel_online", (_T, _B, _N), r_end_con),
    Rule("end_online", (_T, _B, _N), r_end_xon),
    Rule("end_going_offline_error", (_T, _B, _N), r_end_goff_err),
    Rule("end_going_offline_migrate_failed", (_T, _B, _N, ("mok", "Bool")), r_end_goff_fail),
    Rule("end_going_offline_commit", (_T, _B, _N, ("mok", "Bool")), r_end_goff_ok),
    Rule("end_cancel_offline", (_T, _B, _N), r_end_coff),
    Rule("end_offline", (_T, _B, _N), r_end_xoff),
)


def rules(profile: str | Profile) -> tuple[Rule, ...]:
    """The transitions of ``profile`` (UnsupportedProfile if the model lacks one of its
    behaviours)."""
    p = require(profile)
    out = COMMON + (STATE_MUTEX_RULES if p.locks == STATE_MUTEX else DEVICE_HOTPLUG_RULES)
    out += EJECT_OFFLINE_PAGES if p.hot_remove == "offline_pages" else EJECT_REMOVE
    return out + (ZONE_SHIFT if p.zone_shift else ())


def instantiate(rule: Rule, pre: Vocab, post: Vocab, profile: str | Profile,
                mutant: str | None, tag: str) -> tuple[Any, set[str]]:
    """The formula of ``rule`` between ``pre`` and ``post``, with its parameters as fresh
    constants (existentially quantified at the top of every query), and the names of the
    state symbols it may change (every other one keeps its value)."""
    sig = pre.sig
    P = {name: z3.Const(f"{rule.name}.{name}{tag}", sig.sort(s)) for name, s in rule.params}
    ctx = Ctx(pre, post, require(profile), mutant)
    guard = rule.body(ctx, P)
    u = ctx.u
    return z3.And(guard, u.formula()), set(u.points) | set(u.fns) | set(u.flags)
