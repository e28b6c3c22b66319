"""python -m checker.engines.mirror_coverage: the branch coverage of the kernel mirror under the
mirror engine's runs, measured in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_report_lists_every_mirror_module_and_what_was_not_reached(tmp_path: Path) -> None:
    out = tmp_path / "cov.md"
    p = subprocess.run([sys.executable, "-m", "checker.engines.mirror_coverage", "--depth", "1",
                        "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "default under v3.4: 1 operations (depth)" in text and "default under v6.1" in text
    for module in ("spec/kernel/v3_4/memory_hotplug.py", "spec/kernel/v6_1/memory_hotplug.py",
                   "spec/kernel/driver.py"):
        assert f"| `{module}` |" in text
    # one operation from boot cannot offline a block: offline_pages' body is listed as not run
    section = text.split("## `spec/kernel/v6_1/memory_hotplug.py`")[1].split("\n## ")[0]
    assert "never runs" in section and "never taken" in section
    # the module's definitions ran under coverage: the records' class bodies are not "missed"
    row = next(x for x in text.splitlines() if x.startswith("| `spec/kernel/structs.py` |"))
    statements, missed = (int(c) for c in row.split("|")[2:4])
    assert statements > 50 and missed <= 5, row
    assert p.stdout.splitlines()[-1] == f"report: {out}"


def test_an_already_imported_mirror_is_refused() -> None:
    from checker.engines.mirror_coverage import measure
    from spec.errors import MemhpError
    import spec.kernel  # noqa: F401  (as in any process that ran the mirror)

    with pytest.raises(MemhpError, match="process of its own"):
        measure(("default",), 1)
