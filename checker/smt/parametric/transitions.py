"""The transitions of the parametric model, per profile, at the protocol level of spec/model.py.

Models, for v3.4 and v6.1 (spec/STEPS.md): a sysfs write starting (online or offline request);
3.4's per-block ``state_mutex`` and ``memory_block_change_state`` checks; going-offline; the
offline entry checks (a block that spans zones, 6.1's holes, unmovable pages); taking the
hotplug lock (3.4 ``mem_hotplug_mutex``, 6.1 ``device_hotplug_lock``) and what follows it
(online_pages / offline_pages up to the first event, 6.1 device_online/device_offline, hot-add
with its node and links); one callback call per step in chain order with the answers NOTIFY_OK,
NOTIFY_STOP and NOTIFY_BAD (an errno answer is NOTIFY_BAD's case: it stops the chain with an
error); the end of a chain with what the kernel does next (commit of pages and node states,
the migration outcome, undoing the isolation, CANCEL chains, the final state and unlock);
3.4's final ``mem->state`` update and the eject that leaves the device behind; 6.1's eject that
offlines and then removes the block (device, links, resource), making waiting writes stale.

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
event with any of the three answers; the migration outcome, the 6.1 zone (kernel or movable)
and ``status_change_nid`` in the cases where it depends on page counts the model does not keep
(a hole larger than the other blocks' memory) are free choices; any number of firmware threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import z3

from checker.smt.parametric.update import Upd
from checker.smt.parametric.vocab import Sig, Vocab

MUTANTS = {
    "online_no_node_state": "online commit does not set the node's memory state",
    "no_cancel_offline": "a failed GOING_OFFLINE chain is not followed by CANCEL_OFFLINE",
    "cancel_first_only": "CANCEL_* reaches only the first callback",
    "scn_always": "status_change_nid is the node id on every online",
    "add_no_backlink": "hot-add creates the node link but not the memoryX/nodeN backlink",
    "eject_online": "the eject removes a block without offlining it first",
    "no_notify_stop": "callbacks never answer NOTIFY_STOP (a variant that must prove x_after_going)",
}


@dataclass
class Rule:
    name: str
    params: tuple[tuple[str, str], ...]
    body: Callable[["Ctx", dict[str, Any]], Any]


class Ctx:
    """What a rule body sees: the pre/post vocabularies, the update under construction."""

    def __init__(self, pre: Vocab, post: Vocab, profile: str, mutant: str | None) -> None:
        self.pre, self.post, self.u = pre, post, Upd(pre, post)
        self.v34 = profile == "v3.4"
        self.mut = mutant
        self.sig: Sig = pre.sig

    def E(self, enum: str, value: str) -> Any:
        return self.sig.e(enum, value)

    # --- building blocks shared by the rules -------------------------------------------
    def start_op(self, t: Any, b: Any, kind: Any, pc: str) -> None:
        p, u = self.pre, self.u
        u.pt("pc", (t,), self.E("Pc", pc))
        u.pt("kind", (t,), kind)
        u.pt("blk", (t,), b)
        for r in ("cal", "sg", "okg", "cl"):
            u.fn(r, lambda x, c, r=r: z3.If(x == t, False, p.syms[r](x, c)))
        for r in ("opn", "gon", "gdone", "cbo", "stop", "cerr", "err", "stale", "scn", "scnn"):
            u.pt(r, (t,), False)

    def finish(self, t: Any) -> None:
        """The operation returns: the monitor's end-of-operation checks."""
        p = self.pre
        self.u.pt("pc", (t,), self.E("Pc", "IDLE"))
        self.u.flag("v_closed", p.opn(t))
        c = z3.Const("c_fin", self.sig.sort("C"))
        self.u.flag("v_promise", z3.Exists([c], z3.And(p.okg(t, c), z3.Not(p.cl(t, c)))))

    def take(self, t: Any) -> None:
        self.u.pt("locked", (), True)
        self.u.pt("holder", (), t)

    def release(self) -> None:
        self.u.pt("locked", (), False)

    def start_chain(self, t: Any, ev: str) -> None:
        p, u = self.pre, self.u
        u.pt("pc", (t,), self.E("Pc", "CHAIN"))
        u.pt("ev", (t,), self.E("Ev", ev))
        u.fn("cal", lambda x, c: z3.If(x == t, False, p.cal(x, c)))
        u.pt("stop", (t,), False)
        u.pt("cerr", (t,), False)
        if ev in ("GON", "GOFF"):
            u.flag("v_closed", z3.Or(p.opn(t), p.gdone(t)))
            u.pt("opn", (t,), True)
            u.pt("gon", (t,), ev == "GON")
        else:
            on = ev in ("XON", "CON")
            u.flag("v_closed", z3.Not(z3.And(p.opn(t), p.gon(t) == on)))
            u.pt("opn", (t,), False)
            u.pt("gdone", (t,), True)
            u.pt("cbo", (t,), ev == "XOFF")

    def set_state(self, b: Any, on: Any, going: Any) -> None:
        self.u.pt("st_on", (b,), on)
        self.u.pt("st_go", (b,), going)

    def set_pages(self, b: Any, on: Any, iso: Any) -> None:
        self.u.pt("pg_on", (b,), on)
        self.u.pt("pg_iso", (b,), iso)

    def noother(self, b: Any, n: Any, kernel: bool = False) -> Any:
        """No other block of node ``n`` has counted pages (kernel zone only, if asked)."""
        p = self.pre
        y = z3.Const("y_other", self.sig.sort("B"))
        cond = [y != b, p.bn(y, n), p.nonres(y)] + ([p.kz(y)] if kernel else [])
        return z3.ForAll([y], z3.Not(z3.And(*cond)))

    def remove_flag(self, t: Any, b: Any, when: Any) -> None:
        """remove_only_offline: the block goes while it is not offline (own offline excepted)."""
        p = self.pre
        self.u.flag("v_remove", z3.And(when, p.present(b),
                                       z3.Or(p.st_on(b), z3.And(p.st_go(b), z3.Not(p.cbo(t))))))

    def remove_block(self, t: Any, b: Any, when: Any) -> None:
        """6.1 try_remove_memory(): device, links, sections, resource (if ``when``)."""
        p, u = self.pre, self.u
        self.remove_flag(t, b, when)
        for r in ("present", "reg", "res"):
            u.pt(r, (b,), z3.And(z3.Not(when), p.syms[r](b)))
        u.fn("link", lambda x, y: z3.And(p.link(x, y), z3.Not(z3.And(when, y == b))))
        u.fn("blink", lambda y, x: z3.And(p.blink(y, x), z3.Not(z3.And(when, y == b))))
        u.fn("stale", lambda x: z3.Or(p.stale(x), z3.And(
            when, x != t, z3.Not(p.is_pc(x, "IDLE")), p.is_kind(x, "WON", "WOFF"), p.blk(x) == b)))


