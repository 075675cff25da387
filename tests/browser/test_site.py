"""The built website in a real browser: framework tabs, launch and download menus.

Needs the site (``make site``; ``make test-book`` builds it) and Debian's chromium and
chromium-driver (``make browser-deps``). Run with the book environment::

    .venv/book/bin/python -m pytest -q tests/browser

The pages are served from ``_build/site/_build/html`` over http://127.0.0.1 by a thread
of this process. Chromium resolves no other host, so anything a page fetched from
elsewhere would fail at once, as it does offline (the site serves its own MathJax;
test_offline_math.py checks that no request leaves 127.0.0.1). A screenshot of each chapter
with TensorFlow selected goes to ``_build/screenshots/<chapter>-tensorflow.png``.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

webdriver = pytest.importorskip("selenium.webdriver")

from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.project import FRAMEWORKS

from tools.split import chapters  # noqa: E402

HTML = ROOT / "_build" / "site" / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHAPTERS = [chapter.name for chapter in chapters()]
STORAGE_KEY = "sphinx-design-tab-id-framework"
# Launch services per framework; MXNet cannot run on Colab or the repository's Binder.
SERVICES = {"colab": "colab.research.google.com", "studiolab": "studiolab.sagemaker.aws",
            "binder": "mybinder.org"}
UNAVAILABLE = {"mxnet": ("colab", "binder")}
RUNNING_SECTION = "running-the-notebooks"
NOTEBOOK_PATH = re.compile(r"notebooks/([A-Za-z0-9_-]+)/([A-Za-z0-9_.-]+)\.ipynb")
TIMEOUT = 20

# For each tab set of the page, in page order: whether the input of its tab with the
# given data-sync-id is checked, or null when the set has no such tab.
CHECKED_JS = """
const syncId = arguments[0];
return Array.from(document.querySelectorAll('div.sd-tab-set')).map((set) => {
  const label = Array.from(set.children).find(
    (el) => el.matches('label.sd-tab-label') && el.getAttribute('data-sync-id') === syncId);
  if (!label) return null;
  const input = document.getElementById(label.htmlFor) || label.previousElementSibling;
  return input instanceof HTMLInputElement ? input.checked : null;
});
"""


# --- helpers -------------------------------------------------------------------------


def page_url(site: str, chapter: str) -> str:
    page = HTML / "book" / f"{chapter}.html"
    assert page.is_file(), f"{page.relative_to(ROOT)} was not built: run `make site`"
    return urljoin(site, f"book/{chapter}.html")


def open_page(driver: WebDriver, url: str) -> None:
    """Load ``url`` and wait until sphinx-design's tab script has run."""
    driver.get(url)
    wait_ready(driver)


def wait_ready(driver: WebDriver) -> None:
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script("return document.readyState") in ("interactive", "complete")
        and d.execute_script("return typeof sd_id_to_elements !== 'undefined'")
    )


def open_fresh(driver: WebDriver, url: str) -> None:
    """Load ``url`` with no tab choice stored from an earlier test."""
    open_page(driver, url)
    driver.execute_script("window.localStorage.clear();")
    open_page(driver, url)


def checked(driver: WebDriver, framework: str) -> list[bool | None]:
    return driver.execute_script(CHECKED_JS, framework)


def assert_all_show(driver: WebDriver, framework: str, where: str) -> None:
    """Every tab set that has a ``framework`` tab shows it (waits for the page's JS)."""
    try:
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: all(state is not False for state in checked(d, framework))
        )
    except TimeoutException:  # the assertions below say what is wrong
        pass
    states = checked(driver, framework)
    assert states, f"{where}: no tab sets"
    assert any(state is True for state in states), f"{where}: no {framework} tab"
    assert all(state is not False for state in states), (
        f"{where}: {framework} not selected in tab sets "
        f"{[i + 1 for i, state in enumerate(states) if state is False]} of {len(states)}"
    )


def click_first_tab(driver: WebDriver, framework: str) -> None:
    """Click the ``framework`` label of the page's first tab set, as a reader would."""
    first = driver.find_elements(By.CSS_SELECTOR, "div.sd-tab-set")[0]
    labels = first.find_elements(
        By.CSS_SELECTOR, f":scope > label.sd-tab-label[data-sync-id='{framework}']")
    assert labels, f"the first tab set has no {framework} tab"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", labels[0])
    labels[0].click()


