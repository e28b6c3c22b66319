"""Initial states, world axioms, the invariants to prove and the candidate strengthening lemmas.

Models: the invariants of spec/invariants.py that the parametric model can state, each as a
formula over one state (history invariants through the ghost flags the transitions set exactly
where spec.invariants.Monitor reports):

* ``node_state`` (quiescent): a node has its memory state (N_HIGH_MEMORY or N_MEMORY, as the
  profile's ``node_flags`` say) exactly when one of its blocks has counted pages; where
  ``node_flags`` has N_NORMAL_MEMORY, also that exactly when one in a kernel zone does;
* ``going_closed`` (part of notifier_protocol): every GOING_X is closed by X or CANCEL_X in its
  operation, no closing event without an open GOING_X, no other operation's event meanwhile;
* ``alloc_promise`` (part of notifier_protocol): a callback that answered GOING_X with
  NOTIFY_OK receives X or CANCEL_X before its operation returns;
* ``x_after_going`` (part of notifier_protocol): X reaches only callbacks that saw GOING_X;
* ``status_change_nid``: the nid is the node exactly when the node's state flips (or, for a
  cancelled operation, would flip), and a node's state flips only in an operation that said so;
  where ``nid_normal``, likewise ``status_change_nid_normal`` for N_NORMAL_MEMORY;
* ``sysfs_links`` (quiescent): links and backlinks of present blocks and online nodes;
* ``remove_only_offline``: memory is ejected only while its block is offline.

Every candidate lemma is universally quantified except where it says "there is another block
with counted pages" (quantifier alternation only from nodes and threads to blocks, which with
the one function from threads to blocks keeps the fragment stratified, hence decidable).
Lemmas are candidates: the prover keeps the largest subset that is inductive together with the
invariants, and never assumes one that is not. Which candidates a profile gets depends on its
flags (the lock model's phases, the eject, the node states), never on its name.

Leaves out: the page-allocatability invariants (alloc_going_online, ...), chain_order,
state_strings, rejected_write, page_accounting (true by construction: the abstraction derives
present pages from the blocks), the sysfs file contents, slub_structures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from checker.engines.smt.parametric.flags import DEVICE_HOTPLUG, STATE_MUTEX, require
from checker.engines.smt.parametric.vocab import Sig, Vocab
from spec.profiles import Profile


@dataclass(frozen=True)
class Prop:
    name: str
    seed_section: str
    text: str
    formula: Callable[[Vocab], Any]
    safety: bool = True


def _q(sig: Sig, *sorts: str) -> list[Any]:
    return [z3.Const(f"q{i}{s}", sig.sort(s)) for i, s in enumerate(sorts)]


def axioms(sig: Sig) -> Any:
    """The world's shape: a block has at most one node; the chain is a strict total order;
    there is at most one firmware thread."""
    b, n1, n2 = _q(sig, "B", "N", "N")
    c1, c2, c3 = _q(sig, "C", "C", "C")
    t1, t2 = _q(sig, "T", "T")
    r = sig.rigid
    return z3.And(
        z3.ForAll([b, n1, n2], z3.Implies(z3.And(r["bn"](b, n1), r["bn"](b, n2)), n1 == n2)),
        z3.ForAll([c1], z3.Not(r["lt"](c1, c1))),
        z3.ForAll([c1, c2, c3], z3.Implies(z3.And(r["lt"](c1, c2), r["lt"](c2, c3)), r["lt"](c1, c3))),
        z3.ForAll([c1, c2], z3.Or(c1 == c2, r["lt"](c1, c2), r["lt"](c2, c1))),
        # one firmware thread (the ACPI hotplug work), any number of writers
        z3.ForAll([t1, t2], z3.Implies(z3.And(r["fw"](t1), r["fw"](t2)), t1 == t2)),
    )


def node_has(V: Vocab, n: Any, kernel: bool = False) -> Any:
    b = z3.Const("w_b", V.sig.sort("B"))
    body = [V.bn(b, n), V.nonres(b)] + ([V.kz(b)] if kernel else [])
    return z3.Exists([b], z3.And(*body))


def initial(V: Vocab, profile: str | Profile) -> Any:
    """The machine after boot, for every world (spec.state.initial_machine)."""
    sig = V.sig
    p = require(profile)
    t, c = _q(sig, "T", "C")
    b, n = _q(sig, "B", "N")
    normal = "N_NORMAL_MEMORY" in p.node_flags
    thread = z3.And(V.is_pc(t, "IDLE"), *[z3.Not(V.syms[r](t)) for r in (
        "stop", "cerr", "err", "stale", "scn", "scnn", "opn", "gon", "gdone", "cbo")],
        *[z3.Not(V.syms[r](t, c)) for r in ("cal", "sg", "okg", "cl")])
    block = z3.And(
        V.present(b) == V.reg(b), V.reg(b) == V.res(b),
        z3.Implies(z3.Not(V.hot(b)), V.present(b)),
        V.st_on(b) == V.pg_on(b), z3.Not(V.st_go(b)), z3.Not(V.pg_iso(b)), z3.Not(V.smx(b)),
        z3.Implies(z3.Not(V.present(b)), z3.Not(V.pg_on(b))))
    node = z3.And(
        V.nmem(n) == node_has(V, n),
        V.nnorm(n) == (node_has(V, n, kernel=True) if normal else False),
        V.non(n) == z3.Or(V.nmem(n), z3.And(p.memoryless_online_at_boot, V.cpu(n))))
    links = z3.And(V.link(n, b) == z3.And(V.reg(b), V.bn(b, n)), V.blink(b, n) == V.link(n, b),
                   # assumption on worlds: a block present at boot sits on an online node
                   z3.Implies(z3.And(V.reg(b), V.bn(b, n)), V.non(n)))
    return z3.And(
        z3.ForAll([t, c], thread), z3.ForAll([b], block), z3.ForAll([n], node),
        z3.ForAll([n, b], links), z3.Not(V.locked),
        *[z3.Not(V.syms[f]) for f in ("v_closed", "v_promise", "v_xunseen", "v_scn", "v_remove")])


def quiescent(V: Vocab) -> Any:
    t, = _q(V.sig, "T")
    return z3.ForAll([t], V.is_pc(t, "IDLE"))


def _node_state(V: Vocab, profile: Profile) -> Any:
    n, = _q(V.sig, "N")
    body = V.nmem(n) == node_has(V, n)
    if "N_NORMAL_MEMORY" in profile.node_flags:
        body = z3.And(body, V.nnorm(n) == node_has(V, n, kernel=True))
    return z3.ForAll([n], body)


def _links(V: Vocab) -> Any:
    b, n = _q(V.sig, "B", "N")
    return z3.ForAll([b, n], z3.And(
        z3.Implies(z3.And(V.present(b), V.reg(b), V.bn(b, n), V.non(n)),
                   z3.And(V.link(n, b), V.blink(b, n))),
        z3.Implies(z3.And(V.reg(b), V.link(n, b), V.non(n)), z3.And(V.present(b), V.blink(b, n))),
        z3.Implies(z3.And(V.reg(b), V.blink(b, n)), z3.And(V.non(n), V.link(n, b)))))


def properties(profile: str | Profile) -> list[Prop]:
    """The invariants proved (safety properties), in report order."""
    p = require(profile)
    return [
        Prop("node_state", "8 (status_change_nid: N_HIGH_MEMORY set/clear)",
             "a node carries the memory node state exactly when it has present pages",
             lambda V: z3.Implies(quiescent(V), _node_state(V, p))),
        Prop("going_closed", "8",
             "every GOING_X is closed by X or CANCEL_X within its operation (notifier_protocol)",
             lambda V: z3.Not(V.v_closed)),
        Prop("alloc_promise", "8",
             "a callback that answered GOING_X with NOTIFY_OK gets X or CANCEL_X (notifier_protocol)",
             lambda V: z3.Not(V.v_promise)),
        Prop("x_after_going", "8",
             "X reaches only callbacks that saw GOING_X (notifier_protocol)",
             lambda V: z3.Not(V.v_xunseen)),
        Prop("status_change_nid", "8 (status_change_nid)",
             "status_change_nid is the node id exactly when the operation flips the node's state",
             lambda V: z3.Not(V.v_scn)),
        Prop("sysfs_links", "4 (symbolic links ... and backlinks)",
             "each present block of an online node has its link and backlink; none dangles",
             lambda V: z3.Implies(quiescent(V), _links(V))),
        Prop("remove_only_offline", "7 (physical memory remove), 1.2",
             "memory is physically removed only when its block is offline",
             lambda V: z3.Not(V.v_remove)),
    ]


def lemmas(profile: str | Profile) -> list[Prop]:
    """Candidate strengthening lemmas (the prover keeps the inductive ones). ``only`` names
    the profiles a candidate is offered to, by their flags: the lock model's phases
    (``smx``: state_mutex, WAIT_SMX and FIN; ``dhp``: device_hotplug_lock held from going-offline
    to the end), the eject (``keep``: the device stays; ``remove``: it goes), the node states
    (``normal``: N_NORMAL_MEMORY and status_change_nid_normal)."""
    p = require(profile)
    L: list[Prop] = []
    has = {"smx": p.locks == STATE_MUTEX, "dhp": p.locks == DEVICE_HOTPLUG,
           "keep": p.hot_remove == "offline_pages", "remove": p.hot_remove == "offline_and_remove",
           "normal": "N_NORMAL_MEMORY" in p.node_flags and p.nid_normal}

    def lem(name: str, sorts: str, f: Callable[..., Any], only: str | None = None) -> None:
        if only is not None and not has[only]:
            return
        def formula(V: Vocab, sorts: str = sorts, f: Callable[..., Any] = f) -> Any:
            xs = _q(V.sig, *sorts)
            return z3.ForAll(xs, f(V, *xs)) if xs else f(V)
        L.append(Prop(name, "", name, formula, safety=False))

    def phase(V: Vocab, t: Any, *pcs: str) -> Any:
        return V.is_pc(t, *pcs)

    def chain(V: Vocab, t: Any, *evs: str) -> Any:
        return z3.And(V.is_pc(t, "CHAIN"), V.is_ev(t, *evs))

    imp, And, Not = z3.Implies, z3.And, z3.Not
    pre_chain = ("IDLE", "WAIT_SMX", "OFF_ENTRY", "WAIT_HP")
    # structure of states and locks
    lem("state_exclusive", "B", lambda V, b: Not(And(V.st_on(b), V.st_go(b))))
    lem("pages_exclusive", "B", lambda V, b: Not(And(V.pg_on(b), V.pg_iso(b))))
    lem("chain_holds_lock", "T", lambda V, t: imp(phase(V, t, "CHAIN"), V.hp(t)))
    lem("entry_holds_lock", "T", lambda V, t: imp(phase(V, t, "OFF_ENTRY"), V.hp(t)), only="dhp")
    lem("lock_held_in_chain", "", lambda V: imp(V.locked, phase(V, V.holder, "CHAIN")), only="smx")
    lem("lock_held_in_chain_or_entry", "",
        lambda V: imp(V.locked, phase(V, V.holder, "CHAIN", "OFF_ENTRY")), only="dhp")
    lem("fw_kinds", "T", lambda V, t: imp(Not(phase(V, t, "IDLE")),
                                          V.fw(t) == V.is_kind(t, "ADD", "EJ")))
    lem("add_waits", "T", lambda V, t: imp(And(Not(phase(V, t, "IDLE")), V.is_kind(t, "ADD")),
                                           phase(V, t, "WAIT_HP")))
    lem("op_block_present", "T", lambda V, t: imp(phase(V, t, "OFF_ENTRY", "CHAIN", "FIN"),
                                                  V.present(V.blk(t))))
    lem("op_block_registered", "T", lambda V, t: imp(
        And(phase(V, t, "OFF_ENTRY", "CHAIN", "FIN"), V.is_kind(t, "WON", "WOFF")),
        V.reg(V.blk(t))))
    lem("op_block_has_node", "T", lambda V, t: imp(
        phase(V, t, "CHAIN"), node_of(V, V.blk(t))))
    # notifier bookkeeping
    lem("called_not_waiting", "TC", lambda V, t, c: imp(
        V.cal(t, c), Not(phase(V, t, "WAIT_SMX", "OFF_ENTRY", "WAIT_HP"))))
    lem("chain_prefix", "TCC", lambda V, t, c, d: imp(And(V.cal(t, c), V.lt(d, c)), V.cal(t, d)))
    lem("ok_saw_going", "TC", lambda V, t, c: imp(V.okg(t, c), V.sg(t, c)))
    lem("closed_after_going", "TC", lambda V, t, c: imp(V.cl(t, c), And(V.gdone(t), Not(V.opn(t)))))
    lem("open_xor_done", "T", lambda V, t: Not(And(V.opn(t), V.gdone(t))))
    lem("open_in_going_chain", "T", lambda V, t: imp(
        V.opn(t), And(chain(V, t, "GON", "GOFF"), V.gon(t) == V.is_ev(t, "GON"))))
    lem("going_chain_open", "T", lambda V, t: imp(chain(V, t, "GON", "GOFF"),
                                                  And(V.opn(t), Not(V.gdone(t)))))
    lem("closing_chain_done", "T", lambda V, t: imp(chain(V, t, "XON", "XOFF", "CON", "COFF"),
                                                    And(V.gdone(t), Not(V.opn(t)), Not(V.stop(t)))))
    lem("stop_is_error", "T", lambda V, t: imp(And(chain(V, t, "GON", "GOFF"), V.stop(t)),
                                               V.cerr(t)))
    lem("x_after_full_going", "TC", lambda V, t, c: imp(chain(V, t, "XON", "XOFF"), V.sg(t, c)))
    lem("saw_going_iff_called", "TC", lambda V, t, c: imp(chain(V, t, "GON", "GOFF"),
                                                          V.sg(t, c) == V.cal(t, c)))
    lem("closed_iff_called", "TC", lambda V, t, c: imp(
        chain(V, t, "XON", "XOFF", "CON", "COFF"), V.cl(t, c) == V.cal(t, c)))
    lem("nothing_before_chain", "TC", lambda V, t, c: imp(
        phase(V, t, *pre_chain[1:]), And(Not(V.sg(t, c)), Not(V.cl(t, c)), Not(V.opn(t)),
                                         Not(V.gdone(t)), Not(V.cal(t, c)))))
    lem("fin_closed", "TC", lambda V, t, c: imp(phase(V, t, "FIN"),
                                                And(Not(V.opn(t)), imp(V.sg(t, c), V.cl(t, c)))), only="smx")
    lem("offline_closer", "T", lambda V, t: imp(chain(V, t, "XOFF"), V.cbo(t)))
    lem("fin_offline_closer", "T", lambda V, t: imp(
        And(phase(V, t, "FIN"), Not(V.err(t))), V.cbo(t) == V.is_kind(t, "WOFF", "EJ")), only="smx")
    lem("online_kinds", "T", lambda V, t: imp(chain(V, t, "GON", "XON", "CON"),
                                              V.is_kind(t, "WON")))
    lem("offline_kinds", "T", lambda V, t: imp(chain(V, t, "GOFF", "XOFF", "COFF"),
                                               V.is_kind(t, "WOFF", "EJ")))
    lem("offline_waits_kinds", "T", lambda V, t: imp(phase(V, t, "OFF_ENTRY"),
                                                     V.is_kind(t, "WOFF", "EJ")))
    # block state along an operation (device_hotplug_lock is held throughout)
    lem("online_chain_block", "T", lambda V, t: imp(chain(V, t, "GON", "CON"), And(
        V.offline(V.blk(t)), Not(V.nonres(V.blk(t))))))
    lem("online_done_block", "T", lambda V, t: imp(chain(V, t, "XON"), And(
        V.offline(V.blk(t)), V.pg_on(V.blk(t)))))
    lem("entry_block", "T", lambda V, t: imp(phase(V, t, "OFF_ENTRY"), V.st_go(V.blk(t))))
    lem("entry_block_pages", "T", lambda V, t: imp(phase(V, t, "OFF_ENTRY"), V.pg_on(V.blk(t))), only="dhp")
    lem("going_offline_block", "T", lambda V, t: imp(chain(V, t, "GOFF"), And(
        V.st_go(V.blk(t)), V.pg_iso(V.blk(t)))))
    # cancel_before_undo: the pages are still isolated during CANCEL_OFFLINE (else online again)
    lem("cancel_offline_block", "T", lambda V, t: imp(chain(V, t, "COFF"), And(
        V.st_go(V.blk(t)), V.pg_iso(V.blk(t)) if p.cancel_before_undo else V.pg_on(V.blk(t)))),
        only="dhp")
    lem("offline_done_block", "T", lambda V, t: imp(chain(V, t, "XOFF"), And(
        V.st_go(V.blk(t)), Not(V.nonres(V.blk(t))))))
    lem("going_needs_owner", "B", lambda V, b: imp(V.st_go(b), And(
        V.locked, V.blk(V.holder) == b, phase(V, V.holder, "OFF_ENTRY", "CHAIN"))), only="dhp")
    lem("isolated_needs_owner", "B", lambda V, b: imp(V.pg_iso(b), And(
        V.locked, V.blk(V.holder) == b, chain(V, V.holder, "GOFF", "COFF"))), only="dhp")
    lem("online_state_pages", "B", lambda V, b: imp(V.st_on(b), V.pg_on(b)), only="remove")
    lem("pages_need_state", "B", lambda V, b: imp(
        And(V.pg_on(b), V.offline(b)),
        And(V.locked, V.blk(V.holder) == b, chain(V, V.holder, "XON"))), only="dhp")
    lem("unregistered_offline", "B", lambda V, b: imp(Not(V.reg(b)), And(
        V.offline(b), Not(V.nonres(b)))))
    lem("writer_registered", "T", lambda V, t: imp(
        And(Not(phase(V, t, "IDLE")), V.is_kind(t, "WON", "WOFF")), V.reg(V.blk(t))), only="keep")
    lem("registered_present", "B", lambda V, b: imp(V.reg(b), V.present(b)), only="remove")
    lem("registered_resource", "B", lambda V, b: V.reg(b) == V.res(b))
    lem("absent_offline", "B", lambda V, b: imp(Not(V.present(b)), And(
        V.offline(b), Not(V.nonres(b)))))
    lem("no_state_mutex_phases", "T", lambda V, t: Not(phase(V, t, "FIN", "WAIT_SMX")), only="dhp")
    lem("add_present", "T", lambda V, t: imp(
        And(Not(phase(V, t, "IDLE")), V.is_kind(t, "ADD")), V.present(V.blk(t))))
    lem("add_unregistered", "T", lambda V, t: imp(
        And(Not(phase(V, t, "IDLE")), V.is_kind(t, "ADD")), Not(V.reg(V.blk(t)))), only="remove")
    # the 3.4 lock model: state_mutex
    lem("smx_held_by_writer", "T", lambda V, t: imp(
        And(phase(V, t, "OFF_ENTRY", "WAIT_HP", "CHAIN", "FIN"), V.is_kind(t, "WON", "WOFF")),
        V.smx(V.blk(t))), only="smx")
    lem("smx_unique", "TT", lambda V, t, u: imp(
        And(phase(V, t, "OFF_ENTRY", "WAIT_HP", "CHAIN", "FIN"), V.is_kind(t, "WON", "WOFF"),
            phase(V, u, "OFF_ENTRY", "WAIT_HP", "CHAIN", "FIN"), V.is_kind(u, "WON", "WOFF"),
            V.blk(t) == V.blk(u)), t == u), only="smx")
    lem("going_needs_smx", "B", lambda V, b: imp(V.st_go(b), V.smx(b)), only="smx")
    lem("writer_offline_going", "T", lambda V, t: imp(
        And(phase(V, t, "OFF_ENTRY", "WAIT_HP", "CHAIN", "FIN"), V.is_kind(t, "WOFF")),
        V.st_go(V.blk(t))), only="smx")
    lem("writer_online_offline", "T", lambda V, t: imp(
        And(phase(V, t, "WAIT_HP", "CHAIN", "FIN"), V.is_kind(t, "WON")), V.offline(V.blk(t))), only="smx")
    lem("writer_online_reserved", "T", lambda V, t: imp(
        And(phase(V, t, "WAIT_HP"), V.is_kind(t, "WON")), Not(V.nonres(V.blk(t)))), only="smx")
    # node states
    lem("node_has_memory", "BN", lambda V, b, n: imp(And(V.bn(b, n), V.nonres(b)), V.nmem(n)))
    lem("node_memory_witness", "N", lambda V, n: imp(V.nmem(n), node_has(V, n)))
    lem("node_has_normal", "BN", lambda V, b, n: imp(And(V.bn(b, n), V.nonres(b), V.kz(b)),
                                                   V.nnorm(n)), only="normal")
    lem("node_normal_witness", "N", lambda V, n: imp(V.nnorm(n), node_has(V, n, kernel=True)), only="normal")
    lem("node_memory_online", "N", lambda V, n: imp(V.nmem(n), V.non(n)))
    lem("scn_online", "TBN", lambda V, t, b, n: imp(
        And(chain(V, t, "GON", "CON"), V.blk(t) == b, V.bn(b, n)),
        And(V.scn(t) == Not(V.nmem(n)), V.scnn(t) == And(V.kz(b), Not(V.nnorm(n))))))
    lem("scn_offline_other", "TBNB", lambda V, t, b, n, o: imp(
        And(chain(V, t, "GOFF"), V.blk(t) == b, V.bn(b, n), V.bn(o, n), o != b, V.nonres(o)),
        And(Not(V.scn(t)), imp(V.kz(o), Not(V.scnn(t))))))
    # the block is named by blk(t), not by a universal variable: no edge from blocks to blocks
    lem("scn_offline_witness", "TN", lambda V, t, n: imp(
        And(chain(V, t, "GOFF"), V.bn(V.blk(t), n), Not(V.scn(t))),
        other_has(V, V.blk(t), n)))
    lem("scnn_offline_witness", "TN", lambda V, t, n: imp(
        And(chain(V, t, "GOFF"), V.bn(V.blk(t), n), V.kz(V.blk(t)), Not(V.scnn(t))),
        other_has(V, V.blk(t), n, kernel=True)), only="normal")
    lem("scnn_offline_kernel", "T", lambda V, t: imp(And(chain(V, t, "GOFF"), V.scnn(t)),
                                                     V.kz(V.blk(t))), only="normal")
    # links
    lem("link_backlink", "BN", lambda V, b, n: V.link(n, b) == V.blink(b, n))
    lem("link_registered", "BN", lambda V, b, n: imp(V.link(n, b), And(V.reg(b), V.bn(b, n))))
    lem("registered_linked", "BN", lambda V, b, n: imp(And(V.reg(b), V.bn(b, n)),
                                                       And(V.link(n, b), V.non(n))))
    # ghosts
    for f in ("v_closed", "v_promise", "v_xunseen", "v_scn", "v_remove"):
        lem(f"no_{f}", "", lambda V, f=f: Not(V.syms[f]))
    return L


def node_of(V: Vocab, b: Any) -> Any:
    n = z3.Const("w_n", V.sig.sort("N"))
    return z3.Exists([n], V.bn(b, n))


def other_has(V: Vocab, b: Any, n: Any, kernel: bool = False) -> Any:
    o = z3.Const("w_o", V.sig.sort("B"))
    body = [o != b, V.bn(o, n), V.nonres(o)] + ([V.kz(o)] if kernel else [])
    return z3.Exists([o], z3.And(*body))
