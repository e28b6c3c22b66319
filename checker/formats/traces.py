"""The one counterexample type: a Trace (design.md section 5), its JSON form and replay.

A Trace is the profile, the full world, and the list of actions, each with the observation it
produced. It replays through any Model (the spec, the mirror, a patched mirror) and renders to
text for the terminal and to JSON (``memhp-trace/1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.model import Model
from spec.actions import Action, Observation, errno_name
from spec.config import World, world_from_dict
from spec.state import thread_names
from spec.errors import ActionError, MemhpError, TraceError, WorldError
from spec.invariants import Monitor, Violation
from spec.files import read_text_input
from checker.formats.words import step_line

SCHEMA = "memhp-trace/1"


def _in_world(world: World, steps: list["TraceStep"], source: str) -> None:
    """Every block and thread a step names exists in the trace's world: a trace that names
    others was not written for it (exit 2, not a divergence)."""
    threads = set(thread_names(world))
    ids = {b.id for b in world.blocks}
    for i, st in enumerate(steps):
        a = st.action
        if a.block is not None and a.block not in ids:
            raise TraceError(f"{source}: steps[{i}] names memory{a.block}, which world "
                             f"{world.name!r} does not have")
        for who in (a.thread, st.obs.thread):
            if who is not None and who not in threads:
                raise TraceError(f"{source}: steps[{i}] names thread {who!r}; world {world.name!r} "
                                 f"has {', '.join(sorted(threads))}")


def visible(text: object) -> str:
    """``text`` on one line, encodable as UTF-8: every character that is not printable (a
    newline, a carriage return, a tab, a lone surrogate standing for a byte that was not UTF-8,
    a bidirectional override) written as its Python escape (``\\n``, ``\\udcff``,
    ``\\u202e``); everything else as it is. For display only: the trace's JSON keeps the text."""
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in s)


@dataclass
class TraceStep:
    action: Action
    obs: Observation
    notes: dict[str, Any] = field(default_factory=dict)  # node-state and sysfs changes

    def to_json(self) -> dict[str, Any]:
        obs = self.obs.to_json()
        obs.update(self.notes)
        return {"action": self.action.to_json(), "obs": obs}


@dataclass
class Trace:
    profile: str
    world: World
    steps: list[TraceStep]
    invariant: str | None = None
    cause: str | None = None
    message: str | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def __bool__(self) -> bool:
        """A trace of zero steps (a violation in the initial state) is still a trace."""
        return True

    @property
    def actions(self) -> list[Action]:
        return [s.action for s in self.steps]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": SCHEMA, "profile": self.profile,
                               "world": self.world.to_json(),
                               "steps": [s.to_json() for s in self.steps]}
        if self.invariant:
            out["violation"] = {"invariant": self.invariant, "cause": self.cause,
                                "message": self.message}
        return out

    @staticmethod
    def from_json(data: Any, source: str = "<trace>") -> "Trace":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise TraceError(f"{source}: not a {SCHEMA} trace (its 'schema' must be {SCHEMA!r})")
        try:
            world = world_from_dict(data["world"], f"{source}: world")
            steps = []
            if not isinstance(data["steps"], list):
                raise TraceError(f"{source}: 'steps' must be a list of steps")
            for i, st in enumerate(data["steps"]):
                try:
                    obs = Observation.from_json(st["obs"])
                    if not (isinstance(obs.point, str) and all(v is None or isinstance(v, str) for v in (obs.thread, obs.read))
                            and (obs.ret is None or type(obs.ret) is int)):
                        raise TypeError("obs: point, thread and read must be strings and ret an integer")
                    notes = {k: v for k, v in st["obs"].items() if k != "calls" and isinstance(v, (dict, list))}
                    steps.append(TraceStep(Action.from_json(st["action"]), obs, notes))
                except (KeyError, TypeError, ValueError, OverflowError, AttributeError, ActionError) as e:
                    raise TraceError(f"{source}: steps[{i}] is malformed ({e})") from None
            _in_world(world, steps, source)
            v = data.get("violation") or {}
            if not isinstance(v, dict) or not all(x is None or isinstance(x, str) for x in (
                    v.get("invariant"), v.get("cause"), v.get("message"))):
                raise TraceError(f"{source}: 'violation' must be a table of strings "
                                 f"(invariant, cause, message)")
            return Trace(str(data["profile"]), world, steps, v.get("invariant"), v.get("cause"),
                         v.get("message"))
        except KeyError as e:
            raise TraceError(f"{source}: missing key {e} (expected schema, profile, world, steps)") from None
        except WorldError as e:
            raise TraceError(str(e)) from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @staticmethod
    def load(path: str | Path) -> "Trace":
        p = Path(path)
        text = read_text_input(p, "trace", TraceError)
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as e:  # bad JSON, a huge integer, deep nesting
            raise TraceError(f"{p}: not valid JSON ({e})") from None
        return Trace.from_json(data, str(p))

    def text(self) -> str:
        """One line per step; every value from the trace on its line (see steps.visible), so no
        text in a trace can forge a line."""
        lines = [f"profile {visible(self.profile)}, world {visible(self.world.name)}, {len(self.steps)} steps"]
        if self.invariant:
            lines.append(f"violates {visible(self.invariant)} [{visible(self.cause)}]: {visible(self.message)}")
        for i, st in enumerate(self.steps, 1):
            lines.append(f"{i:3}. {visible(step_line(st.action, st.obs))}")
            for k, v in st.notes.items():
                lines.append(f"       {visible(k)}: {visible(v)}")
        return "\n".join(lines)


