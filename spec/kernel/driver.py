"""The mirror's driver: boots a profile's mirror and runs actions on it, one step at a time.

Models: the threads (writers ``w0``.. and the firmware ``fw``) as generators of the mirror's C
functions; a step resumes one generator to its next point (spec.kernel.structs.Point); the
choice a step needs comes from the action through :meth:`Kernel.decide`; reads and error
injection; the abstraction to spec.state.Machine and the mirror's own sysfs view. A step that
reaches a modelled BUG() (spec.kernel.lib) is undone and its spec.errors.KernelBug raised as
itself, not as an ImplError: it is a finding of the patched code, not a mistake in it.

Leaves out: real concurrency (one step runs at a time, as the step contract says). A Kernel is
copied by replaying its action log, since generators cannot be copied (:meth:`Kernel.clone`).
"""

from __future__ import annotations

import copy
import inspect
import pickle
import types
from typing import Any

from spec.actions import (EVENT_NAMES, FIRMWARE_THREAD, Action, NotifierCall, Observation,
                          parse_errno)
from spec.config import INJECTABLE_EVENTS, World
from spec.errors import ActionError, ImplError, KernelBug, MemhpError
from spec.kernel import boot, callbacks, lib, locking, mm, notifier, v3_4, v6_1
from spec.kernel.structs import (AcpiMemoryDevice, MemoryBlock, MemoryNotify, MemSection,
                                 NotifierBlock, PglistData, Resource, ThreadCtx)
from spec.profiles import get_profile
from spec.state import Machine

_SHARED = (lib, locking, notifier, mm, callbacks)
#: a Kernel's attributes that a fork shares with its original (set at boot, never mutated)
_SHARED_ATTRS = frozenset({"world", "profile", "version", "fn", "_impl", "threads"})
_VERSIONS: dict[str, types.ModuleType] = {"v3.4": v3_4, "v6.1": v6_1}


def has_mirror(profile: str) -> bool:
    """Whether the kernel mirror renders ``profile`` (the spec renders every profile)."""
    return profile in _VERSIONS


def mirror_functions(profile: str) -> dict[str, Any]:
    """The mirror functions of ``profile`` by name (what a patched module may replace)."""
    out: dict[str, Any] = {}
    for mod in _SHARED + tuple(_VERSIONS[profile].MODULES):
        out.update(_functions(mod))
    return out


def _functions(mod: types.ModuleType) -> dict[str, Any]:
    return {name: f for name, f in vars(mod).items()
            if inspect.isfunction(f) and f.__module__ == mod.__name__}