def _flipcheck(c: Ctx, t: Any, n: Any, new_nmem: Any) -> None:
    """A node's memory state flips only in an operation that announced it (Monitor._flip)."""
    c.u.flag("v_scn", z3.And(new_nmem != c.pre.nmem(n), z3.Not(c.pre.scn(t))))


# --- rules common to both profiles ------------------------------------------------------------
def r_write_start(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b, on = c.pre, P["t"], P["b"], P["on"]
    c.start_op(t, b, z3.If(on, c.E("Kind", "WON"), c.E("Kind", "WOFF")),
               "WAIT_SMX" if c.v34 else "WAIT_HP")
    return z3.And(p.is_pc(t, "IDLE"), z3.Not(p.fw(t)), p.reg(b))


def r_add_start(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.start_op(t, b, c.E("Kind", "ADD"), "WAIT_HP")
    c.u.pt("present", (b,), True)
    return z3.And(p.is_pc(t, "IDLE"), p.fw(t), p.hot(b), z3.Not(p.present(b)))


def r_eject_start(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.start_op(t, b, c.E("Kind", "EJ"), "OFF_ENTRY" if c.v34 else "WAIT_HP")
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
    u.pt("kz", (b,), c.v34)  # 3.4: ZONE_NORMAL; 6.1: no zone until online
    u.pt("non", (n,), True)
    if c.v34:  # link if the node is online; register_one_node() links the node's blocks
        def newlink(x: Any, y: Any) -> Any:
            return z3.Or(z3.And(x == n, y == b, p.non(n)),
                         z3.And(x == n, z3.Not(p.non(n)), p.bn(y, n), z3.Or(p.reg(y), y == b)))
    else:
        def newlink(x: Any, y: Any) -> Any:
            return z3.And(x == n, y == b)
    u.fn("link", lambda x, y: z3.Or(p.link(x, y), newlink(x, y)))
    if c.mut == "add_no_backlink":
        pass
    else:
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
    if c.mut == "online_no_node_state":
        new = p.nmem(n)
    elif c.v34:
        new = z3.BoolVal(True)  # if (onlined_pages) node_set_state(N_HIGH_MEMORY)
    else:
        new = z3.Or(p.nmem(n), p.scn(t))
        u.pt("nnorm", (n,), z3.Or(p.nnorm(n), p.scnn(t)))
    u.pt("nmem", (n,), new)
    _flipcheck(c, t, n, new)
    c.start_chain(t, "XON")
    return _chain_end(c, P, "GON", z3.Not(p.cerr(t)))


def r_end_con(c: Ctx, P: dict[str, Any]) -> Any:
    t, b = P["t"], P["b"]
    c.release()
    if c.v34:
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    else:
        c.u.pt("kz", (b,), False)  # remove_pfn_range_from_zone()
        c.finish(t)
    return _chain_end(c, P, "CON")


def r_end_xon(c: Ctx, P: dict[str, Any]) -> Any:
    t, b = P["t"], P["b"]
    c.release()
    if c.v34:
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    else:
        c.set_state(b, True, False)
        c.finish(t)
    return _chain_end(c, P, "XON")


def _offline_failed(c: Ctx, t: Any, b: Any) -> None:
    p = c.pre
    c.u.pt("err", (t,), True)
    if not c.v34:  # 5.10+: undo the isolation, then CANCEL_OFFLINE
        c.set_pages(b, p.nonres(b), False)
    if c.mut == "no_cancel_offline":
        c.release()
        if c.v34:
            c.u.pt("pc", (t,), c.E("Pc", "FIN"))
            c.set_pages(b, p.nonres(b), False)
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
    if c.v34:  # if (!node_present_pages(node)) node_clear_state(): the actual count
        new = z3.And(p.nmem(n), z3.Not(c.noother(b, n)))
    else:  # node_states_clear_node(): trusts the nids
        new = z3.And(p.nmem(n), z3.Not(p.scn(t)))
        u.pt("nnorm", (n,), z3.And(p.nnorm(n), z3.Not(p.scnn(t))))
    u.pt("nmem", (n,), new)
    _flipcheck(c, t, n, new)
    c.start_chain(t, "XOFF")
    return _chain_end(c, P, "GOFF", z3.And(z3.Not(p.cerr(t)), P["mok"], p.pg_iso(b)))


def r_end_coff(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.release()
    if c.v34:  # CANCEL_OFFLINE sent, now undo_isolate_page_range()
        c.set_pages(b, p.nonres(b), False)
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    else:
        c.set_state(b, True, False)
        c.finish(t)
    return _chain_end(c, P, "COFF")


def r_end_xoff(c: Ctx, P: dict[str, Any]) -> Any:
    p, t, b = c.pre, P["t"], P["b"]
    c.release()
    if c.v34:
        c.u.pt("pc", (t,), c.E("Pc", "FIN"))
    else:  # state offline, zone gone; an eject then removes the block
        ej = p.is_kind(t, "EJ")
        c.set_state(b, False, False)
        c.u.pt("kz", (b,), False)
        c.remove_block(t, b, ej)
        c.finish(t)
    return _chain_end(c, P, "XOFF")


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


def rules(profile: str) -> tuple[Rule, ...]:
    return COMMON + (V34 if profile == "v3.4" else V61)


def instantiate(rule: Rule, pre: Vocab, post: Vocab, profile: str, mutant: str | None,
                tag: str) -> tuple[Any, set[str]]:
    """The formula of ``rule`` between ``pre`` and ``post``, with its parameters as fresh
    constants (existentially quantified at the top of every query), and the names of the
    state symbols it may change (every other one keeps its value)."""
    sig = pre.sig
    P = {name: z3.Const(f"{rule.name}.{name}{tag}", sig.sort(s)) for name, s in rule.params}
    ctx = Ctx(pre, post, profile, mutant)
    guard = rule.body(ctx, P)
    u = ctx.u
    return z3.And(guard, u.formula()), set(u.points) | set(u.fns) | set(u.flags)
