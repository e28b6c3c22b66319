"""Lemma certificates: the candidate lemmas of a world and profile, kept as a file.

Models: the candidates :func:`checker.engines.smt.lemmas.mine` reads off the spec's reachable states
are projections, each a decision diagram; on the default world the breadth-first search that
reads them costs about as much as the explorer. A certificate stores the diagrams (format
``memhp-lemmas/1``, one diagram node per line) with the fingerprint of what they were read
from: the world (its full description), the profile and the encoding's fields. ``memhp prove``
uses a certificate whose fingerprint matches and mines afresh otherwise.

A certificate is a set of candidates, never of facts: :func:`checker.engines.smt.lemmas.houdini`
proves every lemma it keeps (initially true, inductive together with the rest), so a stale or
edited certificate can only cost proofs (its lemmas are dropped and the engine mines again),
never produce a wrong one. The shipped certificates (``certificates/<world>-<profile>.json``)
are checked against a fresh mining by the tests and rewritten by ``pytest --regen-golden``.

Leaves out: compression (the default world's certificate is about 180 kB of text), and a
certificate for the default world under v6.1, whose search does not finish in minutes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.engines.smt.encoding import Layout
from checker.engines.smt.lemmas import Projection, candidates
from spec.errors import MemhpError

SCHEMA = "memhp-lemmas/1"
SHIPPED = Path(__file__).resolve().parent / "certificates"


class CertificateError(MemhpError):
    """A certificate file that cannot be read (named, with what to fix)."""


def fingerprint(L: Layout) -> str:
    """What the candidates depend on: the world, the profile and the encoded fields."""
    h = hashlib.sha256()
    h.update(repr(L.world).encode())
    h.update(repr(L.profile).encode())
    h.update(repr(L.names).encode())
    return h.hexdigest()


def shipped(L: Layout, kind: str = "") -> Path:
    """The shipped certificate of the layout's world and profile (``kind``: ``ghosts`` for
    the ghost lemmas of checker.engines.smt.ghost_proof)."""
    return SHIPPED / f"{L.world.name}-{L.profile.name}{'-' + kind if kind else ''}.json"


def dump(L: Layout, cands: list[Projection], nstates: int) -> str:
    """The certificate text of mined candidates."""
    lines = ["{", f'"schema": "{SCHEMA}",', f'"world": {json.dumps(L.world.name)},',
             f'"profile": {json.dumps(L.profile.name)},', f'"fingerprint": "{fingerprint(L)}",',
             f'"states": {nstates},', '"lemmas": [']
    for k, c in enumerate(cands):
        root, nodes = c.diagram()
        lines.append("{" + f'"name": {json.dumps(c.name)}, "rows": {c.nrows}, "root": {root},')
        lines.append(f'"keys": {json.dumps(c.keys)},')
        lines.append('"nodes": [')
        body = [json.dumps([nid, d, [[v, ch] for v, ch in edges]], separators=(",", ":"))
                for nid, (d, edges) in sorted(nodes.items())]
        lines.append(",\n".join(body))
        lines.append("]}" + ("," if k + 1 < len(cands) else ""))
    lines += ["]", "}"]
    return "\n".join(lines) + "\n"


def load(path: Path, L: Layout, make: Callable[[Any], list[Projection]] = candidates
         ) -> tuple[list[Projection], int] | None:
    """The candidates of a certificate and the number of states they were read from; None
    if its fingerprint is not this layout's (read from another world, profile or encoding) or
    its lemmas are not today's candidates.
    A file that is not a certificate raises :class:`CertificateError`."""
    try:
        doc: Any = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CertificateError(f"{path}: not a readable lemma certificate ({e}); "
                               f"delete it or write it again") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise CertificateError(f"{path}: not a {SCHEMA} file; delete it or write it again")
    if doc.get("fingerprint") != fingerprint(L):
        return None
    want = {c.name: c for c in make(L)}
    out = []
    try:
        for lem in doc["lemmas"]:
            c = want.get(lem["name"])
            if c is None or lem["keys"] != c.keys:
                return None  # written for other candidates: stale, not malformed
            nodes = {int(nid): (int(d), tuple((v, int(ch)) for v, ch in edges))
                     for nid, d, edges in lem["nodes"]}
            for nid, (d, edges) in nodes.items():
                if not 0 <= d < len(c.keys) or any(not 0 <= ch < nid or (ch and ch not in nodes)
                                                    for _v, ch in edges):
                    raise ValueError(f"lemma {lem['name']}: node {nid} is malformed")
            root = int(lem["root"])
            if root not in nodes:
                raise ValueError(f"lemma {lem['name']}: no root node {root}")
            c.set_diagram((root, nodes), int(lem["rows"]))
            out.append(c)
        return out, int(doc["states"])
    except (KeyError, TypeError, ValueError) as e:
        raise CertificateError(f"{path}: malformed lemma certificate ({e}); delete it or "
                               f"write it again") from None