class Kernel:
    """A booted mirror of ``world.profile``; ``impl`` overrides mirror functions by name."""

    def __init__(self, world: World, impl: types.ModuleType | None = None) -> None:
        self.world = world
        self.profile = get_profile(world.profile)
        if self.profile.name not in _VERSIONS:
            raise ActionError(f"the kernel mirror has no profile {self.profile.name!r}")
        self.version = _VERSIONS[self.profile.name]
        self._impl = impl
        funcs: dict[str, Any] = {}
        for mod in _SHARED + tuple(self.version.MODULES):
            funcs.update(_functions(mod))
        if impl is not None:
            # functions defined by the patched module replace the base mirror's of that name
            funcs.update({name: f for name, f in vars(impl).items()
                          if inspect.isfunction(f) and f.__module__ == impl.__name__})
        self.fn = types.SimpleNamespace(**funcs)
        self.PAGES_PER_SECTION = world.pages_per_section
        self.sections_per_block = world.sections_per_block
        self.threads: tuple[str, ...] = world.writer_threads() + (FIRMWARE_THREAD,)
        self.last_options: tuple[str, ...] | None = None
        self.last_choice: str | None = None
        self._log: list[Action] = []
        self._patched("booting", self._boot)

    # --- state -----------------------------------------------------------------------------
    def _boot(self) -> None:
        self.mem_sections: dict[int, MemSection] = {}
        self.memory_blocks: dict[int, MemoryBlock] = {}
        self.node_data: dict[int, PglistData] = {}
        self.node_states: dict[str, set[int]] = {
            s: set() for s in ("N_POSSIBLE", "N_ONLINE", "N_CPU", "N_HIGH_MEMORY",
                               "N_NORMAL_MEMORY", "N_MEMORY")}
        self.node_devices: set[int] = set()
        self.node_mem_links: set[tuple[int, int]] = set()   # nodeN/memoryX
        self.mem_node_links: set[tuple[int, int]] = set()   # memoryX/nodeN
        self.iomem: list[Resource] = []
        self.acpi_devices: dict[int, AcpiMemoryDevice] = {}
        self.memory_chain: list[NotifierBlock] = []
        self.inject_errors: dict[str, int] = {}
        self.slub_nodes: set[int] = set()
        self.locks: dict[str, str | None] = {}
        self._threads: dict[str, ThreadCtx | None] = {t: None for t in self.threads}
        self.current: str | None = None
        #: the memory block device each writer thread's write(2) targets (its kernfs node).
        self.writing: dict[str, Any] = {}
        self._choice: str | None = None
        self._first_choice = False
        self._asked: tuple[str, ...] | None = None
        self._used: str | None = None
        self._in_step = False
        boot.boot(self)

    def boot_block_online(self, block_id: int) -> bool:
        """Whether a boot block's System RAM is in the allocator (used by memory_dev_init)."""
        first = block_id * self.sections_per_block
        for nr in range(first, first + self.sections_per_block):
            ms = self.mem_sections.get(nr)
            if ms is not None and ms.present and not ms.reserved:
                return True
        return False

    def clone(self) -> "Kernel":
        """An independent copy, by replaying the action log on a fresh boot."""
        k = Kernel(self.world, self._impl)
        for a in self._log:
            k._apply(a, False)
        k._log = list(self._log)
        k.last_options, k.last_choice = self.last_options, self.last_choice
        return k

    def __deepcopy__(self, memo: dict[int, Any]) -> "Kernel":
        return self.clone()

    def idle(self) -> bool:
        """No operation in flight: no thread holds a generator."""
        return not self._in_step and all(c is None for c in self._threads.values())

    def snapshot(self) -> bytes | None:
        """The structures of an idle kernel as bytes (pickle) that :meth:`restore` turns back
        into a kernel; None while an operation is in flight (its generator cannot be copied)
        or where a patch left something in the kernel that pickle cannot copy."""
        if not self.idle():
            return None
        own = {n: v for n, v in self.__dict__.items() if n not in _SHARED_ATTRS}
        try:
            return pickle.dumps(own, pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return None

    def restore(self, data: bytes) -> "Kernel":
        """A new kernel from a :meth:`snapshot` of a kernel of the same world and patch: its
        structures from ``data``, the world, profile and function table shared with this one."""
        k = Kernel.__new__(Kernel)
        k.__dict__.update(pickle.loads(data))
        k.__dict__.update({n: v for n, v in self.__dict__.items() if n in _SHARED_ATTRS})
        return k

    def fork(self) -> "Kernel":
        """An independent copy: through :meth:`snapshot` where the kernel is idle (many times
        faster than :meth:`clone`'s replay), else by replay."""
        data = self.snapshot()
        return self.clone() if data is None else self.restore(data)

    # --- hooks the mirror calls ---------------------------------------------------------------
    def decide(self, kind: str, options: list[str]) -> str:
        """A nondeterministic outcome: the step's ``Action.choice`` among ``options``."""
        if not self._in_step:
            raise RuntimeError(f"decide({kind}) outside a step")
        if self._asked is not None:
            raise RuntimeError(f"a step asks at most once (asked {self._asked}, then {kind})")
        opts = tuple(options)
        self._asked = opts
        if self._choice is None:
            if self._first_choice and opts:
                self._used = opts[0]
                return opts[0]
            raise ActionError(f"{self.current}: this step needs a choice ({kind}) among "
                              f"{', '.join(opts) or 'nothing'}")
        if self._choice not in opts:
            raise ActionError(f"{self.current}: choice {self._choice!r} is not among "
                              f"{', '.join(opts)} ({kind})")
        self._used = self._choice
        return self._choice

    def range_allocatable(self, start_pfn: int, nr_pages: int) -> bool:
        return bool(self.fn.range_allocatable(self, start_pfn, nr_pages))

    def trace_notifier_call(self, nb: NotifierBlock, val: int, v: MemoryNotify, ret: int,
                            allocatable: bool) -> NotifierCall:
        return NotifierCall(EVENT_NAMES.get(val, str(val)), nb.name, v.start_pfn, v.nr_pages,
                            v.status_change_nid, v.status_change_nid_normal, ret, allocatable)

    # --- the driver interface ------------------------------------------------------------------
    def runnable(self) -> list[str]:
        out = []
        for t in self.threads:
            ctx = self._threads[t]
            if ctx is None:
                continue
            if ctx.point.startswith("wait:") and self.locks.get(ctx.point[5:]) is not None:
                continue
            out.append(t)
        return out

    def start_actions(self) -> list[Action]:
        w = self.world
        out: list[Action] = []
        registered = [b for b in w.blocks if b.id in self.memory_blocks]
        for t in w.writer_threads():
            if self._threads[t] is not None:
                continue
            for b in registered:
                for text in w.texts:
                    out.append(Action("write", thread=t, block=b.id, file="state", text=text))
                if "online" in self.version.MEMORY_ATTRS:
                    for text in w.online_texts:
                        out.append(Action("write", thread=t, block=b.id, file="online", text=text))
        if self._threads[FIRMWARE_THREAD] is None:
            for b in w.blocks:
                if not b.hotplug:
                    continue
                kind = "hotremove" if self.acpi_devices[b.id].present else "hotadd"
                out.append(Action(kind, thread=FIRMWARE_THREAD, block=b.id))
        if w.reads:
            for b in registered:
                out.append(Action("read", block=b.id, file="state"))
        return out

    def apply(self, action: Action, first_choice: bool = False) -> Observation:
        self.last_options, self.last_choice = None, None
        try:
            obs = self._apply(action, first_choice)
        except ActionError:
            if self._in_step:
                self._rebuild()
            raise
        except KernelBug:
            # the kernel would oops: the step is undone (the kernel is left as it was before
            # the action); the choice the step took before it hit the BUG, and the options it
            # was offered, stay readable as after a step that returned
            asked, used = self._asked, self._used
            if self._in_step:
                self._rebuild()
            self.last_options, self.last_choice = asked, used
            raise
        except MemhpError:
            raise
        except Exception as e:
            if self._in_step:
                self._rebuild()
            if self._impl is not None:
                raise ImplError(f"the mirror raised on {action.label()}: {e!r}") from e
            raise
        recorded = action
        if action.kind == "step":
            recorded = Action("step", thread=action.thread, choice=self._used)
        self._log.append(recorded)
        self.last_options, self.last_choice = self._asked, self._used
        return obs

    def _rebuild(self) -> None:
        """Undo a step that failed half-way: boot again and replay the log."""
        self._boot()
        for a in self._log:
            self._apply(a, False)
        self._in_step = False

    def _apply(self, action: Action, first_choice: bool) -> Observation:
        self._in_step = False
        self._asked, self._used = None, None
        kind = action.kind
        if kind == "read":
            return self._read(action)
        if kind == "inject":
            return self._inject(action)
        if kind == "step":
            t = action.thread
            ctx = self._threads.get(t or "")
            if ctx is None:
                raise ActionError(f"{t}: no operation in flight")
            if t not in self.runnable():
                raise ActionError(f"{t}: waiting for {ctx.point[5:]}")
            return self._resume(t or "", ctx, action.choice, first_choice)
        if kind == "write":
            t = action.thread or ""
            if t not in self.world.writer_threads():
                raise ActionError(f"write on {t!r}: not a writer thread")
            if self._threads[t] is not None:
                raise ActionError(f"{t} is busy")
            mem = self.memory_blocks.get(action.block if action.block is not None else -1)
            if mem is None:
                raise ActionError(f"memory{action.block} is not registered")
            attr = self.version.MEMORY_ATTRS.get(action.file or "")
            if attr is None or attr[1] is None:
                raise ActionError(f"memory{action.block}/{action.file} is not writable")
            self.writing[t] = mem
            gen = getattr(self.fn, self.version.WRITE_ENTRY)(self, mem, action.file,
                                                            action.text or b"")
        elif kind in ("hotadd", "hotremove"):
            t = FIRMWARE_THREAD
            if self._threads[t] is not None:
                raise ActionError("the firmware thread is busy")
            adev = self.acpi_devices.get(action.block if action.block is not None else -1)
            if adev is None:
                raise ActionError(f"memory{action.block} is not a hot-pluggable ACPI device")
            if (kind == "hotadd") == adev.present:
                raise ActionError(f"{kind} memory{action.block}: device present={adev.present}")
            if kind == "hotadd":
                self._in_step = True  # a failure from here on is undone by replay
                adev.present = True  # the firmware plugs the device, then notifies
                name, extra = self.version.HOTADD_ENTRY
            else:
                name, extra = self.version.HOTREMOVE_ENTRY
            gen = getattr(self.fn, name)(self, adev, *extra)
        else:
            raise ActionError(f"unknown action kind {kind!r}")
        ctx = ThreadCtx(gen, "start")
        self._threads[t] = ctx
        return self._resume(t, ctx, action.choice, first_choice)

    def _resume(self, t: str, ctx: ThreadCtx, choice: str | None,
                first_choice: bool) -> Observation:
        self.current = t
        self._choice, self._first_choice = choice, first_choice
        self._in_step = True
        try:
            pt = ctx.gen.send(None)
        except StopIteration as stop:
            self._threads[t] = None
            obs = Observation(t, "ret", ret=int(stop.value))
        else:
            ctx.point = pt.name
            obs = Observation(t, pt.name, (pt.call,) if pt.call is not None else ())
        finally:
            self.current = None
        if choice is not None and self._asked is None:
            raise ActionError(f"{t}: this step takes no choice (got {choice!r})")
        self._in_step = False
        return obs

    def _read(self, action: Action) -> Observation:
        mem = self.memory_blocks.get(action.block if action.block is not None else -1)
        if mem is None:
            raise ActionError(f"memory{action.block} is not registered")
        attr = self.version.MEMORY_ATTRS.get(action.file or "state")
        if attr is None:
            raise ActionError(f"memory{action.block} has no file {action.file!r}")
        text = getattr(self.fn, attr[0])(self, mem)
        return Observation(None, "ret", ret=len(text), read=text)

    def _inject(self, action: Action) -> Observation:
        event = action.choice or ""
        if event not in INJECTABLE_EVENTS:
            raise ActionError(f"inject: no debugfs action {event!r} (expected one of "
                              f"{', '.join(INJECTABLE_EVENTS)})")
        raw = (action.text or b"").decode("utf-8", errors="replace")
        self.fn.debugfs_errno_set(self, event, parse_errno(raw))
        return Observation(None, "ret", ret=0)

    # --- views ------------------------------------------------------------------------------------
    def machine(self) -> Machine:
        from spec.kernel.abstraction import abstract
        return self._patched("reading its state", abstract, self)  # type: ignore[no-any-return]

    def sysfs(self) -> dict[str, str | tuple[str, str]]:
        from spec.kernel.abstraction import sysfs_view
        return self._patched("showing its sysfs files", sysfs_view, self)  # type: ignore[no-any-return]

    def _patched(self, doing: str, f: Any, *args: Any) -> Any:
        """``f(*args)``; where a patch module is loaded, what its functions raise outside a step
        (at boot, in a show method or a read-out) is an ImplError, one line, as in a step."""
        try:
            return f(*args)
        except MemhpError:
            raise
        except Exception as e:
            if self._impl is None:
                raise
            raise ImplError(f"the mirror raised while {doing}: {e!r}") from e
