"""SARIF 2.1.0 from memhp's JSON documents, for code scanning views (docs/ci.md).

One run, tool ``memhp``, one rule per invariant of spec.invariants (id: its name; short
description: what it promises; full description: the seed's sentence it checks; help: the section
of Documentation/memory-hotplug.txt), plus ``lockstep`` for a patched mirror that diverges from
its spec. Results:

* memhp-result/1: each finding. A new one (not pinned by the baseline, or no baseline given) is
  level ``error`` with ``baselineState: new``; one the baseline pins (status ``known``) is level
  ``note`` with ``baselineState: unchanged``. Code scanning fails a check on errors, not notes, so
  CI gates on new findings only, as the command's exit code does.
* memhp-review/1: each broken promise, and a lockstep divergence, at level ``error``.

A result's location is the kernel-mirror function (spec/kernel/v3_4, spec/kernel/v6_1) where the
violating step happened, at its ``def`` line: the function that sends the notifier event of the
cause (``memory_notify(k, MEM_GOING_OFFLINE, ...)`` in offline_pages), or else the one that
produces the wrong value (the ``show`` function of a sysfs file, the removal of an eject, the
operation the trace ran last, memory_dev_init for the machine as booted). For a review, the patch
module's own ``def`` of a function it redefines on that path (or of its first override: the patch
is what changed). Paths are relative to ``%SRCROOT%``, the directory holding the ``spec`` package
(the repository's root in a checkout; given as an absolute URI only there). The trace is the
result's code flow, one location per step, each at the mirror function that step ran. Profiles
without a mirror (v3.8: 3.4's; v4.15, v5.6, v6.17: 6.1's) are located in the nearest mirror, and
the message says so.

Leaves out: diff and conform documents (behaviour differences and real-kernel divergences have no
place in the mirror; the JUnit XML carries them), fixes and suggested changes.
"""

from __future__ import annotations

import ast
import inspect
import types
from functools import lru_cache
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "SRCROOT"
#: the mirror package of each mirrored profile, and the nearest for the others
MIRROR = {"v3.4": "v3_4", "v3.8": "v3_4", "v6.1": "v6_1"}
#: per mirror: the function whose work an operation kind (or a cause) stands for
SITES: dict[str, dict[str, str]] = {
    "v3_4": {"online": "online_pages", "offline": "offline_pages", "hotadd": "add_memory",
             "hotremove": "remove_memory", "write": "store_mem_state", "boot": "memory_dev_init",
             "names": "init_memory_block", "links": "register_mem_sect_under_node",
             "slub": "slab_mem_going_online_callback", "inject": "debugfs_errno_set"},
    "v6_1": {"online": "online_pages", "offline": "offline_pages", "hotadd": "add_memory_resource",
             "hotremove": "try_remove_memory", "write": "state_store", "boot": "memory_dev_init",
             "names": "init_memory_block", "links": "do_register_memory_block_under_node",
             "slub": "slab_mem_going_online_callback", "inject": "debugfs_errno_set"},
}
#: causes that name a sysfs file whose show function produces the value judged
SHOWN = {"phys_index": "phys_index", "end_phys_index": "end_phys_index", "removable": "removable"}
LINKS = {"link", "backlink", "links"}


def tool_version() -> str:
    try:
        return metadata.version("memhp-check")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def source_root() -> Path:
    """%SRCROOT%: the directory that holds the ``spec`` package."""
    import spec

    return Path(spec.__file__).resolve().parent.parent


# --- where a step runs in the mirror ------------------------------------------------------------

def _mirror(profile: str) -> tuple[str, types.ModuleType]:
    name = MIRROR.get(profile, "v6_1")
    return name, import_module(f"spec.kernel.{name}")


@lru_cache(maxsize=None)
def _functions(vname: str) -> dict[str, Any]:
    """The functions of a mirror package's modules, by name (read-only once built)."""
    out: dict[str, Any] = {}
    for mod in import_module(f"spec.kernel.{vname}").MODULES:
        out.update({n: f for n, f in vars(mod).items()
                    if inspect.isfunction(f) and f.__module__ == mod.__name__})
    return out


