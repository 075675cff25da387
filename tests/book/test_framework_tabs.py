"""Tests of the ``framework_tabs`` book extension (book/_ext/framework_tabs.py).

Run with the book environment: ``.venv/book/bin/python -m pytest tests/book``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

for _module in ("sphinx_design", "myst_nb", "bs4", "nbformat"):
    pytest.importorskip(_module)

import nbformat  # noqa: E402
from bs4 import BeautifulSoup, Tag  # noqa: E402
from nbformat import NotebookNode  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXT_DIR = ROOT / "book" / "_ext"
sys.path.insert(0, str(EXT_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from framework_tabs import group_runs  # noqa: E402

sys.path.insert(0, str(ROOT))
from tools.project import LABELS  # noqa: E402
from html_checks import check_solutions, check_tab_sets  # noqa: E402

MX, PT, TF = LABELS  # the framework cell tags, in tab order


# --- grouping rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frameworks", "expected"),
    [
        ([], []),
        ([None, None], []),
        ([PT], [[0]]),
        ([PT, PT, PT], [[0, 1, 2]]),
        ([MX, PT, TF], [[0, 1, 2]]),
        ([MX, PT, TF, MX, PT, TF], [[0, 1, 2], [3, 4, 5]]),
        ([MX, MX, PT, TF], [[0, 1, 2, 3]]),
        ([PT, PT, TF], [[0, 1, 2]]),
        ([PT, TF, PT], [[0, 1], [2]]),
        ([TF, PT, MX], [[0, 1, 2]]),  # order of tabs is fixed later, not here
        ([MX, None, PT, TF], [[0], [2, 3]]),  # shared code / prose ends a run
        ([None, MX, PT, None, None, TF, TF], [[1, 2], [5, 6]]),
    ],
)
def test_group_runs(frameworks: list[str | None], expected: list[list[int]]) -> None:
    assert group_runs(frameworks) == expected


def test_group_runs_keys_split_groups() -> None:
    frameworks = [MX, PT, TF, MX, PT]
    solution = [False, False, True, True, True]
    assert group_runs(frameworks, solution) == [[0, 1], [2, 3, 4]]
    assert group_runs(frameworks, [0] * 5) == [[0, 1, 2], [3, 4]]


# --- building a tiny book ------------------------------------------------------------

SOLUTION_MD = """````{dropdown} Solution
:class-container: solution

The answer is 42.
````"""


def _code(source: str, *tags: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(
        source, metadata={"tags": list(tags)} if tags else {}
    )
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"ran {source!r}\n")
    ]
    return cell


def _outputs(source: str, framework: str, printed: str, *tags: str) -> NotebookNode:
    """One framework's outputs of a shared cell, as tools/merge.py writes them."""
    cell = nbformat.v4.new_code_cell(
        source,
        metadata={"tags": [framework, "remove-input", *tags], "framework_outputs": "c1"},
    )
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return cell


def _markdown(source: str, *tags: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(
        source, metadata={"tags": list(tags)} if tags else {}
    )


def _notebook(cells: list[NotebookNode]) -> NotebookNode:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


def _build(book: Path, nb: NotebookNode) -> subprocess.CompletedProcess[str]:
    """Write a one-chapter book using the extension and build it with -W."""
    book.mkdir()
    (book / "_config.yml").write_text(
        "title: Test book\n"
        "execute:\n  execute_notebooks: 'off'\n"
        "only_build_toc_files: true\n"
        "sphinx:\n"
        f"  local_extensions:\n    framework_tabs: {EXT_DIR.as_posix()}\n"
        f"  config:\n    framework_labels: {json.dumps(LABELS)}\n",
        encoding="utf-8",
    )
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapter\n", encoding="utf-8")
    nbformat.write(nb, book / "chapter.ipynb")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jupyter_book), "build", str(book), "--warningiserror", "--keep-going"],
        capture_output=True,
        text=True,
        check=False,
    )


CHAPTER = [
    _markdown("# Chapter\n\nIntro."),
    _code("import math"),
    _code("mx_setup = 1", MX),
    _code("pt_setup = 1", PT),
    _code("tf_setup = 1", TF),
    _markdown("Some prose."),
    _code("pt_a = 1", PT),
    _code("pt_b = 2", PT),
    _code("tf_ab = 3", TF),
    _markdown("More prose."),
    _code("mx_1 = 1", MX),
    _code("pt_1 = 1", PT),
    _code("tf_1 = 1", TF),
    _code("mx_2 = 2", MX),
    _code("pt_2 = 2", PT),
    _code("tf_2 = 2", TF),
    _markdown("Shared code whose outputs differ."),
    _code("print(framework_name)"),
    _outputs("print(framework_name)", MX, "printed by mx\n"),
    _outputs("print(framework_name)", PT, "printed by pt\n"),
    _outputs("print(framework_name)", TF, "printed by tf\n"),
    _code("tf_after_outputs = 1", TF),
    _markdown("## Exercises\n\n1. Find the answer."),
    _markdown(SOLUTION_MD, "solution"),
    _code("mx_solution = 42", MX, "solution"),
    _code("pt_solution = 42", PT, "solution"),
    _code("tf_solution = 42", TF, "solution"),
    _markdown(SOLUTION_MD.replace("The answer is 42.", "So it is 42."), "solution"),
    _markdown("2. Print it."),
    _code("print(42)", "solution"),
]


