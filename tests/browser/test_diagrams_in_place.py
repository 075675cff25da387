"""Each diagram of tools/diagrams.py, in place on its chapter page of the built site:
loaded (with the network off), with its alt text and caption.

Needs the site (``make site``) and chromium (``make browser-deps``)::

    .venv/book/bin/python -m pytest -q tests/browser/test_diagrams_in_place.py

A screenshot of each figure, image and caption, goes to
``_build/screenshots/diagram-<name>.png``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from urllib.parse import urljoin

import pytest

pytest.importorskip("selenium.webdriver")
# matplotlib 3.9 (imported by tools.diagrams) calls pyparsing names that pyparsing 3.3 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with warnings.catch_warnings():  # matplotlib 3.9 calls names that pyparsing 3.3 deprecates
    warnings.simplefilter("ignore", DeprecationWarning)
    from tools.diagrams import DIAGRAMS  # noqa: E402

SCREENSHOTS = ROOT / "_build" / "screenshots"
TIMEOUT = 30


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[d.name for d in DIAGRAMS])
def test_diagram_in_place(offline_driver, site: str, diagram) -> None:
    driver = offline_driver
    driver.get(urljoin(site, f"book/{diagram.chapter}.html"))
    images = driver.find_elements(By.CSS_SELECTOR, f"figure img[src$='/{diagram.name}.svg']")
    assert len(images) == 1, f"{diagram.chapter}: {len(images)} images of {diagram.name}"
    image = images[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", image)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script("return arguments[0].complete", image))
    width = driver.execute_script("return arguments[0].naturalWidth", image)
    assert width > 0, f"{diagram.name}: the image did not load"
    assert len((image.get_attribute("alt") or "").split()) >= 20, f"{diagram.name}: alt text"
    assert image.size["width"] >= 400, f"{diagram.name}: drawn only {image.size['width']} px wide"
    figure = image.find_element(By.XPATH, "./ancestor::figure[1]")
    caption = figure.find_element(By.TAG_NAME, "figcaption").text
    assert len(caption.split()) >= 10, f"{diagram.name}: caption {caption!r}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"diagram-{diagram.name}.png"
    assert figure.screenshot(str(shot)), f"could not write {shot}"
