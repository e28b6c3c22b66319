"""The ``memhp`` command (design.md section 6).

Exit codes for every command: 0 all hold (or the findings equal the baseline), 1 a violation or
a difference, 2 bad usage or input, 3 inconclusive; when several apply, 2 > 3 > 1 > 0.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from checker.commands.common import UsageError
from checker.formats.results import EXIT_OK, EXIT_USAGE
from spec.errors import MemhpError
from spec.profiles import PROFILES
from spec.worlds import BUILTIN

__all__ = ["UsageError", "main"]


def _parser() -> argparse.ArgumentParser:
    from checker.commands.examples import epilog

    p = argparse.ArgumentParser(prog="memhp", description="Model and property checker for Linux memory hotplug",
                                epilog="memhp COMMAND --help shows each command's options and examples; "
                                       "docs/ has the guides.")
    p.add_argument("--version", action="version", version=f"memhp {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--profile", choices=sorted(PROFILES), help="kernel profile (overrides the world's)")
        sp.add_argument("--world", default="default", help=f"a built-in world ({', '.join(BUILTIN)}) or a TOML file")
        sp.add_argument("--json", action="store_true", help="print the result as JSON (memhp-result/1)")

    for mod in _command_modules():
        mod.register(sub, common)
    for name, sp in sub.choices.items():
        sp.epilog = epilog(name)
        sp.formatter_class = argparse.RawDescriptionHelpFormatter
    return p


def _version() -> str:
    """The installed distribution's version (pyproject.toml), or the source tree's marker."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("memhp-check")
    except PackageNotFoundError:
        return "(not installed)"


def _command_modules() -> list[Any]:
    """The subcommands, in the order ``memhp --help`` lists them (checker.commands.COMMANDS):
    each module has ``register(sub, common)``, which adds its parser and sets ``func`` (called
    with the parsed arguments, returns the exit code)."""
    import importlib

    from checker.commands import COMMANDS

    return [importlib.import_module(f"checker.commands.{name}") for name in COMMANDS]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code not in (0, None) else EXIT_OK
    try:
        return int(args.func(args))
    except MemhpError as e:
        from checker.formats.traces import visible

        # one line, whatever the user's input put in it (escape sequences, newlines)
        print(f"memhp: error: {visible(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("memhp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`memhp explore | head`): stop quietly, as a filter does; stdout
        # goes to /dev/null so that the interpreter's own flush at exit does not fail again
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by the pipe


if __name__ == "__main__":
    sys.exit(main())