@lru_cache(maxsize=None)
def _sender(vname: str, event: str) -> str | None:
    """The mirror function that calls ``memory_notify(k, EVENT, ...)``."""
    needle = f"memory_notify(k, {event},"
    for name, f in _functions(vname).items():
        try:
            if needle in inspect.getsource(f):
                return name
        except (OSError, TypeError):
            continue
    return None


def _op_kind(steps: list[dict[str, Any]], upto: int) -> str:
    """The kind of the operation running the thread of ``steps[upto]`` (or, for a step of no
    thread, the last one started before it): online, offline, write, hotadd, hotremove, inject,
    or boot."""
    from spec.actions import FIRMWARE_THREAD

    thread = (steps[upto].get("action") or {}).get("thread") if steps else None
    for st in reversed(steps[: upto + 1]):
        a = st.get("action") or {}
        kind = a.get("kind")
        if kind in ("step", "read"):
            continue
        starter = FIRMWARE_THREAD if kind in ("hotadd", "hotremove") else a.get("thread")
        if thread is not None and starter != thread:
            continue  # an operation of another thread
        if kind == "write":
            text = str(a.get("text", ""))
            if a.get("file") == "online":
                return "offline" if text.strip() == "0" else "online"
            if text.startswith("off"):
                return "offline"
            return "online" if text.startswith("on") else "write"
        if kind in ("hotadd", "hotremove", "inject"):
            return str(kind)
    return "boot"


def _event(step: dict[str, Any]) -> str | None:
    obs = step.get("obs") or {}
    calls = obs.get("calls") or []
    if obs.get("point") == "call" and calls:
        return str(calls[-1].get("event"))
    return None


def mirror_function(profile: str, steps: list[dict[str, Any]], cause: str = "",
                    invariant: str = "") -> tuple[str, str]:
    """(mirror package, function name) where the last of ``steps`` broke ``invariant``."""
    vname, version = _mirror(profile)
    funcs = _functions(vname)
    sites = SITES[vname]
    label, _, rest = cause.partition(":") if ":" in cause else ("", "", cause)
    event = rest.split(":")[0] if rest.startswith("MEM_") else (_event(steps[-1]) if steps else None)
    choice: str | None = None
    if event and event.startswith("MEM_"):
        choice = _sender(vname, event)
    if choice is None:
        if rest == "eject":
            choice = sites["hotremove"]
        elif label in sites:
            choice = sites[label]
        elif rest in SHOWN and SHOWN[rest] in version.MEMORY_ATTRS:
            choice = version.MEMORY_ATTRS[SHOWN[rest]][0]
        elif rest == "state" and invariant == "state_strings":
            choice = version.MEMORY_ATTRS["state"][0]
        elif rest == "names":
            choice = sites["names"]
        elif rest in LINKS:
            choice = sites["links"]
        elif rest == "slub":
            choice = sites["slub"]
        else:
            choice = sites[_op_kind(steps, len(steps) - 1)] if steps else sites["boot"]
    if choice not in funcs:
        choice = sites["boot"]
    return vname, choice


def step_function(profile: str, steps: list[dict[str, Any]], i: int) -> str:
    """The mirror function step ``i`` ran (its entry for a new operation, the sender of the
    event it delivered, the operation it continued)."""
    vname, version = _mirror(profile)
    funcs = _functions(vname)
    a = steps[i].get("action") or {}
    event = _event(steps[i])
    if event:
        found = _sender(vname, event)
        if found:
            return found
    kind = a.get("kind")
    name: str | None = None
    if kind == "write":
        name = version.WRITE_ENTRY
    elif kind == "hotadd":
        name = version.HOTADD_ENTRY[0]
    elif kind == "hotremove":
        name = version.HOTREMOVE_ENTRY[0]
    elif kind == "read":
        name = (version.MEMORY_ATTRS.get(str(a.get("file", "state"))) or ("",))[0]
    else:
        name = SITES[vname].get(_op_kind(steps, i))
    return name if name in funcs else SITES[vname]["boot"]


