"""The front page (book/intro.md) and the notebook downloads it links.

After a site build (``make test-book`` builds it first)::

    .venv/book/bin/python -m pytest -q tests/book/test_front_page.py

The zips are written by ``python -m tools render`` (tools/downloads.py) into
``_build/site/_build/html/downloads/notebooks-<framework>.zip``.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

bs4 = pytest.importorskip("bs4")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools import downloads  # noqa: E402
from tools.project import FRAMEWORKS
from tools.split import chapters  # noqa: E402

HTML = ROOT / "_build" / "site" / "_build" / "html"
INTRO = HTML / "book" / "intro.html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


@pytest.fixture(scope="module")
def intro() -> bs4.BeautifulSoup:
    if not INTRO.is_file():
        pytest.fail(f"{INTRO.relative_to(ROOT)} was not built: run `make site` first")
    return bs4.BeautifulSoup(INTRO.read_text(), "html.parser")


def _element(soup: bs4.BeautifulSoup, anchor: str) -> bs4.Tag:
    """The section a label names (Sphinx puts a label's id on an empty span in it)."""
    element = soup.find(id=anchor)
    assert element is not None, f"intro.html has no #{anchor}"
    return element if element.name == "section" else element.find_parent("section")


def _text(element: bs4.Tag) -> str:
    return " ".join(element.get_text(" ").split())


def _section(soup: bs4.BeautifulSoup, anchor: str) -> str:
    return _text(_element(soup, anchor))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_zip_holds_exactly_the_frameworks_notebooks(framework: str) -> None:
    path = HTML / downloads.FOLDER / downloads.archive_name(framework)
    assert path.is_file(), f"{path.relative_to(ROOT)} missing: run `make site`"
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        expected = sorted(f"notebooks-{framework}/{c.name}.ipynb" for c in chapters())
        assert names == expected, f"{path.name}: {names}"
        for info in infos:
            chapter = Path(info.filename).stem
            assert archive.read(info) == (ROOT / "notebooks" / framework / f"{chapter}.ipynb").read_bytes(), (
                f"{path.name}: {info.filename} is not notebooks/{framework}/{chapter}.ipynb")
            assert info.date_time == downloads.TIMESTAMP, f"{info.filename}: {info.date_time}"
        assert archive.testzip() is None


def test_zips_are_deterministic(tmp_path: Path) -> None:
    files = downloads.members("pytorch")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    downloads.write_zip(first, files)
    downloads.write_zip(second, dict(reversed(list(files.items()))))
    assert first.read_bytes() == second.read_bytes()
    assert (HTML / downloads.FOLDER / "notebooks-pytorch.zip").read_bytes() == first.read_bytes(), (
        "the site's zip differs from a fresh one: rebuild with `make site`")


def test_front_page_links_every_zip(intro: bs4.BeautifulSoup) -> None:
    links = {Path(urlsplit(a["href"]).path).name: a["href"] for a in intro.find_all("a", href=True)
             if a["href"].endswith(".zip")}
    assert set(links) == {downloads.archive_name(fw) for fw in FRAMEWORKS}, sorted(links)
    for name, href in links.items():
        assert (INTRO.parent / href).resolve().is_file(), f"intro.html: {href} does not resolve"


def test_chapter_map_links_every_chapter_in_order(intro: bs4.BeautifulSoup) -> None:
    section = _element(intro, "chapter-map")
    items = section.find("ol").find_all("li", recursive=False)
    linked = []
    for item in items:
        anchor = item.find("a", href=True)
        assert anchor is not None, f"chapter map item without a link: {item.get_text()[:60]}"
        linked.append(Path(urlsplit(anchor["href"]).path).stem)
        assert len(item.get_text(" ").split()) >= 8, f"{linked[-1]}: no line saying what it teaches"
    assert linked == [c.name for c in chapters()], linked


def test_front_page_orients(intro: bs4.BeautifulSoup) -> None:
    text = _text(intro)
    for needed in ("Before you start", "Notation", "Choosing a framework", "make lab",
                   "launch", "Downloads"):
        assert needed in text, f"intro.html does not mention {needed!r}"
    notation = _section(intro, "notation")
    for symbol in (r"\mathbf{h}_t", r"\mathbf{W}_{xh}", r"\odot", r"\sigma", r"\hat{y}_t"):
        assert symbol in notation, f"the notation table lacks {symbol}"
    tested = _section(intro, "what-tested-means")
    assert "nbval" in tested or "re-executed" in tested, tested[:200]
    repo = CONFIG["repository"]["url"].rstrip("/")
    readme = [a["href"] for a in intro.find_all("a", href=True) if a["href"].startswith(repo)]
    assert f"{repo}#reproducibility" in readme, f"no link to README's Reproducibility: {readme}"
    heading = re.search(r"^## Reproducibility$", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert heading, "README.md has no '## Reproducibility' section for the link to land on"


def test_notation_matches_the_chapters() -> None:
    """Every symbol of the front page's notation table is written so in some chapter."""
    source = (ROOT / "book" / "intro.md").read_text()
    table = source[source.index("(notation)="):source.index("## Choosing a framework")]
    chapters_text = "".join((ROOT / "book" / f"{c.name}.md").read_text() for c in chapters())
    symbols = set(re.findall(r"\\(?:mathbf|hat)\{\w\}_(?:\{[^}]*\}|\w)", table))
    assert len(symbols) >= 10, sorted(symbols)
    missing = sorted(s for s in symbols if s not in chapters_text)
    assert not missing, f"the notation table uses symbols no chapter writes: {missing}"
