"""JUnit XML from memhp's JSON documents, for the test views of CI servers (docs/ci.md).

One ``<testsuite>`` per document, one ``<testcase>`` per thing the command judged, mapped the way
the command's exit code judges it (design.md section 4):

* memhp-result/1 (verify, prove, explore): one testcase per invariant and engine, classname
  ``memhp.<command>.<profile>.<world>.<engine>``. ``violated`` with a finding the baseline does not
  pin (status ``new``, or no baseline) is a ``<failure>`` carrying each finding's explanation and
  trace; a violation whose findings the baseline all pins (status ``known``) passes, the findings
  in ``<system-out>``; ``cti`` and ``unknown`` are ``<error type="inconclusive">`` (exit 3, never a
  pass); ``proved``, ``passed`` and ``sampled`` pass with their bound in ``<system-out>``. A
  ``sometimes`` twin a complete run never reached is a failure (a vacuous invariant) unless the
  world declares it vacuous (``[vacuous]``: skipped, with the world's reason), a baseline
  entry the run no longer finds is a failure, one a bounded run did not reach is skipped.
* memhp-review/1: each broken promise and each base finding reached sooner a failure, the lockstep
  a testcase (failure when it diverges, skipped when not run), each behaviour difference a
  failure, each fixed base finding a pass.
* memhp-diff/1: each difference a failure (a difference is exit 1), or one passing testcase.
* memhp-conform/1: one testcase per trace: ``agree`` passes, ``diverged`` fails, ``error`` is an
  ``<error>``.

Text is cleaned for XML 1.0: a character it forbids (control characters, lone surrogates,
U+FFFE/U+FFFF), and a carriage return (which readers fold into the newline after it), is written
as its escape (``\\x1b``, ``\\r``), never dropped silently and never emitted.
Leaves out: per-testcase timings (the documents hold per-engine times only; the suite carries
them) and the ``<properties>`` element inside a testcase, which the JUnit schema CI servers
read (checker/formats/schemas/junit.xsd) does not allow.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

#: what XML 1.0 allows besides tab and newline (a carriage return is allowed, but a reader
#: turns CR LF into LF: it is written as ``\\r`` so that it survives)
_FORBIDDEN = re.compile("[^\t\n\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: a message attribute stays short enough for a CI server's one-line summary
MESSAGE_LIMIT = 500


def clean(text: object) -> str:
    """``text`` as XML 1.0 can hold it: each forbidden character as its Python escape."""
    s = text if isinstance(text, str) else str(text)
    return _FORBIDDEN.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace")
                          .decode("ascii"), s)


def one_line(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` on one line (newlines as ``\\n``), cut to ``limit`` characters."""
    s = clean(text).replace("\n", "\\n").replace("\t", " ")
    return s if len(s) <= limit else s[: limit - 3] + "..."


def trace_text(data: Any) -> str:
    """A memhp-trace/1 as the terminal shows it (checker.formats.traces), or a note when the
    document holds none or one that does not read."""
    if not data:
        return "(no trace)"
    from checker.formats.traces import Trace
    from spec.errors import MemhpError

    try:
        return Trace.from_json(data).text()
    except (MemhpError, TypeError, ValueError, KeyError, AttributeError):
        return "(a trace that does not read as memhp-trace/1)"


