"""Every shell command README.md and docs/*.md show is true of the code (docs/testing.md, "The
docs' commands").

The commands are the lines of the fenced ``sh``, ``bash`` and ``console`` blocks (in ``console``
blocks only the ``$ `` lines, the rest is output), with ``\\`` continuations joined. Each
``memhp`` invocation (each part of an ``&&`` chain) is parsed by the real argument parser, so a
renamed command or flag fails here, and a path into the repository (``tests/...``, ``spec/...``)
must exist. The slow tier also runs each document's commands in order, in a temporary directory
holding copies of the repository files they name, and checks each exit code: 0, or ``N`` where
the line's comment says ``exit N`` or the block is marked ``<!-- docs-test: exit=N -->``.

An HTML comment on the line before a fence marks a block:

- ``<!-- docs-test: setup -->``: the set-up commands (a virtual environment, CI); they must be
  exactly the README's two, and such commands may appear nowhere else;
- ``<!-- docs-test: qemu -->``: needs QEMU/KVM and a kernel download, parsed only;
- ``<!-- docs-test: long REASON -->``: takes minutes, parsed only (the reason is shown);
- ``<!-- docs-test: host -->``: reads this machine's /sys, whose contents vary, parsed only;
- ``<!-- docs-test: exit=N -->``: every command of the block exits N;
- ``<!-- docs-test: file NAME -->``: the block (a TOML world, a job script) is written to NAME for
  the commands after it; the memhp calls of a shell script are parsed, and run when it runs.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: the README's set-up commands: the main job, and the tests as CI runs them
SETUP = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && memhp verify",
    "bash .ci/run",
)
#: what marks a command as a set-up command, wherever it appears
SETUP_LIKE = re.compile(r"(^|&&\s*)(python3? -m venv|pip install|bash \.ci/run|\.ci/run)")
#: the repository's own folders: a command's argument that starts with one must name a file
REPO_DIRS = ("tests/", "spec/", "checker/", "docs/", ".ci/")
SHELL_LANGS = {"sh", "bash", "console", "shell"}
#: documents whose commands are parsed (and their paths checked) but not run, with the reason;
#: every document is run today, marking what cannot run by its blocks
PARSE_ONLY_DOCS: dict[str, str] = {}
PARSE_ONLY = {"qemu", "long", "host"}
MARKERS = {"setup", "qemu", "long", "host", "exit", "file"}
#: programs the run mode may lack; a block is skipped from its first command that needs one
OPTIONAL_TOOLS = ("spin", "gcc", "berkeley-abc", "dot")
TIMEOUT = 300


@dataclass
class Command:
    doc: str
    line: int  # 1-based line of the command's first line in the document
    text: str  # the command, continuations joined, without its comment
    comment: str
    block: "Block"

    @property
    def expect(self) -> int:
        m = re.search(r"\bexit (\d+)\b", self.comment)
        if m:
            return int(m.group(1))
        return self.block.exit

    def segments(self) -> list[list[str]]:
        """The simple commands of the line (the parts between ``&&``, ``||``, ``;`` and ``|``),
        each split as the shell would, with redirections and what they name and leading variable
        assignments (``verify=$?``) left out."""
        lex = shlex.shlex(self.text, posix=True, punctuation_chars="();<>|&")
        lex.whitespace_split = True
        out: list[list[str]] = [[]]
        skip_next = False
        for tok in lex:
            if skip_next:
                skip_next = False
            elif tok in ("&&", "||", ";", "|", "&", "(", ")"):
                out.append([])
            elif tok in (">", ">>", "<", ">&", "2>"):
                skip_next = True
            elif not out[-1] and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", tok):
                continue
            else:
                out[-1].append(tok)
        return [s for s in out if s]

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass
class Block:
    doc: str
    line: int  # the line of the opening fence
    lang: str
    marker: str = ""  # setup, qemu, long, host, exit, file, or ""
    argument: str = ""  # long's reason, exit's code, file's name
    body: str = ""
    commands: list[Command] = field(default_factory=list)

    @property
    def exit(self) -> int:
        return int(self.argument) if self.marker == "exit" else 0

    @property
    def mode(self) -> str:
        if self.marker in PARSE_ONLY or self.marker == "setup":
            return self.marker
        return "run"


_FENCE = re.compile(r"^```(\S*)\s*$")
_MARK = re.compile(r"^<!--\s*docs-test:\s*([a-z]+)(?:\s*[= ]\s*(.*?))?\s*-->\s*$")


def _split_comment(line: str) -> tuple[str, str]:
    """The line before an unquoted ``#`` that starts a word, and the comment after it."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def extract(text: str, doc: str) -> list[Block]:
    """The fenced blocks of a Markdown text, with their markers and shell commands."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        block = Block(doc, i + 1, m.group(1).lower())
        prev = lines[i - 1] if i else ""
        mk = _MARK.match(prev)
        if mk:
            block.marker, block.argument = mk.group(1), (mk.group(2) or "").strip()
        j = i + 1
        body: list[str] = []
        while j < len(lines) and not lines[j].startswith("```"):
            body.append(lines[j])
            j += 1
        block.body = "\n".join(body) + "\n"
        if block.lang in SHELL_LANGS:
            block.commands = _commands(block, body, i + 2)
        blocks.append(block)
        i = j + 1
    return blocks


def _commands(block: Block, body: list[str], first: int) -> list[Command]:
    out: list[Command] = []
    console = block.lang == "console"
    k = 0
    while k < len(body):
        raw, start = body[k], first + k
        k += 1
        if console:
            if not raw.startswith("$ "):
                continue
            raw = raw[2:]
        text, comment = _split_comment(raw)
        if not text.strip():
            continue
        while text.endswith("\\") and k < len(body):
            nxt, c2 = _split_comment(body[k])
            k += 1
            text = text[:-1].rstrip() + " " + nxt.strip()
            comment = comment or c2
        out.append(Command(block.doc, start, text.strip(), comment, block))
    return out


def _blocks(path: Path) -> list[Block]:
    return extract(path.read_text(), str(path.relative_to(ROOT)) if path.is_relative_to(ROOT)
                   else path.name)


def check_block_markers(blocks: list[Block]) -> list[str]:
    problems = []
    for b in blocks:
        where = f"{b.doc}:{b.line}"
        if b.marker and b.marker not in MARKERS:
            problems.append(f"{where}: unknown docs-test marker {b.marker!r}")
        if b.marker == "long" and not b.argument:
            problems.append(f"{where}: a long block says why it is long")
        if b.marker == "exit" and not b.argument.isdigit():
            problems.append(f"{where}: exit=N takes a number")
        if b.marker == "file" and (not b.argument or "/" in b.argument):
            problems.append(f"{where}: file NAME marks a block with a plain file name")
        for c in b.commands:
            if SETUP_LIKE.search(c.text) and b.marker != "setup":
                problems.append(f"{c.where}: a set-up command outside a setup block: {c.text}")
            if b.marker == "setup" and c.text not in SETUP:
                problems.append(f"{c.where}: not one of the README's set-up commands: {c.text}")
    return problems


def _parser():
    from checker.cli import _parser as make

    return make()


def check_parse(commands: list[Command]) -> list[str]:
    """Each memhp invocation parses; each repository path named exists."""
    problems = []
    parser = _parser()
    for c in commands:
        try:
            segments = c.segments()
        except ValueError as e:
            problems.append(f"{c.where}: cannot split {c.text!r}: {e}")
            continue
        for seg in segments:
            for tok in seg:
                if tok.startswith(REPO_DIRS) and not (ROOT / tok).exists():
                    problems.append(f"{c.where}: names {tok}, which the repository lacks")
            if seg[0] != "memhp":
                continue
            err = io.StringIO()
            try:
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                    parser.parse_args(seg[1:])
            except SystemExit as e:
                if e.code not in (0, None):
                    last = err.getvalue().strip().splitlines()[-1:] or [""]
                    problems.append(f"{c.where}: `{shlex.join(seg)}` does not parse: {last[0]}")
    return problems


# --- the unit tier: extraction, markers, parsing -------------------------------------------

def _all_blocks() -> dict[str, list[Block]]:
    return {str(p.relative_to(ROOT)): _blocks(p) for p in DOCS}


@pytest.mark.parametrize("doc", [str(p.relative_to(ROOT)) for p in DOCS])
def test_markers_and_setup(doc: str) -> None:
    problems = check_block_markers(_blocks(ROOT / doc))
    assert not problems, "\n".join(problems)


def test_readme_has_both_setup_commands() -> None:
    shown = [c.text for b in _blocks(ROOT / "README.md") if b.marker == "setup" for c in b.commands]
    assert sorted(shown) == sorted(SETUP), f"README set-up commands: {shown}"


@pytest.mark.parametrize("doc", [str(p.relative_to(ROOT)) for p in DOCS])
def test_memhp_commands_parse(doc: str) -> None:
    commands = [c for b in _blocks(ROOT / doc) for c in b.commands]
    problems = check_parse(commands)
    assert not problems, "\n".join(problems)


def test_docs_show_commands() -> None:
    """The extraction finds what the docs show (a guard against a parser that finds nothing)."""
    blocks = _all_blocks()
    commands = [c for bs in blocks.values() for b in bs for c in b.commands]
    memhp = [c for c in commands if c.text.startswith("memhp ")]
    assert len(memhp) >= 40, len(memhp)
    readme = [c.text for b in blocks["README.md"] for c in b.commands]
    assert "memhp verify --profile v3.4" in readme and "memhp verify --list-worlds" in readme
    # continuations joined, comments and prompts stripped
    assert any(t.startswith("memhp review --impl tests/catalogue/") and t.endswith("review.md")
               for t in readme)
    assert not any(t.startswith("$") or "#" in t for t in readme)


SAMPLE = """\
Text.

