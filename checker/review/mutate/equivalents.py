"""The reviewed equivalent mutants of a profile: ``checker/review/mutate/equivalent-<profile>.toml``.

Models: a TOML table ``[equivalent]`` mapping a mutant id to a one-line reason why the mutant
cannot change what the mirror does (for example: the statement it deletes stores a value no one
reads). A marked mutant is not run and does not count in the score. The file is checked
against the mutants generated for the profile (every module, shared ones included): an id that
names no mutant (a typo, or a mirror file edited since) is an error naming the file and the id,
as is a reason that is not one non-empty line.

Leaves out: reasons for mutants that survive for lack of a world or a check: those are gaps
of the checking, listed as survivors, never marked here.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from checker.review.mutate.generate import MutateError


def default_path(profile: str) -> Path:
    """The packaged file of ``profile`` (it may not exist: no mutant is marked)."""
    return Path(str(resources.files("checker.review.mutate") / f"equivalent-{profile}.toml"))


def check(path: Path, marked: dict[str, str], profile: str, known: set[str]) -> None:
    """Every marked id names a mutant of ``profile``: ``known`` ids (the mutants chosen) first,
    the rest by generating the mutants of the functions those ids name (not the whole mirror)."""
    from checker.review.mutate.generate import mirror_modules, mutants, short_name

    modules = {short_name(m) for m in mirror_modules(profile, True)}
    wanted: dict[str, set[str]] = {}
    for mid in sorted(set(marked) - known):
        module, _, rest = mid.partition(":")
        if module not in modules or not rest:
            raise MutateError(f"{path}: unknown mutant id {mid} (memhp mutate --list shows the ids)")
        wanted.setdefault(module, set()).add(rest.partition(":")[0])
    for module, functions in sorted(wanted.items()):
        try:
            more = {m.id for m in mutants(profile, [module], sorted(functions), shared=True)}
        except MutateError:  # a function the module does not have
            more = {m.id for m in mutants(profile, [module], shared=True)}
        load(path, known | more | {k for k in marked if k.split(":", 1)[0] != module})


def load(path: Path, known: set[str] | None = None) -> dict[str, str]:
    """The marked ids and their reasons; ``known``: every id the profile's generator makes
    (None: not checked). A missing default file is no marks; any other problem is one line."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MutateError(f"{path}: no such equivalents file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MutateError(f"{path}: cannot be read ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise MutateError(f"{path}: not TOML: {e}") from None
    extra = sorted(k for k in data if k != "equivalent")
    if extra:
        raise MutateError(f"{path}: unknown table or key {extra[0]!r} (expected [equivalent])")
    table = data.get("equivalent", {})
    if not isinstance(table, dict):
        raise MutateError(f"{path}: [equivalent] must be a table of id = \"reason\"")
    out: dict[str, str] = {}
    for mid, reason in table.items():
        if not isinstance(reason, str) or not reason.strip() or "\n" in reason:
            raise MutateError(f"{path}: {mid}: the reason must be one non-empty line of text")
        if known is not None and mid not in known:
            raise MutateError(f"{path}: unknown mutant id {mid} (memhp mutate --list shows the ids)")
        out[mid] = reason.strip()
    return out
