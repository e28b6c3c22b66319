"""Every invariant quotes the seed, and every quote is the seed's own words (spec.quotes)."""

from __future__ import annotations

import re
from pathlib import Path

from spec.invariants import INVARIANTS
from spec.quotes import QUOTES

SEED = Path(__file__).resolve().parents[2] / "docs" / "memory-hotplug-3.2-to-3.4.diff"


def _words(text: str) -> str:
    return " ".join(text.split())


def _document_3_4() -> str:
    """The 3.4 text: the diff's context and added lines, without their one-character prefix
    (the file is a web rendering: context lines start with a no-break space)."""
    lines = []
    for line in SEED.read_text().splitlines():
        if line[:1] in (" ", "\xa0", "+") and not line.startswith("+++"):
            lines.append(line[1:])
    return _words("\n".join(lines))


def test_every_invariant_has_a_quote() -> None:
    assert {inv.name for inv in INVARIANTS} == set(QUOTES)
    assert all(inv.quote for inv in INVARIANTS)


def test_every_quote_is_in_the_3_4_document() -> None:
    doc = _document_3_4()
    for name, quote in QUOTES.items():
        for part in quote.split(" ... "):
            assert _words(part) in doc, f"{name}: not in the seed: {part!r}"


def test_a_removed_line_is_not_quotable() -> None:
    """The check reads the 3.4 side only: the 3.2 wording the diff removes does not count."""
    doc = _document_3_4()
    assert "Last Updated: Jul 28 2007" not in doc
    assert _words("'phys_index' : read-only and contains section id, same as XXX.") not in doc
    assert re.search(r"Created: +Jul 28 2007", doc)