```console
$ memhp verify --list-worlds
default      v3.4  ...
$ memhp explore --world default \\
    --max-depth 3   # exit 1
```

<!-- docs-test: long it takes a while -->
```sh
memhp prove --world default --k 1
```

<!-- docs-test: file w.toml -->
```toml
name = "w"
```
"""


def test_extractor_reads_prompts_continuations_comments_markers() -> None:
    blocks = extract(SAMPLE, "sample.md")
    cmds = [c for b in blocks for c in b.commands]
    assert [c.text for c in cmds] == ["memhp verify --list-worlds",
                                      "memhp explore --world default --max-depth 3",
                                      "memhp prove --world default --k 1"]
    assert [c.expect for c in cmds] == [0, 1, 0]
    assert [c.line for c in cmds] == [4, 6, 12]
    assert blocks[1].mode == "long" and blocks[1].argument == "it takes a while"
    assert (blocks[2].marker, blocks[2].argument, blocks[2].body) == ("file", "w.toml", 'name = "w"\n')
    assert check_parse(cmds) == []


def test_a_corrupted_doc_fails() -> None:
    """The checks have teeth: a renamed flag, a renamed command, a missing file and a set-up
    command that is not the README's, each in a copy of a real document, are reported."""
    text = (ROOT / "README.md").read_text()
    assert "memhp explore --max-depth 6 --traces traces" in text
    bad = (text.replace("--max-depth 6 --traces traces", "--max-depth 6 --trace-dir traces")
           .replace("memhp diff v3.4 v6.1", "memhp compare v3.4 v6.1")
           .replace("tests/catalogue/worlds/boot-movable.toml", "tests/catalogue/worlds/gone.toml")
           .replace("bash .ci/run", "bash .ci/run --fast"))
    blocks = extract(bad, "README-copy.md")
    problems = check_parse([c for b in blocks for c in b.commands])
    assert any("--trace-dir" in p and "does not parse" in p for p in problems), problems
    assert any("memhp compare" in p and "does not parse" in p for p in problems), problems
    assert any("gone.toml" in p and "lacks" in p for p in problems), problems
    marks = check_block_markers(blocks)
    assert any("bash .ci/run --fast" in p for p in marks), marks
    good = extract(text, "README.md")
    assert check_parse([c for b in good for c in b.commands]) == []


