"""``memhp completion bash|zsh``: a shell completion script, generated from memhp's own parser.

It completes command names, each command's options, the values of options that take a fixed set
(profiles, engines, budgets, formats), built-in world names besides files for ``--world``, and
invariant names for ``memhp explain``; anything else completes file names. zsh gets the same
script through its bash compatibility layer. Leaves out: completing option values read from a
file (a world's block ids, a trace's steps).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from checker.formats.results import EXIT_OK


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("completion", help="print a bash or zsh completion script for memhp")
    p.add_argument("shell", choices=("bash", "zsh"), help="the shell the script is for")
    p.set_defaults(func=run)


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    return {}


def _words(items: Any) -> str:
    return shlex.quote(" ".join(str(i) for i in items))


def bash_script(parser: argparse.ArgumentParser) -> str:
    from spec.invariants import BY_NAME
    from spec.worlds import BUILTIN

    subs = _subparsers(parser)
    top = [*subs, "--help", "--version"]
    values: list[str] = []
    options: list[str] = []
    for name, sp in subs.items():
        opts = []
        for a in sp._actions:
            opts += a.option_strings
            if not a.option_strings or not a.choices and a.dest != "world":
                continue
            choices = list(a.choices) if a.choices else list(BUILTIN)
            for flag in a.option_strings:
                values.append(f"        {shlex.quote(name + ' ' + flag)}) "
                              f"words={_words(choices)}; files={int(a.dest == 'world')};;")
        options.append(f"        {shlex.quote(name)}) words={_words(opts)};;")
    positional = [f"        explain) words={_words(BY_NAME)}; files=0;;"]
    for name, sp in subs.items():
        for a in sp._actions:
            if not a.option_strings and a.choices:
                positional.append(f"        {shlex.quote(name)}) words={_words(a.choices)}; files=0;;")
                break
    return "\n".join([
        "# bash completion for memhp (memhp completion bash)",
        "_memhp() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local cmd="${COMP_WORDS[1]}" words="" files=1',
        "    COMPREPLY=()",
        '    if [ "$COMP_CWORD" -eq 1 ]; then',
        f'        COMPREPLY=($(compgen -W {_words(top)} -- "$cur")); return 0',
        "    fi",
        '    case "$cmd $prev" in',
        *values,
        "        *) words=\"\";;",
        "    esac",
        '    if [ -z "$words" ] && [[ "$cur" == -* ]]; then',
        '        case "$cmd" in',
        *options,
        "        esac",
        "        files=0",
        '    elif [ -z "$words" ]; then',
        '        case "$cmd" in',
        *positional,
        "        esac",
        "    fi",
        '    [ -n "$words" ] && COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        '    [ "$files" = 1 ] && COMPREPLY+=($(compgen -f -- "$cur"))',
        "    return 0",
        "}",
        "complete -o filenames -F _memhp memhp",
        ""])


def run(args: Any) -> int:
    from checker.cli import _parser

    script = bash_script(_parser())
    if args.shell == "zsh":
        script = "autoload -U +X bashcompinit && bashcompinit\n" + script
    print(script, end="")
    return EXIT_OK
