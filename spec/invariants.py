"""The promises of the seed (Documentation/memory-hotplug.txt, 3.2 -> 3.4) as named invariants.

Models: each invariant states what the seed promises, cites the section it comes from, and has a
``sometimes`` twin that is its own premise (the states or events it speaks about), so a complete
exploration shows the invariant is not vacuous. State invariants are judged in quiescent states
(no operation in flight); history invariants on every observation, through :class:`Monitor`, a
pure observer whose state the explorer keeps next to the model's (design.md section 2).

Leaves out: liveness (an offline that loops forever), and promises about files the profiles do not
model (``probe``, ``phys_device``'s meaning).

A :class:`Violation` names the invariant and a *cause*: the kind of operation and the event or
file at fault (``offline:MEM_CANCEL_OFFLINE``), or ``init`` for the machine as booted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from spec.actions import (
    MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_STOP_MASK, STATE_TEXT, Action,
    NotifierCall, Observation, notifier_to_errno,
)
from spec.config import World
from spec.profiles import Profile
from typing import NamedTuple

from spec.state import KERNEL_ZONES, PAGES_ONLINE, PAGES_RESERVED, Machine, evolve
from spec.sysfs import View


@dataclass(frozen=True)
class Invariant:
    name: str
    seed_section: str
    text: str
    twin: str
    kind: str  # "state" (quiescent states) or "history" (observations)


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


@dataclass(frozen=True)
class Violation:
    invariant: str
    cause: str
    message: str


class OpTrack(NamedTuple):
    """What the monitor knows of one thread's operation in flight."""

    kind: str
    block: int  # index into world.blocks
    label: str  # online / offline / hotadd / hotremove / write
    pre_state: int
    pre_online_type: str
    had_calls: bool = False
    run_event: str = ""  # the chain being delivered: its event, callees so far, last ret
    run: tuple[str, ...] = ()
    run_last_ret: int = 0
    open_event: str = ""  # the GOING_* waiting to be closed
    closed_by: str = ""
    seen_going: frozenset[str] = frozenset()
    ok_going: frozenset[str] = frozenset()
    closers: frozenset[str] = frozenset()
    disturbed: bool = False
    pending_nid: int = -2  # status_change_nid of the open GOING (to judge the flip)
    node_event: str = ""  # 6.17: the open NODE_ADDING_FIRST / NODE_REMOVING_LAST_MEMORY


class MonitorState(NamedTuple):
    ops: tuple[OpTrack | None, ...]


_CLOSE = {"MEM_ONLINE": "MEM_GOING_ONLINE", "MEM_CANCEL_ONLINE": "MEM_GOING_ONLINE",
          "MEM_OFFLINE": "MEM_GOING_OFFLINE", "MEM_CANCEL_OFFLINE": "MEM_GOING_OFFLINE"}
_LABEL = {"MEM_GOING_ONLINE": "online", "MEM_GOING_OFFLINE": "offline"}
_NODE_OPEN = ("NODE_ADDING_FIRST_MEMORY", "NODE_REMOVING_LAST_MEMORY")
_NODE_CLOSE = {"NODE_ADDED_FIRST_MEMORY": "NODE_ADDING_FIRST_MEMORY",
               "NODE_CANCEL_ADDING_FIRST_MEMORY": "NODE_ADDING_FIRST_MEMORY",
               "NODE_REMOVED_LAST_MEMORY": "NODE_REMOVING_LAST_MEMORY",
               "NODE_CANCEL_REMOVING_LAST_MEMORY": "NODE_REMOVING_LAST_MEMORY"}

Result = tuple[MonitorState, list[Violation], set[str]]


