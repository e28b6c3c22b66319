"""The SARIF log (checker.formats.sarif) validates against the OASIS SARIF 2.1.0 schema
(checker/formats/schemas/sarif-schema-2.1.0.json), gates on new findings only, locates each
finding at the ``def`` line of the kernel-mirror function that ran the violating step (the patch
module's own line for a review) and survives hostile text.

The documents come from the real explorer on the default world (v3.4 and v6.1) and from a review
of a patched mirror (tests/checker/formats/test_junit.py builds them)."""

from __future__ import annotations

import copy
import inspect
import json
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from checker.formats.sarif import SRCROOT, mirror_function, sarif_log, source_root
from checker.formats.schemas import validate
from spec.invariants import BY_NAME, INVARIANTS
from tests.checker.formats.hostile import HOSTILE
from tests.checker.formats.test_junit import (
    DROPPED, EXTRA_HOSTILE, PATCH, _poison, conform_doc, review_doc, verify_doc,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def validator() -> Any:
    text = (resources.files("checker.formats") / "schemas" / "sarif-schema-2.1.0.json").read_text()
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def valid(log: dict[str, Any], validator: Any) -> dict[str, Any]:
    """``log`` as a file holds it (strict UTF-8 JSON), read back and validated."""
    text = json.dumps(log, indent=1, ensure_ascii=False)
    back = json.loads(text.encode("utf-8").decode("utf-8"))
    errors = sorted(validator.iter_errors(back), key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]
    return back  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def verify() -> dict[str, Any]:
    return verify_doc()


@pytest.fixture(scope="module")
def verify61() -> dict[str, Any]:
    """The explorer on the default world under v6.1, to 8 steps, no baseline (all new)."""
    from checker.commands.verify import run_verify
    from spec.worlds import builtin_world

    doc = run_verify(builtin_world("default").with_profile("v6.1"), ["explore"], 0, "ci", None,
                     max_depth=8).to_json()
    validate(doc, "memhp-result/1")
    assert doc["findings"]
    return doc


@pytest.fixture(scope="module")
def reviewed() -> dict[str, Any]:
    return review_doc()


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    return log["runs"][0]["results"]  # type: ignore[no-any-return]


def def_at(loc: dict[str, Any]) -> tuple[Path, str]:
    """The file a physical location names (under %SRCROOT%) and the text of its line."""
    phys = loc["physicalLocation"]
    art = phys["artifactLocation"]
    assert art.get("uriBaseId") == SRCROOT and not art["uri"].startswith("/")
    path = source_root() / art["uri"]
    line = path.read_text().splitlines()[phys["region"]["startLine"] - 1]
    return path, line


# --- the log ----------------------------------------------------------------------------------

def test_schema_is_the_oasis_one_and_rejects_a_broken_log(validator) -> None:
    good = sarif_log([])
    valid(good, validator)
    bad = copy.deepcopy(good)
    bad["runs"][0]["results"] = [{"message": {"text": "x"}, "level": "fatal"}]
    assert list(validator.iter_errors(bad))
    bad = copy.deepcopy(good)
    bad["runs"][0]["tool"]["driver"].pop("name")
    assert list(validator.iter_errors(bad))


def test_rules_one_per_invariant_with_its_sentence_and_section() -> None:
    driver = sarif_log([])["runs"][0]["tool"]["driver"]
    assert driver["name"] == "memhp" and driver["version"] == metadata.version("memhp-check")
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(BY_NAME) <= set(rules)
    for inv in INVARIANTS:
        r = rules[inv.name]
        assert r["shortDescription"]["text"] == inv.text
        assert r["fullDescription"]["text"] == inv.quote and inv.quote
        assert f"Documentation/memory-hotplug.txt section {inv.seed_section}" in r["help"]["text"]


@pytest.mark.engine
def test_verify_validates_and_only_new_findings_are_errors(verify, validator) -> None:
    log = valid(sarif_log([verify]), validator)
    res = results(log)
    assert len(res) == len(verify["findings"])
    errors = [r for r in res if r["level"] == "error"]
    assert [r["partialFingerprints"]["memhpFindingKey/v1"] for r in errors] == [DROPPED]
    assert errors[0]["baselineState"] == "new" and errors[0]["ruleId"] == "status_change_nid"
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for r in res:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        if r is not errors[0]:
            assert r["level"] == "note" and r["baselineState"] == "unchanged"
            assert "pinned by the baseline" in r["message"]["text"]


@pytest.mark.engine
@pytest.mark.parametrize("which", ["verify", "verify61"])
def test_each_finding_is_located_at_a_def_line_of_the_mirror(which, request, validator) -> None:
    doc = request.getfixturevalue(which)
    mirror = {"v3.4": "v3_4", "v6.1": "v6_1"}[doc["profile"]]
    for r, f in zip(results(valid(sarif_log([doc]), validator)), doc["findings"]):
        loc = r["locations"][0]
        path, line = def_at(loc)
        name = loc["logicalLocations"][0]["name"]
        assert path.parent == ROOT / "spec" / "kernel" / mirror, path
        assert line.startswith(f"def {name}("), (f["key"], line)
        cause = f["cause"]
        if ":MEM_" in cause:  # the function that sends the cause's event
            event = cause.split(":")[1]
            fn = getattr(__import__(loc["logicalLocations"][0]["fullyQualifiedName"].rsplit(".", 1)[0],
                                    fromlist=["x"]), name)
            assert f"memory_notify(k, {event}," in inspect.getsource(fn), (f["key"], name)


@pytest.mark.engine
def test_the_located_functions_are_the_ones_that_do_it(verify, verify61) -> None:
    def where(doc: dict[str, Any], key_end: str) -> str:
        f = next(f for f in doc["findings"] if f["key"].endswith(key_end))
        return mirror_function(doc["profile"], f["trace"]["steps"], f["cause"], f["invariant"])[1]

    assert where(verify, "status_change_nid/offline:MEM_GOING_OFFLINE") == "offline_pages"
    assert where(verify, "notifier_protocol/online:MEM_ONLINE") == "online_pages"
    assert where(verify, "sysfs_end_phys_index/end_phys_index") == "show_mem_end_phys_index"
    assert where(verify, "sysfs_names/names") == "init_memory_block"
    assert where(verify61, "sysfs_removable/removable") == "removable_show"
    assert where(verify61, "rejected_write/write:ret") == "state_store"
    eject = [{"action": {"kind": "hotadd", "block": 16}, "obs": {"point": "ret", "ret": 0}},
             {"action": {"kind": "hotremove", "block": 16}, "obs": {"point": "ret", "ret": 0}}]
    assert mirror_function("v3.4", eject, "offline:eject", "remove_only_offline")[1] == "remove_memory"
    assert mirror_function("v3.4", eject, "dirs", "sysfs_dirs")[1] == "remove_memory"
    assert mirror_function("v6.1", eject[:1], "dangling", "sysfs_links")[1] == "add_memory_resource"
    # a writer's step after the firmware started a hot-add runs the writer's operation
    mixed = [{"action": {"kind": "write", "thread": "w0", "block": 1, "file": "state", "text": "offline"},
              "obs": {"point": "wait:state_mutex:memory1", "thread": "w0"}},
             {"action": {"kind": "hotadd", "block": 16}, "obs": {"point": "wait:mem_hotplug_mutex", "thread": "fw"}},
             {"action": {"kind": "step", "thread": "w0"}, "obs": {"point": "commit", "thread": "w0"}}]
    assert mirror_function("v3.4", mixed, "state", "state_matches_memory")[1] == "offline_pages"
    assert mirror_function("v3.4", mixed[:2], "state", "state_matches_memory")[1] == "add_memory"
    assert mirror_function("v3.4", [], "names", "sysfs_names")[1] == "init_memory_block"
    assert mirror_function("v3.4", [], "dirs", "sysfs_dirs")[1] == "memory_dev_init"


@pytest.mark.engine
def test_the_trace_is_the_code_flow_one_location_per_step(verify, validator) -> None:
    log = valid(sarif_log([verify]), validator)
    for r, f in zip(results(log), verify["findings"]):
        steps = f["trace"]["steps"]
        flow = r["codeFlows"][0]["threadFlows"][0]["locations"]
        if not steps:  # the machine as booted
            assert len(flow) == 1 and "booted" in flow[0]["location"]["message"]["text"]
            continue
        assert len(flow) == len(steps)
        for i, tfl in enumerate(flow, 1):
            assert tfl["executionOrder"] == i
            assert tfl["location"]["message"]["text"].startswith(f"{i}. ")
            _, line = def_at(tfl["location"])
            assert line.startswith("def ")
        if steps[0]["action"]["kind"] == "write":
            assert flow[0]["location"]["logicalLocations"][0]["name"] == "sysfs_write_file"


# --- review -------------------------------------------------------------------------------------

@pytest.mark.engine
def test_review_locates_the_patch_modules_line(reviewed, validator) -> None:
    log = valid(sarif_log([reviewed]), validator)
    res = results(log)
    assert [r["ruleId"] for r in res] == ["slub_structures"]
    r = res[0]
    assert r["level"] == "error" and r["baselineState"] == "new"
    path, line = def_at(r["locations"][0])
    assert path == ROOT / PATCH
    assert line.startswith("def slab_mem_going_online_callback(")


@pytest.mark.engine
def test_a_lockstep_divergence_is_a_result(reviewed, validator) -> None:
    doc = {**copy.deepcopy(reviewed), "broken": [], "verdict": "changes behaviour",
           "lockstep": "diverges from the v3.4 spec: echo offline returned -EBUSY, the spec 7"}
    validate(doc, "memhp-review/1")
    res = results(valid(sarif_log([doc]), validator))
    assert [r["ruleId"] for r in res] == ["lockstep"]
    _, line = def_at(res[0]["locations"][0])
    assert line.startswith("def slab_mem_going_online_callback(")


def test_diff_and_conform_documents_make_no_results(validator) -> None:
    log = valid(sarif_log([conform_doc()]), validator)
    assert results(log) == []


@pytest.mark.engine
def test_a_finding_of_an_unlisted_invariant_gets_its_own_rule(verify, validator) -> None:
    doc = copy.deepcopy(verify)
    doc["findings"][0]["invariant"] = "from_a_newer_spec"
    log = valid(sarif_log([doc]), validator)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    r = results(log)[0]
    assert r["ruleId"] == "from_a_newer_spec" and rules[r["ruleIndex"]]["id"] == "from_a_newer_spec"


def test_a_document_of_another_schema_is_refused() -> None:
    from spec.errors import MemhpError

    with pytest.raises(MemhpError, match="memhp-trace/1"):
        sarif_log([{"schema": "memhp-trace/1"}])


# --- hostile text -------------------------------------------------------------------------------

@pytest.mark.engine
@pytest.mark.parametrize("text", HOSTILE + EXTRA_HOSTILE,
                         ids=[f"h{i}" for i in range(len(HOSTILE) + len(EXTRA_HOSTILE))])
def test_hostile_text_stays_valid_sarif(verify, reviewed, validator, text) -> None:
    docs = [_poison(verify, text), _poison(reviewed, text)]
    log = valid(sarif_log(docs), validator)
    messages = [r["message"]["text"] for r in results(log)]
    assert len(messages) == len(verify["findings"]) + 1
    lone = [c for c in text if 0xD800 <= ord(c) <= 0xDFFF]  # written as their escapes
    shown = "".join(f"\\u{ord(c):04x}" if c in lone else c for c in text)
    assert shown in messages[-1]  # the broken promise's message, as the review wrote it