def describe(obs: Observation) -> str:
    parts = [obs.point]
    for c in obs.calls:
        nid = f" nid={c.status_change_nid}"
        if c.status_change_nid_normal is not None:
            nid += f" nid_normal={c.status_change_nid_normal}"
        ret = f"{c.ret:#x}"
        parts.append(f"{c.event}->{c.callback}{nid} ret={ret} alloc={'y' if c.allocatable else 'n'}")
    if obs.read is not None:
        parts.append(f"read {obs.read!r}")
    if obs.ret is not None and obs.read is None:
        parts.append(f"ret {errno_name(obs.ret)}")
    return "; ".join(parts)


@dataclass
class ReplayResult:
    ok: bool
    steps: int
    divergence: str | None = None
    final: Any = None


def replay(trace: Trace, model: Model) -> ReplayResult:
    """Replay ``trace`` through ``model``; the first step whose observation differs is reported
    (on one printable line, whatever the trace held).

    Every recorded observation is compared: the step's point, calls, return value and read, its
    ``node_changes`` (a step that records none changed no node state), and the recorded
    violation, which the invariant Monitor must report, with the same cause and message, on the
    last step (at boot for a trace of no steps)."""
    monitor = Monitor(model.world, model.profile, model.threads, model.view_from_machine)
    state = model.initial()[0]
    ms, vs, _ = monitor.initial(model.machine(state), model.view(state))
    for i, st in enumerate(trace.steps, 1):
        pre = model.machine(state)
        try:
            state, obs = model.step(state, st.action)
        except ActionError as e:
            return ReplayResult(False, i - 1, visible(f"step {i} ({st.action.label()}): not enabled: {e}"),
                                state)
        except MemhpError:
            raise
        if obs.core() != st.obs.core():
            return ReplayResult(False, i - 1, visible(f"step {i} ({st.action.label()}): expected "
                                                      f"{describe(st.obs)}, got {describe(obs)}"), state)
        post = model.machine(state)
        want, got = st.notes.get("node_changes", []), node_changes(pre, post)
        if want != got:
            return ReplayResult(False, i - 1, visible(f"step {i} ({st.action.label()}): expected "
                                                      f"node changes {_listed(want)}, got {_listed(got)}"), state)
        ms, vs, _ = monitor.step(ms, pre, st.action, obs, post, model.quiescent(state),
                                 lambda s=state: model.view(s))
    if trace.invariant is not None:
        n = len(trace.steps)
        where = f"step {n} ({trace.steps[-1].action.label()})" if n else "the initial state"
        want_v = (trace.invariant, trace.cause, trace.message)
        got_v = [(v.invariant, v.cause, v.message) for v in vs]
        if want_v not in got_v:
            return ReplayResult(False, n, visible(f"{where}: expected the violation {_violation(want_v)}, "
                                                  f"got {'; '.join(map(_violation, got_v)) or 'none'}"), state)
    return ReplayResult(True, len(trace.steps), None, state)