@pytest.fixture(scope="module")
def chapter_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    book = tmp_path_factory.mktemp("books") / "book"
    result = _build(book, _notebook(CHAPTER))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return (book / "_build" / "html" / "chapter.html").read_text(encoding="utf-8")


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _text(tag: Tag | None) -> str:
    assert tag is not None
    return tag.get_text(strip=True)


def test_reusable_checks_pass(chapter_html: str) -> None:
    check_tab_sets(chapter_html, expected_groups=7)
    check_solutions(chapter_html, expected=2)


def test_tab_sets(chapter_html: str) -> None:
    tab_sets = _soup(chapter_html).select("div.sd-tab-set")
    labels = [
        [
            label.get_text(strip=True)
            for label in tab_set.find_all("label", recursive=False)
        ]
        for tab_set in tab_sets
    ]
    full = ["MXNet", "PyTorch", "TensorFlow"]
    assert labels == [full, ["PyTorch", "TensorFlow"], full, full, full, ["TensorFlow"], full]
    for tab_set in tab_sets:
        for label in tab_set.find_all("label", recursive=False):
            assert label["data-sync-group"] == "framework"
            assert label["data-sync-id"] == label.get_text(strip=True).lower()
        checked = tab_set.find_all("input", checked=True, recursive=False)
        assert len(checked) == 1
        names = [label.get_text(strip=True) for label in tab_set.find_all("label", recursive=False)]
        assert _text(tab_set.find("label", attrs={"for": checked[0]["id"]})) == (
            "PyTorch" if "PyTorch" in names else names[0]
        )
    # two consecutive PyTorch cells share one tab
    pytorch_tab = tab_sets[1].find_all("div", class_="sd-tab-content", recursive=False)[
        0
    ]
    sources = [cell.get_text().strip() for cell in pytorch_tab.select("div.cell_input")]
    assert sources == ["pt_a = 1", "pt_b = 2"]
    # a repeated framework starts a new tab set
    assert "mx_1" in tab_sets[2].get_text() and "mx_2" in tab_sets[3].get_text()


def test_shared_cell_untouched(chapter_html: str) -> None:
    shared = [
        c
        for c in _soup(chapter_html).select("div.cell")
        if "import math" in c.get_text()
    ]
    assert len(shared) == 1
    assert shared[0].find_parent("div", class_="sd-tab-set") is None
    assert shared[0].find_parent("details") is None


def test_differing_outputs_of_a_shared_cell_become_output_tabs(chapter_html: str) -> None:
    soup = _soup(chapter_html)
    output_sets = soup.select("div.sd-tab-set.framework-outputs")
    assert len(output_sets) == 1
    (outputs,) = output_sets
    contents = outputs.find_all("div", class_="sd-tab-content", recursive=False)
    assert [c.get_text(strip=True) for c in contents] == ["printed by mx", "printed by pt", "printed by tf"]
    assert not outputs.select("div.cell_input"), "the code is shown once, above the tabs"
    code = [c for c in soup.select("div.cell_input") if "print(framework_name)" in c.get_text()]
    assert len(code) == 1 and code[0].find_parent("div", class_="sd-tab-set") is None
    # the framework cell right after the outputs gets a tab set of its own
    assert "tf_after_outputs" not in outputs.get_text()
    assert "framework-outputs" not in soup.select("div.sd-tab-set")[5]["class"]


def test_solutions_collapsed(chapter_html: str) -> None:
    first, second = _soup(chapter_html).select("details.solution")
    # prose and the framework tab set of solution code share one dropdown
    assert "The answer is 42." in first.get_text()
    assert _text(first.summary) == "Solution"
    assert len(first.select("div.sd-tab-set")) == 1
    assert "pt_solution" in _text(first.select_one("div.sd-tab-set"))
    # prose that continues the solution after its code joins the same dropdown
    assert "So it is 42." in first.get_text()
    assert first.get_text().index("pt_solution") < first.get_text().index("So it is 42.")
    # a solution code cell without preceding prose gets its own dropdown
    assert _text(second.summary) == "Solution"
    assert "print(42)" in second.get_text()
    assert not second.has_attr("open")


def test_two_framework_tags_warn(tmp_path: Path) -> None:
    nb = _notebook([_markdown("# Bad"), _code("x = 1", MX, PT)])
    result = _build(tmp_path / "book", nb)
    assert result.returncode != 0
    assert "several framework tags" in result.stdout + result.stderr