class _Suite:
    """One ``<testsuite>`` being built; counts follow the testcases added."""

    def __init__(self, parent: ET.Element, name: str, seconds: float,
                 properties: dict[str, Any]) -> None:
        self.el = ET.SubElement(parent, "testsuite", name=one_line(name, 10_000))
        self.seconds = seconds
        self.counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        props = ET.SubElement(self.el, "properties")
        for k, v in properties.items():
            ET.SubElement(props, "property", name=one_line(k), value=one_line(v, 10_000))

    def case(self, classname: str, name: str, *, failure: tuple[str, str, str] | None = None,
             error: tuple[str, str, str] | None = None, skipped: str | None = None,
             out: str = "") -> None:
        """A testcase; ``failure`` and ``error`` are (type, message, text)."""
        tc = ET.SubElement(self.el, "testcase", classname=one_line(classname, 10_000),
                           name=one_line(name), time="0")
        self.counts["tests"] += 1
        for tag, what in (("failure", failure), ("error", error)):
            if what is not None:
                kind, message, text = what
                el = ET.SubElement(tc, tag, type=one_line(kind), message=one_line(message))
                el.text = clean(text)
                self.counts["failures" if tag == "failure" else "errors"] += 1
        if skipped is not None:
            ET.SubElement(tc, "skipped", message=one_line(skipped))
            self.counts["skipped"] += 1
        if out:
            ET.SubElement(tc, "system-out").text = clean(out)

    def close(self) -> None:
        for k, v in self.counts.items():
            self.el.set(k, str(v))
        self.el.set("time", f"{max(self.seconds, 0.0):.3f}")


