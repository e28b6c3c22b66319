"""Known findings pinned in a baseline (``memhp-baseline/1``) and the comparison with a run.

A run exits 0 when its findings equal the baseline's for its (profile, world), and 1 when a
finding is new or a pinned one has disappeared (design.md section 4). A run that did not explore
completely says "not checked" for entries deeper than it went.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from checker.formats.results import Finding
from spec.errors import MemhpError
from spec.files import read_text_input

SCHEMA = "memhp-baseline/1"


class BaselineError(MemhpError):
    pass


def load_baseline(path: str | Path | None) -> dict[str, Any]:
    """``None``: the baseline shipped with the package."""
    source = "the packaged baseline" if path is None else str(path)
    try:
        if path is None:
            text = (resources.files("checker.review") / "baseline.json").read_text()
        else:
            text = read_text_input(path, "baseline", BaselineError)
    except OSError as e:
        raise BaselineError(f"{source}: cannot read the baseline ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise BaselineError(f"{source}: not valid JSON ({e})") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:  # bad JSON, a huge integer, deep nesting
        raise BaselineError(f"{source}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{source}: not a {SCHEMA} file (expected schema and a findings list)")
    for i, f in enumerate(data["findings"]):
        if not isinstance(f, dict) or not all(isinstance(f.get(k), str) for k in ("profile", "world", "invariant", "cause")):
            raise BaselineError(f"{source}: findings[{i}] needs profile, world, invariant and cause strings")
        if not isinstance(f.get("length", 0), int) or isinstance(f.get("length"), bool):
            raise BaselineError(f"{source}: findings[{i}].length must be an integer (trace steps)")
    return data


def finding_key(profile: str, world: str, invariant: str, cause: str) -> str:
    return f"{profile}/{world}/{invariant}/{cause}"


def compare(findings: list[Finding], baseline: dict[str, Any], profile: str, world: str,
            complete: bool, depth: int) -> dict[str, Any]:
    """Mark each finding new or known; list pinned entries that disappeared or were not checked."""
    pinned = {finding_key(f["profile"], f["world"], f["invariant"], f["cause"]): f
              for f in baseline["findings"] if f["profile"] == profile and f["world"] == world}
    new, missing, unchecked = [], [], []
    for f in findings:
        if f.key in pinned:
            f.status = "known"
        else:
            f.status = "new"
            new.append(f.key)
    seen = {f.key for f in findings}
    for key, entry in pinned.items():
        if key in seen:
            continue
        if complete or int(entry.get("length", 0)) <= depth:
            missing.append(key)
        else:
            unchecked.append(key)
    return {"new": new, "missing": missing, "not_checked": unchecked,
            "pinned": len(pinned), "ok": not new and not missing}


def to_baseline(findings: list[Finding]) -> dict[str, Any]:
    return {"schema": SCHEMA, "findings": [
        {"key": f.key, "profile": f.profile, "world": f.world, "invariant": f.invariant,
         "cause": f.cause, "length": len(f.trace)} for f in sorted(findings, key=lambda f: f.key)]}
