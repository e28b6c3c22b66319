"""The executable specification: what each profile's kernel does, step by step, as a pure function.

Models: sysfs writes to ``state`` (and, from 3.12, ``online``) of any text; reads of ``state``;
firmware hot-add and eject of ACPI memory devices; the memory notifier chain delivered callback
by callback in priority order with NOTIFY_OK / NOTIFY_BAD / NOTIFY_STOP and errno answers and
CANCEL_* to the whole chain; the offline retry loop's outcomes (-EBUSY, -EINTR, -EAGAIN); page
isolation; node states; SLUB's per-node structures; the locks of each profile; the 6.17 NUMA
node notifier; the error injector's debugfs settings (``inject`` actions). The cuts between
steps follow ``spec/STEPS.md``.

The steps themselves are written once, in :mod:`spec.steps`, over a step context; this module
is their concrete interpretation: :class:`Tx` is the context of one step on a frozen
:class:`spec.state.State`, and :class:`Spec` enumerates successors with it. (The symbolic
interpretation of the same definitions is ``checker.engines.smt.symbolic``.)

Leaves out: the ``probe`` file (absent on x86), memmap_on_memory, MEM_PREPARE_ONLINE,
kswapd/kcompactd, and page-level state (pages of a block move together).

``Spec(world, profile)`` holds only the (immutable) world, profile and definition; ``initial``,
``enabled``, ``step`` and ``successors`` never mutate their inputs.

>>> from spec.worlds import builtin_world
>>> from spec.profiles import get_profile
>>> w = builtin_world("default"); sp = Spec(w, get_profile(w.profile))
>>> s0 = sp.initial()
>>> s1, obs = sp.step(s0, write("w0", 1, "offline"))
>>> obs.point
'wait:state_mutex:memory1'
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from spec.actions import (
    STATE_TEXT, Action, NotifierCall, Observation, parse_errno, write,
)
from spec.config import World
from spec.errors import ActionError
from spec.profiles import Profile
from spec.reader import MachineReader
from spec.state import IDLE_OP, Block, Machine, Node, Op, State, evolve, initial_state, thread_names
from spec.steps import Infeasible, Steps
from spec.steps.core import StartGroup
from spec.sysfs import render

__all__ = ["Spec", "Tx", "write"]


class Tx(MachineReader):
    """The context of one step on a concrete state: private mutable copies of what the step
    may change, frozen again by :meth:`done`."""

    __slots__ = ("m0", "inject", "t", "tname", "_op", "block", "calls", "point", "ret", "read",
                 "choice", "first", "asked", "world", "profile")

    def __init__(self, sp: "Spec", s: State, thread: int | None, choice: str | None,
                 first: bool) -> None:
        m = s.machine
        self.m0 = m
        self.world, self.profile = sp.world, sp.profile
        self.blocks = m.blocks  # copied into a list on the first write (so are nodes, locks, ops)
        self.nodes = m.nodes
        self.slubs = m.slub_nodes
        self.locks = m.locks
        self.inject = m.inject
        self.ops = s.threads
        self.t = thread
        self.tname = sp.threads[thread] if thread is not None else None
        self._op: Op | None = s.threads[thread] if thread is not None else None
        self.block = self._op.block if self._op is not None else None
        self.calls: list[NotifierCall] = []
        self.point = ""
        self.ret: int | None = None
        self.read: str | None = None
        self.choice, self.first = choice, first
        self.asked: tuple[str, ...] | None = None

    # --- nondeterminism and requirements ----------------------------------------------------
    @staticmethod
    def require(c: Any) -> None:
        if not c:
            raise Infeasible

    def decide(self, options: list[str]) -> str:
        if self.asked is not None:
            raise AssertionError("a step asks for at most one choice")
        self.asked = tuple(options)
        if self.choice is None:
            if self.first:
                return options[0]
            raise ActionError(f"this step of {self.tname} needs a choice among {options}")
        if self.choice not in options:
            raise ActionError(f"choice {self.choice!r} is not among {options}")
        return self.choice

    def inject_setting(self, event: str) -> int:
        for ev, err in self.inject:
            if ev == event:
                return err
        return 0

    # --- reads that see this step's writes ----------------------------------------------------
    def lock_free(self, lock: str) -> bool:
        locks = self.locks
        if type(locks) is dict:
            return lock not in locks
        return all(name != lock for name, _ in locks)

    def _blocks(self) -> list[Block]:
        if type(self.blocks) is tuple:
            self.blocks = list(self.blocks)
        return self.blocks  # type: ignore[no-any-return]

    def _nodes(self) -> list[Node]:
        if type(self.nodes) is tuple:
            self.nodes = list(self.nodes)
        return self.nodes  # type: ignore[no-any-return]

    def _locks(self) -> dict[str, str]:
        if type(self.locks) is tuple:
            self.locks = dict(self.locks)
        return self.locks  # type: ignore[no-any-return]

    def idle(self, u: int) -> bool:
        return (self._op if u == self.t else self.ops[u]) is None

    def op_of(self, u: int, f: str) -> Any:
        op = self._op if u == self.t else self.ops[u]
        return getattr(IDLE_OP if op is None else op, f)

    # --- the machine ----------------------------------------------------------------------------
    def setb(self, i: int, **kw: Any) -> None:
        blocks = self._blocks()
        blocks[i] = blocks[i]._replace(**kw)

    def set_link(self, i: int, n: int, v: Any) -> None:
        b = self.blocks[i]
        if bool(v) != (n in b.links):
            self._blocks()[i] = b._replace(links=b.links | {n} if v else b.links - {n})

    def set_backlink(self, i: int, n: int, v: Any) -> None:
        b = self.blocks[i]
        if bool(v) != (n in b.backlinks):
            self._blocks()[i] = b._replace(backlinks=b.backlinks | {n} if v else b.backlinks - {n})

    def setn(self, j: int, **kw: Any) -> None:
        nodes = self._nodes()
        nodes[j] = nodes[j]._replace(**kw)

    def set_flag(self, j: int, name: str, v: Any) -> None:
        node = self.nodes[j]
        if bool(v) != (name in node.flags):
            self._nodes()[j] = node._replace(flags=node.flags | {name} if v else node.flags - {name})

    def set_slub(self, j: int, v: Any) -> None:
        if bool(v) != (j in self.slubs):
            self.slubs = self.slubs | {j} if v else self.slubs - {j}

    # --- the thread's operation ------------------------------------------------------------------
    def op(self, f: str) -> Any:
        return getattr(self._op, f)

    def upd(self, **kw: Any) -> None:
        assert self._op is not None
        self._op = self._op._replace(**kw)

    def new_op(self, kind: str, block: int, **kw: Any) -> None:
        self._op = Op(kind, block, **kw)
        self.block = block

    def set_op(self, u: int, **kw: Any) -> None:
        op = self.ops[u]
        if op is None:
            assert all(getattr(IDLE_OP, k) == v for k, v in kw.items()), (u, kw)
            return
        if any(getattr(op, k) != v for k, v in kw.items()):
            if type(self.ops) is tuple:
                self.ops = list(self.ops)
            self.ops[u] = op._replace(**kw)

    def finish(self, ret: Any = None) -> None:
        if ret is None:
            assert self._op is not None
            ret = self._op.ret
        self.ret = ret
        self._op = None
        self.point = "ret"

    def wait(self, lock: str, nxt: str) -> None:
        self.upd(pc="wait", lock=lock, next=nxt)
        self.point = "wait:" + lock

    def take(self, lock: str) -> None:
        self._locks()[lock] = self.tname  # type: ignore[assignment]

    def unlock(self, lock: str, nxt: str) -> None:
        """Release ``lock``; a release after which the operation only returns ends at ``ret``."""
        locks = self._locks()
        assert locks.get(lock) == self.tname, (lock, locks)
        del locks[lock]
        if nxt == "ret":
            self.finish()
            return
        self.upd(pc=nxt)
        self.point = "unlock:" + lock

    def goto(self, pc: str, point: str = "") -> None:
        self.upd(pc=pc)
        if point:
            self.point = point

    def call(self, event: str, callback: str, start: Any, nr: Any, nid: Any, nid_normal: Any,
             ret: int, alloc: Any) -> None:
        self.calls.append(NotifierCall(event, callback, start, nr, nid, nid_normal, ret, alloc))

    def show(self, i: int, file: str) -> None:
        if file == "state":
            text = STATE_TEXT[self.blocks[i].state] + "\n"
        else:
            bid = self.world.blocks[i].id
            v = render(self.world, self.profile, self.machine()).get(f"memory/memory{bid}/{file}")
            if not isinstance(v, str):
                raise ActionError(f"memory{bid}/{file} does not exist")
            text = v
        self.read, self.ret, self.point = text, len(text), "ret"

    # --- the result -------------------------------------------------------------------------------
    def machine(self) -> Machine:
        """The machine after the step (sharing the parts it did not change)."""
        m0 = self.m0
        blocks, nodes, locks = self.blocks, self.nodes, self.locks
        if type(blocks) is list:
            blocks = tuple(blocks)
            if blocks == m0.blocks:
                blocks = m0.blocks
        if type(nodes) is list:
            nodes = tuple(nodes)
            if nodes == m0.nodes:
                nodes = m0.nodes
        if type(locks) is dict:
            locks = tuple(sorted(locks.items()))
            if locks == m0.locks:
                locks = m0.locks
        if blocks is m0.blocks and nodes is m0.nodes and locks is m0.locks and \
                self.slubs is m0.slub_nodes:
            return m0
        return Machine(blocks, nodes, self.slubs, m0.inject, locks)

    def done(self) -> tuple[State, Observation]:
        ops = self.ops
        t = self.t
        if t is not None:
            ops = ops[:t] + [self._op] + ops[t + 1:] if type(ops) is list else \
                ops[:t] + (self._op,) + ops[t + 1:]
        obs = Observation(self.tname, self.point, tuple(self.calls), self.ret, self.read)
        return State(self.machine(), tuple(ops)), obs


class Spec:
    """The pure transition system of one profile on one world (its steps: ``steps``, the
    definition of :mod:`spec.steps` or a subclass of it, such as a spec mutant)."""

    def __init__(self, world: World, profile: Profile, steps: type[Steps] = Steps) -> None:
        self.world = world
        self.profile = profile
        self.steps = steps(world, profile)
        self.threads = thread_names(world)
        self.bindex = {b.id: i for i, b in enumerate(world.blocks)}
        self.writers = frozenset(world.writer_threads())
        self._groups = self.steps.start_groups()

    # --- the interface ------------------------------------------------------------------
    def initial(self) -> State:
        return initial_state(self.world, self.profile)

    def enabled(self, s: State) -> list[Action]:
        return [a for a, _, _ in self.successors(s)]

    def start_actions(self, s: State) -> list[Action]:
        """The actions that start an operation (or read) in ``s``."""
        return [a for g in self._groups if self._enabled(s, g) for a in g.actions]

    @staticmethod
    def _enabled(s: State, g: StartGroup) -> bool:
        """The group's requirements (spec.steps.core.start_groups) on a concrete state."""
        blocks = s.machine.blocks
        for r in g.requires:
            if r[0] == "idle":
                if s.threads[r[1]] is not None:
                    return False
            elif getattr(blocks[r[1]], r[2]) != r[3]:
                return False
        return True

    def choices(self, s: State, thread: str) -> tuple[str, ...] | None:
        """The choices the next step of ``thread`` takes (None: it takes none); the thread must
        be able to step."""
        t = self._thread(s, thread)
        tx = Tx(self, s, t, None, True)
        self.steps.advance(tx)
        return tx.asked

    def successors(self, s: State) -> Iterator[tuple[Action, State, Observation]]:
        steps = self.steps
        enabled = self._enabled
        for g in self._groups:
            if enabled(s, g):
                for a in g.actions:
                    tx = Tx(self, s, g.thread, None, False)
                    steps.start(tx, a)
                    s2, obs = tx.done()
                    yield a, s2, obs
        reader = MachineReader(s.machine, s.threads)
        for t, name in enumerate(self.threads):
            if not steps.runnable(reader, t):
                continue
            tx = Tx(self, s, t, None, True)
            steps.advance(tx)
            s1, obs1 = tx.done()
            if tx.asked is None:
                yield Action("step", thread=name), s1, obs1
                continue
            yield Action("step", thread=name, choice=tx.asked[0]), s1, obs1
            for c in tx.asked[1:]:
                a = Action("step", thread=name, choice=c)
                s2, obs2 = self.step(s, a)
                yield a, s2, obs2

    def step(self, s: State, a: Action) -> tuple[State, Observation]:
        if a.kind == "step":
            t = self._thread(s, a.thread)
            tx = Tx(self, s, t, a.choice, False)
            self.steps.advance(tx)
            if a.choice is not None and tx.asked is None:
                raise ActionError(f"this step of {a.thread} takes no choice (got {a.choice!r})")
            return tx.done()
        if a.kind == "inject":
            return self._inject(s, a)
        self._check_start(s, a)
        t = self.threads.index(a.thread) if a.kind != "read" and a.thread else None
        tx = Tx(self, s, t, None, False)
        self.steps.start(tx, a)
        return tx.done()

    def _thread(self, s: State, thread: str | None) -> int:
        if thread not in self.threads:
            raise ActionError(f"no thread {thread!r} (threads: {', '.join(self.threads)})")
        t = self.threads.index(thread)
        if not self.steps.runnable(MachineReader(s.machine, s.threads), t):
            raise ActionError(f"thread {thread} cannot step now")
        return t

    def _check_start(self, s: State, a: Action) -> None:
        """Any text may be written; the action only has to fit the machine as it is now (the
        messages say what does not fit; the definition's start_requires decides)."""
        if a.kind not in ("write", "hotadd", "hotremove", "read"):
            raise ActionError(f"unknown action kind {a.kind!r}")
        i = self.bindex.get(a.block)  # type: ignore[arg-type]
        if i is None:
            raise ActionError(f"world {self.world.name!r} has no block memory{a.block}")
        b, spec = s.machine.blocks[i], self.world.blocks[i]
        if a.kind == "read":
            if not b.registered:
                raise ActionError(f"memory{a.block} does not exist")
        elif a.kind == "write":
            if a.thread not in self.writers:
                raise ActionError(f"write on {a.thread!r}: not a writer thread")
            if s.threads[self.threads.index(a.thread)] is not None:
                raise ActionError(f"{a.thread} is busy")
            if not b.registered:
                raise ActionError(f"memory{a.block} does not exist")
            files = ("state", "online") if self.profile.online_file else ("state",)
            if a.file not in files:
                raise ActionError(f"memory{a.block}/{a.file} is not writable in {self.profile.name}")
        else:
            if a.thread != self.threads[-1]:
                raise ActionError(f"{a.kind} runs on the firmware thread, not {a.thread!r}")
            if s.threads[-1] is not None:
                raise ActionError("the firmware thread is busy")
            if not spec.hotplug or (a.kind == "hotadd") == b.present:
                raise ActionError(f"{a.kind} memory{a.block}: not possible now (present={b.present})")
        t = self.threads.index(a.thread) if a.thread is not None else None
        g = StartGroup(a.kind, t, i, self.steps.start_requires(a.kind, t, i), (a,))
        assert self._enabled(s, g), a

    def _inject(self, s: State, a: Action) -> tuple[State, Observation]:
        """debugfs: the error injector's setting for one event (not explored: traces and
        conformance kits set it; the symbolic encoding takes the world's settings as fixed)."""
        if not any(c.kind == "injector" for c in self.world.callbacks):
            raise ActionError("this world has no memory notifier error injector")
        if a.choice not in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
            raise ActionError(f"the injector has no action {a.choice!r}")
        value = parse_errno((a.text or b"").decode("utf-8", "replace"))
        value = min(0, max(-4095, value))
        inject = dict(s.machine.inject)
        inject[a.choice] = value
        m = evolve(s.machine, inject=tuple(sorted(inject.items())))
        return State(m, s.threads), Observation(None, "ret", (), 0)