def judge(model: Model, actions: list[Action], partial: bool = False
          ) -> tuple[list[TraceStep], list[Violation]]:
    """``actions`` run through ``model`` (the interpreted spec, or a mirror) from its initial
    state, judged by the Monitor: the steps with their observations and the violations the
    last step (or the initial state) shows. An action the model does not take raises its
    ActionError, or with ``partial`` ends the run there (fewer steps than actions)."""
    monitor = Monitor(model.world, model.profile, model.threads, model.view_from_machine)
    state = model.initial()[0]
    ms, vs, _ = monitor.initial(model.machine(state), model.view(state))
    steps: list[TraceStep] = []
    for a in actions:
        pre = model.machine(state)
        try:
            state, obs = model.step(state, a)
        except ActionError:
            if not partial:
                raise
            break
        steps.append(TraceStep(a, obs))
        ms, vs, _ = monitor.step(ms, pre, a, obs, model.machine(state), model.quiescent(state),
                                 lambda st=state: model.view(st))
    return steps, list(vs)


def finding_status(trace: Trace, model: Model) -> tuple[str, str] | None:
    """What ``model`` makes of the finding ``trace`` records (None: it records none): the
    trace's actions run through ``model`` and judged by the Monitor (observations are not
    compared: :func:`replay` does that). ``("still violates", text)`` when the last step (or
    the initial state) shows the same (invariant, cause), else ``("no longer violates", text)``
    with what shows instead, or the first action the model does not take."""
    if trace.invariant is None:
        return None
    key = f"{trace.invariant} [{trace.cause}]"
    actions = trace.actions
    steps, vs = judge(model, actions, partial=True)
    n = len(steps)
    if n < len(actions):
        return "no longer violates", visible(
            f"no longer violates {key}: step {n + 1} ({actions[n].label()}) is not possible "
            f"on {model.name}")
    same = [v for v in vs if (v.invariant, v.cause) == (trace.invariant, trace.cause)]
    if same:
        return "still violates", visible(f"still violates {key}: {same[0].message}")
    others = "; ".join(dict.fromkeys(f"{v.invariant} [{v.cause}]" for v in vs)) or "no violation"
    return "no longer violates", visible(f"no longer violates {key}: the last step shows {others}")


def _listed(changes: Any) -> str:
    return "[" + ", ".join(map(str, changes)) + "]" if isinstance(changes, list) else repr(changes)


def _violation(v: tuple[str | None, str | None, str | None]) -> str:
    return f"{v[0]} [{v[1]}]: {v[2]}"


def annotate(trace: Trace, model: Model) -> Trace:
    """``trace`` with each step's ``node_changes`` as ``model`` shows them (what replay checks);
    a step the model does not take ends the annotation there."""
    state = model.initial()[0]
    steps = []
    for k, st in enumerate(trace.steps):
        pre = model.machine(state)
        try:
            state, _ = model.step(state, st.action)
        except ActionError:
            steps.extend(trace.steps[k:])
            break
        notes = {key: v for key, v in st.notes.items() if key != "node_changes"}
        changes = node_changes(pre, model.machine(state))
        if changes:
            notes["node_changes"] = changes
        steps.append(TraceStep(st.action, st.obs, notes))
    return Trace(trace.profile, trace.world, steps, trace.invariant, trace.cause, trace.message)


def node_changes(pre: Any, post: Any) -> list[str]:
    out = []
    for n, (a, b) in enumerate(zip(pre.nodes, post.nodes)):
        for flag in sorted(a.flags ^ b.flags):
            out.append(f"node{n} {'+' if flag in b.flags else '-'}{flag}")
        if a.online != b.online:
            out.append(f"node{n} {'online' if b.online else 'offline'}")
    return out
