"""The book's diagrams (tools/diagrams.py): every required one exists, is reproducible,
uses the chapter's symbols, and is shown by its chapter with alt text and a caption.

Run with the book environment after a site build (``make test-book`` does both)::

    .venv/book/bin/python -m pytest -q tests/book/test_diagrams.py

The checks of the built pages need ``_build/site/_build/html`` (``make site``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
# matplotlib 3.9's mathtext calls pyparsing names that pyparsing 3.3 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
bs4 = pytest.importorskip("bs4")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with warnings.catch_warnings():  # see pytestmark
    warnings.simplefilter("ignore", DeprecationWarning)
    from tools import diagrams  # noqa: E402
from tools.split import chapters  # noqa: E402

HTML = ROOT / "_build" / "site" / "_build" / "html"
BY_NAME = {d.name: d for d in diagrams.DIAGRAMS}
# What issue 24 asks for: name -> chapter that shows it.
REQUIRED = {
    "rnn_unrolled": "ridership_rnns",
    "bptt_graph": "rnn_language_model",
    "lstm_cell": "gated_cells",
    "gru_cell": "gated_cells",
    "deep_rnn": "ridership_rnns",
    "multistep_strategies": "ridership_multistep",
    "conv_gru": "conv_wavenet",
}
# Symbols each diagram must draw, spelled as the chapter's equations spell them.
SYMBOLS = {
    "rnn_unrolled": [r"\mathbf{x}_t", r"\mathbf{h}_t", r"\mathbf{W}_{xh}", r"\mathbf{W}_{hh}",
                     r"\mathbf{b}_h", r"\mathbf{h}_0"],
    "bptt_graph": [r"\mathbf{a}_t", r"\mathbf{h}_t", r"\mathbf{o}_t", r"\ell_s", r"\mathbf{W}_{hh}",
                   r"\mathbf{W}_{xh}", r"\mathbf{W}_{hq}", r"\mathbf{\delta}_t", r"\mathrm{softmax}",
                   r"\mathbf{e}_{y_t}"],
    "lstm_cell": [r"\mathbf{i}_t", r"\mathbf{f}_t", r"\mathbf{o}_t", r"\mathbf{g}_t",
                  r"\mathbf{c}_t", r"\mathbf{c}_{t-1}", r"\mathbf{h}_{t-1}", r"\mathbf{h}_t",
                  r"\mathbf{x}_t"],
    "gru_cell": [r"\mathbf{r}_t", r"\mathbf{z}_t", r"\mathbf{n}_t", r"\mathbf{h}_{t-1}",
                 r"\mathbf{h}_t", r"\mathbf{x}_t", r"\mathbf{W}_{hn}", r"\mathbf{b}_{hn}",
                 r"\mathbf{W}_{xn}", r"\mathbf{b}_{xn}"],
    "deep_rnn": [r"\mathbf{x}_t", r"\mathbf{h}_t"],
    "conv_gru": [],
    "multistep_strategies": [],
}
FIGURE = re.compile(
    r"^```\{figure\} diagrams/(?P<name>[a-z0-9_]+)\.svg\n(?P<options>(?::[a-z]+:.*\n)*)\n"
    r"(?P<caption>(?:(?!```).*\n)+?)```$", re.MULTILINE)


def _canonical(tex: str) -> str:
    """Drop braces around single-character sub/superscripts (\\mathbf{h}_{t} is
    \\mathbf{h}_t); bold Greek is \\boldsymbol in the book, \\mathbf in matplotlib."""
    return re.sub(r"([_^])\{(\w)\}", r"\1\2", tex.replace(r"\boldsymbol{", r"\mathbf{"))


def _figures(chapter: str) -> dict[str, dict[str, str]]:
    """``{diagram name: {"alt", "name", "caption"}}`` of the chapter source's figures."""
    text = (ROOT / "book" / f"{chapter}.md").read_text()
    found = {}
    for match in FIGURE.finditer(text):
        options = dict(re.findall(r"^:([a-z]+):\s*(.*)$", match["options"], re.MULTILINE))
        assert match["name"] not in found, f"{chapter} shows {match['name']} twice"
        found[match["name"]] = {**options, "caption": match["caption"].strip()}
    return found


