"""The real chapter sources and committed notebooks: no tab set repeats one code three
times, and prose edits refresh notebooks/ without executing anything."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import merge
from tools.compare import BOUNDS_REASON, cell_bounds, widens
from tools.project import FRAMEWORKS, ROOT, SOLUTION_TAG
from tools.split import chapters, framework_of, read_source

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import framework_tabs  # noqa: E402

CHAPTERS = [c.name for c in chapters()]


def identical_tab_sets(name: str) -> list[str]:
    """The first lines of each tab set whose three frameworks hold the same code."""
    cells = read_source(next(c for c in chapters() if c.name == name)).cells
    kinds = [framework_of(c) if c.cell_type == "code" else None for c in cells]
    solution = [SOLUTION_TAG in c.metadata.get("tags", []) for c in cells]
    found = []
    for group in framework_tabs.group_runs(kinds, solution):
        versions = {fw: [cells[i].source for i in group if kinds[i] == fw] for fw in FRAMEWORKS}
        if all(versions.values()) and len({tuple(v) for v in versions.values()}) == 1:
            found.append(versions["pytorch"][0].splitlines()[0])
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_tab_set_holds_three_identical_versions(chapter: str) -> None:
    assert identical_tab_sets(chapter) == [], (
        "write code that is the same in every framework once, as a shared cell "
        "(its outputs still show per framework where they differ)")


def test_identical_tab_sets_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import split as chapters_module

    cell = "```{{code-cell}} ipython3\n:tags: [{fw}]\nprint(1)\n```\n\n"
    source = (ROOT / "book" / "autoregression.md").read_text() + "\n" + "".join(
        cell.format(fw=fw) for fw in FRAMEWORKS)
    monkeypatch.setattr(chapters_module, "BOOK", tmp_path)
    (tmp_path / "autoregression.md").write_text(source)
    assert identical_tab_sets("autoregression") == ["print(1)"]


def test_output_tab_class_is_the_extensions() -> None:
    assert merge.OUTPUTS_KEY == framework_tabs.OUTPUTS_KEY


def _code_and_record(path: Path) -> tuple[list, dict]:
    nb = nbformat.read(path, as_version=4)
    code = [(c.source, c.outputs, c.execution_count) for c in nb.cells if c.cell_type == "code"]
    return code, nb.metadata["d2lmini"]


def test_markdown_only_edit_refreshes_every_notebook_without_executing(tmp_path: Path) -> None:
    """On a copy of the repository: one sentence added to every chapter's prose."""
    # results/ too: the pages that print benchmark medians hash the benchmark files
    for name in ("book", "notebooks", "tools", "d2lmini", "requirements", "results"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("_toc.yml", "_config.yml"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    for chapter in chapters():
        source = tmp_path / "book" / f"{chapter.name}.md"
        text = source.read_text()
        heading = text.index("\n# ")
        end = text.index("\n", heading + 1)
        source.write_text(text[:end] + "\n\nA sentence added by the test." + text[end:])
    run = lambda verb: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "tools", verb], cwd=tmp_path, capture_output=True, text=True)
    stale = run("check")
    assert stale.returncode == 1 and stale.stdout.count("needs refresh") == len(CHAPTERS) * len(FRAMEWORKS)
    assert "needs execution" not in stale.stdout
    refreshed = run("refresh")
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert "needs execution" not in refreshed.stdout
    check = run("check")
    assert check.returncode == 0, check.stdout
    for chapter in chapters():
        for framework in FRAMEWORKS:
            relative = Path("notebooks") / framework / f"{chapter.name}.ipynb"
            assert _code_and_record(tmp_path / relative) == _code_and_record(ROOT / relative), relative
            prose = [c.source for c in nbformat.read(tmp_path / relative, as_version=4).cells]
            assert any("A sentence added by the test." in text for text in prose)


@pytest.mark.parametrize("chapter", [c.name for c in chapters()])
def test_every_wider_cross_cpu_bound_says_why(chapter: str) -> None:
    """A cell's rtol-/atol-/rms-/words-vary tag (tools/compare.py) comes with its reason in
    the code cell's :bounds_reason: option, and a reason comes with a tag; the tags parse."""
    for cell in read_source(next(c for c in chapters() if c.name == chapter)).cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        cell_bounds(tags)  # a malformed bound tag raises
        wider = [t for t in tags if widens(t)]
        reason = cell.metadata.get(BOUNDS_REASON, "")
        where = f"{chapter}: {cell.source.splitlines()[0][:60]!r}"
        assert bool(wider) == bool(reason.strip()), f"{where}: tags {wider}, reason {reason!r}"
        assert len(reason) >= 40 or not wider, f"{where}: say why the bounds are wider ({reason!r})"
