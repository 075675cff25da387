"""The student and solutions notebooks of every chapter in every framework."""

from __future__ import annotations

import nbformat
import pytest
from assignment_support import CHAPTERS, PAIRS, SOLUTIONS, Written, leaks, source_exercises

from tools.assignments import ANSWER_TAG, exercise_number
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
    kept = [(c["id"], c.source) for c in split(chapter, framework).cells if SOLUTION_TAG not in tags(c)]
    own = [(c["id"], c.source) for c in student.cells
           if ANSWER_TAG not in tags(c) and c["id"] != "assignment-header"]
    assert own == kept
