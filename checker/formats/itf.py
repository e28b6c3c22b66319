"""ITF JSON, the trace format of Apalache and Quint, for a memhp Trace.

An ITF file is ``{"#meta": ..., "vars": [...], "states": [...]}``; values use the ITF
encodings: integers ``{"#bigint": "-22"}``, maps ``{"#map": [[k, v], ...]}``, sets
``{"#set": [...]}``, tuples ``{"#tup": [...]}``, records plain objects, sequences arrays. An
optional value is a sequence of zero or one element (the TLA+ idiom; ITF has no null).

State 0 is the machine after boot (``action`` of kind ``init``); state i is the machine after
step i, with the action taken and what it showed:

* ``action``: ``{kind, thread, block, file, text, text_b64, choice}`` (optional fields as
  sequences; ``text_b64`` only for bytes that are not UTF-8);
* ``obs``: ``{thread, point, calls, ret, read, extra, notes}`` (``extra`` and ``notes``: maps
  of name to the JSON text of informational values); each call
  ``{event, callback, start_pfn, nr_pages, status_change_nid, status_change_nid_normal, ret,
  allocatable}``;
* ``blocks`` (``memoryN`` -> ``{present, registered, state, pages, zones, online_type,
  resource, links, backlinks}``), ``nodes`` (id -> ``{online, present_pages, flags}``),
  ``slub_nodes``, ``inject`` (the error injector's settings), ``locks`` (lock -> holder),
  ``threads`` (thread -> the operation in flight, if any).

The states come from replaying the trace through the spec of its profile. ``#meta.memhp`` holds
the profile, the full world and the violation, so that :func:`from_json` rebuilds the Trace from
the world there and the actions and observations of the states.

Leaves out: the sysfs view (it follows from the machine: ``spec.sysfs.render``) and the
invariant monitor's bookkeeping.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from checker.formats.states import spec_states
from checker.formats.traces import SCHEMA, Trace, TraceStep
from spec.actions import STATE_TEXT, Action, NotifierCall, Observation
from spec.config import world_from_dict
from spec.errors import ActionError, TraceError, WorldError

FORMAT_URL = "https://apalache-mc.org/docs/adr/015adr-trace.html"
VARS = ["action", "obs", "blocks", "nodes", "slub_nodes", "inject", "locks", "threads"]


# --- ITF values -------------------------------------------------------------------------------

class Rec(dict):  # type: ignore[type-arg]
    """An ITF record (a plain JSON object); other dicts are ITF maps."""


def value(v: Any) -> Any:
    """A Python value in ITF encoding (ints as #bigint, Rec as a record, other dicts as #map,
    sets as #set, tuples as #tup, lists as sequences, None as the empty sequence)."""
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, Rec):
        return {k: value(x) for k, x in v.items()}
    if isinstance(v, int):
        return {"#bigint": str(v)}
    if v is None:
        return []
    if isinstance(v, (set, frozenset)):
        return {"#set": [value(x) for x in sorted(v, key=repr)]}
    if isinstance(v, dict):
        return {"#map": [[value(k), value(x)] for k, x in v.items()]}
    if isinstance(v, tuple):
        return {"#tup": [value(x) for x in v]}
    if isinstance(v, list):
        return [value(x) for x in v]
    raise TypeError(f"no ITF encoding for {type(v).__name__}")


def plain(v: Any) -> Any:
    """The inverse of :func:`value` for what memhp writes (sets come back as sorted lists,
    tuples as lists, maps as dicts)."""
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        if "#bigint" in v:
            return int(v["#bigint"])
        if "#map" in v:
            return {plain(k): plain(x) for k, x in v["#map"]}
        if "#set" in v:
            return [plain(x) for x in v["#set"]]
        if "#tup" in v:
            return [plain(x) for x in v["#tup"]]
        return {k: plain(x) for k, x in v.items()}
    return v


def _opt(v: Any) -> list[Any]:
    return [] if v is None else [v]


# --- writing ----------------------------------------------------------------------------------

def _action(a: Action | None) -> dict[str, Any]:
    if a is None:
        return Rec({"kind": "init", "thread": [], "block": [], "file": [], "text": [],
                "text_b64": [], "choice": []})
    text = b64 = None
    if a.text is not None:
        try:
            text = a.text.decode("utf-8")
        except UnicodeDecodeError:
            b64 = base64.b64encode(a.text).decode("ascii")
    return Rec({"kind": a.kind, "thread": _opt(a.thread),
            "block": _opt(None if a.block is None else f"memory{a.block}"),
            "file": _opt(a.file), "text": _opt(text), "text_b64": _opt(b64),
            "choice": _opt(a.choice)})


def _call(c: NotifierCall) -> dict[str, Any]:
    return Rec({"event": c.event, "callback": c.callback, "start_pfn": c.start_pfn,
            "nr_pages": c.nr_pages, "status_change_nid": c.status_change_nid,
            "status_change_nid_normal": _opt(c.status_change_nid_normal), "ret": c.ret,
            "allocatable": c.allocatable})


def _obs(step: TraceStep | None) -> dict[str, Any]:
    if step is None:
        return Rec({"thread": [], "point": "boot", "calls": [], "ret": [], "read": [], "extra": {},
                    "notes": {}})
    o = step.obs
    return Rec({"thread": _opt(o.thread), "point": o.point, "calls": [_call(c) for c in o.calls],
                "ret": _opt(o.ret), "read": _opt(o.read),
                "extra": {k: json.dumps(v) for k, v in o.extra},
                "notes": {k: json.dumps(v, sort_keys=True) for k, v in step.notes.items()}})


