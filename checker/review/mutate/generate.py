"""The mutants of a profile's kernel mirror, and each mutant as a patch module.

Models: the mirror modules of a profile (spec/kernel/<v>/*.py, and with ``shared`` the modules
every profile uses: lib, locking, notifier, mm, callbacks), parsed with ``ast``; every
top-level function of them that the driver dispatches (spec.kernel.driver.mirror_functions) is
mutated by each operator of checker.review.mutate.operators. A mutant's id is
``module:function:line:col:operator:index`` (module: the file's name without ``.py``; line and
col: where the mutated node starts in that file; index: which of the operator's replacements at
that node), stable as long as the file is not edited, and the order of the mutants is the
order of their ids' fields.

A mutant is written as a patch module, as a user writes one for ``memhp review``: the mutated
function's source (``ast.unparse``), preceded by ``from __future__ import annotations`` and an
explicit import of every global name the function reads, from the mirror module that defines
the function (private names too), or from spec.actions for an errno the mutation brings in.

Leaves out: mutants of module-level data (tables such as MEMORY_ATTRS) and of the driver.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from dataclasses import dataclass
from pathlib import Path

from checker.review.mutate.operators import Site, apply, sites
from spec.errors import MemhpError

MIRRORED = ("v3.4", "v6.1")


class MutateError(MemhpError):
    """Bad input to ``memhp mutate``: a profile, module or function it cannot mutate, or a
    malformed equivalents file."""


@dataclass(frozen=True)
class Mutant:
    """One mutant: its id, what it changes, and the patch module that renders it."""

    id: str
    module: str
    function: str
    line: int
    col: int
    operator: str
    index: int
    description: str
    source: str

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "module": self.module, "function": self.function,
                "line": self.line, "col": self.col, "operator": self.operator,
                "index": self.index, "description": self.description}


def mirror_modules(profile: str, shared: bool = False) -> list[types.ModuleType]:
    """The mirror modules of ``profile`` (and, with ``shared``, the shared ones), in the order
    the driver loads them."""
    from spec.kernel import driver

    if not driver.has_mirror(profile):
        raise MutateError(f"--profile {profile}: the kernel mirror renders {', '.join(MIRRORED)} "
                          f"only")
    mods = list(driver._VERSIONS[profile].MODULES)
    if shared:
        mods = list(driver._SHARED) + mods
    return mods


def short_name(mod: types.ModuleType) -> str:
    return mod.__name__.rsplit(".", 1)[-1]


def mutants(profile: str, modules: list[str] | None = None, functions: list[str] | None = None,
            shared: bool = False) -> list[Mutant]:
    """Every mutant of ``profile``'s mirror, optionally only of some modules (short names:
    ``memory``, ``memory_hotplug``, ``mm``) and functions; sorted by id fields."""
    from spec.kernel.driver import mirror_functions

    own = {short_name(x) for x in mirror_modules(profile)}  # refuses a profile without a mirror
    dispatched = mirror_functions(profile)
    # naming a shared module (mm, lib, ...) with --module brings the shared modules in
    mods = mirror_modules(profile, shared or any(m not in own for m in modules or ()))
    names = [short_name(m) for m in mods]
    for m in modules or ():
        if m not in names:
            raise MutateError(f"--module {m}: not a {profile} mirror module (one of "
                              f"{', '.join(names)})")
    chosen = [m for m in mods if modules is None or short_name(m) in modules]
    found: set[str] = set()
    out: list[Mutant] = []
    for mod in chosen:
        src = Path(inspect.getfile(mod)).read_text()
        tree = ast.parse(src)
        lines = src.splitlines()
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            f = dispatched.get(node.name)
            if f is None or f.__module__ != mod.__name__:
                continue
            if functions is not None and node.name not in functions:
                continue
            found.add(node.name)
            segment = "\n".join(lines[node.lineno - 1:node.end_lineno])
            for site in sites(node):
                m = _mutant(mod, node.name, _reparse(segment, node.lineno), site)
                if m is not None:
                    out.append(m)
    for fn in functions or ():
        if fn not in found:
            raise MutateError(f"--function {fn}: not a function of the mirror modules chosen "
                              f"({', '.join(short_name(m) for m in chosen)})")
    out.sort(key=lambda m: (m.module, m.function, m.line, m.col, m.operator, m.index))
    return out


def _reparse(segment: str, lineno: int) -> ast.FunctionDef:
    """A fresh tree of a top-level function from its source lines, numbered as in its file
    (parsing again is cheaper than copying the tree)."""
    tree = ast.parse(segment)
    ast.increment_lineno(tree, lineno - 1)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    return func


def _mutant(mod: types.ModuleType, name: str, twin: ast.FunctionDef, site: Site) -> Mutant | None:
    """The mutant ``site`` makes of ``twin`` (a fresh tree of function ``name``), or None."""
    short = short_name(mod)
    mid = f"{short}:{name}:{site.line}:{site.col}:{site.operator}:{site.index}"
    src = patch_source(mod, apply(twin, site), mid, site.description)
    if src is None:
        return None
    return Mutant(mid, short, name, site.line, site.col, site.operator, site.index,
                  site.description, src)


def patch_source(mod: types.ModuleType, func: ast.FunctionDef, mid: str, what: str) -> str | None:
    """The patch module of a (mutated) function of ``mod``: explicit imports, then the function;
    None if the function reads a name that nothing defines (a mutant that would not compile in
    C, such as one that deletes the only assignment of a variable: not generated)."""
    import spec.actions

    scope = vars(mod)
    local: set[str] = set()  # parameters (lambdas' too), assigned and imported names, `as` names
    for n in ast.walk(func):
        if isinstance(n, ast.arg):
            local.add(n.arg)
        elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            local.add(n.id)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            local.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):  # an import inside the function
            local |= {a.asname or a.name.split(".")[0] for a in n.names}
    read = sorted({n.id for n in _body_names(func)} - local - {func.name})
    from_mod = [n for n in read if n in scope]
    from_actions = [n for n in read if n not in scope and hasattr(spec.actions, n)]
    unknown = [n for n in read if n not in scope and n not in from_actions
               and not hasattr(builtins, n)]
    if unknown:  # e.g. the assignment of a variable deleted: would not compile in C
        return None
    lines = [f'"""Mutant {mid} of {mod.__name__}: {what}."""', "",
             "from __future__ import annotations", ""]
    if from_mod:
        lines.append(f"from {mod.__name__} import {', '.join(from_mod)}")
    if from_actions:
        lines.append(f"from spec.actions import {', '.join(from_actions)}")
    return "\n".join(lines) + "\n\n\n" + ast.unparse(func) + "\n"


def _body_names(func: ast.FunctionDef) -> list[ast.Name]:
    """The names the function's code reads (annotations are not run: left out)."""
    from checker.review.mutate.operators import skipped, walk

    skip = skipped(func)
    return [n for n in walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and id(n) not in skip]


def original(profile: str, module: str, function: str) -> str:
    """The unmutated function as a patch module (what a mutant is compared with in tests)."""
    for mod in mirror_modules(profile, True):
        if short_name(mod) == module:
            tree = ast.parse(Path(inspect.getfile(mod)).read_text())
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name == function:
                    src = patch_source(mod, node, f"{module}:{function}:original", "unchanged")
                    assert src is not None, f"{module}.{function} reads an undefined name"
                    return src
    raise MutateError(f"{module}.{function}: not a function of the {profile} mirror")
