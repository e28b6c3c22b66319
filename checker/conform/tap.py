"""TAP version 13 of a conformance run (``memhp conform --tap``), as the kernel's selftests print.

One test per trace of the suite, in the suite's order: ``ok N name`` when every operation's real
observation was one the spec predicted, ``not ok N name`` when one was not (diverged) or the guest
failed (error: never agreement). Diagnostics follow a test as ``# `` lines: the purpose, the
operation that diverged, each difference and the trace up to it, or the guest's error and the end
of its console. A suite of no traces is ``1..0 # SKIP`` with the reason.

Every name and message is one line: a newline, a carriage return or any other unprintable
character is written as its Python escape (``\\n``), a backslash as ``\\\\`` and a
``#`` in a test name as ``\\#``, so no text can end a line, open a directive (``# SKIP``, ``# TODO``)
or forge a test line. Leaves out: YAML diagnostic blocks (the selftests use ``#`` lines) and timing.
"""

from __future__ import annotations

from typing import Any

#: console lines shown after a guest error (the JSON report keeps 80)
CONSOLE_LINES = 20


def _visible(text: object) -> str:
    s = text if isinstance(text, str) else str(text)
    s = s.replace("\\", "\\\\")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace")
                   .decode("ascii") for ch in s)


def tap_name(text: object) -> str:
    """A test name TAP reads back as written: one line, ``#`` escaped."""
    return _visible(text).replace("#", "\\#") or "(unnamed)"


def diagnostic(text: object) -> str:
    """One ``# `` line of diagnostics."""
    return f"# {_visible(text)}".rstrip()


def tap(doc: dict[str, Any]) -> str:
    """The TAP text of a memhp-conform/1 document (checker.conform.report.to_json)."""
    traces = doc.get("traces") or []
    lines = ["TAP version 13"]
    lines.append(diagnostic(f"memhp conform: kernel {doc.get('kernel', '?')}, predictions from "
                            f"the {doc.get('profile', '?')} spec, suite {doc.get('suite', '?')}"))
    if not traces:
        lines.append("1..0 # SKIP no traces in the suite")
        return "\n".join(lines) + "\n"
    lines.append(f"1..{len(traces)}")
    for n, t in enumerate(traces, 1):
        verdict = t.get("verdict")
        name = tap_name(f"{t.get('world', '?')}: {t.get('trace', '?')}")
        lines.append(f"{'ok' if verdict == 'agree' else 'not ok'} {n} {name}")
        if t.get("purpose"):
            lines.append(diagnostic(f"purpose: {t['purpose']}"))
        lines.append(diagnostic(f"{t.get('agreed', 0)}/{t.get('operations', 0)} operations agreed"))
        if verdict == "diverged":
            d = t.get("divergence") or {}
            lines.append(diagnostic(f"diverged at operation {d.get('operation')}: {d.get('action')}"))
            lines += [diagnostic(f"difference: {x}") for x in d.get("differences") or []]
            lines += [diagnostic(f"trace: {x}") for x in d.get("trace_up_to") or []]
        elif verdict != "agree":
            lines.append(diagnostic(f"error: {t.get('error', 'the guest failed')}"))
            lines += [diagnostic(f"console: {x}") for x in (t.get("console") or [])[-CONSOLE_LINES:]]
        if t.get("first_attempt"):
            lines.append(diagnostic(f"ran again on a fresh boot after: "
                                    f"{(t['first_attempt'] or {}).get('error', 'a guest failure')}"))
    s = doc.get("summary") or {}
    lines.append(diagnostic(f"agreement {s.get('agreement', '?')} ({s.get('diverged', 0)} diverged, "
                            f"{s.get('error', 0)} errors)"))
    return "\n".join(lines) + "\n"


__all__ = ["diagnostic", "tap", "tap_name"]
