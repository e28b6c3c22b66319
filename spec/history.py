"""The Monitor's judgement of one step: what it remembers of each operation, and the history
invariants it checks, written once.

Models: the history invariants of :mod:`spec.invariants` (``notifier_protocol``, ``chain_order``,
``alloc_*``, ``status_change_nid``, ``remove_only_offline``, ``rejected_write`` and the read part
of ``state_strings``) as :meth:`History.step` over a monitor context (:class:`HistCtx`): the
observation of one step (the action, its thread, the notifier calls with their ``struct
memory_notify`` arguments and answers, the return value if the operation returned, the text a
read returned), the machine before and after it, and the Monitor's record of each thread's
operation (:data:`TRACK_FIELDS`). The Monitor judges observations only, never the spec's
internals, so it judges the kernel mirror's runs alike.

Like the steps (:mod:`spec.steps`), the definition runs under two interpretations:
``spec.invariants.Monitor`` on concrete values (the explorer, the lockstep tests, replay), and
``checker.engines.smt.ghosts`` on Z3 terms, where the records are ghost fields of the transition system
and each invariant is a predicate over a step. Data-dependent choices are made with
``If``/``And``/``Or`` and guarded blocks (``for _ in y.only(c):``, skipped concretely where
``c`` is false, and conditioning every write and report on ``c`` symbolically), never with a
branch on data: the same code yields a value concretely and a term symbolically. A record field
in :data:`NOTE_FIELDS` serves the causes and messages only; the
symbolic interpretation leaves it out.

Leaves out: the state invariants judged in states (spec.invariants.Monitor._always and
_quiescent; checker.engines.smt.props encodes those).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple, Protocol

from spec.actions import MEM_GOING_OFFLINE, MEM_OFFLINE, NOTIFY_STOP_MASK, STATE_TEXT, \
    Action, notifier_to_errno
from spec.config import World
from spec.profiles import Profile
from spec.state import KERNEL_ZONES, PAGES_RESERVED
from spec.steps.core import zone_pages
from spec.steps.ctx import Reader, Val

CLOSE = {"MEM_ONLINE": "MEM_GOING_ONLINE", "MEM_CANCEL_ONLINE": "MEM_GOING_ONLINE",
         "MEM_OFFLINE": "MEM_GOING_OFFLINE", "MEM_CANCEL_OFFLINE": "MEM_GOING_OFFLINE"}
GOING = ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE")
LABEL = {"MEM_GOING_ONLINE": "online", "MEM_GOING_OFFLINE": "offline"}
NODE_OPEN = ("NODE_ADDING_FIRST_MEMORY", "NODE_REMOVING_LAST_MEMORY")
NODE_CLOSE = {"NODE_ADDED_FIRST_MEMORY": "NODE_ADDING_FIRST_MEMORY",
              "NODE_CANCEL_ADDING_FIRST_MEMORY": "NODE_ADDING_FIRST_MEMORY",
              "NODE_REMOVED_LAST_MEMORY": "NODE_REMOVING_LAST_MEMORY",
              "NODE_CANCEL_REMOVING_LAST_MEMORY": "NODE_REMOVING_LAST_MEMORY"}
EINVAL_RET = -22
#: the history invariants this definition judges
HISTORY_INVARIANTS = ("state_strings", "notifier_protocol", "chain_order", "alloc_going_online",
                      "alloc_online", "alloc_going_offline", "alloc_cancel_offline",
                      "status_change_nid", "node_state_going", "node_state_done",
                      "remove_only_offline", "rejected_write")
#: callee sets of a record: its callees (by name) that got the GOING_X (``seen``), answered it
#: with neither an errno nor NOTIFY_STOP_MASK (``okg``), got the closing event (``clo``)
SETS = ("seen", "okg", "clo")


class OpTrack(NamedTuple):
    """What the Monitor remembers of one thread's operation in flight (the empty record: none).

    ``kind``/``block``: the operation and its block (index into world.blocks); ``pre`` /
    ``preot``: a write's block state and online type when it began; ``calls``: it made a
    notifier call; ``rev`` / ``rlen`` / ``rstop``: the event of its current run of callees, the
    run's length (capped: every run longer than the chain is judged alike) and whether the
    run's last answer had NOTIFY_STOP_MASK; ``open`` / ``closed``: the GOING_X waiting to be
    closed and the event that closed it; ``seen``/``okg``/``clo``: :data:`SETS`; ``dist``:
    another thread changed a write's block meanwhile; ``pnid``: the status_change_nid its GOING_X
    (or 6.17 node event) announced (-2: none yet); ``nev``: the open 6.17 node event.
    ``label`` and ``last`` (the run's last callee) name causes and messages only."""

    kind: str = ""
    block: int = 0
    pre: int = 0
    preot: str = ""
    calls: bool = False
    rev: str = ""
    rlen: int = 0
    rstop: bool = False
    open: str = ""
    closed: str = ""
    seen: frozenset[str] = frozenset()
    okg: frozenset[str] = frozenset()
    clo: frozenset[str] = frozenset()
    dist: bool = False
    pnid: int = -2
    nev: str = ""
    label: str = ""
    last: str = ""


IDLE_TRACK = OpTrack()
TRACK_FIELDS = OpTrack._fields
NOTE_FIELDS = ("label", "last")


class Call(Protocol):
    """A notifier call as the Monitor sees it (spec.actions.NotifierCall, or a path's call)."""

    event: str
    callback: str
    ret: int


class HistCtx(Protocol):
    """What :meth:`History.step` reads and writes (concrete: spec.invariants; symbolic:
    checker.engines.smt.ghosts). ``pre``/``post``: the machine before and after the step, read
    through :class:`spec.steps.ctx.Reader`; ``t``: the index of the observation's thread (None:
    no thread); ``calls``: the step's notifier calls in order; ``ret``: the value the operation
    returned in this step (None: it goes on); ``read``: the text a read returned (None: not a
    read)."""

    pre: Reader
    post: Reader
    t: int | None
    action: Action
    calls: list[Any]
    ret: Val
    read: Val

    def If(self, c: Val, a: Val, b: Val) -> Val: ...

    def And(self, *xs: Val) -> Val: ...

    def Or(self, *xs: Val) -> Val: ...

    def Not(self, x: Val) -> Val: ...

    def test(self, v: Val, pred: Callable[[Any], bool]) -> Val: ...

    def at(self, i: Val, fn: Callable[[int], Val]) -> Val:
        """``fn(i)`` for a block index ``i`` that may be a term (an If over the blocks)."""
        ...

    def machine_changed(self) -> Val:
        """False only where the step certainly left the machine's blocks and nodes as they
        were (a hint for guards: the checks under it test the changes themselves)."""
        ...

    def only(self, c: Val) -> Iterable[None]:
        """``for _ in y.only(c):`` runs its body where ``c`` holds: concretely once if ``c``
        is true, else not at all; symbolically once, with every write and report in the body
        conditioned on ``c`` (so a write there is ``If(c, new, old)``)."""
        ...

    def alloc(self, c: Any) -> Val:
        """The call's block pages were allocatable at the call."""
        ...

    def nid(self, c: Any) -> Val: ...

    def nid_normal(self, c: Any) -> Val:
        """status_change_nid_normal of the call (None where the struct has no such field)."""
        ...

    def g(self, u: int, f: str) -> Val:
        """Field ``f`` of thread ``u``'s record."""
        ...

    def gset(self, u: int, **kw: Val) -> None: ...

    def gclear(self, u: int) -> None:
        """Thread ``u``'s record becomes the empty one (no operation in flight)."""
        ...

    def ghas(self, u: int, s: str, callee: str) -> Val:
        """``callee`` is in the callee set ``s`` of thread ``u``'s record."""
        ...

    def gdiff(self, u: int, s: str, r: str) -> Val:
        """Some callee is in the callee set ``s`` of thread ``u``'s record but not in ``r``."""
        ...

    def gput(self, u: int, s: str, callee: str, v: Val) -> None:
        """Put ``callee`` in the set ``s`` where ``v`` holds."""
        ...

    def callees(self, u: int, s: str) -> list[str]:
        """The callees of set ``s`` (for messages; concrete only)."""
        ...

    def violate(self, invariant: str, cond: Val, cause: Callable[[], str],
                message: Callable[[], str]) -> None:
        """The step breaks ``invariant`` where ``cond`` holds (cause and message are computed
        only when it does, and only concretely)."""
        ...

    def twin(self, name: str, cond: Val) -> None:
        """The step reaches the sometimes twin of ``name`` where ``cond`` holds."""
        ...


def _node_event(event: str) -> bool:
    return event.startswith("NODE_")


class History:
    """The history judgement of one world under one profile (module docstring)."""

    def __init__(self, world: World, profile: Profile, threads: tuple[str, ...]) -> None:
        self.world, self.profile, self.threads = world, profile, threads
        mem_chain, node_chain = world.notifier_chains(profile.node_chain)
        self.chain = tuple(c.name for c in mem_chain)
        #: 6.17: the NUMA node notifier chain (SLUB moved there)
        self.node_chain = tuple(c.name for c in node_chain)
        #: runs of callees are counted up to this: longer ones are judged alike
        self.run_cap = max(len(self.chain), len(self.node_chain)) + 1
        self.mem_flag = "N_HIGH_MEMORY" if "N_HIGH_MEMORY" in profile.node_flags else "N_MEMORY"
        self.bindex = {b.id: i for i, b in enumerate(world.blocks)}

    # --- one step ------------------------------------------------------------------------------
    def step(self, y: HistCtx) -> None:
        t, a = y.t, y.action
        if a.kind in ("write", "hotadd", "hotremove") and t is not None:
            i = self.bindex[a.block]  # type: ignore[index]
            write = a.kind == "write"
            y.gclear(t)
            y.gset(t, kind=a.kind, block=i, label=a.kind,
                   pre=y.pre.b(i, "state") if write else 0,
                   preot=y.pre.b(i, "online_type") if write and self.profile.online_types else "")
        for _ in y.only(y.machine_changed()):
            self.disturbed(y)
        if y.read is not None and a.block is not None and a.file == "state":
            self.read(y, self.bindex[a.block])
        if t is None:
            if y.calls:
                y.violate("notifier_protocol", True, lambda: "none:" + y.calls[0].event,
                          lambda: "a notifier event outside any operation")
            return
        ex = y.g(t, "kind") != ""
        if y.calls:
            y.violate("notifier_protocol", y.Not(ex), lambda: "none:" + y.calls[0].event,
                      lambda: "a notifier event outside any operation")
        for _ in y.only(ex):
            for c in y.calls:
                if c.event.startswith("NODE_"):
                    self.node_call(y, t, c)
                else:
                    self.call(y, t, c)
            for _ in y.only(y.machine_changed()):
                self.flip(y, t)
                self.eject(y, t)
            if y.ret is not None:
                self.end(y, t)
        if y.ret is not None:
            y.gclear(t)

    def disturbed(self, y: HistCtx) -> None:
        """Another thread changed a write's block (its state or online type): noted, since the
        write's own effect can then not be judged against its start."""
        for k in range(len(self.threads)):
            if k == y.t:
                continue
            for _ in y.only(y.g(k, "kind") == "write"):
                changed = y.at(y.g(k, "block"), lambda i: y.Or(
                    y.pre.b(i, "state") != y.post.b(i, "state"),
                    y.pre.b(i, "online_type") != y.post.b(i, "online_type")))
                for _ in y.only(changed):
                    y.gset(k, dist=True)

    def busy(self, y: HistCtx, i: int) -> Val:
        """Some operation the Monitor knows of works on block ``i``."""
        return y.Or(*[y.And(y.g(u, "kind") != "", y.g(u, "block") == i)
                      for u in range(len(self.threads))])

    def read(self, y: HistCtx, i: int) -> None:
        text, busy = y.read, self.busy(y, i)
        y.twin("state_strings", y.And(text == "going-offline\n", busy))
        y.violate("state_strings",
                  y.And(text != "online\n", text != "offline\n",
                        y.Not(y.And(text == "going-offline\n", busy))),
                  lambda: "read:state", lambda: f"memory{self.world.blocks[i].id}/state read {text!r}")

    # --- a notifier call (of an operation in flight) ---------------------------------------------
    def _order(self, y: HistCtx, t: int, c: Call, chain: tuple[str, ...],
               cause: Callable[[], str]) -> tuple[Val, Val]:
        """chain_order of one call: (its run goes on, the run's length before it)."""
        ev, cb = c.event, c.callback
        same = y.g(t, "rev") == ev
        rlen = y.If(same, y.g(t, "rlen"), 0)
        stopped = y.And(same, y.g(t, "rstop"))
        y.violate("chain_order", stopped, cause,
                  lambda: f"{cb} called after {y.g(t, 'last')} stopped the chain")
        pos = chain.index(cb) if cb in chain else -1
        y.violate("chain_order", y.And(y.Not(stopped), rlen != pos), cause,
                  lambda: f"{ev} reached {cb} as callback #{rlen + 1}; expected "
                          f"{chain[rlen] if rlen < len(chain) else 'nobody'}")
        for _ in y.only(y.Not(same)):
            self.chain_done(y, t)
        return same, rlen

    def _ran(self, y: HistCtx, t: int, c: Call, rlen: Val) -> None:
        """The run of callees after call ``c``."""
        y.gset(t, calls=True, rev=c.event, rlen=y.If(rlen < self.run_cap, rlen + 1, self.run_cap),
               rstop=bool(c.ret & NOTIFY_STOP_MASK), last=c.callback)

    def chain_done(self, y: HistCtx, t: int) -> None:
        """The previous chain of the operation ended: it must have reached every callee or
        been stopped."""
        rev = y.g(t, "rev")
        length = y.If(y.test(rev, _node_event), len(self.node_chain), len(self.chain)) \
            if self.node_chain else len(self.chain)
        y.violate("chain_order", y.And(rev != "", y.g(t, "rlen") < length, y.Not(y.g(t, "rstop"))),
                  lambda: f"{y.g(t, 'label')}:{y.g(t, 'rev')}",
                  lambda: f"{y.g(t, 'rev')} stopped after {y.g(t, 'last')} without NOTIFY_STOP_MASK")

    def call(self, y: HistCtx, t: int, c: Call) -> None:
        """One callback called with a memory event."""
        ev, cb = c.event, c.callback
        if ev in LABEL:
            y.gset(t, label=LABEL[ev])
        cause = lambda: f"{y.g(t, 'label')}:{ev}"  # noqa: E731
        for k in range(len(self.threads)):
            if k != t:
                y.violate("notifier_protocol", y.g(k, "open") != "", cause,
                          lambda k=k: f"{ev} while another operation's {y.g(k, 'open')} is open")
        same, rlen = self._order(y, t, c, self.chain, cause)
        if len(self.chain) >= 2:
            y.twin("chain_order", rlen + 1 == len(self.chain))
        first = y.Not(same)
        if ev in GOING:
            for _ in y.only(first):
                y.violate("notifier_protocol", y.Or(y.g(t, "open") != "", y.g(t, "closed") != ""),
                          cause, lambda: f"{ev} in an operation that already delivered "
                                         f"{y.g(t, 'open') or y.g(t, 'closed')}")
                if self.profile.memory_notify_nids:
                    self.nid(y, t, c, cause)
                    pnid = y.nid(c)
                else:  # 6.17: the node notifier announced the flip (or did not)
                    pnid = y.If(y.g(t, "nev") != "", y.g(t, "pnid"), -1)
                y.gset(t, open=ev, pnid=pnid)
            y.gput(t, "seen", cb, True)
            if not notifier_to_errno(c.ret) and not c.ret & NOTIFY_STOP_MASK:
                y.gput(t, "okg", cb, True)
        else:
            going = CLOSE[ev]
            for _ in y.only(first):
                y.violate("notifier_protocol", y.g(t, "open") != going, cause,
                          lambda: f"{ev} without an open {going} in its operation")
                y.gset(t, open="", closed=ev)
                y.twin("notifier_protocol", True)
            y.gput(t, "clo", cb, True)
            if ev in ("MEM_ONLINE", "MEM_OFFLINE"):
                y.violate("notifier_protocol", y.Not(y.ghas(t, "seen", cb)), cause,
                          lambda: f"{ev} reached {cb}, which never got {going}")
        self.alloc(y, t, c, cause)
        if self.profile.memory_notify_nids:
            self.node_state(y, c, cause)
        self._ran(y, t, c, rlen)

    def node_state(self, y: HistCtx, c: Call, cause: Callable[[], str]) -> None:
        """Seed section 8: status_change_nid is set "when N_HIGH_MEMORY of nodemask is (will
        be) set/clear". When a callback gets the event, the node it names has the state the
        event says: not yet changed at GOING_X (and, cancelled, as it was at CANCEL_X), changed
        at ONLINE / OFFLINE; likewise status_change_nid_normal and N_NORMAL_MEMORY (3.8+). The
        call's step ends at the call (spec/STEPS.md), so the state after it is the state the
        callback sees."""
        ev = c.event
        online = CLOSE.get(ev, ev) == "MEM_GOING_ONLINE"
        done = ev in ("MEM_ONLINE", "MEM_OFFLINE")
        inv = "node_state_done" if done else "node_state_going"
        want = online == done  # the flag is set at ONLINE, GOING_OFFLINE and CANCEL_OFFLINE
        fields = [(y.nid(c), self.mem_flag, "status_change_nid")]
        if self.profile.nid_normal and "N_NORMAL_MEMORY" in self.profile.node_flags:
            nn = y.nid_normal(c)
            if nn is not None:
                fields.append((nn, "N_NORMAL_MEMORY", "status_change_nid_normal"))
        for nid, flag, field in fields:
            y.twin(inv, nid >= 0)
            for n in range(len(self.world.nodes)):
                got = y.post.flag(n, flag)
                y.violate(inv, y.And(nid == n, got != want), cause,
                          lambda n=n, flag=flag, field=field, got=got:
                          f"{ev} with {field}={n} while node {n} has {flag} "
                          f"{'set' if got else 'clear'}")

    def node_call(self, y: HistCtx, t: int, c: Call) -> None:
        """6.17 node notifier (docs/facts.md section 3.5): ADDING_FIRST / REMOVING_LAST open a node event
        that ADDED / REMOVED or its CANCEL closes; its nid is the node that gains its first or
        loses its last memory, judged like status_change_nid; the chain runs in priority order."""
        ev = c.event
        label = "online" if "ADD" in ev else "offline"
        cause = lambda: f"{label}:{ev}"  # noqa: E731
        same, rlen = self._order(y, t, c, self.node_chain, cause)
        for _ in y.only(y.Not(same)):
            if ev in NODE_OPEN:
                y.violate("notifier_protocol", y.g(t, "nev") != "", cause,
                          lambda: f"{ev} after {y.g(t, 'nev')}")
                nid = y.nid(c)

                def flips(i: int) -> Val:
                    spec = self.world.blocks[i]
                    pages = self.world.ram_pages(spec.id)
                    node = spec.node
                    if ev == "NODE_ADDING_FIRST_MEMORY":
                        f = y.And(y.Not(y.pre.flag(node, self.mem_flag)), pages > 0)
                    else:
                        own = y.If(y.pre.b(i, "pages") != PAGES_RESERVED, pages, 0)
                        f = y.And(y.pre.flag(node, self.mem_flag),
                                  y.pre.n(node, "present_pages") - own <= 0)
                    return y.Or(nid != node, y.Not(f))
                y.twin("status_change_nid", True)
                y.violate("status_change_nid", y.at(y.g(t, "block"), flips), cause,
                          lambda: f"{ev} for node {nid}, which does not flip")
                y.gset(t, nev=ev, pnid=nid)
            else:
                y.violate("notifier_protocol", y.g(t, "nev") != NODE_CLOSE[ev], cause,
                          lambda: f"{ev} without an open {NODE_CLOSE[ev]}")
                y.gset(t, nev="")
        self._ran(y, t, c, rlen)

    def alloc(self, y: HistCtx, t: int, c: Call, cause: Callable[[], str]) -> None:
        """The promises of seed section 8 about the pages at the moment of the call."""
        ev, alloc = c.event, y.alloc(c)
        if ev == "MEM_GOING_ONLINE":
            y.twin("alloc_going_online", True)
            y.violate("alloc_going_online", alloc, cause,
                      lambda: "GOING_ONLINE with pages allocatable")
        elif ev == "MEM_ONLINE":
            y.twin("alloc_online", True)
            y.violate("alloc_online", y.Not(alloc), cause,
                      lambda: "ONLINE while the pages cannot be allocated")
        elif ev in ("MEM_GOING_OFFLINE", "MEM_OFFLINE"):
            y.twin("alloc_going_offline", True)
            y.violate("alloc_going_offline", alloc, cause,
                      lambda: f"{ev} with pages still allocatable")
        elif ev == "MEM_CANCEL_OFFLINE":
            # memory that was online is isolated (or already back) by now; memory that never
            # was (reserved pages of a block never onlined) is promised nothing
            for _ in y.only(y.at(y.g(t, "block"), lambda i: y.post.b(i, "pages") != PAGES_RESERVED)):
                y.twin("alloc_cancel_offline", True)
                y.violate("alloc_cancel_offline", y.Not(alloc), cause,
                          lambda: "CANCEL_OFFLINE while the memory is not available again")

    def nid(self, y: HistCtx, t: int, c: Call, cause: Callable[[], str]) -> None:
        """status_change_nid (and _normal) at the first call of a GOING_X: the node id exactly
        when the operation flips (or, cancelled, would flip) the node's state."""
        nid, nid_normal = y.nid(c), y.nid_normal(c)
        online = c.event == "MEM_GOING_ONLINE"

        def want(i: int, normal: bool) -> Val:
            spec = self.world.blocks[i]
            node, pages = spec.node, self.world.ram_pages(spec.id)
            if not normal:
                flag = y.pre.flag(node, self.mem_flag)
                if online:
                    flips = y.And(y.Not(flag), pages > 0)
                else:
                    own = y.If(y.pre.b(i, "pages") != PAGES_RESERVED, pages, 0)
                    flips = y.And(flag, y.pre.n(node, "present_pages") - own <= 0)
                return y.If(flips, node, -1)
            nflag = y.pre.flag(node, "N_NORMAL_MEMORY")
            if online:
                kernel = y.test(y.post.b(i, "zones"), lambda z: any(q in KERNEL_ZONES for q in z))
                flips = y.And(y.Not(nflag), pages > 0, kernel)
            else:
                own = y.If(y.pre.b(i, "pages") != PAGES_RESERVED, pages, 0)
                kernel = y.test(y.pre.b(i, "zones"), lambda z: any(q in KERNEL_ZONES for q in z))
                flips = y.And(nflag, kernel, zone_pages(self.world, y.pre, node, KERNEL_ZONES) - own <= 0)
            return y.If(flips, node, -1)

        blk = y.g(t, "block")
        w = y.at(blk, lambda i: want(i, False))
        y.twin("status_change_nid", nid >= 0)
        y.violate("status_change_nid", nid != w, cause,
                  lambda: f"status_change_nid={nid}, expected {w}")
        if self.profile.nid_normal and nid_normal is not None:
            wn = y.at(blk, lambda i: want(i, True))
            y.violate("status_change_nid", nid_normal != wn, lambda: cause() + ":normal",
                      lambda: f"status_change_nid_normal={nid_normal}, expected {wn}")

    # --- after the calls ---------------------------------------------------------------------------
    def flip(self, y: HistCtx, t: int) -> None:
        """A node's memory state flipped in this step: the operation must have announced it.
        With no callback on the chain that carries the announcement, nothing observes it: the
        promise has no witness either way, and nothing is judged."""
        if not (self.chain if self.profile.memory_notify_nids else self.node_chain):
            return
        for n in range(len(self.world.nodes)):
            for _ in y.only(y.pre.flag(n, self.mem_flag) != y.post.flag(n, self.mem_flag)):
                y.violate("status_change_nid", y.g(t, "pnid") != n,
                          lambda: f"{y.g(t, 'label')}:commit",
                          lambda n=n: f"node {n} flipped with status_change_nid={y.g(t, 'pnid')}")

    def eject(self, y: HistCtx, t: int) -> None:
        """Memory is physically removed only when its block is offline (6.1 offlines, then
        removes: a block its own operation took offline may go)."""
        blk = y.g(t, "block")
        for _ in y.only(y.at(blk, lambda i: y.And(y.pre.b(i, "present"), y.Not(y.post.b(i, "present"))))):
            y.twin("remove_only_offline", True)
            state = y.at(blk, lambda i: y.pre.b(i, "state"))
            own = y.And(state == MEM_GOING_OFFLINE, y.g(t, "closed") == "MEM_OFFLINE")
            y.violate("remove_only_offline", y.And(state != MEM_OFFLINE, y.Not(own)),
                      lambda: f"{y.g(t, 'label')}:eject",
                      lambda: f"memory{self.world.blocks[blk].id} ejected while its state was "
                              f"{STATE_TEXT.get(state)}")

    def end(self, y: HistCtx, t: int) -> None:
        """The operation returned: its GOING_X closed, its chains complete, its callees that
        answered GOING_X got X or CANCEL_X; a failed write left the block as it was."""
        cause = lambda: f"{y.g(t, 'label')}:ret"  # noqa: E731
        y.violate("notifier_protocol", y.g(t, "open") != "", cause,
                  lambda: f"{y.g(t, 'open')} never closed")
        y.violate("notifier_protocol", y.g(t, "nev") != "", cause,
                  lambda: f"{y.g(t, 'nev')} never closed")
        self.chain_done(y, t)
        y.violate("notifier_protocol", y.gdiff(t, "okg", "clo"), cause,
                  lambda: f"{', '.join(sorted(set(y.callees(t, 'okg')) - set(y.callees(t, 'clo'))))} "
                          f"got GOING but neither X nor CANCEL")
        ret = y.ret
        for _ in y.only(y.And(y.g(t, "kind") == "write", ret < 0)):
            y.twin("rejected_write", y.g(t, "calls"))
            for _ in y.only(y.Not(y.g(t, "dist"))):
                blk = y.g(t, "block")
                state = y.at(blk, lambda i: y.post.b(i, "state"))
                moved = state != y.g(t, "pre")
                y.violate("rejected_write", moved, cause,
                          lambda: f"a write failed with {ret} but the state went from "
                                  f"{STATE_TEXT.get(y.g(t, 'pre'))} to {STATE_TEXT.get(state)}")
                otype_changed: Val = False
                if self.profile.online_types:
                    otype_changed = y.at(blk, lambda i: y.post.b(i, "online_type")) != y.g(t, "preot")
                y.violate("rejected_write",
                          y.And(y.Not(moved), ret == EINVAL_RET, y.Or(y.g(t, "calls"), otype_changed)),
                          cause, lambda: "a write refused with -EINVAL "
                                         f"{'sent events' if y.g(t, 'calls') else 'changed the block'}")


__all__ = ["CLOSE", "GOING", "HISTORY_INVARIANTS", "HistCtx", "History", "IDLE_TRACK", "NOTE_FIELDS",
           "OpTrack", "SETS", "TRACK_FIELDS"]