# --- locations --------------------------------------------------------------------------------

def _uri(path: Path) -> dict[str, str]:
    path = path.resolve()
    for base, base_id in ((source_root(), SRCROOT), (Path.cwd().resolve(), None)):
        try:
            rel = path.relative_to(base)
        except ValueError:
            continue
        return {"uri": rel.as_posix(), "uriBaseId": SRCROOT} if base_id else {"uri": rel.as_posix()}
    return {"uri": path.as_uri()}


def def_line(func: Any) -> int:
    """The line of ``def NAME`` of a function (after any decorators)."""
    lines, start = inspect.getsourcelines(func)
    for k, line in enumerate(lines):
        if line.lstrip().startswith(("def ", "async def ")):
            return start + k
    return start


@lru_cache(maxsize=None)
def _mirror_site(vname: str, name: str) -> tuple[str, str, int, str]:
    """(uri, uriBaseId or "", def line, module) of a mirror function."""
    f = _functions(vname)[name]
    art = _uri(Path(inspect.getsourcefile(f) or ""))
    return art["uri"], art.get("uriBaseId", ""), def_line(f), f.__module__


def mirror_location(vname: str, name: str, message: str = "") -> dict[str, Any]:
    uri, base, line, module = _mirror_site(vname, name)
    art = {"uri": uri, "uriBaseId": base} if base else {"uri": uri}
    loc: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": art, "region": {"startLine": line}},
        "logicalLocations": [{"name": name, "kind": "function",
                              "fullyQualifiedName": f"{module}.{name}"}]}
    if message:
        loc["message"] = {"text": message}
    return loc


def patch_file(impl: str) -> Path | None:
    """The file of a review's patch (a path, or a dotted module name found without importing
    the module itself)."""
    if impl.endswith(".py") or "/" in impl:
        try:
            p = Path(impl)
            return p if p.is_file() else None
        except (OSError, ValueError):  # a name too long, or with a NUL: no such file
            return None
    try:
        from importlib.util import find_spec

        found = find_spec(impl)
    except Exception:  # noqa: BLE001 - finding it imports its parent packages, which may raise
        return None
    origin = getattr(found, "origin", None)
    return Path(origin) if origin and origin.endswith(".py") else None


