"""The promises of the seed (Documentation/memory-hotplug.txt, 3.2 -> 3.4) as named invariants.

Models: each invariant states what the seed promises, cites the section it comes from, and has a
``sometimes`` twin that is its own premise (the states or events it speaks about), so a complete
exploration shows the invariant is not vacuous. State invariants are judged in quiescent states
(no operation in flight); history invariants on every observation, through :class:`Monitor`, a
pure observer whose state the explorer keeps next to the model's (design.md section 2). The
history judgement itself is written once in :mod:`spec.history` (the Z3 engine interprets the
same definition); :class:`Judge` is its concrete context.

Leaves out: liveness (an offline that loops forever), and promises about files the profiles do not
model (``probe``, ``phys_device``'s meaning).

A :class:`Violation` names the invariant and a *cause*: the kind of operation and the event or
file at fault (``offline:MEM_CANCEL_OFFLINE``), or ``init`` for the machine as booted.

One finding is not an invariant of the seed: :data:`KERNEL_BUG`, a step of a (patched) kernel
mirror that reaches a modelled ``BUG()`` (its observation's point is ``BUG:<function>``, see
checker.model.MirrorModel). The Monitor reports it as a violation of ``kernel_bug`` with cause
``BUG:<function>``; it cites no section of the document, so it is not in :data:`INVARIANTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from spec.actions import (
    MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, STATE_TEXT, Action, NotifierCall, Observation,
)
from spec.config import World
from spec.history import IDLE_TRACK, History, OpTrack
from spec.invariants_sysfs import check_sysfs
from spec.reader import MachineReader
from spec.profiles import Profile
from spec.state import KERNEL_ZONES, PAGES_ONLINE, PAGES_RESERVED, Machine
from spec.sysfs import View
from spec.violation import Violation


@dataclass(frozen=True)
class Invariant:
    name: str
    seed_section: str
    text: str
    twin: str
    kind: str  # "state" (quiescent states) or "history" (observations)

    @property
    def quote(self) -> str:
        """The seed's own words this invariant checks (spec.quotes)."""
        from spec.quotes import quote_of

        return quote_of(self.name)


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("state_strings", "4 ('state'), 5.1",
              "state reads online or offline; going-offline only while an operation runs on the block",
              "a read during an offline shows going-offline", "history"),
    Invariant("notifier_protocol", "8",
              "every GOING_X is closed by exactly one of X / CANCEL_X in its operation; no event "
              "outside an operation; no interleaving of two operations' events; a callback that saw "
              "GOING_X gets X or CANCEL_X; X only reaches callbacks that saw GOING_X",
              "an operation delivers GOING_X and closes it", "history"),
    Invariant("chain_order", "8 (hotplug_memory_notifier(callback_func, priority))",
              "each event reaches the callbacks in priority order (equal priorities in registration "
              "order), each once, and none after one that stopped the chain",
              "an event reaches every callback of a chain of two or more", "history"),
    Invariant("alloc_going_online", "8 (MEMORY_GOING_ONLINE)",
              "when GOING_ONLINE is delivered, no page of the block can be allocated",
              "GOING_ONLINE is delivered", "history"),
    Invariant("alloc_online", "8 (MEMORY_ONLINE)",
              "when ONLINE is delivered, the callback may allocate pages of the block",
              "ONLINE is delivered", "history"),
    Invariant("alloc_going_offline", "8 (MEMORY_GOING_OFFLINE)",
              "from GOING_OFFLINE on, no new allocation comes from the block",
              "GOING_OFFLINE is delivered", "history"),
    Invariant("alloc_cancel_offline", "8 (MEMORY_CANCEL_OFFLINE)",
              "when CANCEL_OFFLINE is delivered, the memory is available again",
              "CANCEL_OFFLINE is delivered for memory that was online", "history"),
    Invariant("node_state", "8 (status_change_nid: N_HIGH_MEMORY set/clear)",
              "a node carries the memory node state exactly when it has present pages",
              "a node without memory at boot gains it", "state"),
    Invariant("status_change_nid", "8 (status_change_nid)",
              "status_change_nid is the node id exactly when the operation flips (or, cancelled, "
              "would flip) the node's state, -1 otherwise",
              "status_change_nid >= 0 is delivered", "history"),
    Invariant("node_state_going", "8 (status_change_nid: N_HIGH_MEMORY of nodemask is (will be) set/clear)",
              "when GOING_X (or CANCEL_X) is delivered, the node named by status_change_nid (and "
              "status_change_nid_normal) has its state as before the operation",
              "GOING_X is delivered with status_change_nid >= 0", "history"),
    Invariant("node_state_done", "8 (status_change_nid: N_HIGH_MEMORY of nodemask is (will be) set/clear)",
              "when ONLINE / OFFLINE is delivered, the node named by status_change_nid (and "
              "status_change_nid_normal) has its state set / clear already",
              "ONLINE / OFFLINE is delivered with status_change_nid >= 0", "history"),
    Invariant("slub_structures", "8 (callback should create/discard structures for the node)",
              "a consumer that follows status_change_nid (SLUB) has its per-node structures for "
              "every node whose memory can be allocated",
              "SLUB has structures for a node that had no memory at boot", "history"),
    Invariant("page_accounting", "5.2, 6.2 (amount of memory from user's view)",
              "a node's present pages are the System RAM pages of its online blocks",
              "a node's present pages change", "state"),
    Invariant("state_matches_memory", "4 ('state'), 5.2, 6.2",
              "a block reads online exactly when its memory is in the page allocator",
              "a hot-added block is online", "state"),
    Invariant("remove_only_offline", "7 (physical memory remove), 1.2",
              "memory is physically removed only when its block is offline",
              "a memory device is ejected", "history"),
    Invariant("rejected_write", "4 ('state' at write), 6.2",
              "a failed write leaves the block's state as it was; a write refused with -EINVAL "
              "sends no event and changes nothing",
              "a write fails after its operation delivered events", "history"),
    Invariant("sysfs_dirs", "4 (These directories/files appear after physical hotplug)",
              "one memoryXXX directory per physically present block, none for absent memory",
              "a hot-added block has its directory", "state"),
    Invariant("sysfs_names", "4 (XXX is the section id; phys_index, same as XXX)",
              "a block's directory is memoryXXX with XXX its first section id, and phys_index "
              "reads XXX", "a directory of a hot-added block", "state"),
    Invariant("sysfs_end_phys_index", "4 ('end_phys_index')",
              "end_phys_index reads the id of the block's last section",
              "a block with end_phys_index", "state"),
    Invariant("sysfs_removable", "4 ('removable')",
              "removable reads 1 exactly when every section of the block is removable",
              "a block reads removable 0", "state"),
    Invariant("sysfs_links", "4 (symbolic links ... and backlinks)",
              "each block of a node has the link nodeN/memoryXXX and the backlink memoryXXX/nodeN; "
              "no link to a missing block or node",
              "a hot-added block has its node link and backlink", "state"),
)
BY_NAME = {inv.name: inv for inv in INVARIANTS}

