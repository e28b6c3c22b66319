"""The HTML report in a real browser: Debian's Chromium, driven by selenium (nothing downloads a
browser). A page made by ``memhp report --html`` from a real verify run is stepped through with
the keyboard; at every step the state panel must show what the spec's state at that step says
(each block's state, the sysfs entries that changed), and the violating step must be marked.
A page of hostile documents must run nothing and add no element. The screenshot script that
makes docs/img/report-*.png runs too.

Skipped when /usr/bin/chromium or /usr/bin/chromedriver (or selenium) is missing, unless
MEMHP_REQUIRE_BROWSER=1 (CI), where that fails."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from checker.cli import main
from checker.formats.html import html_page
from checker.formats.html.screenshot import browser_paths, chrome, open_trace, press
from checker.formats.html.viewer import sysfs_entries
from checker.formats.states import spec_states
from checker.formats.steps import visible
from checker.formats.traces import Trace
from spec.actions import STATE_TEXT
from spec.errors import MemhpError
from spec.profiles import get_profile
from spec.sysfs import render
from tests.checker.formats.test_html import EVIL, conform_doc, diff_doc, hostile_docs, review_doc, verify_doc

pytestmark = pytest.mark.engine


def _need_browser() -> None:
    try:
        browser_paths()
        if importlib.util.find_spec("selenium") is None:
            raise ImportError("selenium is not installed (pip install -e '.[test]')")
    except (MemhpError, ImportError) as e:
        if os.environ.get("MEMHP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MEMHP_REQUIRE_BROWSER=1 but the browser test cannot run: {e}")
        pytest.skip(f"no browser: {e}")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _need_browser()
    drv = chrome(tmp_path_factory.mktemp("chromium-profile"), 1500, 1000)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The page of a verify run (default world, explored to depth 10), written by memhp report."""
    d = tmp_path_factory.mktemp("report")
    doc = verify_doc()
    (d / "result.json").write_text(json.dumps(doc))
    assert main(["report", str(d / "result.json"), "--html", str(d / "html")]) == 0
    return d / "html" / "index.html", doc


_PANEL = """
const v = arguments[0], out = {};
out.pos = v.querySelector('.pos').textContent;
out.step = v.getAttribute('data-step');
out.blocks = {};
v.querySelectorAll('td.bstate').forEach(td => { out.blocks[td.getAttribute('data-block')] = td.textContent; });
out.changed = Array.from(v.querySelectorAll('ul.sysfs li.chg .path, ul.sysfs li.removed .path')).map(e => e.textContent);
const rows = Array.from(v.querySelectorAll('.seqsvg rect.rowbg'));
out.selected = rows.map((r, i) => r.classList.contains('sel') ? i : -1).filter(i => i >= 0);
out.violRows = rows.map((r, i) => r.classList.contains('viol') ? i : -1).filter(i => i >= 0);
out.violates = Array.from(v.querySelectorAll('.panel .violates')).map(e => e.textContent);
out.fn = Array.from(v.querySelectorAll('.panel dd.fn')).map(e => e.textContent);
out.calls = v.querySelectorAll('.panel table.calls tr').length;
return out;
"""


def _expected(t: Trace) -> list[dict[str, Any]]:
    """For each step: every block's state and the sysfs paths that changed, from the spec."""
    profile = get_profile(t.profile)
    out, prev = [], None
    for s in spec_states(t):
        view = sysfs_entries(render(t.world, profile, s.machine))
        blocks = {f"memory{spec.id}": STATE_TEXT[b.state] for spec, b in zip(t.world.blocks, s.machine.blocks)}
        changed = set() if prev is None else {p for p in set(view) | set(prev) if view.get(p) != prev.get(p)}
        out.append({"blocks": blocks, "changed": changed})
        prev = view
    return out


