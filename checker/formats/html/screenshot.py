"""Pictures of the HTML report, taken in Debian's Chromium through selenium: what
docs/img/report-*.png are made with, and what the browser test drives.

Usage::

    python -m checker.formats.html.screenshot OUT.png DOC.json [DOC.json ...]
        [--trace N | --finding TEXT] [--step K] [--overview] [--width W] [--height H]

It writes the page of the documents (as ``memhp report --html`` does) to a temporary directory,
opens it headless, and either takes the top of the page (``--overview``) or opens the N-th
trace viewer (0-based, default 0) or the one of the first finding whose key contains TEXT,
steps it with the keyboard to step K (default: the last, violating step) and takes that viewer. The browser is /usr/bin/chromium with
/usr/bin/chromedriver (``MEMHP_CHROMIUM``, ``MEMHP_CHROMEDRIVER`` name others), a fresh profile,
no network services; nothing is downloaded.

Leaves out: other browsers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from spec.errors import MemhpError

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars")


def browser_paths() -> tuple[str, str]:
    """(chromium, chromedriver) as configured; MemhpError when either is missing."""
    chromium = os.environ.get("MEMHP_CHROMIUM", CHROMIUM)
    driver = os.environ.get("MEMHP_CHROMEDRIVER", CHROMEDRIVER)
    for path, pkg in ((chromium, "chromium"), (driver, "chromium-driver")):
        if not (Path(path).is_file() or shutil.which(path)):
            raise MemhpError(f"{path} is missing: install it with `apt-get install {pkg}`")
    return chromium, driver


def chrome(profile_dir: Path, width: int = 1500, height: int = 1000) -> Any:
    """A headless Chromium driven by selenium, with its profile in ``profile_dir``."""
    chromium, driver = browser_paths()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise MemhpError("selenium is not installed: pip install 'memhp-check[test]'") from None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for a in ARGS:
        options.add_argument(a)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(service=Service(driver), options=options)


def open_trace(drv: Any, n: int = 0) -> Any:
    """Open the ``n``-th trace viewer of the page (0-based): its ``.viewer`` element, built and
    active (the keyboard steps it)."""
    from selenium.webdriver.common.by import By

    details = drv.find_elements(By.CSS_SELECTOR, "details.trace")
    if n >= len(details):
        raise MemhpError(f"the page has {len(details)} trace viewers; there is no number {n}")
    d = details[n]
    drv.execute_script("arguments[0].open = true; arguments[0].scrollIntoView();", d)
    viewer = d.find_element(By.CSS_SELECTOR, ".viewer")
    viewer.find_element(By.CSS_SELECTOR, ".pos").click()
    return viewer


def finding_trace(drv: Any, key: str) -> int:
    """The number (as :func:`open_trace` counts) of the trace viewer of the first finding whose
    key contains ``key``, following "same trace as" to the viewer it names."""
    n = drv.execute_script("""
        const key = arguments[0], all = Array.from(document.querySelectorAll('details.trace'));
        for (const f of document.querySelectorAll('div.finding')) {
          const code = f.querySelector('.meta code');
          if (!code || !code.textContent.includes(key)) continue;
          let d = f.querySelector('details.trace');
          const same = f.querySelector('p.same a');
          if (!d && same) d = document.getElementById(same.getAttribute('href').slice(1));
          return d ? all.indexOf(d) : -1;
        }
        return -1;""", key)
    if n < 0:
        raise MemhpError(f"no finding whose key contains {key!r} has a trace on the page")
    return int(n)


def press(drv: Any, key: str, times: int = 1) -> None:
    """Send ``key`` (a selenium Keys name: ARROW_RIGHT, ARROW_LEFT, HOME, END) to the page."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    chain = ActionChains(drv)
    for _ in range(times):
        chain.send_keys(getattr(Keys, key))
    chain.perform()


def take(out: Path, docs: list[dict[str, Any]], trace: int | str = 0, step: int | None = None,
         overview: bool = False, width: int = 1500, height: int = 1000) -> Path:
    """Write ``out`` (PNG): the page of ``docs`` at the top, or trace viewer ``trace`` (a
    number, or text in a finding's key) at ``step`` (None: the last step)."""
    from checker.formats.html import html_page

    with tempfile.TemporaryDirectory(prefix="memhp-shot-") as tmp:
        page = Path(tmp) / "index.html"
        page.write_text(html_page(docs), encoding="utf-8")
        drv = chrome(Path(tmp) / "profile", width, height)
        try:
            drv.get(page.as_uri())
            if overview:
                png = drv.get_screenshot_as_png()
            else:
                viewer = open_trace(drv, trace if isinstance(trace, int) else finding_trace(drv, trace))
                press(drv, "END" if step is None else "HOME")
                if step:
                    press(drv, "ARROW_RIGHT", step)
                drv.execute_script("arguments[0].scrollIntoView();", viewer)
                png = viewer.screenshot_as_png
        finally:
            drv.quit()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)
    return out


def load(path: str) -> dict[str, Any]:
    """A JSON document memhp wrote, checked against the schema its ``schema`` key names."""
    import json

    from checker.formats.html.sections import SECTIONS
    from checker.formats.schemas import validate

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise MemhpError(f"{path}: not a JSON document memhp wrote ({e})") from None
    kind = data.get("schema") if isinstance(data, dict) else None
    if kind not in SECTIONS:
        raise MemhpError(f"{path}: its 'schema' is {kind!r}; expected one of {', '.join(SECTIONS)}")
    validate(data, kind, path)
    return data  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m checker.formats.html.screenshot",
                                description="a PNG of the HTML report (docs/reports.md)")
    p.add_argument("out", type=Path)
    p.add_argument("documents", nargs="+", metavar="JSON")
    p.add_argument("--trace", type=int, default=0, help="the trace viewer to show (0-based)")
    p.add_argument("--finding", metavar="TEXT", help="the trace of the first finding whose key "
                                                     "contains TEXT (instead of --trace)")
    p.add_argument("--step", type=int, help="the step to show (default: the last)")
    p.add_argument("--overview", action="store_true", help="the top of the page instead")
    p.add_argument("--width", type=int, default=1500)
    p.add_argument("--height", type=int, default=1000)
    args = p.parse_args(argv)
    try:
        docs = [load(d) for d in args.documents]
        which: int | str = args.finding if args.finding else args.trace
        out = take(args.out, docs, which, args.step, args.overview, args.width, args.height)
    except MemhpError as e:
        print(f"screenshot: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