#: the finding of a step that reaches a modelled BUG() in a kernel mirror (not a seed invariant)
KERNEL_BUG = "kernel_bug"
#: the point of the observation of such a step: ``BUG:<function>``
BUG_POINT = "BUG:"


def kernel_bug(obs: Observation) -> Violation | None:
    """The ``kernel_bug`` violation of a step whose observation is a BUG (None otherwise)."""
    if not obs.point.startswith(BUG_POINT):
        return None
    function = obs.point[len(BUG_POINT):]
    what = dict(obs.extra).get("bug", "")
    return Violation(KERNEL_BUG, obs.point,
                     f"the kernel would BUG here: BUG() in {function}"
                     + (f" ({what})" if what else ""))


class MonitorState(NamedTuple):
    """One record per thread (spec.history.OpTrack), None where no operation is in flight."""

    ops: tuple[OpTrack | None, ...]


Result = tuple[MonitorState, list[Violation], set[str]]
_ONCE = (None,)
_INDEX = {f: k for k, f in enumerate(OpTrack._fields)}
_IDLE_LIST = list(IDLE_TRACK)


class Judge:
    """The concrete monitor context of spec.history.HistCtx: one step's judgement. Each
    thread's record is an OpTrack (IDLE_TRACK: none in flight), copied into a list on its first
    write and frozen again by :meth:`done`."""

    __slots__ = ("_pm", "_qm", "_pre", "_post", "t", "action", "calls", "ret", "read", "given",
                 "cur", "dirty", "v", "twins", "chainset", "changed")

    def __init__(self, chainset: frozenset[str]) -> None:
        self.chainset = chainset

    def reset(self, ops: tuple[OpTrack | None, ...], pre: Machine, a: Action, obs: Observation,
              post: Machine, t: int | None) -> "Judge":
        """Judge a new step (one Judge serves every step of a Monitor)."""
        self.given = ops
        self.cur: list[Any] = [op or IDLE_TRACK for op in ops]
        self.dirty = False
        self._pm, self._qm = pre, post
        self._pre: MachineReader | None = None
        self._post: MachineReader | None = None
        self.changed = pre.blocks is not post.blocks or pre.nodes is not post.nodes
        self.t, self.action, self.calls = t, a, obs.calls
        self.ret, self.read = obs.ret, obs.read
        self.v: list[Violation] = []
        self.twins: set[str] = set()
        return self

    @property
    def pre(self) -> MachineReader:
        if self._pre is None:
            self._pre = MachineReader(self._pm)
        return self._pre

    @property
    def post(self) -> MachineReader:
        if self._post is None:
            self._post = MachineReader(self._qm)
        return self._post

    If = staticmethod(MachineReader.If)
    And = staticmethod(MachineReader.And)
    Or = staticmethod(MachineReader.Or)
    Not = staticmethod(MachineReader.Not)
    test = staticmethod(MachineReader.test)

    @staticmethod
    def at(i: int, fn: Callable[[int], Any]) -> Any:
        return fn(i)

    @staticmethod
    def only(c: Any) -> tuple[None, ...]:
        return _ONCE if c else ()

    def machine_changed(self) -> bool:
        return self.changed

    @staticmethod
    def alloc(c: NotifierCall) -> bool:
        return c.allocatable

    @staticmethod
    def nid(c: NotifierCall) -> int:
        return c.status_change_nid

    @staticmethod
    def nid_normal(c: NotifierCall) -> int | None:
        return c.status_change_nid_normal

    def g(self, u: int, f: str) -> Any:
        return self.cur[u][_INDEX[f]]

    def gset(self, u: int, **kw: Any) -> None:
        r = self.cur[u]
        if type(r) is not list:
            for k, v in kw.items():
                if r[_INDEX[k]] != v:
                    break
            else:
                return
            r = self.cur[u] = list(r)
            self.dirty = True
        for k, v in kw.items():
            r[_INDEX[k]] = v

    def gclear(self, u: int) -> None:
        if self.cur[u] is not IDLE_TRACK:
            self.cur[u] = IDLE_TRACK
            self.dirty = True

    def ghas(self, u: int, s: str, callee: str) -> bool:
        return callee in self.cur[u][_INDEX[s]]

    def gdiff(self, u: int, s: str, r: str) -> bool:
        rec = self.cur[u]
        return not rec[_INDEX[s]] <= rec[_INDEX[r]]

    def gput(self, u: int, s: str, callee: str, v: Any) -> None:
        if v and callee in self.chainset:
            have = self.cur[u][_INDEX[s]]
            if callee not in have:
                self.gset(u, **{s: have | {callee}})

    def done(self) -> tuple[OpTrack | None, ...]:
        """The records after the step (None: no operation in flight)."""
        if not self.dirty:
            return self.given
        out: list[OpTrack | None] = []
        for r in self.cur:
            if type(r) is list:
                out.append(None if r == _IDLE_LIST else OpTrack._make(r))
            else:
                out.append(None if r is IDLE_TRACK else r)
        return tuple(out)

    def callees(self, u: int, s: str) -> list[str]:
        return sorted(self.g(u, s))

    def violate(self, invariant: str, cond: Any, cause: Callable[[], str],
                message: Callable[[], str]) -> None:
        if cond:
            self.v.append(Violation(invariant, cause(), message()))

    def twin(self, name: str, cond: Any) -> None:
        if cond:
            self.twins.add(name)


