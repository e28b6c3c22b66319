"""Audit a live tree, a copied tree or a snapshot archive: the ``memhp-audit/1`` result.

Loads the view (:mod:`checker.audit.source`), picks the profile (``--profile`` or detected from
the files present), refuses a view whose needed files could not be read, runs the pure audit of
:mod:`spec.audit`, and summarises the link graph (:mod:`checker.audit.graph`). Exit: 1 when a
rule is violated, 0 otherwise (notes never fail); bad input raises a MemhpError (exit 2).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from checker.audit.source import load, unreadable
from checker.formats.results import EXIT_OK, EXIT_VIOLATION
from spec.audit import (
    AUDIT_PROFILES, RULES, SECTION_SIZE_X86_64, AuditFinding, AuditInputError, View, audit, block_id,
    detect_profile, node_id,
)
from spec.errors import MemhpError


@dataclass
class AuditReport:
    source: str
    kind: str  # tree, archive or spec
    profile: str
    profile_from: str
    view: View
    findings: list[AuditFinding]
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def violations(self) -> list[AuditFinding]:
        return [f for f in self.findings if f.severity == "violation"]

    @property
    def exit(self) -> int:
        return EXIT_VIOLATION if self.violations else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        broken = {f.rule for f in self.violations}
        return {
            "schema": "memhp-audit/1",
            "source": self.source,
            "kind": self.kind,
            "profile": self.profile,
            "profile_from": self.profile_from,
            "exit": self.exit,
            "counts": self.counts,
            "rules": [{"name": r.name, "invariant": r.invariant, "seed_section": r.seed_section,
                       "text": r.text, "verdict": "violated" if r.name in broken else "passed"}
                      for r in RULES],
            "findings": [{"rule": f.rule, "invariant": f.invariant, "cause": f.cause,
                          "seed_section": f.seed_section, "severity": f.severity,
                          "files": list(f.files), "expected": f.expected, "found": f.found}
                         for f in self.findings],
        }

    def text(self) -> str:
        c = self.counts
        lines = [f"{self.source}: {self.kind}, profile {self.profile} ({self.profile_from}); "
                 f"{c['blocks']} blocks, {c['nodes']} nodes, {c['links']} links"]
        for f in self.findings:
            lines.append(f"  {f.severity.upper():9} {f.line()}  [seed {f.seed_section}]")
        n = len(self.violations)
        lines.append(f"{n} violation{'s' if n != 1 else ''}, "
                     f"{len(self.findings) - n} note{'s' if len(self.findings) - n != 1 else ''} "
                     f"({len(RULES)} rules); exit {self.exit}")
        return "\n".join(lines)


def needed_files(view: View) -> list[str]:
    """The files the audit reads, in the order they are checked."""
    keep = ("phys_index", "end_phys_index", "state", "online", "removable", "valid_zones")
    out = ["memory/block_size_bytes"] + [f"node/{m}" for m in
                                         ("possible", "online", "has_cpu", "has_memory",
                                          "has_normal_memory")]
    out += sorted(k for k in view if k.startswith("memory/") and k.count("/") == 2
                  and block_id(k.split("/")[1]) is not None and k.rsplit("/", 1)[-1] in keep)
    return out


def count_view(view: View) -> dict[str, int]:
    """Blocks and nodes (directories named as the kernel names them), block links, files."""
    parts = [k.rstrip("/").split("/") for k in view]
    blocks = {p[1] for p in parts if p[0] == "memory" and len(p) > 1 and block_id(p[1]) is not None}
    nodes = {p[1] for p in parts if p[0] == "node" and len(p) > 1 and node_id(p[1]) is not None}
    links = sum(1 for k, v in view.items() if isinstance(v, tuple)
                and (k.startswith("memory/memory") or "/memory" in k))
    return {"blocks": len(blocks), "nodes": len(nodes), "links": links, "files": len(view)}


def audit_view(view: View, source: str, kind: str, profile: str | None = None,
               section_size: int = SECTION_SIZE_X86_64) -> AuditReport:
    """Audit ``view``; bad input raises a MemhpError whose message names ``source``."""
    try:
        return _audit_view(view, source, kind, profile, section_size)
    except AuditInputError as e:
        raise AuditInputError(f"{source}: {e}") from None


def _audit_view(view: View, source: str, kind: str, profile: str | None,
                section_size: int) -> AuditReport:
    t0 = time.perf_counter()
    if profile is None:
        profile, why = detect_profile(view)
    else:
        why = "--profile"
    if profile not in AUDIT_PROFILES:
        raise MemhpError(f"unknown profile {profile!r} (expected one of {', '.join(AUDIT_PROFILES)})")
    unreadable(view, needed_files(view), source)
    findings = audit(view, AUDIT_PROFILES[profile], section_size)
    rep = AuditReport(source, kind, profile, why, view, findings)
    rep.counts = count_view(view)
    rep.seconds = time.perf_counter() - t0
    return rep


def audit_source(source: str, profile: str | None = None) -> AuditReport:
    """Load ``source`` (a sysfs root or a snapshot archive) and audit it."""
    view, kind = load(source)
    return audit_view(view, source, kind, profile)


def audit_state(world_arg: str, profile: str | None, trace: str | None) -> AuditReport:
    """Audit the view the spec renders: a world's initial state, or the state a trace ends in
    (replayed through the spec)."""
    from checker.model import SpecModel
    from checker.formats.traces import Trace
    from spec.worlds import resolve_world

    from spec.errors import ActionError, MemhpError, TraceError, WorldError
    from spec.profiles import get_profile

    if trace:
        t = Trace.load(trace)
        w = t.world.with_profile(profile or t.profile)
        source = f"{trace} (the state after its {len(t.steps)} steps)"
    else:
        w = resolve_world(world_arg)
        w = w.with_profile(profile) if profile else w
        source = f"world {w.name} (its initial state)"
    named = trace or world_arg
    try:
        get_profile(w.profile)
    except MemhpError as e:
        raise WorldError(f"{named}: {e}") from None
    model = SpecModel(w)
    s = model.initial()[0]
    for i, step in enumerate(t.steps if trace else (), 1):
        try:
            s, _ = model.step(s, step.action)
        except ActionError as e:
            raise TraceError(f"{trace}: step {i} ({step.action.label()}) is not enabled: {e}") from None
    rep = audit_view(model.view(s), source, "spec", model.profile.name, w.section_size_mib << 20)
    rep.profile_from = "--profile" if profile else "the world's profile"
    return rep