def _seconds(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        return sum(_seconds(v) for v in value.values())
    return 0.0


def _bound(bound: Any) -> str:
    if bound == "complete":
        return "the whole reachable space"
    if bound == "parametric":
        return "any number of blocks, nodes, callbacks and threads"
    if isinstance(bound, int):
        return f"to depth {bound}"
    return f"{bound} (examples x steps)" if "x" in str(bound) else str(bound)


def _finding_text(f: dict[str, Any]) -> str:
    return (f"{f.get('key', '')} ({f.get('status', 'no baseline')})\n"
            f"{f.get('explanation', '')}\n{trace_text(f.get('trace'))}\n")


def _result(root: ET.Element, doc: dict[str, Any]) -> None:
    cmd, profile, world = doc.get("command", "run"), doc.get("profile", "?"), doc.get("world", "?")
    base = doc.get("baseline") or {}
    s = _Suite(root, f"memhp {cmd}: world {world}, profile {profile}", _seconds(doc.get("timings")),
               {"schema": doc.get("schema"), "command": cmd, "profile": profile, "world": world,
                "exit": doc.get("exit"), **{f"counts.{k}": v for k, v in (doc.get("counts") or {}).items()}})
    findings = doc.get("findings") or []
    for inv in doc.get("invariants") or []:
        name, engine, verdict = inv.get("name", "?"), inv.get("engine", "?"), inv.get("verdict")
        cls = f"memhp.{cmd}.{profile}.{world}.{engine}"
        bound = f"{verdict}, {_bound(inv.get('bound'))}"
        note = f"{bound}\n{inv.get('message') or ''}".rstrip() + "\n"
        if verdict == "violated":
            mine = [f for f in findings if f.get("invariant") == name
                    and f.get("engine", "explore") == engine]
            new = [f for f in mine if f.get("status") != "known"]
            known = [f for f in mine if f.get("status") == "known"]
            known_out = "".join("known finding, pinned by the baseline: " + _finding_text(f)
                                for f in known)
            if new:
                causes = ", ".join(str(f.get("cause")) for f in new)
                s.case(cls, name, failure=("violated", f"{len(new)} new finding(s) of {name}: {causes}",
                                           "".join(_finding_text(f) for f in new)),
                       out=known_out)
            elif known:
                s.case(cls, name, out=f"{bound}; every finding is pinned by the baseline\n" + known_out)
            else:  # a violation no finding lists (a parametric path): judged as the exit judges it
                s.case(cls, name, failure=("violated", f"{name} [{inv.get('cause', '')}]: "
                                                       f"{inv.get('message', '')}",
                                           f"{inv.get('message', '')}\n{trace_text(inv.get('trace'))}\n"))
        elif verdict in ("cti", "unknown"):
            s.case(cls, name, error=("inconclusive", f"{name}: {verdict} ({_bound(inv.get('bound'))})",
                                     note + trace_text(inv.get("trace")) + "\n"))
        elif inv.get("twin_reached") is False and inv.get("vacuous"):
            s.case(cls, name, skipped=f"vacuous on this world, as it declares: {inv['vacuous']}",
                   out=note)
        elif inv.get("twin_reached") is False and inv.get("bound") == "complete":
            s.case(cls, name, failure=("vacuous", f"{name}: its sometimes twin was never reached "
                                                  f"in a complete exploration", note))
        else:
            s.case(cls, name, out=note)
    for key in base.get("missing") or []:
        s.case(f"memhp.{cmd}.{profile}.{world}.baseline", key,
               failure=("baseline-missing", f"the baseline pins {key}; this run no longer finds it",
                        "a complete run no longer finds this pinned finding: fixed, or the model "
                        "changed; update the baseline if that is intended\n"))
    for key in base.get("not_checked") or []:
        s.case(f"memhp.{cmd}.{profile}.{world}.baseline", key,
               skipped=f"not checked: the run did not reach the depth of {key}")
    s.close()


def _diff_cases(s: _Suite, doc: dict[str, Any], prefix: str) -> None:
    documented = set(doc.get("documented") or [])
    for d in doc.get("differences") or []:
        tags = [t for t in d.get("tags") or [] if t in documented]
        why = f" (documented: {'; '.join(tags)})" if tags else ""
        text = [f"A ({doc.get('a')}): {d.get('a')}", f"B ({doc.get('b')}): {d.get('b')}",
                f"first at operation {d.get('step')}" if d.get("step") else "at boot"]
        text += [f"also: {x}" for x in d.get("also") or []]
        for side in ("a", "b"):
            if d.get(f"trace_{side}"):
                text.append(f"trace of {side.upper()}:\n{trace_text(d[f'trace_{side}'])}")
        s.case(f"{prefix}.{d.get('aspect', '?')}", d.get("summary", "?"),
               failure=("difference", f"{d.get('summary', '')}{why}", "\n".join(text) + "\n"))


def _diff(root: ET.Element, doc: dict[str, Any]) -> None:
    a, b, world = doc.get("a", "?"), doc.get("b", "?"), doc.get("world", "?")
    s = _Suite(root, f"memhp diff {a} {b}: world {world}", _seconds(doc.get("seconds")),
               {k: doc.get(k) for k in ("schema", "a", "b", "world", "depth", "complete", "pairs",
                                        "runs", "exit")})
    prefix = f"memhp.diff.{a}.{b}.{world}"
    _diff_cases(s, doc, prefix)
    if not doc.get("differences"):
        s.case(prefix, "no difference",
               out=f"{doc.get('pairs')} pairs of states compared, {doc.get('depth')} operations "
                   f"deep{' (complete)' if doc.get('complete') else ''}\n")
    s.close()


def _review(root: ET.Element, doc: dict[str, Any]) -> None:
    impl, against, world = doc.get("impl", "?"), doc.get("against", "?"), doc.get("world", "?")
    s = _Suite(root, f"memhp review {impl} against {against}: world {world}",
               _seconds(doc.get("seconds")),
               {k: doc.get(k) for k in ("schema", "impl", "against", "world", "verdict", "exit",
                                        "depth", "ops")} | {"overrides": ", ".join(doc.get("overrides") or [])})
    prefix = f"memhp.review.{against}.{world}"
    for br in doc.get("broken") or []:
        s.case(f"{prefix}.{br.get('engine', '?')}", br.get("invariant", "?"),
               failure=("broken-promise", f"{br.get('invariant')} [{br.get('cause')}]: "
                                          f"{br.get('message')} ({br.get('bound')})",
                        f"the patch breaks a promise the unmodified {against} keeps\n"
                        f"{br.get('message', '')}\n{trace_text(br.get('trace'))}\n"))
    if not doc.get("broken"):
        s.case(f"{prefix}.explore", "promises",
               out=f"no promise broken to {doc.get('depth')} steps ({doc.get('states', '?')} states)\n")
    for so in doc.get("sooner") or []:
        s.case(f"{prefix}.sooner", f"{so.get('invariant')} [{so.get('cause')}]",
               failure=("sooner", f"a base finding reached in {so.get('steps')} steps, not "
                                  f"{so.get('base_steps')}", "the patch reaches a known finding "
                                                             "in fewer steps than the base\n"))
    lock = str(doc.get("lockstep", ""))
    if lock.startswith(("diverges", "breaks")):
        s.case(f"{prefix}.hypothesis", "lockstep", failure=("lockstep", lock, lock + "\n"))
    elif lock.startswith("agrees"):
        s.case(f"{prefix}.hypothesis", "lockstep", out=lock + "\n")
    else:
        s.case(f"{prefix}.hypothesis", "lockstep", skipped=lock or "not run")
    for fx in doc.get("fixed") or []:
        s.case(f"{prefix}.fixed", f"{fx.get('invariant')} [{fx.get('cause')}]",
               out=f"the unmodified {against} shows this finding; the patch does not\n")
    if isinstance(doc.get("diff"), dict):
        _diff_cases(s, doc["diff"], f"{prefix}.diff")
    s.close()


def _conform(root: ET.Element, doc: dict[str, Any]) -> None:
    profile = doc.get("profile", "?")
    summ = doc.get("summary") or {}
    s = _Suite(root, f"memhp conform: kernel {doc.get('kernel', '?')}, profile {profile}, "
                     f"suite {doc.get('suite', '?')}", _seconds(summ.get("seconds")),
               {"schema": doc.get("schema"), "kernel": doc.get("kernel"), "profile": profile,
                "suite": doc.get("suite"), "machine": doc.get("machine", ""),
                "agreement": summ.get("agreement")})
    for t in doc.get("traces") or []:
        cls = f"memhp.conform.{profile}.{t.get('world', '?')}"
        head = f"{t.get('purpose') or ''}\n{t.get('agreed')}/{t.get('operations')} operations agreed\n"
        if t.get("verdict") == "agree":
            s.case(cls, t.get("trace", "?"), out=head)
        elif t.get("verdict") == "diverged":
            d = t.get("divergence") or {}
            text = [f"operation {d.get('operation')}: {d.get('action')}"]
            text += [f"difference: {x}" for x in d.get("differences") or []]
            text += ["trace up to it:"] + [f"  {x}" for x in d.get("trace_up_to") or []]
            s.case(cls, t.get("trace", "?"),
                   failure=("diverged", f"operation {d.get('operation')} ({d.get('action')}): "
                                        f"{'; '.join(d.get('differences') or [])}",
                            head + "\n".join(text) + "\n"))
        else:
            console = "\n".join(t.get("console") or [])
            s.case(cls, t.get("trace", "?"),
                   error=("guest-error", str(t.get("error", "the guest failed")),
                          head + f"{t.get('error', '')}\n{console}\n"))
    s.close()


def junit_xml(docs: list[dict[str, Any]]) -> str:
    """The JUnit XML of ``docs`` (validated memhp-result/1, memhp-review/1, memhp-diff/1 and
    memhp-conform/1 documents), one testsuite each, as one UTF-8 XML text."""
    root = ET.Element("testsuites", name="memhp")
    writers = {"memhp-result/1": _result, "memhp-review/1": _review, "memhp-diff/1": _diff,
               "memhp-conform/1": _conform}
    for doc in docs:
        writer = writers.get(str(doc.get("schema")))
        if writer is None:
            from spec.errors import MemhpError

            raise MemhpError(f"junit: a document of schema {doc.get('schema')!r}; expected one of "
                             f"{', '.join(writers)}")
        writer(root, doc)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    seconds = 0.0
    for suite in root:
        for k in totals:
            totals[k] += int(suite.get(k, "0"))
        seconds += float(suite.get("time", "0"))
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["clean", "junit_xml", "one_line", "trace_text"]
