"""The HTML report (checker.formats.html), without a browser: the page of every kind of document,
its structure, the per-step states its viewer shows (checked against the spec replayed
independently), the alignment of diff traces, and hostile text in every field staying text.
The browser test (test_html_browser.py) drives the same pages in Chromium. Tests that read the
documents of an explorer run and a diff (about two seconds, once per module) are in the
``engine`` tier; the quoting tests are unit tests."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from checker.formats.html import asset, html_page
from checker.formats.html.quote import script_json, text
from checker.formats.html.viewer import FUNCTIONS, sysfs_entries
from checker.formats.schemas import validate
from checker.formats.states import spec_states
from checker.formats.steps import visible
from checker.formats.traces import Trace
from spec.actions import STATE_TEXT
from spec.profiles import get_profile
from spec.sysfs import render

#: what a hostile document puts in every string field it can
EVIL = ('</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
        "<svg onload=alert(3)>'\"&amp;\x00\x1b[31m\n\u2028\u2029\u202e]]>-->")

# --- documents from real runs ------------------------------------------------------------------


def verify_doc() -> dict[str, Any]:
    """memhp-result/1 of verify on the default world, explored to depth 10 (about a second):
    eight findings, traces of 0 to 10 steps."""
    from checker.commands.verify import run_verify
    from spec.worlds import builtin_world

    doc = run_verify(builtin_world("default"), ["explore"], 0, "dev", None, 10).to_json()
    validate(doc, "memhp-result/1", "verify")
    return doc  # type: ignore[no-any-return]


def diff_doc() -> dict[str, Any]:
    """memhp-diff/1 of v3.4 against v6.1 on the default world, two operations deep."""
    from checker.model import SpecModel
    from checker.review.diff import diff_models
    from checker.review.report import diff_json
    from spec.worlds import builtin_world

    w = builtin_world("default")
    r = diff_models(SpecModel(w, get_profile("v3.4")), SpecModel(w, get_profile("v6.1")), 2)
    doc = diff_json(r, 1)
    validate(doc, "memhp-diff/1", "diff")
    return doc  # type: ignore[no-any-return]


def mirror_trace(trace: dict[str, Any], at: int) -> dict[str, Any]:
    """``trace`` as a patched kernel mirror might have shown it: from step ``at`` (1-based)
    on, another point than the spec's."""
    t = copy.deepcopy(trace)
    t["steps"][at - 1]["obs"]["point"] = "unlock:mem_hotplug_mutex"
    return t


def review_doc(verify: dict[str, Any], diff: dict[str, Any]) -> dict[str, Any]:
    f = next(x for x in verify["findings"] if len(x["trace"]["steps"]) >= 6)
    doc = {"schema": "memhp-review/1", "impl": "patch.py", "against": "v3.4", "world": "default",
           "verdict": "breaks promises", "exit": 1, "depth": 8, "ops": 3,
           "overrides": ["offline_pages"], "states": 10,
           "broken": [{"invariant": f["invariant"], "cause": "offline:ret", "message": "never closed",
                       "engine": "explore", "bound": "steps:8", "trace": mirror_trace(f["trace"], 4)}],
           "fixed": [{"invariant": "alloc_cancel_offline", "cause": "offline:MEM_CANCEL_OFFLINE"}],
           "lockstep": "agrees", "sooner": [], "seconds": {"explore": 1.0}, "diff": diff}
    validate(doc, "memhp-review/1", "review")
    return doc


def conform_doc() -> dict[str, Any]:
    doc = {"schema": "memhp-conform/1", "kernel": "6.1.0-test", "profile": "v6.1", "suite": "short",
           "summary": {"traces": 2, "agree": 1, "diverged": 1, "error": 0, "agreement": "1/2"},
           "traces": [{"trace": "a.json", "world": "qemu-2node", "verdict": "agree", "operations": 3,
                       "agreed": 3},
                      {"trace": "b.json", "world": "qemu-2node", "verdict": "diverged", "operations": 3,
                       "agreed": 1, "divergence": {"operation": 2, "action": "echo offline",
                                                   "differences": ["ret: -16 vs 0"],
                                                   "trace_up_to": ["echo online > memory8/state"]}}]}
    validate(doc, "memhp-conform/1", "conform")
    return doc


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    v, d = verify_doc(), diff_doc()
    return {"verify": v, "diff": d, "review": review_doc(v, d), "conform": conform_doc()}