def test_step_through_a_finding(driver: Any, report: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page, doc = report
    t0 = time.monotonic()
    driver.get(page.as_uri())
    data = json.loads(driver.find_element(By.ID, "memhp-data").get_attribute("textContent"))
    # the longest finding trace
    f = max(doc["findings"], key=lambda f: len(f["trace"]["steps"]))
    t = Trace.from_json(f["trace"])
    n = len(t.steps)
    assert n >= 8
    idx = next(i for i, tr in enumerate(data["traces"]) if len(tr["steps"]) == n + 1
               and tr["violation"]["invariant"] == t.invariant and tr["violation"]["cause"] == t.cause)
    details = driver.find_elements(By.CSS_SELECTOR, "details.trace")
    k_details = next(i for i, d in enumerate(details)
                     if d.find_element(By.CSS_SELECTOR, ".viewer").get_attribute("data-trace") == str(idx))
    viewer = open_trace(driver, k_details)
    want = _expected(t)
    press(driver, "HOME")
    checked = 0
    for k in range(n + 1):
        got = driver.execute_script(_PANEL, viewer)
        assert got["pos"] == ("boot" if k == 0 else f"step {k}") + f" of {n}"
        assert got["step"] == str(k) and got["selected"] == [k]
        assert got["blocks"] == want[k]["blocks"], k
        assert set(got["changed"]) == want[k]["changed"], k
        assert got["violRows"] == [n]
        if k:
            assert got["fn"] and got["fn"][0]
            assert got["calls"] == (len(t.steps[k - 1].obs.calls) + 1 if t.steps[k - 1].obs.calls else 0)
        assert bool(got["violates"]) == (k == n)
        checked += 1
        if k < n:
            press(driver, "ARROW_RIGHT")
    assert visible(t.message) in driver.execute_script(_PANEL, viewer)["violates"][0]
    press(driver, "ARROW_RIGHT")  # past the end: stays at the last step
    assert driver.execute_script(_PANEL, viewer)["step"] == str(n)
    for k in (n - 1, n - 2, n - 3):
        press(driver, "ARROW_LEFT")
        got = driver.execute_script(_PANEL, viewer)
        assert got["step"] == str(k) and got["blocks"] == want[k]["blocks"]
        checked += 1
    viewer.find_element(By.XPATH, ".//button[contains(., 'forward')]").click()
    assert driver.execute_script(_PANEL, viewer)["step"] == str(n - 2)
    press(driver, "END")
    driver.execute_script("arguments[0].scrollIntoView();", viewer)
    shot = tmp_path / "report-finding.png"
    shot.write_bytes(viewer.screenshot_as_png)
    seconds = time.monotonic() - t0
    print(f"\nbrowser: {checked} steps of {t.invariant} [{t.cause}] ({n} steps) checked in "
          f"{seconds:.1f} s; screenshot {shot}")
    assert shot.stat().st_size > 10_000


def test_hostile_documents_run_nothing(driver: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    v, d = verify_doc(), diff_doc()
    docs = hostile_docs({"verify": v, "diff": d, "review": review_doc(v, d), "conform": conform_doc()})
    page = tmp_path / "index.html"
    page.write_text(html_page(docs), encoding="utf-8")
    driver.get(page.as_uri())
    count = driver.execute_script("""
        const ds = document.querySelectorAll('details.trace');
        ds.forEach(d => { d.open = true; });
        return ds.length;""")
    assert count > 5
    deadline = time.monotonic() + 10
    while driver.execute_script("return document.querySelectorAll('.viewer[data-built]').length") < count:
        assert time.monotonic() < deadline, "the viewers were not built"
        time.sleep(0.05)
    for _ in range(3):
        press(driver, "ARROW_RIGHT")
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    found = driver.execute_script("""
        const on = [];
        document.querySelectorAll('*').forEach(e => { for (const a of e.attributes) if (/^on/i.test(a.name)) on.push(e.tagName + ' ' + a.name); });
        return {pwned: window.__pwned === undefined ? null : String(window.__pwned),
                scripts: document.scripts.length, imgs: document.images.length,
                iframes: document.querySelectorAll('iframe, object, embed, foreignObject').length,
                on: on, text: document.body.textContent,
                titles: Array.from(document.querySelectorAll('.seqsvg title')).map(e => e.textContent)};""")
    assert found["pwned"] is None and found["on"] == []
    assert found["scripts"] == 2 and found["imgs"] == 0 and found["iframes"] == 0
    assert visible(EVIL) in found["text"]
    assert f"{visible(EVIL)} (priority 0)" in found["titles"]
    assert "not one the spec models" in found["text"]
    assert driver.find_elements(By.CSS_SELECTOR, ".unavailable")


def test_the_screenshot_script(report: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    _need_browser()
    from checker.formats.html.screenshot import main as shot

    out = tmp_path / "shot.png"
    assert shot([str(out), str(report[0].parent.parent / "result.json"), "--trace", "0"]) == 0
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    print(f"\nscreenshot script: {out}")
