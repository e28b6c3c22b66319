"""The layout shows the architecture (docs/design.md section 1): checker/ is grouped by role, and no
module imports itself back through others (package __init__ edges to their own submodules
aside, which Python resolves in order)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
ROLES = {"engines", "formats", "review", "audit", "conform", "commands"}
TOP = {"__init__.py", "model.py", "cli.py"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> nx.DiGraph:
    """Module-level imports between modules of checker/ and spec/: what runs at import time.
    Imports under ``if TYPE_CHECKING`` (annotations only) and inside functions (deferred on
    purpose) are left out."""
    mods = {_module(p): p for pkg in ("checker", "spec") for p in (ROOT / pkg).rglob("*.py")}
    g = nx.DiGraph()
    for name, path in mods.items():
        g.add_node(name)
        for node in ast.parse(path.read_text()).body:
            stmts = [node]
            if isinstance(node, ast.If):
                if ast.unparse(node.test).endswith("TYPE_CHECKING"):
                    continue
                stmts = list(node.body) + list(node.orelse)
            for st in stmts:
                targets: list[str] = []
                if isinstance(st, ast.Import):
                    targets = [a.name for a in st.names]
                elif isinstance(st, ast.ImportFrom) and st.module and st.level == 0:
                    targets = [st.module] + [f"{st.module}.{a.name}" for a in st.names]
                for t in targets:
                    if t in mods and t != name and not name.startswith(t + "."):
                        g.add_edge(name, t)
    return g


def test_checker_is_grouped_by_role() -> None:
    top = ROOT / "checker"
    dirs = {p.name for p in top.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    files = {p.name for p in top.glob("*.py")}
    assert dirs == ROLES, f"checker/ packages {sorted(dirs)} are not the roles {sorted(ROLES)}"
    assert files == TOP, f"modules at the top of checker/ beside the roles: {sorted(files - TOP)}"


def test_no_import_circles() -> None:
    g = _graph()
    assert g.number_of_edges() > 100  # the graph was read
    cycles = sorted(nx.simple_cycles(g), key=len)[:5]
    assert not cycles, f"import circles: {cycles}"


def test_the_circle_check_can_fail() -> None:
    g = _graph()
    g.add_edge("checker.model", "checker.engines.explore")  # explore imports checker.model
    assert list(nx.simple_cycles(g))
