"""A patch that raises outside a step (at boot, in a show method) is one line and exit 2, as one
that raises inside a step is: never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.cli import main

CASES = {
    "boot": ("def memory_dev_init(k):\n    raise KeyError('boom')\n", "while booting: KeyError"),
    "show": ("def state_show(k, mem):\n    return 1 // 0\n",
             "while showing its sysfs files: ZeroDivisionError"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_patch_that_raises_outside_a_step_is_one_line(case: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    body, says = CASES[case]
    patch = tmp_path / f"{case}.py"
    patch.write_text(body)
    code = main(["review", "--impl", str(patch), "--against", "v6.1", "--depth", "2", "--ops", "1",
                 "--budget", "none"])
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert code == 2 and len(err) == 1, err
    assert str(patch) in err[0] and says in err[0] and "Traceback" not in err[0]