# --- the slow tier: run them ---------------------------------------------------------------

@dataclass
class Outcome:
    ran: list[tuple[Command, float]] = field(default_factory=list)  # with wall-clock seconds
    cpu: float = 0.0  # CPU seconds of the commands run (user + system), whatever the load
    parsed_only: list[Command] = field(default_factory=list)
    skipped: list[tuple[Command, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _env(tmp: Path) -> dict[str, str]:
    bin_dir = tmp / ".docs-bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "memhp"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m checker.cli "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["CI"] = "1"  # no progress line
    env["MEMHP_CACHE"] = str(tmp / ".memhp-cache")  # nothing of the user's cache is touched
    return env


def _copy_inputs(commands: list[Command], tmp: Path) -> None:
    for c in commands:
        for seg in c.segments():
            for tok in seg:
                src = ROOT / tok
                if tok.startswith(REPO_DIRS) and src.exists() and not (tmp / tok).exists():
                    (tmp / tok).parent.mkdir(parents=True, exist_ok=True)
                    if src.is_dir():
                        shutil.copytree(src, tmp / tok)
                    else:
                        shutil.copy2(src, tmp / tok)


def run_doc(blocks: list[Block], tmp: Path) -> Outcome:
    """Run the run-mode commands of one document in order in ``tmp``."""
    out = Outcome()
    env = _env(tmp)
    for b in blocks:
        if b.marker == "file":
            (tmp / b.argument).write_text(b.body)
            continue
        if b.mode != "run":
            out.parsed_only.extend(b.commands)
            continue
        _copy_inputs(b.commands, tmp)
        missing = ""
        for c in b.commands:
            if not missing:
                tools = [s[0] for s in c.segments() if s[0] in OPTIONAL_TOOLS]
                missing = next((t for t in tools if shutil.which(t, path=env["PATH"]) is None), "")
            if missing:
                out.skipped.append((c, f"{missing} is not installed"))
                continue
            t0, r0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                p = subprocess.run(["bash", "-c", c.text], cwd=tmp, env=env, capture_output=True,
                                   text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                out.problems.append(f"{c.where}: `{c.text}` took over {TIMEOUT} s")
                continue
            out.ran.append((c, time.monotonic() - t0))
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out.cpu += (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            if p.returncode != c.expect:
                tail = "\n    ".join((p.stdout + p.stderr).strip().splitlines()[-8:])
                out.problems.append(f"{c.where}: `{c.text}` exited {p.returncode}, the doc says "
                                    f"{c.expect}\n    {tail}")
    return out


def _under(tmp: Path, root: Path) -> bool:
    try:
        tmp.resolve().relative_to(root)
    except ValueError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("doc", [str(p.relative_to(ROOT)) for p in DOCS])
def test_docs_commands_run(doc: str, tmp_path: Path) -> None:
    assert not _under(tmp_path, ROOT)  # every command's cwd, so what they write goes there
    if doc in PARSE_ONLY_DOCS:
        pytest.skip(f"{doc}: parsed only ({PARSE_ONLY_DOCS[doc]})")
    out = run_doc(_blocks(ROOT / doc), tmp_path)
    took = sum(s for _, s in out.ran)
    print(f"\n{doc}: ran {len(out.ran)} in {took:.1f} s ({out.cpu:.1f} s of CPU), parsed only "
          f"{len(out.parsed_only)}, skipped {len(out.skipped)}")
    for c in out.parsed_only:
        b = c.block
        print(f"  parsed only ({b.marker}{': ' + b.argument if b.argument else ''}): {c.text}")
    for c, why in out.skipped:
        print(f"  skipped ({why}): {c.text}")
    for c, s in sorted(out.ran, key=lambda r: -r[1])[:5]:
        print(f"  {s:5.1f} s  {c.text}")
    assert not out.problems, "\n".join(out.problems)


@pytest.mark.slow
def test_a_wrong_exit_code_fails(tmp_path: Path) -> None:
    """The run mode has teeth: a command documented with the wrong exit code is reported."""
    doc = "```sh\nmemhp verify --list-worlds   # exit 1\nmemhp trace missing.json\n```\n"
    out = run_doc(extract(doc, "wrong.md"), tmp_path)
    assert len(out.ran) == 2
    assert any("exited 0, the doc says 1" in p for p in out.problems), out.problems
    assert any("exited 2, the doc says 0" in p for p in out.problems), out.problems