class Monitor:
    """A pure observer of one world under one profile: ``initial`` and ``step`` return the new
    monitor state, the violations found and the twins (invariant names) reached."""

    def __init__(self, world: World, profile: Profile, threads: tuple[str, ...],
                 view_from_machine: bool = False) -> None:
        """``view_from_machine``: the model's sysfs view is a function of its Machine (true of
        the spec), so state checks can be computed once per machine."""
        self.world, self.profile, self.threads = world, profile, threads
        self.view_from_machine = view_from_machine
        self._cache: dict[object, tuple[tuple[Violation, ...], frozenset[str]]] = {}
        mem_chain, node_chain = world.notifier_chains(profile.node_chain)
        self.chain = tuple(c.name for c in mem_chain)
        #: 6.17: the NUMA node notifier chain (SLUB moved there)
        self.node_chain = tuple(c.name for c in node_chain)
        self.slub = any(c.kind == "slub" for c in world.callbacks)
        self.mem_flag = "N_HIGH_MEMORY" if "N_HIGH_MEMORY" in profile.node_flags else "N_MEMORY"
        self.boot_flags = None  # set by initial()

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
        v: list[Violation] = []
        twins: set[str] = set()
        ops = list(ms.ops)
        t = self.threads.index(obs.thread) if obs.thread in self.threads else None
        if a.kind in ("write", "hotadd", "hotremove") and t is not None:
            i = self.world.block_index(a.block)  # type: ignore[arg-type]
            b = pre.blocks[i]
            label = a.kind if a.kind != "write" else "write"
            write = a.kind == "write"  # only a write's own effect is judged against its start
            ops[t] = OpTrack(a.kind, i, label, b.state if write else 0,
                             b.online_type if write and self.profile.online_types else "")
        for k, op in enumerate(ops):  # another thread changed this write's block: note it
            if (op is not None and k != t and op.kind == "write" and not op.disturbed
                    and (pre.blocks[op.block].state, pre.blocks[op.block].online_type)
                    != (post.blocks[op.block].state, post.blocks[op.block].online_type)):
                ops[k] = evolve(op, disturbed=True)
        if obs.read is not None and a.block is not None and a.file == "state":
            self._read(ops, a, obs.read, v, twins)
        if t is not None and ops[t] is not None:
            for call in obs.calls:
                ops[t] = self._call(ops, t, ops[t], call, pre, post, v, twins)  # type: ignore[arg-type]
            self._flip(ops[t], pre, post, v)  # type: ignore[arg-type]
            self._eject(ops[t], pre, post, v, twins)  # type: ignore[arg-type]
            if obs.ret is not None:
                self._end(ops[t], obs.ret, post, v, twins)  # type: ignore[arg-type]
                ops[t] = None
        elif obs.calls:
            v.append(Violation("notifier_protocol", "none:" + obs.calls[0].event,
                               "a notifier event outside any operation"))
        label = (ops[t].label if t is not None and ops[t] is not None else
                 ms.ops[t].label if t is not None and ms.ops[t] is not None else a.kind)
        busy = frozenset(op.block for op in ops if op is not None)
        self._cached(("always", post, busy), lambda vv, tt: self._always(post, busy, vv, tt), v, twins)
        if quiescent:
            key = ("quiescent", post) if self.view_from_machine else None
            self._cached(key, lambda vv, tt: self._quiescent(post, view(), vv, tt), v, twins)
        return MonitorState(tuple(ops)), v, twins

    # --- history checks -------------------------------------------------------------------
    def _read(self, ops: list[OpTrack | None], a: Action, text: str, v: list[Violation],
              twins: set[str]) -> None:
        i = self.world.block_index(a.block)  # type: ignore[arg-type]
        busy = any(op is not None and op.block == i for op in ops)
        if text == "going-offline\n" and busy:
            twins.add("state_strings")
        elif text not in ("online\n", "offline\n"):
            v.append(Violation("state_strings", "read:state",
                               f"memory{a.block}/state read {text!r}"))

    def _call(self, ops: list[OpTrack | None], t: int, op: OpTrack, call: NotifierCall,
              pre: Machine, post: Machine, v: list[Violation], twins: set[str]) -> OpTrack:
        ev, cb = call.event, call.callback
        if ev.startswith("NODE_"):
            return self._node_call(op, call, pre, v, twins)
        label = _LABEL.get(ev, op.label)
        if ev in _LABEL:
            op = evolve(op, label=label)
        cause = f"{label}:{ev}"
        for k, other in enumerate(ops):
            if k != t and other is not None and other.open_event:
                v.append(Violation("notifier_protocol", cause,
                                   f"{ev} while another operation's {other.open_event} is open"))
        # chain order: the run of this event since the last different one
        run = op.run if op.run_event == ev else ()
        pos = len(run)
        if run and op.run_last_ret & NOTIFY_STOP_MASK:
            v.append(Violation("chain_order", cause,
                               f"{cb} called after {run[-1]} stopped the chain"))
        elif pos >= len(self.chain) or self.chain[pos] != cb:
            want = self.chain[pos] if pos < len(self.chain) else "nobody"
            v.append(Violation("chain_order", cause,
                               f"{ev} reached {cb} as callback #{pos + 1}; expected {want}"))
        if not run and op.run:
            self._chain_done(op, v)
        if pos + 1 == len(self.chain) >= 2:
            twins.add("chain_order")
        if ev in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
            if not run:
                if op.open_event or op.closed_by:
                    v.append(Violation("notifier_protocol", cause,
                                       f"{ev} in an operation that already delivered "
                                       f"{op.open_event or op.closed_by}"))
                if self.profile.memory_notify_nids:
                    op = evolve(op, open_event=ev, pending_nid=call.status_change_nid)
                    self._nid(op, call, pre, post, cause, v, twins)
                else:  # 6.17: the node notifier announced the flip (or did not)
                    op = evolve(op, open_event=ev,
                                pending_nid=op.pending_nid if op.node_event else -1)
            op = evolve(op, seen_going=op.seen_going | {cb})
            if not notifier_to_errno(call.ret) and not call.ret & NOTIFY_STOP_MASK:
                op = evolve(op, ok_going=op.ok_going | {cb})
        else:
            going = _CLOSE[ev]
            if not run:
                if op.open_event != going:
                    v.append(Violation("notifier_protocol", cause,
                                       f"{ev} without an open {going} in its operation"))
                op = evolve(op, open_event="", closed_by=ev)
            op = evolve(op, closers=op.closers | {cb})
            if ev in ("MEM_ONLINE", "MEM_OFFLINE") and cb not in op.seen_going:
                v.append(Violation("notifier_protocol", cause,
                                   f"{ev} reached {cb}, which never got {going}"))
            if op.closed_by and not run:
                twins.add("notifier_protocol")
        self._alloc(op, call, post.blocks[op.block].pages, cause, v, twins)
        return evolve(op, had_calls=True, run_event=ev, run=run + (cb,), run_last_ret=call.ret)

    def _node_call(self, op: OpTrack, call: NotifierCall, pre: Machine, v: list[Violation],
                   twins: set[str]) -> OpTrack:
        """6.17 node notifier (facts.md 3.5): ADDING_FIRST / REMOVING_LAST open a node event
        that ADDED / REMOVED or its CANCEL closes; its nid is the node that gains its first or
        loses its last memory, judged like status_change_nid; the chain runs in priority order."""
        ev, cb = call.event, call.callback
        label = "online" if "ADD" in ev else "offline"
        cause = f"{label}:{ev}"
        run = op.run if op.run_event == ev else ()
        pos = len(run)
        if run and op.run_last_ret & NOTIFY_STOP_MASK:
            v.append(Violation("chain_order", cause, f"{cb} called after {run[-1]} stopped the chain"))
        elif pos >= len(self.node_chain) or self.node_chain[pos] != cb:
            v.append(Violation("chain_order", cause, f"{ev} reached {cb} as callback #{pos + 1}"))
        if not run and op.run:
            self._chain_done(op, v)
        spec = self.world.blocks[op.block]
        node = pre.nodes[spec.node]
        if ev in _NODE_OPEN:
            if not run:
                if op.node_event:
                    v.append(Violation("notifier_protocol", cause, f"{ev} after {op.node_event}"))
                pages = self.world.ram_pages(spec.id)
                own = pages if pre.blocks[op.block].pages != PAGES_RESERVED else 0
                flips = (self.mem_flag not in node.flags and pages > 0 if ev == "NODE_ADDING_FIRST_MEMORY"
                         else self.mem_flag in node.flags and node.present_pages - own <= 0)
                twins.add("status_change_nid")
                if call.status_change_nid != spec.node or not flips:
                    v.append(Violation("status_change_nid", cause,
                                       f"{ev} for node {call.status_change_nid}, which does not flip"))
                op = evolve(op, node_event=ev, pending_nid=call.status_change_nid)
        else:
            if not run:
                if op.node_event != _NODE_CLOSE[ev]:
                    v.append(Violation("notifier_protocol", cause,
                                       f"{ev} without an open {_NODE_CLOSE[ev]}"))
                op = evolve(op, node_event="")
        return evolve(op, had_calls=True, run_event=ev, run=run + (cb,), run_last_ret=call.ret)

    def _chain_done(self, op: OpTrack, v: list[Violation]) -> None:
        """The previous chain of ``op`` ended: it must have reached everyone or stopped."""
        chain = self.node_chain if op.run_event.startswith("NODE_") else self.chain
        if len(op.run) < len(chain) and not op.run_last_ret & NOTIFY_STOP_MASK:
            v.append(Violation("chain_order", f"{op.label}:{op.run_event}",
                               f"{op.run_event} stopped after {op.run[-1]} without NOTIFY_STOP_MASK"))

    def _alloc(self, op: OpTrack, call: NotifierCall, pages: str, cause: str, v: list[Violation],
               twins: set[str]) -> None:
        ev, alloc = call.event, call.allocatable
        if ev == "MEM_GOING_ONLINE":
            twins.add("alloc_going_online")
            if alloc:
                v.append(Violation("alloc_going_online", cause, "GOING_ONLINE with pages allocatable"))
        elif ev == "MEM_ONLINE":
            twins.add("alloc_online")
            if not alloc:
                v.append(Violation("alloc_online", cause, "ONLINE while the pages cannot be allocated"))
        elif ev in ("MEM_GOING_OFFLINE", "MEM_OFFLINE"):
            twins.add("alloc_going_offline")
            if alloc:
                v.append(Violation("alloc_going_offline", cause, f"{ev} with pages still allocatable"))
        elif ev == "MEM_CANCEL_OFFLINE":
            # memory that was online is isolated (or already back) by now; memory that never
            # was (reserved pages of a block never onlined) is promised nothing
            if pages != PAGES_RESERVED:
                twins.add("alloc_cancel_offline")
                if not alloc:
                    v.append(Violation("alloc_cancel_offline", cause,
                                       "CANCEL_OFFLINE while the memory is not available again"))

    def _nid(self, op: OpTrack, call: NotifierCall, pre: Machine, post: Machine, cause: str,
             v: list[Violation], twins: set[str]) -> None:
        spec = self.world.blocks[op.block]
        node = pre.nodes[spec.node]
        pages = self.world.ram_pages(spec.id)
        if call.event == "MEM_GOING_ONLINE":
            flips = self.mem_flag not in node.flags and pages > 0
            flips_normal = ("N_NORMAL_MEMORY" not in node.flags and pages > 0 and
                            any(z in KERNEL_ZONES for z in post.blocks[op.block].zones))
        else:
            own = pages if pre.blocks[op.block].pages != PAGES_RESERVED else 0
            flips = self.mem_flag in node.flags and node.present_pages - own <= 0
            normal = sum(self.world.ram_pages(s.id) for s, b in zip(self.world.blocks, pre.blocks)
                         if s.node == spec.node and b.pages != PAGES_RESERVED
                         and any(z in KERNEL_ZONES for z in b.zones))
            in_kernel = any(z in KERNEL_ZONES for z in pre.blocks[op.block].zones)
            flips_normal = ("N_NORMAL_MEMORY" in node.flags and in_kernel and normal - own <= 0)
        want = spec.node if flips else -1
        if call.status_change_nid >= 0:
            twins.add("status_change_nid")
        if call.status_change_nid != want:
            v.append(Violation("status_change_nid", cause,
                               f"status_change_nid={call.status_change_nid}, expected {want}"))
        if self.profile.nid_normal and call.status_change_nid_normal is not None:
            want_n = spec.node if flips_normal else -1
            if call.status_change_nid_normal != want_n:
                v.append(Violation("status_change_nid", cause + ":normal",
                                   f"status_change_nid_normal={call.status_change_nid_normal}, "
                                   f"expected {want_n}"))

    def _flip(self, op: OpTrack, pre: Machine, post: Machine, v: list[Violation]) -> None:
        """A node's memory state flipped in this step: the operation must have announced it.
        With no callback on the chain that carries the announcement, nothing observes it: the
        promise has no witness either way, and nothing is judged."""
        if not (self.chain if self.profile.memory_notify_nids else self.node_chain):
            return
        for n, (a, b) in enumerate(zip(pre.nodes, post.nodes)):
            if (self.mem_flag in a.flags) != (self.mem_flag in b.flags):
                if op.pending_nid != n:
                    v.append(Violation("status_change_nid", f"{op.label}:commit",
                                       f"node {n} flipped with status_change_nid={op.pending_nid}"))

    def _eject(self, op: OpTrack, pre: Machine, post: Machine, v: list[Violation],
               twins: set[str]) -> None:
        b0, b1 = pre.blocks[op.block], post.blocks[op.block]
        if b0.present and not b1.present:
            twins.add("remove_only_offline")
            own_offline = b0.state == MEM_GOING_OFFLINE and op.closed_by == "MEM_OFFLINE"
            if b0.state != MEM_OFFLINE and not own_offline:  # 6.1 offlines, then removes
                v.append(Violation("remove_only_offline", f"{op.label}:eject",
                                   f"memory{self.world.blocks[op.block].id} ejected while its "
                                   f"state was {STATE_TEXT.get(b0.state)}"))

    def _end(self, op: OpTrack, ret: int, post: Machine, v: list[Violation], twins: set[str]) -> None:
        cause = f"{op.label}:ret"
        if op.open_event:
            v.append(Violation("notifier_protocol", cause, f"{op.open_event} never closed"))
        if op.node_event:
            v.append(Violation("notifier_protocol", cause, f"{op.node_event} never closed"))
        if op.run:
            self._chain_done(op, v)
        missing = op.ok_going - op.closers
        if missing:
            v.append(Violation("notifier_protocol", cause,
                               f"{', '.join(sorted(missing))} got GOING but neither X nor CANCEL"))
        if op.kind != "write" or ret >= 0:
            return
        b = post.blocks[op.block]
        if op.had_calls:
            twins.add("rejected_write")
        if op.disturbed:
            return
        if b.state != op.pre_state:
            v.append(Violation("rejected_write", cause,
                               f"a write failed with {ret} but the state went from "
                               f"{STATE_TEXT.get(op.pre_state)} to {STATE_TEXT.get(b.state)}"))
        elif ret == -22 and (op.had_calls or (self.profile.online_types and
                                              b.online_type != op.pre_online_type)):
            what = "sent events" if op.had_calls else "changed the block"
            v.append(Violation("rejected_write", cause, f"a write refused with -EINVAL {what}"))

    # --- state checks ---------------------------------------------------------------------
    def _cached(self, key: object, fn: Callable[[list[Violation], set[str]], None],
                v: list[Violation], twins: set[str]) -> None:
        """State checks depend only on ``key``: compute them once per key."""
        if key is None:
            fn(v, twins)
            return
        hit = self._cache.get(key)
        if hit is None:
            vv: list[Violation] = []
            tt: set[str] = set()
            fn(vv, tt)
            hit = self._cache[key] = (tuple(vv), frozenset(tt))
        v.extend(hit[0])
        twins.update(hit[1])

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

    def _quiescent(self, m: Machine, view: View, v: list[Violation], twins: set[str]) -> None:
        from spec.invariants_sysfs import check_sysfs
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

