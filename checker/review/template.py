"""``memhp review --template FUNCTION --profile P``: the start of a patch module.

Models: the mirror function ``FUNCTION`` of profile ``P`` as its source, preceded by what a patch
module needs to define it on its own: the mirror module's imports (its top-level ``import`` and
``from`` statements, the ``TYPE_CHECKING`` block included) and an import of every module-level
name of that mirror module the function reads. Saved unchanged, the text is a patch that
``memhp review`` accepts and finds to change nothing (tests/checker/review/test_template.py).

Leaves out: the other functions of the module (a patch defines only what it changes; the mirror
calls the rest through ``k.fn``).
"""

from __future__ import annotations

import ast
import dis
import inspect
import types
from typing import Any

from spec.errors import MemhpError


def _names(code: types.CodeType) -> set[str]:
    """Every global name the code (and the code nested in it) reads (not attribute names)."""
    out = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out |= _names(c)
    return out


def template(function: str, profile: str) -> str:
    from spec.kernel.driver import has_mirror, mirror_functions

    if not has_mirror(profile):
        raise MemhpError(f"--profile {profile}: the kernel mirror renders v3.4 and v6.1 only")
    funcs = mirror_functions(profile)
    f: Any = funcs.get(function)
    if f is None:
        raise MemhpError(f"--template {function}: not a function of the {profile} kernel mirror "
                         f"(e.g. {', '.join(sorted(funcs)[:6])}, ...)")
    mod = inspect.getmodule(f)
    assert mod is not None
    src = inspect.getsource(mod)
    tree = ast.parse(src)
    imports: list[str] = []
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            imports.append(ast.get_source_segment(src, node) or ast.unparse(node))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            # names bound by plain and by tuple assignment (MMOP_OFFLINE, MMOP_ONLINE, ... = 0, 1, ...)
            defined |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    local = sorted((_names(f.__code__) & defined) - {function})
    head = [f'"""A patch of {function} ({mod.__name__}, the {profile} mirror): edit it, then',
            f"memhp review --impl THIS_FILE --against {profile}", '"""', "",
            "from __future__ import annotations", "", *imports]
    if local:
        head.append(f"from {mod.__name__} import {', '.join(local)}")
    return "\n".join(head) + "\n\n\n" + inspect.getsource(f)