def test_every_required_diagram_is_drawn_for_its_chapter() -> None:
    for name, chapter in REQUIRED.items():
        assert name in BY_NAME, f"tools/diagrams.py draws no {name}"
        assert BY_NAME[name].chapter == chapter, f"{name} belongs to {chapter}"
    toc = {c.name for c in chapters()}
    for diagram in diagrams.DIAGRAMS:
        assert diagram.chapter in toc, f"{diagram.name}: {diagram.chapter} is not a chapter"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_svg_is_valid_and_reproducible(name: str) -> None:
    first = diagrams.render(BY_NAME[name])
    assert diagrams.render(BY_NAME[name]) == first, f"{name}: two renderings differ"
    root = ET.fromstring(first)
    assert root.tag.endswith("svg")
    assert b"<dc:date>" not in first, f"{name}: the SVG carries a date"
    assert b"<text" not in first, f"{name}: text must be drawn as paths (svg.fonttype)"


def test_rendering_is_the_same_in_a_fresh_process(tmp_path: Path) -> None:
    """Ids and metadata do not depend on the process (hash salt, no date)."""
    subprocess.run([sys.executable, "-m", "tools.diagrams", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True)
    for diagram in diagrams.DIAGRAMS:
        assert (tmp_path / f"{diagram.name}.svg").read_bytes() == diagrams.render(diagram), (
            f"{diagram.name}: a fresh process draws different bytes")


@pytest.mark.parametrize("name", sorted(SYMBOLS))
def test_diagram_uses_the_chapters_symbols(name: str) -> None:
    with diagrams.matplotlib.rc_context(diagrams.STYLE):
        canvas = BY_NAME[name].draw()
        drawn = _canonical(" ".join(canvas.texts))
        diagrams.plt.close(canvas.fig)
    source = _canonical((ROOT / "book" / f"{BY_NAME[name].chapter}.md").read_text())
    for symbol in SYMBOLS[name]:
        generic = re.escape(symbol).replace("_t", "_[0-9tT]").replace("_s", "_[0-9s]")
        assert re.search(generic, drawn), f"{name} does not draw {symbol}"
        assert symbol in source, f"{BY_NAME[name].chapter}.md never writes {symbol}"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_chapter_shows_diagram_with_alt_text_and_caption(name: str) -> None:
    chapter = BY_NAME[name].chapter
    figures = _figures(chapter)
    assert name in figures, f"book/{chapter}.md has no ```{{figure}} diagrams/{name}.svg"
    figure = figures[name]
    assert len(figure.get("alt", "").split()) >= 20, f"{name}: alt text too short to describe it"
    assert figure.get("name") == f"fig-{name.replace('_', '-')}", f"{name}: :name: label"
    assert len(figure["caption"].split()) >= 10, f"{name}: caption missing or too short"


def test_no_figure_names_an_unknown_diagram() -> None:
    for chapter in chapters():
        for name in _figures(chapter.name):
            assert name in BY_NAME, f"{chapter.name} shows diagrams/{name}.svg, which nothing draws"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_built_page_shows_the_current_diagram(name: str) -> None:
    chapter = BY_NAME[name].chapter
    page = HTML / "book" / f"{chapter}.html"
    if not page.is_file():
        pytest.fail(f"{page.relative_to(ROOT)} was not built: run `make site` first")
    soup = bs4.BeautifulSoup(page.read_text(), "html.parser")
    images = [img for img in soup.find_all("img") if Path(img.get("src", "")).name == f"{name}.svg"]
    assert len(images) == 1, f"{chapter}.html shows {name}.svg {len(images)} times"
    image = images[0]
    assert image["alt"] == _figures(chapter)[name]["alt"], f"{name}: alt text lost in the build"
    served = (page.parent / image["src"]).resolve()
    assert served.is_file(), f"{name}: {image['src']} is not in the built site"
    assert served.read_bytes() == diagrams.render(BY_NAME[name]), (
        f"{name}: the site serves an old drawing; rebuild with `make site`")
    figure = image.find_parent("figure")
    assert figure is not None and figure.find("figcaption"), f"{name}: no caption on the page"
    link = image.find_parent("a")  # book/_ext/diagram_links.py: open it at full size
    assert link is not None, f"{name}: the image does not link to its SVG"
    assert (page.parent / link["href"]).resolve() == served, f"{name}: links to {link['href']}"