def menu_links(driver: WebDriver, menu: str) -> dict[str, str]:
    """``{btn-d2l-... class: raw href}`` of the items of a header dropdown."""
    links: dict[str, str] = {}
    for anchor in driver.find_elements(By.CSS_SELECTOR, f".{menu} a"):
        classes = (anchor.get_dom_attribute("class") or "").split()
        names = [name for name in classes if name.startswith("btn-d2l-")]
        assert len(names) == 1, f"{menu}: item with classes {classes}"
        assert names[0] not in links, f"{menu}: {names[0]} twice"
        links[names[0]] = anchor.get_dom_attribute("href") or ""
    return links


def assert_names_notebook(href: str, framework: str, chapter: str, what: str) -> None:
    found = NOTEBOOK_PATH.findall(urlsplit(href).path + "?" + urlsplit(href).query)
    assert found, f"{what}: {href} names no notebooks/<framework>/<chapter>.ipynb"
    assert (framework, chapter) in found, (
        f"{what}: {href} names {found}, not notebooks/{framework}/{chapter}.ipynb")
    notebook = ROOT / "notebooks" / framework / f"{chapter}.ipynb"
    assert notebook.is_file(), f"{what}: {notebook.relative_to(ROOT)} is not in the repository"


# --- tests ---------------------------------------------------------------------------


