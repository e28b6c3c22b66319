"""A trace as a POSIX sh reproducer for a test VM (design.md section 5).

The script makes the trace's sysfs writes with ``printf`` piped into ``dd`` (the exact bytes,
one ``write(2)``, and ``dd`` reports the errno's text),
reports the errno or success of each and compares it with the value the trace says the write
returned; the firmware steps (ACPI hot-add and eject) become QEMU monitor commands (QMP, with the
HMP equivalent) printed as ``HOST:`` lines for whoever drives the VM (docs/qemu.md: the guest
cannot drive QEMU itself), after which the script checks the block's ``state`` as the model
predicts it. An injected callback error is set through the memory notifier error injector's
debugfs files before its operation and cleared after it.

Safety: writing ``offline`` on a real machine takes its memory away, so the script refuses to
run unless the kernel command line carries :data:`MARKER` (the test VM is booted with it) or
``--force`` is given. ``MEMHP_SYSFS_ROOT`` (default ``/sys``) moves every path the script reads
or writes, debugfs included (``$MEMHP_SYSFS_ROOT/kernel/debug``), which is how the tests run it
against a fake tree; ``MEMHP_CMDLINE`` replaces ``/proc/cmdline``.

A trace that needs a choice only the model can make is marked NOT REPRODUCIBLE at the top and
the script exits at once: a callback answer the error injector cannot give at that place in
the chain (NOTIFY_STOP anywhere, NOTIFY_BAD or an errno from any callback but the last), a
page-migration failure the kernel was not forced into, or a second operation (another writer,
the firmware, a read) running inside an operation in flight. Nothing in the model lets SLUB's
callback fail, so no trace needs that.

Leaves out: booting the VM, loading the injector modules, and exact errnos where the shell does
not report them: they are recovered from the shell's error message (strerror text).

The trace's ``memhp-trace/1`` JSON is kept in a comment block at the end; :func:`parse` reads it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from checker.formats.embed import embedded_json, from_embedded
from checker.formats.states import spec_states
from checker.formats.steps import action_text, ops
from checker.formats.traces import SCHEMA, Trace
from spec.actions import (
    NOTIFY_OK, NOTIFY_STOP_MASK, STATE_TEXT, errno_name, notifier_from_errno, notifier_to_errno,
)
from spec.errors import TraceError

MARKER = "memhp_test_vm"
MARK_BEGIN = f"# ----- {SCHEMA} begin -----"
MARK_END = f"# ----- {SCHEMA} end -----"
MEMORY = "devices/system/memory"
INJECT = "kernel/debug/notifier-error-inject/memory/actions"


def printf_format(text: bytes) -> str:
    """A single-quoted printf format that prints exactly ``text``."""
    out = []
    for b in text:
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in " _-.,:/+=@"):
            out.append(c)
        else:
            out.append(f"\\{b:03o}")
    return "'" + "".join(out) + "'"


def _q(text: str) -> str:
    """A shell single-quoted word: nothing in it is expanded or run. A NUL byte cannot be
    passed to sh at all: refused."""
    if "\0" in text:
        raise TraceError(f"{text!r}: a NUL byte cannot be written into a shell script")
    return "'" + text.replace("'", "'\\''") + "'"


def _c(text: object) -> str:
    """Text for a comment line: control characters (a newline above all, which would end the
    comment and start a command) are written as escapes."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in str(text))


_ATTRIBUTE = re.compile(r"[a-z0-9_]+")
_EVENT = re.compile(r"[A-Z0-9_]+")