# --- reading the page back ---------------------------------------------------------------------

class Page(HTMLParser):
    """Every element of a page (tag, attributes), the text of its scripts, and its text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: tuple[str, dict[str, str | None]] | None = None
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = (tag, dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in and self._in[0] == "script":
            self.scripts.append((self._in[1], data))
        elif self._in and self._in[0] == "style":
            self.styles.append(data)
        else:
            self.text.append(data)

    def data(self) -> dict[str, Any]:
        [(_, raw)] = [(a, s) for a, s in self.scripts if a.get("type") == "application/json"]
        return json.loads(raw)  # type: ignore[no-any-return]


#: every element and attribute the page's own markup uses (the script adds more, from data,
#: with createElement and textContent only)
TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "nav", "a", "div", "main",
        "section", "h2", "h3", "h4", "b", "span", "ul", "li", "table", "tr", "th", "td", "code",
        "q", "p", "details", "summary", "ol", "br", "script"}
ATTRS = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "open",
         "data-trace", "tabindex", "colspan", "type"}


def check_structure(source: str) -> Page:
    p = Page(source)
    assert {t for t, _ in p.tags} <= TAGS, {t for t, _ in p.tags} - TAGS
    for tag, attrs in p.tags:
        assert set(attrs) <= ATTRS, (tag, attrs)
        if "href" in attrs:
            assert re.fullmatch(r"#[a-z]+[0-9]+", attrs["href"] or ""), attrs
    scripts = [a for t, a in p.tags if t == "script"]
    assert scripts == [{"type": "application/json", "id": "memhp-data"}, {}]
    assert [s for _, s in p.scripts][1] == asset("viewer.js")
    assert len([t for t, _ in p.tags if t == "style"]) == 1
    data = p.data()
    viewers = [int(a["data-trace"] or -1) for t, a in p.tags if "data-trace" in a]
    assert sorted(viewers) == list(range(len(data["traces"])))
    return p


@pytest.mark.engine
def test_every_kind_of_document(docs: dict[str, dict[str, Any]]) -> None:
    page = html_page(list(docs.values()))
    p = check_structure(page)
    shown = " ".join(p.text)
    for heading in ("memhp verify: profile v3.4, world default", "memhp review: patch.py against v3.4",
                    "memhp diff: v3.4 vs v6.1, world default", "memhp conform: kernel 6.1.0-test"):
        assert heading in shown, heading
    # the header: exit code and what it means, state-space figures
    v = docs["verify"]
    assert "a violation or a difference" in shown
    assert f"{v['counts']['states']:,}" in shown and f"{v['counts']['transitions']:,}" in shown
    # invariants with the sentence they check and the section
    from spec.invariants import BY_NAME

    inv = BY_NAME["alloc_cancel_offline"]
    assert f"memory-hotplug.txt section {inv.seed_section}" in shown
    assert inv.text in shown
    quote = getattr(inv, "quote", None)
    if quote:
        assert visible(quote) in shown
    # every finding with its explanation and a viewer (or "same trace as")
    joined = "".join(p.text)  # a name in backticks is a <code> element of its own
    for f in v["findings"]:
        assert f["key"] in shown and visible(f["explanation"]).replace("`", "") in joined


@pytest.mark.engine
def test_offline_and_pinned_by_hash(docs: dict[str, dict[str, Any]]) -> None:
    page = html_page([docs["verify"]])
    assert not re.search(r"(?i)\b(src|href)\s*=\s*[\"']?(https?:|//)", page)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    for name in ("report.css", "viewer.js"):
        digest = base64.b64encode(hashlib.sha256(asset(name).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp.group(1)
    assert "default-src 'none'" in csp.group(1)


@pytest.mark.engine
def test_same_trace_is_one_story(docs: dict[str, dict[str, Any]]) -> None:
    v = copy.deepcopy(docs["verify"])
    twin = copy.deepcopy(v["findings"][0])
    twin["invariant"], twin["key"] = "node_state", twin["key"] + "-twin"
    v["findings"].append(twin)
    page = html_page([v])
    p = check_structure(page)
    joined = "".join(p.text)
    assert f"same trace as finding {v['findings'][0]['key']}" in joined
    assert f"one story: this trace also shows {twin['key']}" in joined
    assert len(p.data()["traces"]) == len({json.dumps(f["trace"], sort_keys=True) for f in v["findings"]})


@pytest.mark.engine
def test_each_step_shows_the_spec_state(docs: dict[str, dict[str, Any]]) -> None:
    """Blocks, nodes and the sysfs tree at every step of every trace are those of the spec
    replayed on its own (checker.formats.states.spec_states, spec.sysfs.render)."""
    v = docs["verify"]
    data = Page(html_page([v])).data()
    checked = 0
    traces = {json.dumps(f["trace"], sort_keys=True): f["trace"] for f in v["findings"]}
    assert len(data["traces"]) == len(traces)
    for shown, raw in zip(data["traces"], traces.values()):
        t = Trace.from_json(raw)
        states = spec_states(t)
        assert len(shown["steps"]) == len(states) == len(t.steps) + 1
        assert shown["replay"] == {"upto": len(t.steps), "why": ""}
        view: dict[str, str] = {}
        profile = get_profile(t.profile)
        for k, (step, s) in enumerate(zip(shown["steps"], states)):
            m = s.machine
            assert [b["state"] for b in step["state"]["blocks"]] == [STATE_TEXT[b.state] for b in m.blocks]
            assert [b["alloc"] for b in step["state"]["blocks"]] == \
                [b.present and b.pages == "online" for b in m.blocks]
            assert [n["present"] for n in step["state"]["nodes"]] == [n.present_pages for n in m.nodes]
            assert [n["flags"] for n in step["state"]["nodes"]] == \
                [[f in n.flags for f in profile.node_flags] for n in m.nodes]
            for path, val in step["sysfs"].items():
                if val is None:
                    view.pop(path)
                else:
                    view[path] = val
            assert view == sysfs_entries(render(t.world, profile, m)), k
            if k:
                assert step["calls"] == [
                    {"event": c.event, "callback": c.callback, "start_pfn": c.start_pfn,
                     "nr_pages": c.nr_pages, "nid": c.status_change_nid,
                     "nid_normal": c.status_change_nid_normal, "ret": step["calls"][j]["ret"],
                     "alloc": c.allocatable} for j, c in enumerate(t.steps[k - 1].obs.calls)]
                assert step["fn"]
            checked += 1
        assert shown["violation"]["invariant"] == t.invariant
    assert checked > 40


@pytest.mark.engine
def test_a_mirror_trace_shows_its_observations(docs: dict[str, dict[str, Any]]) -> None:
    r = docs["review"]
    data = Page(html_page([r])).data()
    raw = r["broken"][0]["trace"]
    shown = data["traces"][0]
    assert shown["replay"]["upto"] == 3 and "from step 4 on" in shown["replay"]["why"]
    assert all(s.get("state") for s in shown["steps"][:4])
    assert not any(s.get("state") for s in shown["steps"][4:])
    assert [s["point"] for s in shown["steps"][1:]] == [st["obs"]["point"] for st in raw["steps"]]


@pytest.mark.engine
def test_diff_traces_are_aligned(docs: dict[str, dict[str, Any]]) -> None:
    d = docs["diff"]
    page = html_page([d])
    p = check_structure(page)
    parts = page.count('<td class="part">')
    with_traces = [x for x in d["differences"] if x["trace_a"] and x["trace_b"]]
    assert with_traces
    # each side's parting step marked (number and text cells) in every aligned table
    assert parts == 4 * sum(1 for x in with_traces if 0 < x["part_a"] <= len(x["trace_a"]["steps"])
                            and 0 < x["part_b"] <= len(x["trace_b"]["steps"]))
    assert "parts here" in " ".join(p.text)


def test_the_function_of_every_spec_step() -> None:
    from spec.steps import Steps

    pcs = set(Steps.pcs()) - {"wait", "chain", "off_finish"}
    assert pcs <= set(FUNCTIONS), pcs - set(FUNCTIONS)


# --- hostile documents -------------------------------------------------------------------------

def hostile_trace(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with EVIL in every string a trace may hold and still replay: a callback's name
    (world and calls), the world's name and description, the violation."""
    t = copy.deepcopy(raw)
    cb = t["world"]["callbacks"][0]
    old, cb["name"] = cb["name"], EVIL
    for st in t["steps"]:
        for c in st["obs"].get("calls", []):
            if c["callback"] == old:
                c["callback"] = EVIL
    t["world"]["name"] = EVIL
    t["world"]["description"] = EVIL
    t["violation"] = {"invariant": EVIL, "cause": EVIL, "message": EVIL}
    return t