class Monitor:
    """A pure observer of one world under one profile: ``initial`` and ``step`` return the new
    monitor state, the violations found and the twins (invariant names) reached. The history
    invariants are judged by spec.history.History (its one definition); the state invariants
    here."""

    def __init__(self, world: World, profile: Profile, threads: tuple[str, ...],
                 view_from_machine: bool = False) -> None:
        """``view_from_machine``: the model's sysfs view is a function of its Machine (true of
        the spec), so state checks can be computed once per machine."""
        self.world, self.profile, self.threads = world, profile, threads
        self.view_from_machine = view_from_machine
        self._cache: dict[object, tuple[tuple[Violation, ...], frozenset[str]]] = {}
        #: the last state check's (machine, busy blocks, result): a step that leaves the machine
        #: object as it was is judged without hashing it
        self._last_always: tuple[Any, Any, Any] = (None, None, None)
        #: the last records' busy blocks: successors of one state share their records
        self._last_ops: tuple[OpTrack | None, ...] | None = None
        self._last_busy: frozenset[int] = frozenset()
        self.history = History(world, profile, threads)
        self.chainset = frozenset(self.history.chain)
        self.judge = Judge(self.chainset)
        self.tindex = {name: k for k, name in enumerate(threads)}
        self.slub = any(c.kind == "slub" for c in world.callbacks)
        self.mem_flag = self.history.mem_flag
        self.boot_flags: tuple[bool, ...] | None = None  # set by initial()

    # --- entry points ---------------------------------------------------------------------
    def initial(self, m: Machine, view: View) -> Result:
        self.boot_flags = tuple(self.mem_flag in n.flags for n in m.nodes)
        self.boot_pages = tuple(n.present_pages for n in m.nodes)
        self.boot_slub = m.slub_nodes
        v: list[Violation] = []
        twins: set[str] = set()
        self._quiescent(m, view, v, twins)
        self._always(m, frozenset(), v, twins)
        return MonitorState(tuple(None for _ in self.threads)), v, twins

    def step(self, ms: MonitorState, pre: Machine, a: Action, obs: Observation, post: Machine,
             quiescent: bool, view: Callable[[], View]) -> Result:
        if obs.point.startswith(BUG_POINT):  # the kernel would oops: nothing else to judge
            return ms, [kernel_bug(obs)], set()  # type: ignore[list-item]
        y = self.judge.reset(ms.ops, pre, a, obs, post, self.tindex.get(obs.thread))  # type: ignore[arg-type]
        self.history.step(y)
        v, twins = y.v, y.twins
        ops = y.done()
        if ops is self._last_ops:
            busy = self._last_busy
        else:
            busy = frozenset(op.block for op in ops if op is not None)
            self._last_ops, self._last_busy = ops, busy
        last = self._last_always
        if last[0] is post and last[1] == busy:  # same machine object: no hashing
            v.extend(last[2][0])
            twins.update(last[2][1])
        else:
            hit = self._cached(("always", post, busy), self._always, post, busy, v, twins)
            self._last_always = (post, busy, hit)
        if quiescent:
            if self.view_from_machine:
                self._cached(("quiescent", post), self._quiescent_of, post, view, v, twins)
            else:
                self._quiescent(post, view(), v, twins)
        return (ms if ops is ms.ops else MonitorState(ops)), v, twins

    # --- state checks ---------------------------------------------------------------------
    def _cached(self, key: object, fn: Callable[[Any, Any, list[Violation], set[str]], None],
                x: Any, z: Any, v: list[Violation], twins: set[str]
                ) -> tuple[tuple[Violation, ...], frozenset[str]]:
        """State checks ``fn(x, z, violations, twins)`` depend only on ``key``: computed once
        per key."""
        hit = self._cache.get(key)
        if hit is None:
            vv: list[Violation] = []
            tt: set[str] = set()
            fn(x, z, vv, tt)
            hit = self._cache[key] = (tuple(vv), frozenset(tt))
        v.extend(hit[0])
        twins.update(hit[1])
        return hit

    def _always(self, m: Machine, busy: frozenset[int], v: list[Violation],
                twins: set[str]) -> None:
        for i, b in enumerate(m.blocks):  # what a read of state would return now
            if b.registered and b.state not in (MEM_ONLINE, MEM_OFFLINE):
                if b.state == MEM_GOING_OFFLINE and i in busy:
                    twins.add("state_strings")
                else:
                    v.append(Violation("state_strings", "going-offline",
                                       f"memory{self.world.blocks[i].id}/state reads "
                                       f"{STATE_TEXT.get(b.state, b.state)!r} with no operation on it"))
        if not self.slub:
            return
        for n in range(len(m.nodes)):
            zones = KERNEL_ZONES if self.profile.slub_nid_field == "status_change_nid_normal" else None
            live = any(s.node == n and b.pages == PAGES_ONLINE and
                       (zones is None or any(z in zones for z in b.zones))
                       for s, b in zip(self.world.blocks, m.blocks))
            if live and n not in m.slub_nodes:
                v.append(Violation("slub_structures", "slub",
                                   f"node {n} has allocatable memory but no SLUB structures"))
            if live and n in m.slub_nodes and n not in self.boot_slub:
                twins.add("slub_structures")

    def _quiescent_of(self, m: Machine, view: Callable[[], View], v: list[Violation],
                      twins: set[str]) -> None:
        self._quiescent(m, view(), v, twins)

    def _quiescent(self, m: Machine, view: View, v: list[Violation], twins: set[str]) -> None:
        w = self.world
        for n, node in enumerate(m.nodes):
            pages = sum(w.ram_pages(s.id) for s, b in zip(w.blocks, m.blocks)
                        if s.node == n and b.pages != PAGES_RESERVED)
            normal = sum(w.ram_pages(s.id) for s, b in zip(w.blocks, m.blocks)
                         if s.node == n and b.pages != PAGES_RESERVED
                         and any(z in KERNEL_ZONES for z in b.zones))
            if node.present_pages != pages:
                v.append(Violation("page_accounting", "present_pages",
                                   f"node {n}: present_pages {node.present_pages}, online blocks {pages}"))
            elif self.boot_pages is not None and pages != self.boot_pages[n]:
                twins.add("page_accounting")
            if (self.mem_flag in node.flags) != (node.present_pages > 0):
                v.append(Violation("node_state", self.mem_flag,
                                   f"node {n}: {self.mem_flag} {'set' if self.mem_flag in node.flags else 'clear'} "
                                   f"with {node.present_pages} present pages"))
            elif self.mem_flag in node.flags and self.boot_flags and not self.boot_flags[n]:
                twins.add("node_state")
            if "N_NORMAL_MEMORY" in self.profile.node_flags and ("N_NORMAL_MEMORY" in node.flags) != (normal > 0):
                v.append(Violation("node_state", "N_NORMAL_MEMORY",
                                   f"node {n}: N_NORMAL_MEMORY does not match {normal} kernel-zone pages"))
        for s, b in zip(w.blocks, m.blocks):
            if not b.registered:
                continue
            if (b.state == MEM_ONLINE) != (b.pages == PAGES_ONLINE and b.present):
                v.append(Violation("state_matches_memory", "state",
                                   f"memory{s.id} reads {STATE_TEXT.get(b.state)} but its memory is "
                                   f"{'gone' if not b.present else b.pages}"))
            elif b.state == MEM_ONLINE and s.boot == "absent":
                twins.add("state_matches_memory")
        check_sysfs(w, self.profile, m, view, v, twins)

