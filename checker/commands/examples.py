"""The examples at the foot of each command's ``--help`` (its epilog).

Each example is a real command line; a test parses every one with memhp's own parser, so an
example cannot name a flag that does not exist.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

EXAMPLES: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType({
    "verify": (
        ("check the default world (v3.4); findings pinned by the baseline exit 0", "memhp verify"),
        ("another world and profile, with the HTML page and CI files",
         "memhp verify --world qemu-2node --profile v6.1 --html reports/html --junit reports/junit.xml"),
        ("the explorer only, bounded to 6 steps", "memhp verify --engines explore --max-depth 6"),
    ),
    "explore": (
        ("shortest counterexamples, one JSON trace per finding",
         "memhp explore --traces traces"),
        ("the v6.1 profile, 8 steps deep", "memhp explore --profile v6.1 --max-depth 8"),
    ),
    "replay": (
        ("replay a finding through the spec, then through the v3.4 kernel mirror",
         "memhp replay traces/node_state_going--offline_MEM_GOING_OFFLINE.json"),
        ("the same trace through a patched mirror",
         "memhp replay traces/node_state_going--offline_MEM_GOING_OFFLINE.json --impl my_patch.py"),
    ),
    "trace": (
        ("a Markdown page with a sequence diagram",
         "memhp trace traces/node_state_going--offline_MEM_GOING_OFFLINE.json --format markdown -o t.md"),
        ("a shell script that replays the trace on a test machine",
         "memhp trace traces/node_state_going--offline_MEM_GOING_OFFLINE.json --format shell -o t.sh"),
    ),
    "audit": (
        ("this machine's sysfs (read only)", "memhp audit"),
        ("a snapshot another machine made", "memhp audit box.tar.gz"),
    ),
    "conform": (
        ("the suite's names, without booting anything", "memhp conform --list"),
        ("the CI subset on Debian's 6.1 kernel under QEMU, as TAP", "memhp conform --short --tap"),
    ),
    "diff": (
        ("what tells 3.4 from 6.1 apart, three operations deep", "memhp diff v3.4 v6.1 --depth 3"),
        ("the report as Markdown", "memhp diff v6.1 v6.17 --markdown diff.md"),
    ),
    "export": (
        ("the model for SPIN", "memhp export promela --world default -o default.pml"),
        ("one invariant as AIGER for ABC",
         "memhp export aiger --world default --invariant node_state -o node_state.aig"),
    ),
    "prove": (
        ("k-induction with the shipped lemmas", "memhp prove"),
        ("bounded model checking to 6 steps first", "memhp prove --bmc-depth 6 --k 1"),
    ),
    "review": (
        ("start a patch from the mirror's function", "memhp review --template online_pages --profile v3.4"),
        ("what the patch breaks and changes", "memhp review --impl my_patch.py --markdown review.md"),
    ),
    "mutate": (
        ("list the mutants of the v6.1 mirror's memory.c", "memhp mutate --profile v6.1 --module memory --list"),
        ("review every tenth of them, two at a time",
         "memhp mutate --profile v6.1 --module memory --every 10 --jobs 2"),
    ),
    "snapshot": (
        ("copy this machine's memory and node sysfs (read only)", "memhp snapshot -o box.tar.gz"),
    ),
    "report": (
        ("the HTML page and CI files of a verify run",
         "memhp report reports/result.json --html reports/html --sarif reports/memhp.sarif"),
    ),
    "invariants": (
        ("every promise with the sentence it checks", "memhp invariants"),
    ),
    "explain": (
        ("what node_state_going means and how kernels break it", "memhp explain node_state_going"),
    ),
    "completion": (
        ("complete memhp's commands and options in bash",
         "memhp completion bash > ~/.local/share/bash-completion/completions/memhp"),
    ),
})


def epilog(command: str) -> str | None:
    """The ``examples:`` block of ``command``'s help, or None."""
    rows = EXAMPLES.get(command)
    if not rows:
        return None
    return "examples:\n" + "\n".join(f"  # {why}\n  {line}" for why, line in rows)


__all__ = ["EXAMPLES", "epilog"]