def hostile_docs(docs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    v = copy.deepcopy(docs["verify"])
    v.update(world=EVIL, profile=EVIL, notes=[EVIL], timings={EVIL: 1.0})
    for inv in v["invariants"][:3]:
        inv.update(name=EVIL, message=EVIL, seed_section=EVIL, bound=EVIL)
    for f in v["findings"]:
        f.update(key=EVIL, invariant=EVIL, cause=EVIL, explanation=EVIL + "`<i>x</i>` `" + EVIL + "`")
        if f["trace"]["steps"]:
            f["trace"] = hostile_trace(f["trace"])
    bad_profile = copy.deepcopy(v["findings"][0]["trace"])
    bad_profile["profile"] = EVIL
    v["findings"][0]["trace"] = bad_profile
    r = copy.deepcopy(docs["review"])
    r.update(impl=EVIL, world=EVIL, lockstep=EVIL, overrides=[EVIL])
    r["broken"][0].update(message=EVIL, cause=EVIL, trace=hostile_trace(r["broken"][0]["trace"]))
    d = r["diff"]
    d.update(a=EVIL, documented=[EVIL])
    for x in d["differences"][:6]:
        x.update(summary=EVIL, a=EVIL, b=EVIL, tags=[EVIL], also=[EVIL])
    c = conform_doc()
    c.update(kernel=EVIL, machine=EVIL)
    c["traces"][1]["divergence"].update(action=EVIL, differences=[EVIL], trace_up_to=[EVIL])
    return [v, r, c]


@pytest.mark.engine
def test_hostile_text_stays_text(docs: dict[str, dict[str, Any]]) -> None:
    page = html_page(hostile_docs(docs))
    p = check_structure(page)
    # the data cannot end its script element or start markup
    raw = [s for a, s in p.scripts if a.get("type") == "application/json"][0]
    assert not re.search(r"[<>&\u2028\u2029]", raw)
    data = p.data()
    names = [lane for t in data["traces"] for lane in t["lanes"]]
    assert f"{visible(EVIL)} (priority 0)" in names
    assert any(t["replay"]["upto"] == -1 and "not one the spec models" in t["replay"]["why"]
               for t in data["traces"])
    # shown as written (on one line), never as markup
    assert visible(EVIL) in " ".join(p.text)
    assert "\x00" not in page and "\x1b" not in page and "\u2028" not in page


def test_the_script_writes_no_markup() -> None:
    """The page's script builds elements and sets text and attributes; it never parses HTML
    or code from strings."""
    js = asset("viewer.js")
    for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                   "Function(", "setTimeout(", "setInterval(", "srcdoc", "javascript:"):
        assert banned not in js, banned
    assert "textContent" in js and "JSON.parse" in js


def test_quoting_helpers() -> None:
    assert text('<a href="x">\n') == "&lt;a href=&quot;x&quot;&gt;\\n"
    s = script_json({"k": "</script>&\u2028"})
    assert "<" not in s and "&" not in s and json.loads(s) == {"k": "</script>&\\u2028"}


def test_a_vacuous_verdict_says_so_beside_it() -> None:
    from checker.formats.html import html_page
    from checker.formats.results import InvariantResult, RunResult

    r = RunResult("verify", "v6.1", "qemu-2node")
    r.counts = {"states": 1, "transitions": 0, "depth": 0}
    r.invariants = [InvariantResult("chain_order", "8", "explore", "passed", "complete",
                                    twin_reached=False, vacuous="one callback <b>only</b>"),
                    InvariantResult("node_state", "8", "explore", "passed", "complete",
                                    twin_reached=False),
                    InvariantResult("sysfs_links", "4", "explore", "passed", "complete",
                                    twin_reached=True)]
    page = html_page([r.to_json()])
    assert "vacuous, as the world declares: one callback &lt;b&gt;only&lt;/b&gt;" in page
    assert "vacuous: the premise (sometimes twin) was never reached" in page
    assert page.count('class="vmsg vacuous"') == 2
