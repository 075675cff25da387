"""Formulas render with the network off: the site serves its own MathJax 3 and its fonts
(tools/offline_math.py), and no page asks any host but the local server for anything.

Needs the site (``make site``) and Debian's chromium and chromium-driver
(``make browser-deps``); the fixtures are in conftest.py::

    .venv/book/bin/python -m pytest -q tests/browser/test_offline_math.py

A screenshot of a displayed formula of each page goes to
``_build/screenshots/offline-math-<page>.png``, one of the window around it to
``offline-math-<page>-window.png``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

pytest.importorskip("selenium.webdriver")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.split import chapters  # noqa: E402

HTML = ROOT / "_build" / "site" / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
PAGES = ["intro"] + [chapter.name for chapter in chapters()]
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}
TIMEOUT = 60

# Resolves once MathJax has typeset the page (or says why it could not).
TYPESET_JS = """
const done = arguments[arguments.length - 1];
if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) { done('no MathJax'); return; }
MathJax.startup.promise.then(() => done('ok'), (err) => done('error: ' + err));
"""
# What a reader sees: math elements with and without typeset output, TeX errors, and any
# raw delimiter left in the text outside code.
STATE_JS = r"""
const math = Array.from(document.querySelectorAll('.math'));
const body = document.querySelector('article') || document.body;
const copy = body.cloneNode(true);
copy.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml, textarea')
  .forEach((el) => el.remove());
const text = copy.textContent;
const raw = [];
for (const delimiter of ['\\(', '\\[', '$$']) {
  let at = text.indexOf(delimiter);
  if (at >= 0) raw.push(text.slice(Math.max(0, at - 40), at + 60));
}
return {
  math: math.length,
  typeset: math.filter((el) => el.querySelector('mjx-container')).length,
  containers: document.querySelectorAll('mjx-container').length,
  errors: Array.from(document.querySelectorAll('mjx-merror')).map((el) => el.textContent),
  raw: raw,
  scripts: Array.from(document.scripts).map((s) => s.src).filter((src) => src),
};
"""


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname == "127.0.0.1"


def network_events(driver: object) -> list[dict]:
    """The Network.* events Chromium logged since the last call."""
    events = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message.get("method", "").startswith("Network."):
            events.append(message)
    return events


def test_site_serves_its_own_mathjax() -> None:
    pages = sorted((HTML / "book").glob("*.html"))
    assert pages, "no built pages: run `make site`"
    for page in pages:
        text = page.read_text()
        assert "cdn.jsdelivr.net" not in text and "mathjax@" not in text, (
            f"{page.name} still loads MathJax from a CDN")
    entry = HTML / "_static" / "mathjax" / "tex-chtml.js"
    assert entry.is_file(), "the built site has no _static/mathjax/tex-chtml.js"
    fonts = list((HTML / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert fonts, "MathJax's CommonHTML fonts are not in the built site"


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset_with_the_network_off(offline_driver, site: str, page: str) -> None:
    driver = offline_driver
    url = urljoin(site, f"book/{page}.html")
    network_events(driver)  # forget the requests of earlier pages
    driver.get(url)
    driver.set_script_timeout(TIMEOUT)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    assert driver.execute_async_script(TYPESET_JS) == "ok", f"{page}: MathJax did not run"
    state = driver.execute_script(STATE_JS)

    assert state["math"] > 0, f"{page}: no formulas on the page"
    assert state["typeset"] == state["math"], (
        f"{page}: {state['math'] - state['typeset']} of {state['math']} formulas not typeset")
    assert not state["errors"], f"{page}: MathJax could not parse {state['errors'][:3]}"
    assert not state["raw"], f"{page}: raw TeX left in the text: {state['raw']}"
    outside = [src for src in state["scripts"] if not is_local(src)]
    assert not outside, f"{page}: scripts from elsewhere: {outside}"

    events = network_events(driver)
    requested = [e["params"]["request"]["url"] for e in events
                 if e["method"] == "Network.requestWillBeSent"]
    assert requested, f"{page}: the performance log recorded no requests"
    left = sorted({url for url in requested if not is_local(url)})
    assert not left, f"{page}: requests left localhost: {left}"
    fonts = {e["params"]["response"]["url"]: e["params"]["response"]["status"] for e in events
             if e["method"] == "Network.responseReceived"
             and e["params"]["response"]["url"].endswith(".woff")}
    assert any("/_static/mathjax/" in font for font in fonts), f"{page}: MathJax loaded no font"
    assert all(status == 200 for status in fonts.values()), f"{page}: fonts {fonts}"

    # A displayed formula if the page has one, else an inline one.
    formulas = (driver.find_elements(By.CSS_SELECTOR, "div.math mjx-container")
                or driver.find_elements(By.CSS_SELECTOR, "mjx-container"))
    formula = formulas[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", formula)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"offline-math-{page}.png"
    assert formula.screenshot(str(shot)), f"could not write {shot}"
    assert shot.stat().st_size > 0
    assert driver.save_screenshot(str(SCREENSHOTS / f"offline-math-{page}-window.png"))
