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
import re
from typing import Any

from checker.formats.states import spec_states
from checker.formats.steps import visible
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
    tuples as lists, maps as dicts). A ``#bigint`` must be a string of at most
    :data:`MAX_DIGITS` digits; a ``#map`` a list of pairs: :class:`ValueError`."""
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        if "#bigint" in v:
            return _bigint(v["#bigint"])
        if "#map" in v:
            pairs = v["#map"]
            if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                raise ValueError("a #map must be a list of [key, value] pairs")
            return {plain(k): plain(x) for k, x in pairs}
        if "#set" in v:
            return [plain(x) for x in v["#set"]]
        if "#tup" in v:
            return [plain(x) for x in v["#tup"]]
        return {k: plain(x) for k, x in v.items()}
    return v


#: the longest integer a ``#bigint`` may spell (Python's own limit on converting digits)
MAX_DIGITS = 4300
_INT = re.compile(r"-?[0-9]+")


def _bigint(text: Any) -> int:
    if not isinstance(text, str) or not _INT.fullmatch(text):
        raise ValueError(f"a #bigint must be a string of digits, not {_short(text)}")
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a #bigint of {len(text.lstrip('-'))} digits (at most {MAX_DIGITS})")
    return int(text)


def _short(v: Any) -> str:
    """A value in a message: its repr, on one line, cut at 40 characters."""
    r = visible(repr(v))
    return r if len(r) <= 40 else r[:37] + "..."


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


_OBS_KEYS = frozenset({"point", "thread", "calls", "ret", "read"})


def _json_texts(m: Any, what: str) -> dict[str, Any]:
    """A map of name to the JSON text of a value (``obs.extra``, ``obs.notes``), decoded."""
    if m is None:
        return {}
    if not isinstance(m, dict):
        raise TypeError(f"{what} must be a map of names to JSON texts")
    out = {}
    for k, v in m.items():
        if not isinstance(k, str) or k in _OBS_KEYS:
            raise TypeError(f"{what} has the key {_short(k)}: expected a name other than "
                            f"{', '.join(sorted(_OBS_KEYS))}")
        if not isinstance(v, str):
            raise TypeError(f"{what}[{_short(k)}] must be the JSON text of a value, not "
                            f"{type(v).__name__}")
        try:
            out[k] = json.loads(v)
        except RecursionError:
            raise ValueError(f"{what}[{_short(k)}] is nested too deeply") from None
        except json.JSONDecodeError as e:
            raise ValueError(f"{what}[{_short(k)}] is not valid JSON ({e})") from None
        except ValueError:  # Python's limit on converting digits to an integer
            raise ValueError(f"{what}[{_short(k)}] holds an integer of more than {MAX_DIGITS} "
                             f"digits") from None
    return out


_TYPE_WORDS = {str: "a string", int: "an integer", bool: "true or false"}


def _typed(c: dict[str, Any], key: str, typ: type) -> Any:
    v = c[key]
    if type(v) is not typ:
        raise TypeError(f"calls[].{key} must be {_TYPE_WORDS[typ]}")
    return v


def _read_call(c: Any) -> NotifierCall:
    if not isinstance(c, dict):
        raise TypeError("each of obs.calls must be a record")
    normal = _one(c.get("status_change_nid_normal", []), "status_change_nid_normal")
    if normal is not None and type(normal) is not int:
        raise TypeError("calls[].status_change_nid_normal must hold an int")
    return NotifierCall(_typed(c, "event", str), _typed(c, "callback", str),
                        _typed(c, "start_pfn", int), _typed(c, "nr_pages", int),
                        _typed(c, "status_change_nid", int), normal, _typed(c, "ret", int),
                        _typed(c, "allocatable", bool))


def _read_obs(o: dict[str, Any]) -> tuple[Observation, dict[str, Any]]:
    calls = o.get("calls", [])
    if not isinstance(calls, list):
        raise TypeError("obs.calls must be a sequence")
    calls = [_read_call(c) for c in calls]
    ret = _one(o.get("ret", []), "obs.ret")
    if ret is not None and type(ret) is not int:
        raise TypeError("obs.ret must be an integer")
    extra = tuple(sorted(_json_texts(o.get("extra"), "obs.extra").items()))
    notes = _json_texts(o.get("notes"), "obs.notes")
    obs = Observation(_one(o.get("thread", []), "obs.thread"), str(o["point"]), tuple(calls),
                      ret, _one(o.get("read", []), "obs.read"), extra)
    return obs, notes


def from_json(data: Any, source: str = "<itf>") -> Trace:
    """Rebuild the Trace from an ITF object written by :func:`to_json`. What it rebuilds is
    checked as a ``memhp-trace/1`` trace is (its steps name only blocks and threads of its
    world, its violation is strings); anything else is one :class:`TraceError` naming
    ``source``."""
    if not isinstance(data, dict) or not isinstance(data.get("states"), list):
        raise TraceError(f"{source}: not an ITF trace (expected an object with 'vars' and 'states')")
    top = data.get("#meta")
    meta = top.get("memhp") if isinstance(top, dict) else None
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        raise TraceError(f"{source}: this ITF trace has no memhp world in '#meta.memhp' "
                         f"(only ITF files written by memhp can be read back)")
    try:
        world = world_from_dict(meta["world"], f"{source}: #meta.memhp.world")
        profile = meta["profile"]
    except KeyError as e:
        raise TraceError(f"{source}: #meta.memhp lacks {e}") from None
    except WorldError as e:
        raise TraceError(str(e)) from None
    if not isinstance(profile, str):
        raise TraceError(f"{source}: #meta.memhp.profile must be a string")
    v = meta.get("violation") or {}
    if not isinstance(v, dict) or not all(x is None or isinstance(x, str) for x in (
            v.get("invariant"), v.get("cause"), v.get("message"))):
        raise TraceError(f"{source}: #meta.memhp.violation must be a table of strings "
                         f"(invariant, cause, message)")
    steps = []
    for i, st in enumerate(data["states"]):
        try:
            if not isinstance(st, dict):
                raise TypeError("a state must be an object")
            a = plain(st["action"])
            if not isinstance(a, dict):
                raise TypeError("its action must be a record")
            if i == 0:
                if a.get("kind") != "init":
                    raise ValueError("state 0 must have the action of kind 'init'")
                continue
            o = plain(st["obs"])
            if not isinstance(o, dict):
                raise TypeError("its obs must be a record")
            obs, notes = _read_obs(o)
            steps.append(TraceStep(_read_action(a), obs, notes))
        except RecursionError:
            raise TraceError(f"{source}: states[{i}] is nested too deeply") from None
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError, ActionError) as e:
            raise TraceError(f"{source}: states[{i}] is malformed ({visible(str(e))})") from None
    trace = Trace(profile, world, steps, v.get("invariant"), v.get("cause"), v.get("message"))
    # the same checks as a memhp-trace/1 file gets (names, types, blocks and threads)
    return Trace.from_json(trace.to_json(), source)