def _machine(trace: Trace, state: Any) -> dict[str, Any]:
    m = state.machine
    w = trace.world
    blocks = {}
    for spec, b in zip(w.blocks, m.blocks):
        blocks[f"memory{spec.id}"] = Rec({
            "present": b.present, "registered": b.registered,
            "state": STATE_TEXT.get(b.state, str(b.state)), "pages": b.pages,
            "zones": list(b.zones), "online_type": b.online_type, "resource": b.resource,
            "links": frozenset(b.links), "backlinks": frozenset(b.backlinks)})
    nodes = {n.id: Rec({"online": node.online, "present_pages": node.present_pages,
                        "flags": frozenset(node.flags)}) for n, node in zip(w.nodes, m.nodes)}
    threads = {}
    names = w.writer_threads() + ("fw",)
    for name, op in zip(names, state.threads):
        threads[name] = None if op is None else [Rec({
            "kind": op.kind, "block": f"memory{w.blocks[op.block].id}", "req": op.req,
            "via": op.via, "pc": op.pc, "event": op.event, "lock": op.lock})]
    return {"blocks": blocks, "nodes": nodes, "slub_nodes": frozenset(m.slub_nodes),
            "inject": dict(m.inject), "locks": dict(m.locks), "threads": threads}


def to_json(trace: Trace, source: str = "<trace>") -> dict[str, Any]:
    """The ITF object of ``trace`` (its states replayed through the spec)."""
    states = spec_states(trace, source)
    meta: dict[str, Any] = {"schema": SCHEMA, "profile": trace.profile,
                            "world": trace.world.to_json()}
    if trace.invariant:
        meta["violation"] = {"invariant": trace.invariant, "cause": trace.cause,
                             "message": trace.message}
    desc = f"memhp-check trace: profile {trace.profile}, world {trace.world.name}, {len(trace)} steps"
    if trace.invariant:
        desc += f"; violates {trace.invariant} [{trace.cause}]"
    out_states = []
    for i, s in enumerate(states):
        step = trace.steps[i - 1] if i else None
        st: dict[str, Any] = {"#meta": {"index": i}}
        st["action"] = value(_action(step.action if step else None))
        st["obs"] = value(_obs(step))
        for k, v in _machine(trace, s).items():
            st[k] = value(v)
        out_states.append(st)
    return {"#meta": {"format": "ITF", "format-description": FORMAT_URL,
                      "source": "memhp-check", "description": desc, "memhp": meta},
            "vars": list(VARS), "states": out_states}


def render(trace: Trace, source: str = "<trace>") -> str:
    """The ITF file's text; ``source`` names the trace in error messages."""
    return json.dumps(to_json(trace, source), indent=1) + "\n"


# --- reading ----------------------------------------------------------------------------------

def _one(seq: Any, what: str) -> Any:
    if not isinstance(seq, list) or len(seq) > 1:
        raise TypeError(f"{what} must be a sequence of at most one element")
    return seq[0] if seq else None


def _read_action(a: dict[str, Any]) -> Action:
    data: dict[str, Any] = {"kind": a["kind"]}
    for key in ("thread", "block", "file", "text", "text_b64", "choice"):
        v = _one(a.get(key, []), f"action.{key}")
        if v is not None:
            data[key] = v
    return Action.from_json(data)


def _read_obs(o: dict[str, Any]) -> tuple[Observation, dict[str, Any]]:
    calls = []
    for c in o.get("calls", []):
        calls.append(NotifierCall(c["event"], c["callback"], int(c["start_pfn"]),
                                  int(c["nr_pages"]), int(c["status_change_nid"]),
                                  _one(c.get("status_change_nid_normal", []), "status_change_nid_normal"),
                                  int(c["ret"]), bool(c["allocatable"])))
    ret = _one(o.get("ret", []), "obs.ret")
    if ret is not None and type(ret) is not int:
        raise TypeError("obs.ret must be an integer")
    extra = tuple(sorted((k, json.loads(v)) for k, v in (o.get("extra") or {}).items()))
    notes = {k: json.loads(v) for k, v in (o.get("notes") or {}).items()}
    obs = Observation(_one(o.get("thread", []), "obs.thread"), str(o["point"]), tuple(calls),
                      ret, _one(o.get("read", []), "obs.read"), extra)
    return obs, notes


def from_json(data: Any, source: str = "<itf>") -> Trace:
    """Rebuild the Trace from an ITF object written by :func:`to_json`."""
    if not isinstance(data, dict) or not isinstance(data.get("states"), list):
        raise TraceError(f"{source}: not an ITF trace (expected an object with 'vars' and 'states')")
    meta = (data.get("#meta") or {}).get("memhp")
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        raise TraceError(f"{source}: this ITF trace has no memhp world in '#meta.memhp' "
                         f"(only ITF files written by memhp can be read back)")
    try:
        world = world_from_dict(meta["world"], f"{source}: #meta.memhp.world")
        profile = str(meta["profile"])
    except KeyError as e:
        raise TraceError(f"{source}: #meta.memhp lacks {e}") from None
    except WorldError as e:
        raise TraceError(str(e)) from None
    steps = []
    for i, st in enumerate(data["states"]):
        try:
            a = plain(st["action"])
            if i == 0:
                if a.get("kind") != "init":
                    raise ValueError("state 0 must have the action of kind 'init'")
                continue
            obs, notes = _read_obs(plain(st["obs"]))
            steps.append(TraceStep(_read_action(a), obs, notes))
        except (KeyError, TypeError, ValueError, AttributeError, ActionError) as e:
            raise TraceError(f"{source}: states[{i}] is malformed ({e})") from None
    v = meta.get("violation") or {}
    return Trace(profile, world, steps, v.get("invariant"), v.get("cause"), v.get("message"))