def patch_defs(path: Path) -> dict[str, int]:
    """The top-level functions a patch module defines, with their ``def`` lines (read with ast,
    never imported)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return {}
    return {n.name: n.lineno for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


# --- the log --------------------------------------------------------------------------------------

def _rules() -> list[dict[str, Any]]:
    from spec.invariants import INVARIANTS

    rules = []
    for inv in INVARIANTS:
        quote = getattr(inv, "quote", "") or inv.text
        where = f"Documentation/memory-hotplug.txt section {inv.seed_section}"
        rules.append({
            "id": inv.name, "name": "".join(w.capitalize() for w in inv.name.split("_")),
            "shortDescription": {"text": inv.text},
            "fullDescription": {"text": quote},
            "help": {"text": f"{where}: \"{quote}\". memhp checks: {inv.text}.",
                     "markdown": f"{where}:\n\n> {quote}\n\nmemhp checks: {inv.text}."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"seed_section": inv.seed_section, "kind": inv.kind,
                           "tags": ["memory-hotplug", "seed-promise"]}})
    rules.append({
        "id": "lockstep", "name": "Lockstep",
        "shortDescription": {"text": "a patched kernel mirror behaves as its profile's spec does"},
        "fullDescription": {"text": "Run side by side on the same operations, the patched mirror "
                                    "shows only what the spec of its base profile allows."},
        "help": {"text": "memhp review: the lockstep check (docs/ci.md)."},
        "defaultConfiguration": {"level": "error"}})
    return rules


def _code_flow(profile: str, trace: dict[str, Any] | None, message: str) -> list[dict[str, Any]]:
    if not trace:
        return []
    from checker.formats.junit import trace_text

    steps = trace.get("steps") or []
    texts = _step_texts(trace_text(trace))
    vname, _ = _mirror(profile)
    locs = []
    for i in range(len(steps)):
        text = texts.get(i + 1) or f"step {i + 1}"
        locs.append({"location": mirror_location(vname, step_function(profile, steps, i), text),
                     "executionOrder": i + 1})
    if not locs:
        locs.append({"location": mirror_location(vname, SITES[vname]["boot"],
                                                 "the machine as booted")})
    return [{"message": {"text": message}, "threadFlows": [{"locations": locs}]}]


def _step_texts(text: str) -> dict[int, str]:
    """Each step's lines of Trace.text() (``  N. ...`` and the indented lines under it), joined
    into one, by step number."""
    out: dict[int, list[str]] = {}
    current: int | None = None
    for line in text.split("\n"):
        head = line.lstrip().split(". ", 1)[0]
        if line.startswith(" ") and head.isdigit() and ". " in line:
            current = int(head)
            out[current] = [line.strip()]
        elif current is not None and line.startswith(" "):
            out[current].append(line.strip())
        else:
            current = None
    return {n: " ".join(parts) for n, parts in out.items()}


def _result(rule: str, level: str, message: str, location: dict[str, Any],
            flows: list[dict[str, Any]], key: str, props: dict[str, Any],
            baseline: str | None) -> dict[str, Any]:
    r: dict[str, Any] = {"ruleId": rule, "level": level, "message": {"text": message},
                         "locations": [location], "partialFingerprints": {"memhpFindingKey/v1": key},
                         "properties": props}
    if flows:
        r["codeFlows"] = flows
    if baseline:
        r["baselineState"] = baseline
    return r


def _located(profile: str, steps: list[dict[str, Any]], cause: str, invariant: str) -> tuple[str, str, str]:
    vname, fn = mirror_function(profile, steps, cause, invariant)
    note = "" if profile in ("v3.4", "v6.1") else (
        f" (the mirror renders v3.4 and v6.1; located in {vname.replace('_', '.')}'s)")
    return vname, fn, note


def _result_doc(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f in doc.get("findings") or []:
        profile, trace = str(f.get("profile", doc.get("profile", ""))), f.get("trace") or {}
        steps = trace.get("steps") or []
        vname, fn, note = _located(profile, steps, str(f.get("cause", "")), str(f.get("invariant", "")))
        known = f.get("status") == "known"
        first = str(f.get("explanation", "")).split("\n", 1)[0]
        v = trace.get("violation") or {}
        what = v.get("message") or first
        msg = (f"{f.get('invariant')} [{f.get('cause')}] on {profile}, world {f.get('world')}: {what}"
               f"{' (known: pinned by the baseline)' if known else ''}. {first}{note}")
        out.append(_result(str(f.get("invariant")), "note" if known else "error", msg,
                           mirror_location(vname, fn), _code_flow(profile, trace, str(what)),
                           str(f.get("key")),
                           {"key": f.get("key"), "status": f.get("status", "new"),
                            "engine": f.get("engine", ""), "command": doc.get("command", ""),
                            "explanation": f.get("explanation", "")},
                           "unchanged" if known else "new"))
    return out


def _review_doc(doc: dict[str, Any]) -> list[dict[str, Any]]:
    against, impl = str(doc.get("against", "")), str(doc.get("impl", ""))
    path = patch_file(impl)
    defs = patch_defs(path) if path is not None else {}
    overrides = [o for o in doc.get("overrides") or [] if o in defs]

    def at(steps: list[dict[str, Any]], cause: str, invariant: str) -> dict[str, Any]:
        vname, fn, _ = _located(against, steps, cause, invariant)
        name = fn if fn in overrides else (overrides[0] if overrides else None)
        if path is None or name is None:
            return mirror_location(vname, fn)
        return {"physicalLocation": {"artifactLocation": _uri(path),
                                     "region": {"startLine": defs[name]}},
                "logicalLocations": [{"name": name, "kind": "function"}],
                "message": {"text": f"the patch's {name}" + (
                    f" (the step ran {fn})" if name != fn else "")}}

    out = []
    for br in doc.get("broken") or []:
        trace = br.get("trace") or {}
        steps, cause, inv = trace.get("steps") or [], str(br.get("cause", "")), str(br.get("invariant", ""))
        key = f"review/{against}/{doc.get('world')}/{inv}/{cause}"
        msg = (f"{inv} [{cause}]: {br.get('message')}: the patch {impl} breaks a promise the "
               f"unmodified {against} keeps (world {doc.get('world')}, {br.get('bound')})")
        out.append(_result(inv, "error", msg, at(steps, cause, inv),
                           _code_flow(against, trace, str(br.get("message", ""))), key,
                           {"impl": impl, "engine": br.get("engine", ""), "bound": br.get("bound", "")},
                           "new"))
    lock = str(doc.get("lockstep", ""))
    if lock.startswith("diverges"):
        out.append(_result("lockstep", "error", f"the patch {impl} {lock}",
                           at([], "", ""), [], f"review/{against}/{doc.get('world')}/lockstep",
                           {"impl": impl}, "new"))
    return out


def sarif_log(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The SARIF 2.1.0 log of ``docs`` (validated memhp JSON documents), as a dict."""
    rules = _rules()
    rule_ids = [r["id"] for r in rules]
    results: list[dict[str, Any]] = []
    exits = []
    for doc in docs:
        kind = doc.get("schema")
        if kind == "memhp-result/1":
            results += _result_doc(doc)
        elif kind == "memhp-review/1":
            results += _review_doc(doc)
        elif kind not in ("memhp-diff/1", "memhp-conform/1"):
            from spec.errors import MemhpError

            raise MemhpError(f"sarif: a document of schema {kind!r}; expected one of "
                             f"memhp-result/1, memhp-review/1, memhp-diff/1, memhp-conform/1")
        exits.append(doc.get("exit"))
    for r in results:  # a finding under an invariant this version does not list: its own rule
        if r["ruleId"] not in rule_ids:
            rule_ids.append(r["ruleId"])
            rules.append({"id": r["ruleId"], "shortDescription": {"text": r["ruleId"]}})
        r["ruleIndex"] = rule_ids.index(r["ruleId"])
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "memhp", "version": tool_version(), "rules": rules}},
        "originalUriBaseIds": {SRCROOT: _srcroot()},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [{"executionSuccessful": all(e in (0, 1) for e in exits),
                         "properties": {"documents": [str(d.get("schema")) for d in docs],
                                        "exits": exits}}],
    }
    return _scrub({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]})


def _srcroot() -> dict[str, Any]:
    """%SRCROOT%: its absolute URI when memhp runs from a checkout (pyproject.toml beside the
    spec package); none when it is installed, so that a code-scanning server reads the
    relative paths against the repository it scans."""
    root = source_root()
    out: dict[str, Any] = {"description": {"text": "the directory that holds memhp's spec "
                                                   "package (the repository's root)"}}
    if (root / "pyproject.toml").is_file():
        out["uri"] = root.as_uri() + "/"
    return out


def _scrub(value: Any) -> Any:
    """Every string of the log as strict UTF-8 can hold it: a lone surrogate (a byte of a
    trace that was not UTF-8) written as its escape (``\\udcff``), never emitted."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return "".join(c if not 0xD800 <= ord(c) <= 0xDFFF else f"\\u{ord(c):04x}" for c in value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


__all__ = ["def_line", "mirror_function", "patch_defs", "sarif_log", "source_root", "step_function"]