def _name(value: object, pattern: re.Pattern[str], what: str) -> str:
    """A trace field that becomes part of a path: refused unless it is a plain name (no ``/``,
    no ``..``, nothing a shell expands)."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise TraceError(f"{_c(repr(value))} is not a {what}: the reproducer builds a path from it")
    return value


def _mem_path(block: Any, file: object) -> str:
    return _q(f"memory{int(block)}/{_name(file, _ATTRIBUTE, 'sysfs attribute name')}")


def _callback_answer(trace: Trace, step: Any) -> tuple[str, int] | None:
    """(callback name, its return value) when the step's choice is a callback's answer."""
    for c in step.obs.calls:
        spec = next((cb for cb in trace.world.callbacks if cb.name == c.callback), None)
        if spec is not None and spec.kind == "choice":
            return c.callback, c.ret
    return None


def analyse(trace: Trace) -> tuple[list[str], dict[int, tuple[str, int]]]:
    """Why the trace cannot be reproduced on a real kernel (empty if it can), and the injector
    settings it needs: operation start index -> (event, errno)."""
    why: list[str] = []
    injections: dict[int, tuple[str, int]] = {}
    operations = ops(trace)
    steps = trace.steps
    for start, end in operations:
        who = steps[start].obs.thread or steps[start].action.thread
        last = len(steps) - 1 if end is None else end
        for j in range(start + 1, last + 1):
            other = steps[j].obs.thread or steps[j].action.thread
            if other != who or steps[j].action.kind != "step":
                label = f"{steps[j].action.thread or 'userspace'}: {action_text(steps[j].action)}"
                why.append(f"step {j + 1} ({label}) runs inside the operation "
                           f"{who} started at step {start + 1}: a real kernel cannot be made to "
                           f"interleave there")
                break
    chain = trace.world.chain()
    try:
        states = spec_states(trace)
    except TraceError as e:
        return [f"the trace does not replay through the spec ({e})"], {}
    for i, st in enumerate(steps):
        if st.action.choice is None or st.action.kind != "step":
            continue
        ans = _callback_answer(trace, st)
        if ans is not None:
            name, ret = ans
            if ret == NOTIFY_OK:
                continue
            err = notifier_to_errno(ret)
            injectable = (ret & NOTIFY_STOP_MASK and err < 0 and notifier_from_errno(err) == ret
                          and chain and chain[-1].name == name)
            if not injectable:
                why.append(f"step {i + 1}: callback {name} answers {st.action.choice}, which the "
                           f"memory notifier error injector (last in the chain, answering "
                           f"notifier_from_errno(error)) cannot give there")
                continue
            k = next(k for k, (s, e) in enumerate(operations) if s <= i and (e is None or i <= e))
            injections[operations[k][0]] = (st.obs.calls[-1].event, err)
            continue
        if st.action.choice == "ok":
            continue
        options = {a.choice for a, _, _ in _successors(trace, states[i])
                   if a.kind == "step" and a.thread == st.action.thread}
        if options != {st.action.choice}:
            why.append(f"step {i + 1}: page migration fails with {st.action.choice}, which is the "
                       f"kernel's outcome, not something a test can force")
    return why, injections


def _successors(trace: Trace, state: Any) -> Any:
    from checker.model import SpecModel

    return SpecModel(trace.world.with_profile(trace.profile)).successors(state)


_PRELUDE = r'''set -u
SYSFS=${MEMHP_SYSFS_ROOT:-/sys}
MEM=$SYSFS/devices/system/memory
INJ=$SYSFS/kernel/debug/notifier-error-inject/memory/actions
CMDLINE=${MEMHP_CMDLINE:-/proc/cmdline}
HOST_WAIT=${MEMHP_HOST_WAIT:-30}
force=0
for arg in "$@"; do
    case $arg in
    --force) force=1 ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "$0: unknown argument $arg (expected --force or --help)" >&2; exit 2 ;;
    esac
done
'''

_REFUSE = r'''case " $(cat "$CMDLINE" 2>/dev/null) " in
*" MARKER "*) ;;
*)
    if [ "$force" != 1 ]; then
        echo "$0: refusing to run: the kernel command line ($CMDLINE) lacks MARKER." >&2
        echo "$0: this script offlines and ejects memory; run it in a test VM booted with MARKER, or pass --force." >&2
        exit 2
    fi ;;
esac
'''

_FUNCS = r'''failed=0
memhp_errno() {
    case $1 in
    *"Invalid argument"*) echo EINVAL ;;
    *"Device or resource busy"*) echo EBUSY ;;
    *"Cannot allocate memory"*|*"Out of memory"*) echo ENOMEM ;;
    *"Operation not permitted"*) echo EPERM ;;
    *"No such device"*) echo ENODEV ;;
    *"Interrupted system call"*) echo EINTR ;;
    *"Resource temporarily unavailable"*|*"Try again"*) echo EAGAIN ;;
    *"Permission denied"*) echo EACCES ;;
    *"File exists"*) echo EEXIST ;;
    *"No such file or directory"*|*"nonexistent"*|*"can't create"*) echo ENOENT ;;
    *"No space left on device"*) echo ENOSPC ;;
    *) echo "EIO($1)" ;;
    esac
}
# memhp_write STEP FILE FORMAT EXPECTED: one write(2) of printf FORMAT's bytes to $MEM/FILE.
# dd makes the write (one block, one write(2)) because it reports the errno's text, which the
# shells' printf does not (dash says "I/O error" whatever the errno).
memhp_write() {
    if err=$(printf "$3" | dd of="$MEM/$2" bs=65536 count=1 2>&1); then
        got=ok
    else
        got=-$(memhp_errno "$err")
    fi
    memhp_compare "$1" "write $2" "$got" "$4"
}
memhp_compare() {
    if [ "$4" = "?" ]; then
        echo "step $1: $2 -> $3 (the trace ends before it returns)"
    elif [ "$3" = "$4" ]; then
        echo "step $1: $2 -> $3, as the model predicts"
    else
        echo "step $1: $2 -> $3, MISMATCH: the model predicts $4"
        failed=1
    fi
}
# one read(2) of at most a page, as sysfs hands out its files
memhp_cat() {
    dd if="$1" bs=4096 count=1 2>/dev/null || echo unreadable
}
# memhp_state STEP BLOCK EXPECTED: compare memoryN/state (or "absent") with the model
memhp_state() {
    if [ -d "$MEM/$2" ]; then got=$(memhp_cat "$MEM/$2/state"); else got=absent; fi
    memhp_compare "$1" "$2/state" "$got" "$3"
}
memhp_read() {
    got=$(memhp_cat "$MEM/$2")
    memhp_compare "$1" "read $2" "$got" "$3"
}
memhp_inject() {
    err=$( { printf '%s' "$3" > "$INJ/$2/error"; } 2>&1 ) || {
        echo "step $1: cannot set $INJ/$2/error ($err): load notifier-error-inject and memory-notifier-error-inject"
        failed=1
    }
}
memhp_host() {
    echo "step $1: HOST: $2"
    shift 2
    for line in "$@"; do echo "HOST: $line"; done
    if [ -t 0 ]; then
        printf 'press Enter once the host has done it: '
        read -r _
    else
        sleep "$HOST_WAIT"
    fi
}
'''


def _expected(trace: Trace, end: int | None) -> str:
    if end is None:
        return "?"
    ret = trace.steps[end].obs.ret
    return "?" if ret is None else ("ok" if ret >= 0 else errno_name(ret))


def _block_state(trace: Trace, state: Any, block: int) -> str:
    b = state.machine.blocks[trace.world.block_index(block)]
    if not b.registered:
        return "absent"
    return STATE_TEXT.get(b.state, str(b.state))


def _host_lines(trace: Trace, a: Any) -> tuple[str, list[str]]:
    w = trace.world
    spec = w.block(a.block)
    size = w.block_size_bytes
    addr = w.start_pfn(a.block) * 4096
    mem, dimm = f"memhp-mem{a.block}", f"memhp-dimm{a.block}"
    if a.kind == "hotadd":
        qmp = [{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": mem,
                                                       "size": size}},
               {"execute": "device_add", "arguments": {"driver": "pc-dimm", "id": dimm, "memdev": mem,
                                                       "node": spec.node, "addr": addr}}]
        hmp = [f"(HMP) object_add memory-backend-ram,id={mem},size={size // (1 << 20)}M",
               f"(HMP) device_add pc-dimm,id={dimm},memdev={mem},node={spec.node},addr={addr:#x}"]
        what = f"hot-add memory{a.block}: a {size >> 20} MiB pc-dimm at {addr:#x} on node {spec.node}"
    else:
        qmp = [{"execute": "device_del", "arguments": {"id": dimm}}]
        hmp = [f"(HMP) device_del {dimm}",
               f"then, after the DEVICE_DELETED event: object-del {mem} (HMP object_del {mem})"]
        what = f"eject memory{a.block}: device_del of its pc-dimm"
    return what, [json.dumps(q) for q in qmp] + hmp


def render(trace: Trace) -> str:
    """The reproducer script of ``trace``."""
    why, injections = analyse(trace)
    w = trace.world
    head = ["#!/bin/sh", f"# memhp-check reproducer: profile {_c(trace.profile)}, world {_c(w.name)}, "
            f"{len(trace)} steps"]
    if trace.invariant:
        head.append(f"# violates {_c(trace.invariant)} [{_c(trace.cause)}]: {_c(trace.message)}")
    head.append("#")
    if why:
        head.append("# NOT REPRODUCIBLE on a real kernel: it needs what only the model can choose:")
        head += [f"#   - {_c(r)}" for r in why]
        head.append("# The script only shows the steps; it refuses to run.")
    else:
        head += [f"# For a test VM configured as world {_c(w.name)}, booted with {MARKER} on the "
                 f"kernel command line;",
                 "# it refuses to run elsewhere unless --force is given: offlining memory on a real "
                 "machine is not harmless.",
                 "# HOST: lines are QEMU monitor commands (QMP, then HMP) for whoever drives the VM.",
                 f"# Kernel command line of the VM: {MARKER}" + (" movable_node" if w.movable_node else "")
                 + " (and, on kernels from 4.7 on, memhp_default_state=offline: the model onlines "
                 "nothing by itself)"]
        if injections or any(st.action.kind == "inject" for st in trace.steps):
            head.append("# It sets callback errors through debugfs: load notifier-error-inject and "
                        "memory-notifier-error-inject first.")
    head += ["# Environment: MEMHP_SYSFS_ROOT (default /sys), MEMHP_CMDLINE (default /proc/cmdline),",
             "# MEMHP_HOST_WAIT (seconds to wait after a HOST: step when stdin is not a terminal).",
             "# Exit: 0 every result as the model predicts, 1 a mismatch, 2 refused or bad usage.", ""]
    body = [_PRELUDE]
    if why:
        body.append(f"printf '%s %s\\n' \"$0: NOT REPRODUCIBLE on a real kernel:\" {_q(_c(why[0]))} >&2")
        body.append("exit 2\n")
    body.append(_REFUSE.replace("MARKER", MARKER))
    body.append(_FUNCS)
    body += _steps(trace, injections)
    body.append('[ "$failed" = 0 ] && echo "every result as the model predicts" || '
                'echo "some results differ from the model"')
    body.append('exit "$failed"\n')
    tail = [MARK_BEGIN] + [("# " + line).rstrip() for line in embedded_json(trace).splitlines()]
    tail.append(MARK_END)
    return "\n".join(head) + "\n" + "\n".join(body) + "\n" + "\n".join(tail) + "\n"


def _steps(trace: Trace, injections: dict[int, tuple[str, int]]) -> list[str]:
    try:
        states = spec_states(trace)
    except TraceError:
        states = []
    out = []
    if trace.world.inject_errors:
        out.append("# boot: the error injector's settings of the world")
        out += [f"memhp_inject 0 {_name(event, _EVENT, 'notifier event')} {int(err)}"
                for event, err in trace.world.inject_errors]
        out.append("")
    for start, end in ops(trace):
        st = trace.steps[start]
        a = st.action
        n = start + 1
        who = st.action.thread or "userspace"
        out.append(f"# step {n}: {_c(who)}: {_c(action_text(a))}")
        inj = injections.get(start)
        if inj:
            out.append(f"memhp_inject {n} {_name(inj[0], _EVENT, 'notifier event')} {int(inj[1])}")
        if a.kind == "write":
            out.append(f"memhp_write {n} {_mem_path(a.block, a.file)} {printf_format(a.text or b'')} "
                       f"{_q(_expected(trace, end))}")
        elif a.kind in ("hotadd", "hotremove"):
            what, lines = _host_lines(trace, a)
            out.append(f"memhp_host {n} {_q(what)} " + " ".join(_q(x) for x in lines))
        elif a.kind == "read":
            out.append(f"memhp_read {n} {_mem_path(a.block, a.file)} {_q((st.obs.read or '').rstrip(chr(10)))}")
        elif a.kind == "inject":
            out.append(f"memhp_inject {n} {_name(a.choice, _EVENT, 'notifier event')} "
                       f"{_q((a.text or b'').decode('utf-8', 'replace'))}")
        if inj:
            out.append(f"memhp_inject {n} {inj[0]} 0")
        if a.kind in ("write", "hotadd", "hotremove") and end is not None and states:
            out.append(f"memhp_state {end + 1} memory{int(a.block)} "
                       f"{_q(_block_state(trace, states[end + 1], a.block))}")
        out.append("")
    return out


def parse(text: str, source: str = "<shell>") -> Trace:
    """The Trace kept in the comment block of a script written by :func:`render`."""
    lines = text.splitlines()
    try:
        i, j = lines.index(MARK_BEGIN), lines.index(MARK_END)
    except ValueError:
        raise TraceError(f"{source}: no {SCHEMA} comment block (was it written by memhp trace "
                         f"--format shell?)") from None
    body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines[i + 1:j])
    return from_embedded(body, source)
