"""The JUnit XML (checker.formats.junit) validates against the schema Jenkins reads
(checker/formats/schemas/junit.xsd), judges as the command's exit does (a new finding fails, a
pinned one passes, cti/unknown are errors) and survives hostile text.

The documents come from the real engines on the default world (explore to 10 steps, a review of
a patched mirror) and from the conform fakes; every one validates against its own schema first.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources
from typing import Any

import pytest
import xmlschema

from checker.formats.junit import MESSAGE_LIMIT, clean, junit_xml
from checker.formats.schemas import validate
from tests.checker.formats.hostile import HOSTILE

#: the finding the test baseline leaves out, so the run reports it as new
DROPPED = "v3.4/default/status_change_nid/offline:MEM_GOING_OFFLINE"
PATCH = "tests/mutants/bugs_detected/slub_wrong_nid.py"
EXTRA_HOSTILE = ["]]>", "</failure><testcase name='x'>", "\"'", "a\x0b\x0c\x7fb", "\ufffe\uffff",
                 "x" * 100_000, "line1\nline2\r\n\tline3"]


# --- documents ----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def verify_doc(drop: str | None = DROPPED) -> dict[str, Any]:
    """verify's memhp-result/1: the explorer on the default world to 10 steps, judged by the
    packaged baseline less ``drop`` (made once per test session; tests copy before changing)."""
    from checker.commands.verify import run_verify
    from checker.review.baseline import load_baseline
    from spec.worlds import builtin_world

    base = load_baseline(None)
    base = {**base, "findings": [f for f in base["findings"] if f["key"] != drop]}
    doc = run_verify(builtin_world("default"), ["explore"], 0, "ci", base, max_depth=10).to_json()
    validate(doc, "memhp-result/1")
    return doc


@lru_cache(maxsize=None)
def review_doc() -> dict[str, Any]:
    """review's memhp-review/1 of a patch that breaks slub_structures (7 steps, 1 operation),
    made once per test session; tests copy before changing."""
    from checker.review.engine import load_patch, review
    from checker.review.report import review_json
    from spec.profiles import get_profile
    from spec.worlds import builtin_world

    r = review(PATCH, load_patch(PATCH), get_profile("v3.4"), builtin_world("default"), 7, 1, None)
    doc = review_json(r)
    validate(doc, "memhp-review/1")
    return doc


def conform_doc() -> dict[str, Any]:
    """conform's memhp-conform/1 without QEMU: one trace that agrees, the same trace predicted by
    the wrong profile (diverged), and a guest error."""
    from checker.conform import report
    from checker.conform.run import SuiteRun, TraceResult, run_trace
    from checker.conform.suite import Generator
    from spec.actions import hotadd, write
    from spec.profiles import get_profile
    from spec.worlds import builtin_world
    from tests.checker.conform.fakes import SpecGuest

    w = builtin_world("qemu-2node")
    t = Generator(w).trace([hotadd(32), write("w0", 32, "online_movable"), write("w0", 32, "offline")])
    run = SuiteRun(results=[
        run_trace(SpecGuest(w), "hotadd-online-offline", t, get_profile("v6.1"), "a movable block"),
        run_trace(SpecGuest(w), "hotadd-online-offline", t, get_profile("v3.4"), "the wrong profile"),
        TraceResult("boot-fails", w.name, "error", 3, 0.5, "a guest that dies",
                    error="GuestError: the guest stopped answering", console=["Kernel panic"])])
    doc = report.to_json(run, {"kernel": "6.1.0-test", "profile": "v6.1", "suite": "test"})
    validate(doc, "memhp-conform/1")
    assert [x["verdict"] for x in doc["traces"]] == ["agree", "diverged", "error"]
    return doc


@pytest.fixture(scope="module")
def verify() -> dict[str, Any]:
    return verify_doc()


@pytest.fixture(scope="module")
def reviewed() -> dict[str, Any]:
    return review_doc()


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    with resources.as_file(resources.files("checker.formats") / "schemas" / "junit.xsd") as p:
        return xmlschema.XMLSchema(str(p))


def parsed(text: str, schema: xmlschema.XMLSchema) -> ET.Element:
    """The XML validated against the JUnit schema and parsed; its counts checked against its
    testcases."""
    schema.validate(text)
    root = ET.fromstring(text.encode("utf-8"))
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(len(c.findall("failure")) for c in cases)
        assert int(suite.get("errors", "-1")) == sum(len(c.findall("error")) for c in cases)
    return root


def case(root: ET.Element, classname_end: str, name: str) -> ET.Element:
    found = [c for c in root.iter("testcase")
             if c.get("classname", "").endswith(classname_end) and c.get("name") == name]
    assert len(found) == 1, f"{len(found)} testcases {classname_end} {name}"
    return found[0]


# --- verify: known and new findings ---------------------------------------------------------------

@pytest.mark.engine
def test_verify_validates_and_a_new_finding_is_the_only_failure(verify, schema) -> None:
    assert verify["exit"] == 1 and verify["baseline"]["new"] == [DROPPED]
    root = parsed(junit_xml([verify]), schema)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "memhp verify: world default, profile v3.4"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["command"] == "verify" and props["exit"] == "1"
    new = case(root, "memhp.verify.v3.4.default.explore", "status_change_nid")
    failure = new.find("failure")
    assert failure is not None and failure.get("type") == "violated"
    assert "offline:MEM_GOING_OFFLINE" in (failure.get("message") or "")
    assert "violates status_change_nid [offline:MEM_GOING_OFFLINE]" in (failure.text or "")
    assert "offline_pages() sets status_change_nid" in (failure.text or "")  # the explanation
    # the one new finding is the one failure: the rest of the findings are pinned
    assert [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None] \
        == ["status_change_nid"]
    known = case(root, "explore", "alloc_cancel_offline")
    assert known.find("failure") is None and known.find("error") is None
    out = known.findtext("system-out") or ""
    assert "pinned by the baseline" in out and "violates alloc_cancel_offline" in out
    passed = case(root, "explore", "chain_order")
    assert passed.find("failure") is None and "passed, to depth 10" in (passed.findtext("system-out") or "")


@pytest.mark.engine
def test_with_every_finding_pinned_nothing_fails(schema) -> None:
    doc = verify_doc(drop=None)
    assert doc["exit"] == 0
    root = parsed(junit_xml([doc]), schema)
    assert root.get("failures") == "0" and root.get("errors") == "0"
    # a bounded run: the pinned findings it did not reach are skipped, never passed
    skipped = [c.get("name") for c in root.iter("testcase") if c.find("skipped") is not None]
    assert skipped == doc["baseline"]["not_checked"] and skipped


@pytest.mark.engine
@pytest.mark.parametrize("verdict", ["cti", "unknown"])
def test_inconclusive_is_an_error_never_a_pass(verify, schema, verdict) -> None:
    doc = copy.deepcopy(verify)
    inv = next(i for i in doc["invariants"] if i["name"] == "chain_order")
    inv.update(verdict=verdict, engine="smt", bound=2, message="solver timeout")
    validate(doc, "memhp-result/1")
    root = parsed(junit_xml([doc]), schema)
    c = case(root, "memhp.verify.v3.4.default.smt", "chain_order")
    err = c.find("error")
    assert err is not None and err.get("type") == "inconclusive" and c.find("failure") is None
    assert verdict in (err.get("message") or "")


@pytest.mark.engine
def test_a_missing_baseline_entry_and_a_vacuous_invariant_fail(verify, schema) -> None:
    doc = copy.deepcopy(verify)
    doc["baseline"]["missing"] = ["v3.4/default/sysfs_removable/removable"]
    inv = next(i for i in doc["invariants"] if i["name"] == "chain_order")
    inv.update(bound="complete", twin_reached=False)
    validate(doc, "memhp-result/1")
    root = parsed(junit_xml([doc]), schema)
    gone = case(root, "baseline", "v3.4/default/sysfs_removable/removable").find("failure")
    assert gone is not None and gone.get("type") == "baseline-missing"
    vacuous = case(root, "explore", "chain_order").find("failure")
    assert vacuous is not None and vacuous.get("type") == "vacuous"


# --- review, diff, conform ------------------------------------------------------------------------

@pytest.mark.engine
def test_review_each_broken_promise_fails(reviewed, schema) -> None:
    assert reviewed["verdict"] == "breaks promises"
    root = parsed(junit_xml([reviewed]), schema)
    c = case(root, "memhp.review.v3.4.default.explore", "slub_structures")
    f = c.find("failure")
    assert f is not None and f.get("type") == "broken-promise"
    assert "violates slub_structures [slub]" in (f.text or "")
    lock = case(root, "hypothesis", "lockstep")
    assert lock.find("skipped") is not None  # no Hypothesis budget: not run, not passed


@pytest.mark.engine
def test_diff_each_difference_fails(reviewed, schema) -> None:
    diff = copy.deepcopy(reviewed["diff"])
    validate(diff, "memhp-diff/1")
    if not diff["differences"]:  # one operation deep: make one, shaped as the diff writes it
        diff["differences"] = [{"aspect": "ret", "summary": "echo 'online' > memory*/state returns "
                                "differently", "a": "7", "b": "-EBUSY", "step": 1, "tags": [],
                                "ops": [], "trace_a": None, "trace_b": None}]
        diff["exit"] = 1
        validate(diff, "memhp-diff/1")
    root = parsed(junit_xml([diff]), schema)
    cases = list(root.iter("testcase"))
    assert len(cases) == len(diff["differences"])
    assert all(c.find("failure") is not None for c in cases)
    same = {**diff, "differences": [], "exit": 0}
    root = parsed(junit_xml([same]), schema)
    assert [c.get("name") for c in root.iter("testcase")] == ["no difference"]
    assert root.get("failures") == "0"


def test_conform_one_testcase_per_trace(schema) -> None:
    doc = conform_doc()
    root = parsed(junit_xml([doc]), schema)
    cases = list(root.iter("testcase"))
    assert len(cases) == 3
    assert cases[0].find("failure") is None and cases[0].find("error") is None
    f = cases[1].find("failure")
    assert f is not None and f.get("type") == "diverged" and "difference:" in (f.text or "")
    e = cases[2].find("error")
    assert e is not None and "stopped answering" in (e.get("message") or "")
    assert "Kernel panic" in (e.text or "")


# --- hostile text ---------------------------------------------------------------------------------

def _poison(doc: Any, text: str) -> Any:
    """``doc`` with every free-text field (messages, explanations, summaries, names) holding
    ``text``; keys, enums and trace internals stay as the schema wants them."""
    fields = {"message", "explanation", "summary", "purpose", "error", "impl", "trace", "kernel",
              "suite", "lockstep", "action", "a", "b"}
    if isinstance(doc, dict):
        return {k: (text + v if k in fields and isinstance(v, str) else _poison(v, text))
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [_poison(v, text) for v in doc]
    return doc


@pytest.mark.engine
@pytest.mark.parametrize("text", HOSTILE + EXTRA_HOSTILE,
                         ids=[f"h{i}" for i in range(len(HOSTILE) + len(EXTRA_HOSTILE))])
def test_hostile_text_stays_valid_xml_and_readable(verify, reviewed, schema, text) -> None:
    docs = [_poison(d, text) for d in (verify, reviewed, conform_doc())]
    docs.append(_poison(reviewed["diff"], text))
    xml = junit_xml(docs)
    root = parsed(xml, schema)
    shown = clean(text)
    bodies = [el.text or "" for el in root.iter() if el.tag in ("failure", "error", "system-out")]
    assert any(shown in b for b in bodies), "the hostile text is not shown as written"
    for el in root.iter():
        msg = el.get("message")
        if msg is not None:
            assert "\n" not in msg and "\r" not in msg and len(msg) <= MESSAGE_LIMIT
    assert len(list(root.iter("testsuite"))) == 4


def test_forbidden_characters_are_escaped_not_emitted() -> None:
    assert clean("a\x00b\x1bc\udcff\ufffe") == "a\\x00b\\x1bc\\udcff\\ufffe"
    assert clean("tab\tnew\nline") == "tab\tnew\nline"


def test_a_document_of_another_schema_is_refused() -> None:
    from spec.errors import MemhpError

    with pytest.raises(MemhpError, match="memhp-trace/1"):
        junit_xml([{"schema": "memhp-trace/1"}])
