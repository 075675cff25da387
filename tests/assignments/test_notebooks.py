"""The student and solutions notebooks of every chapter in every framework."""

from __future__ import annotations

import nbformat
import pytest
from assignment_support import CHAPTERS, HIDDEN, PAIRS, SOLUTIONS, Written, leaks, source_exercises

from tools.assignments import ANSWER_TAG, exercise_number, is_check, strip_hidden
from tools.project import FRAMEWORKS, SOLUTION_TAG
from tools.split import Chapter, split


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.metadata.get("tags", []))


def test_writing_succeeds_and_reports_each_chapter(written: Written) -> None:
    assert written.status == 0, written.log
    for chapter in CHAPTERS:
        count = len(source_exercises(chapter))
        for framework in FRAMEWORKS:
            student, solutions = written.paths(chapter, framework)
            if count:
                assert student.is_file() and solutions.is_file()
                assert f"{chapter.name} [{framework}]: {count} exercises" in written.log
            else:  # reported, not written
                assert not student.exists() and not solutions.exists()
                assert f"{chapter.name}: no '**Exercise N.**' cells, so no assignment" in written.log


def test_some_chapter_has_an_assignment() -> None:
    assert any(source_exercises(c) for c in CHAPTERS), "no chapter in _toc.yml has exercises"
    assert SOLUTIONS, "no chapter marks a solution cell"
    assert HIDDEN, "no chapter has hidden checks, so the leak check for them is vacuous"


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_notebooks_are_valid(written: Written, chapter: Chapter, framework: str) -> None:
    for nb in written.notebooks(chapter, framework):
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["d2lmini"]["framework"] == framework
        assert "source_hash" not in nb.metadata["d2lmini"], "never mistaken for a notebooks/ file"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0]["id"] == "install-d2lmini", "the install cell is the first code cell"


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_no_solution_leaks_into_the_student_notebook(written: Written, chapter: Chapter,
                                                     framework: str) -> None:
    student, _ = written.notebooks(chapter, framework)
    tagged = [c["id"] for c in student.cells if SOLUTION_TAG in tags(c)]
    assert not tagged, f"solution-tagged cells in the student notebook: {tagged}"
    found = leaks(student)
    assert not found, "\n".join(found)
    outputs = [c["id"] for c in student.cells if c.cell_type == "code" and c.outputs]
    assert not outputs, f"student cells with outputs: {outputs}"


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_leak_check_finds_every_solution_in_the_solutions_notebook(
        written: Written, chapter: Chapter, framework: str) -> None:
    """The check above is not vacuous: it flags each solution cell where one is."""
    _, solutions = written.notebooks(chapter, framework)
    found = leaks(solutions)
    for cell in solutions.cells:
        if SOLUTION_TAG in tags(cell) and cell.source.strip():
            assert any(line.startswith(f"cell {cell['id']} ") for line in found), cell["id"]


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_exercise_counts_match_the_source(written: Written, chapter: Chapter,
                                          framework: str) -> None:
    student, solutions = written.notebooks(chapter, framework)
    expected = source_exercises(chapter)
    for nb in (student, solutions):
        assert [n for n in map(exercise_number, nb.cells) if n is not None] == expected
        assert nb.metadata["d2lmini"]["exercises"] == len(expected)


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_every_exercise_has_answer_cells(written: Written, chapter: Chapter,
                                         framework: str) -> None:
    student, _ = written.notebooks(chapter, framework)
    answers_after: list[list[nbformat.NotebookNode]] = []
    for cell in student.cells:
        if exercise_number(cell) is not None:
            answers_after.append([])
        elif answers_after and ANSWER_TAG in tags(cell):
            answers_after[-1].append(cell)
    assert len(answers_after) == len(source_exercises(chapter))
    for number, cells in enumerate(answers_after, start=1):
        assert cells, f"exercise {number} has no answer cell"
        assert all(c.source in ("", "*Your answer here.*") for c in cells)


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_solutions_notebook_is_the_tested_notebook(written: Written, chapter: Chapter,
                                                   framework: str) -> None:
    """Every solution cell is there, and the cells are those nbval runs in notebooks/<fw>/."""
    _, solutions = written.notebooks(chapter, framework)
    split_nb = split(chapter, framework)
    cells = [(c["id"], c.cell_type, c.source) for c in solutions.cells[1:]]
    assert cells == [(c["id"], c.cell_type, c.source) for c in split_nb.cells]
    wanted = [c["id"] for c in split_nb.cells if SOLUTION_TAG in tags(c)]
    have = [c["id"] for c in solutions.cells if SOLUTION_TAG in tags(c)]
    assert wanted and have == wanted


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_student_notebook_is_the_chapter_without_solutions(written: Written, chapter: Chapter,
                                                           framework: str) -> None:
    """Everything before the exercises (the code to start from) and every non-solution cell stays."""
    student, _ = written.notebooks(chapter, framework)
    kept = [(c["id"], strip_hidden(c.source) if is_check(c) else c.source)
            for c in split(chapter, framework).cells if SOLUTION_TAG not in tags(c)]
    own = [(c["id"], c.source) for c in student.cells
           if ANSWER_TAG not in tags(c) and c["id"] != "assignment-header"]
    assert own == kept


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_checks_are_nbgraders_locked_test_cells(written: Written, chapter: Chapter,
                                               framework: str) -> None:
    """Each check cell is a locked, graded nbgrader cell; each exercise without checks has
    one manually graded answer; every grade id is unique."""
    student, _ = written.notebooks(chapter, framework)
    graded = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")]
    checks = [c for c in student.cells if is_check(c)]
    assert all(c.metadata["nbgrader"]["locked"] and not c.metadata["nbgrader"]["solution"]
               for c in checks)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in graded]
    assert len(ids) == len(set(ids)), ids
    auto = {int(i.split("-")[1]) for i in ids if i.startswith("check-")}
    manual = {int(i.split("-")[1]) for i in ids if i.startswith("answer-")}
    assert not auto & manual and auto | manual == set(source_exercises(chapter))
    assert student.metadata["d2lmini"]["auto_graded"] == len(auto)


def test_the_instructors_table_counts_the_graded_exercises(written: Written) -> None:
    """book/instructors.md's table: per chapter (by its title), its exercises, how many are
    auto-graded and how many graded by hand, as the student notebooks have them."""
    import re

    from tools.project import ROOT

    table = {m.group(1): tuple(int(m.group(i)) for i in (2, 3, 4)) for m in re.finditer(
        r"^\| ([^|]+?) \| (\d+) \| (\d+) \| (\d+) \|$", (ROOT / "book" / "instructors.md").read_text(),
        flags=re.MULTILINE)}
    expected = {}
    for chapter in CHAPTERS:
        if source_exercises(chapter):
            meta = written.notebooks(chapter, "pytorch")[0].metadata["d2lmini"]
            title = re.search(r"^# (.+)$", chapter.source.read_text(), flags=re.MULTILINE).group(1)
            expected[title.strip()] = (meta["exercises"], meta["auto_graded"],
                                       meta["exercises"] - meta["auto_graded"])
    assert table == expected
