"""`memhp ... | head`: a reader that goes away ends the run quietly, with no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TINY = Path(__file__).resolve().parent / "engines" / "smt" / "worlds" / "tiny.toml"


def test_a_closed_stdout_is_no_traceback() -> None:
    p = subprocess.Popen([sys.executable, "-m", "checker.cli", "explore", "--world", str(TINY),
                          "--max-depth", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # the reader is gone before the first line is written
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