def test_there_are_chapters() -> None:
    assert CHAPTERS, "_toc.yml lists no chapters"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_page_has_framework_tab_sets(driver: WebDriver, site: str, chapter: str) -> None:
    open_page(driver, page_url(site, chapter))
    tab_sets = driver.find_elements(By.CSS_SELECTOR, "div.sd-tab-set")
    assert tab_sets, f"{chapter}: no tab sets"
    for number, tab_set in enumerate(tab_sets, start=1):
        labels = tab_set.find_elements(By.CSS_SELECTOR, ":scope > label.sd-tab-label")
        assert labels, f"{chapter}: tab set {number} has no labels"
        for label in labels:
            assert label.get_dom_attribute("data-sync-group") == "framework", (
                f"{chapter}: tab set {number} has a label outside the framework group")
            assert label.get_dom_attribute("data-sync-id") in FRAMEWORKS, (
                f"{chapter}: tab set {number}: unknown tab "
                f"{label.get_dom_attribute('data-sync-id')!r}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_tab_choice_syncs_and_persists(driver: WebDriver, site: str, chapter: str) -> None:
    """One click on a page's first tab set switches every tab set of the page, and the
    choice survives a reload (other pages: test_tab_choice_carries_to_every_chapter)."""
    url = page_url(site, chapter)
    open_fresh(driver, url)
    assert driver.execute_script(f"return localStorage.getItem('{STORAGE_KEY}')") is None
    # Not trivially true beforehand: a fresh page does not show TensorFlow everywhere.
    assert not all(checked(driver, "tensorflow")), f"{chapter}: TensorFlow preselected"

    click_first_tab(driver, "tensorflow")
    assert_all_show(driver, "tensorflow", f"{chapter} after clicking TensorFlow")
    assert driver.execute_script(
        f"return localStorage.getItem('{STORAGE_KEY}')") == "tensorflow"

    driver.refresh()
    wait_ready(driver)
    assert_all_show(driver, "tensorflow", f"{chapter} after reloading")
    first = driver.find_elements(By.CSS_SELECTOR, "div.sd-tab-set")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", first)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{chapter}-tensorflow.png"
    assert driver.save_screenshot(str(shot)), f"could not write {shot}"
    assert shot.stat().st_size > 0


def test_tab_choice_carries_to_every_chapter(driver: WebDriver, site: str) -> None:
    """A framework chosen on one chapter is the one every other chapter opens with; a
    second choice, made on another chapter, replaces it everywhere."""
    assert len(CHAPTERS) >= 2, "needs two chapters"
    first, last = CHAPTERS[0], CHAPTERS[-1]
    for framework, chosen_on in (("tensorflow", first), ("mxnet", last)):
        if framework == "tensorflow":
            open_fresh(driver, page_url(site, chosen_on))
        else:
            open_page(driver, page_url(site, chosen_on))
        click_first_tab(driver, framework)
        assert_all_show(driver, framework, f"{chosen_on} after clicking {framework}")
        for chapter in CHAPTERS:
            if chapter != chosen_on:
                open_page(driver, page_url(site, chapter))
                assert_all_show(driver, framework, f"{chapter} opened after choosing {framework} on {chosen_on}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_launch_links(driver: WebDriver, site: str, chapter: str) -> None:
    url = page_url(site, chapter)
    open_page(driver, url)
    links = menu_links(driver, "dropdown-launch-buttons")
    expected = set()
    for framework in FRAMEWORKS:
        for service, host in SERVICES.items():
            what = f"{chapter}: {service} for {framework}"
            if service in UNAVAILABLE.get(framework, ()):
                name = f"btn-d2l-{service}-unavailable-{framework}"
                assert f"btn-d2l-{service}-{framework}" not in links, f"{what} is offered"
                assert name in links, f"{what}: no 'not available' item"
                target = urljoin(url, links[name])
                assert target == urljoin(site, f"book/intro.html#{RUNNING_SECTION}"), (
                    f"{what}: the 'not available' item links to {links[name]}")
            else:
                name = f"btn-d2l-{service}-{framework}"
                assert name in links, f"{what}: no launch item"
                assert urlsplit(links[name]).hostname == host, f"{what}: {links[name]}"
                assert_names_notebook(links[name], framework, chapter, what)
            expected.add(name)
    assert set(links) == expected, f"{chapter}: unexpected launch items {set(links) - expected}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_download_links(driver: WebDriver, site: str, chapter: str) -> None:
    url = page_url(site, chapter)
    open_page(driver, url)
    links = menu_links(driver, "dropdown-download-buttons")
    assert set(links) == {f"btn-d2l-download-{fw}" for fw in FRAMEWORKS}, sorted(links)
    for framework in FRAMEWORKS:
        href = links[f"btn-d2l-download-{framework}"]
        what = f"{chapter}: download for {framework}"
        assert href == f"../notebooks/{framework}/{chapter}.ipynb", f"{what}: {href}"
        assert_names_notebook(href, framework, chapter, what)
        # The build copies the notebook beside the HTML, so the link works on the site.
        with urllib.request.urlopen(urljoin(url, href), timeout=TIMEOUT) as response:
            notebook = json.load(response)
        repo_copy = json.loads((ROOT / "notebooks" / framework / f"{chapter}.ipynb").read_text())
        assert notebook["metadata"].get("d2lmini", {}).get("framework") == framework, what
        assert [cell["source"] for cell in notebook["cells"]] == [
            cell["source"] for cell in repo_copy["cells"]
        ], f"{what}: the site's copy differs from the repository's notebook"


def test_running_the_notebooks_section(driver: WebDriver, site: str) -> None:
    open_page(driver, urljoin(site, f"book/intro.html#{RUNNING_SECTION}"))
    sections = driver.find_elements(By.ID, RUNNING_SECTION)
    assert sections, f"intro.html has no #{RUNNING_SECTION}"
    text = sections[0].get_attribute("textContent") or ""
    assert "Colab" in text, "the section does not mention Colab"
    assert "numpy" in text, "the section does not say why (numpy)"
    assert "MXNet" in text, "the section does not mention MXNet"


# --- per-framework outputs of shared cells ---------------------------------------------


def _printed(chapter: str, framework: str, needle: str) -> str:
    """The stream text of the cell of notebooks/<framework>/<chapter> that prints ``needle``."""
    nb = json.loads((ROOT / "notebooks" / framework / f"{chapter}.ipynb").read_text())
    for cell in nb["cells"]:
        text = "".join("".join(o["text"]) for o in cell.get("outputs", []) if o["output_type"] == "stream")
        if needle in text:
            return text
    raise AssertionError(f"notebooks/{framework}/{chapter}.ipynb prints no {needle!r}")


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(("chapter", "framework", "needle"), [
    ("gated_cells", "tensorflow", "largest k recalled"),      # the memory task's table
    ("ridership_multistep", "mxnet", "days ahead"),  # the main results table
])
def test_shared_cell_shows_the_chosen_frameworks_outputs(
        driver: WebDriver, site: str, chapter: str, framework: str, needle: str) -> None:
    ours = _printed(chapter, framework, needle)
    others = {fw: _printed(chapter, fw, needle) for fw in FRAMEWORKS if fw != framework}
    assert all(text != ours for text in others.values()), "the frameworks print the same: no test"
    open_fresh(driver, page_url(site, chapter))
    click_first_tab(driver, framework)
    assert_all_show(driver, framework, f"{chapter} after clicking {framework}")
    visible = [_lines(tab_set.text) for tab_set in
               driver.find_elements(By.CSS_SELECTOR, "div.sd-tab-set.framework-outputs")]
    showing = [lines for lines in visible if all(line in lines for line in _lines(ours))]
    assert showing, f"{chapter}: {framework}'s {needle!r} output is not visible"
    for fw, text in others.items():
        own = [line for line in _lines(text) if line not in _lines(ours)]
        assert not any(line in lines for lines in showing for line in own), (
            f"{chapter}: {fw}'s output shows with {framework} chosen")
    element = driver.find_elements(By.CSS_SELECTOR, "div.sd-tab-set.framework-outputs")[
        visible.index(showing[0])]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / f"{chapter}-{framework}-outputs.png"))
