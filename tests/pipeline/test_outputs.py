"""Checks on what `make test` itself just produced: results files, the d2lmini API
dumps of the three environments, and the rendered chapter pages.

Run through `make test` (tests/book and tests/pipeline after nbval and the site build);
each test fails, rather than skips, when what it reads is missing.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest

from tools.render import HTML
from tools.tolerances import check_results, load_tolerances
from tools.compare import EXACT_EVERYWHERE
from tools.verify import comparison_report, read_plan
from tools.project import CHECK_TAG, FRAMEWORKS, ROOT, SOLUTION_TAG
from tools.split import chapters, framework_of, read_source
from tools.merge import differing_shared_cells, executed_cells

sys.path[:0] = [str(ROOT / "book" / "_ext"), str(ROOT / "tests" / "book")]
from framework_tabs import group_runs  # noqa: E402
from html_checks import check_solutions, check_tab_sets  # noqa: E402

# Same machine kind, same pinned libraries, single-threaded kernels: the figures should
# agree to the last digit; the tolerance only forgives the JSON round trip of a float.
REL_TOL = 1e-9


def _test_results_dir() -> Path:
    path = os.environ.get("D2LMINI_TEST_RESULTS")
    assert path, "D2LMINI_TEST_RESULTS is not set: run these tests through `make test`"
    return ROOT / path


def _rows(path: Path) -> dict[tuple[str, str], dict]:
    assert path.exists(), f"missing results file {path}"
    return {(row["model"], row["metric"]): row for row in json.loads(path.read_text())}


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("chapter", [c.name for c in chapters()])
def test_results_reproduce_committed_reference(chapter: str, framework: str) -> None:
    """Exactly, where nbval ran the notebook on the CPU model that executed it; within
    the training tolerances of tools/gpu_tolerances.json elsewhere (tools/verify.py)."""
    plan = read_plan(_test_results_dir(), framework)
    assert chapter in plan, f"nbval did not run notebooks/{framework}/{chapter}.ipynb"
    if not plan[chapter]["exact"]:
        report = check_results(framework, _test_results_dir(), load_tolerances(), pages=[chapter])
        assert report.ok, report.text()
        return
    fresh = _rows(_test_results_dir() / framework / f"{chapter}.json")
    committed = _rows(ROOT / "results" / framework / f"{chapter}.json")
    assert fresh.keys() == committed.keys(), "the test run recorded other figures than the reference"
    for key, row in committed.items():
        got = fresh[key]["value"]
        assert math.isclose(got, row["value"], rel_tol=REL_TOL), f"{framework} {chapter} {key}: {got} != {row['value']}"
        assert fresh[key]["seed"] == row["seed"]


def test_d2lmini_exposes_the_same_api_in_every_framework() -> None:
    dumps = {}
    for framework in FRAMEWORKS:
        path = ROOT / "_build" / "api" / f"{framework}.json"
        assert path.exists(), f"{path} missing: the {framework} unit tests did not run"
        dumps[framework] = json.loads(path.read_text())
    reference = dumps["pytorch"]
    assert reference, "no public names recorded"
    for framework, api in dumps.items():
        assert api.keys() == reference.keys(), f"{framework} names differ: {set(api) ^ set(reference)}"
        for name, signature in api.items():
            assert signature == reference[name], f"{framework}.{name}{signature} != pytorch.{name}{reference[name]}"


@pytest.mark.parametrize("chapter", [c.name for c in chapters()])
def test_chapter_page_has_one_tab_set_per_group_of_framework_cells(chapter: str) -> None:
    page = HTML / "book" / f"{chapter}.html"
    assert page.exists(), f"{page} was not built"
    # as the page has them: without the exercises' checks (tools/merge.py leaves them out)
    cells = [c for c in read_source(next(c for c in chapters() if c.name == chapter)).cells
             if CHECK_TAG not in c.metadata.get("tags", [])]
    kinds = [framework_of(c) if c.cell_type == "code" else None for c in cells]
    solution = [SOLUTION_TAG in c.metadata.get("tags", []) for c in cells]
    groups = len(group_runs(kinds, keys=solution))
    assert groups > 0, "a chapter without framework cells"
    html = page.read_text()
    # plus one tab set of outputs per shared cell whose outputs differ between frameworks
    check_tab_sets(html, groups + len(differing_shared_cells(next(c for c in chapters() if c.name == chapter))))
    # One dropdown per run of consecutive solution cells (one exercise's worked solution).
    runs = sum(now and not before for before, now in zip([False, *solution], solution))
    check_solutions(html, expected=runs)


def _stream_text(cell) -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream")


@pytest.mark.parametrize("chapter", [c.name for c in chapters()])
def test_per_framework_outputs_exactly_for_shared_cells_whose_outputs_differ(chapter: str) -> None:
    """Each output tab set follows the shared cell's code and holds, under each framework's
    tab, what that framework printed; no other shared cell has one."""
    from bs4 import BeautifulSoup

    found = next(c for c in chapters() if c.name == chapter)
    differing = differing_shared_cells(found)
    executed = executed_cells(found)
    soup = BeautifulSoup((HTML / "book" / f"{chapter}.html").read_text(), "html.parser")
    output_sets = soup.select("div.sd-tab-set.framework-outputs")
    assert len(output_sets) == len(differing)
    for cell_id, tab_set in zip(differing, output_sets, strict=True):
        code = tab_set.find_previous("div", class_="cell_input")
        assert code is not None and code.get_text().strip() == executed["pytorch"][cell_id].source.strip()
        contents = tab_set.find_all("div", class_="sd-tab-content", recursive=False)
        for framework, content in zip(FRAMEWORKS, contents, strict=True):
            printed = " ".join(_stream_text(executed[framework][cell_id]).split())
            assert printed in " ".join(content.get_text().split()), f"{framework} outputs of {cell_id}"
            images = sum("image/png" in o.get("data", {}) for o in executed[framework][cell_id].outputs)
            assert len(content.find_all("img")) == images, f"{framework} plots of {cell_id}"


def _code_cells_and_images(notebook: Path) -> tuple[int, int]:
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    images = sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    return len(cells), images


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_nbval_compared_every_cell_and_every_plot(framework: str) -> None:
    """tools/nbval_compare.py's report of this run: each notebook's code cells all compared
    (exactly on the CPU model that executed it), each committed image compared too."""
    plan = read_plan(_test_results_dir(), framework)
    report = comparison_report(_test_results_dir(), framework)
    for chapter in plan:
        row = report.get(f"{chapter}.ipynb")
        assert row is not None, f"no comparison report for {framework}/{chapter}: nbval ran without tools.nbval_compare"
        cells, images = _code_cells_and_images(ROOT / "notebooks" / framework / f"{chapter}.ipynb")
        assert (row["cells_compared"], row["images_compared"]) == (cells, images), f"{framework}/{chapter}: {row}"
        assert row["text"] == row["images"] == plan[chapter]["mode"]
        assert not row["failed_cells"]


@pytest.mark.parametrize("framework", [f for f in FRAMEWORKS if f not in EXACT_EVERYWHERE])
def test_the_cross_cpu_run_compared_a_trained_page_tolerantly(framework: str) -> None:
    """`make cross-cpu` (tools/cross_cpu.env) ran each framework's cheapest trained page
    number by number, and some printed number moved: the tolerant path was exercised."""
    report = comparison_report(_test_results_dir() / "cross-cpu", framework)
    assert report, f"make cross-cpu did not run for {framework}"
    for name, row in report.items():
        assert row["text"] == row["images"] == "tolerant" and not row["failed_cells"], f"{framework}/{name}"
    assert any(row["cells_identical"] < row["cells_compared"] for row in report.values()), (
        f"{framework}: every cell came out identical under tools/cross_cpu.env")
