"""How tools/assignments.py turns exercises into a student notebook, on small chapters made here."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from tools import assignments, split as chapters
from tools.assignments import ANSWER_TAG, AssignmentError
from tools.split import Chapter

FRONT_MATTER = textwrap.dedent(
    """\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---
    """
)

BODY = textwrap.dedent(
    """\
    # A tiny chapter

    ```{code-cell} ipython3
    data = [1, 2, 3]
    ```

    ## Exercises

    +++

    **Exercise 1.** Sum the data.

    +++ {"tags": ["solution"]}

    Use the built-in.

    ```{code-cell} ipython3
    :tags: [pytorch, solution]
    print(sum(data))  # pytorch
    ```

    ```{code-cell} ipython3
    :tags: [mxnet, solution]
    print(sum(data))  # mxnet
    ```

    +++

    **Exercise 2.** Why is the sum 6?

    +++ {"tags": ["solution"]}

    Because 1 + 2 + 3 = 6.

    +++

    **Exercise 3.** Complete the function below.

    ```{code-cell} ipython3
    def mean(values):
        ...
    ```

    ```{code-cell} ipython3
    :tags: [solution]
    def mean(values):
        return sum(values) / len(values)
    ```

    +++

    **Exercise 4.** An exercise left open.

    +++

    ## Further reading

    A closing section.
    """
)


def make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, name: str = "tiny") -> Chapter:
    monkeypatch.setattr(chapters, "BOOK", tmp_path)
    monkeypatch.setattr(chapters, "NOTEBOOKS", tmp_path / "notebooks")
    (tmp_path / f"{name}.md").write_text(FRONT_MATTER + body)
    return Chapter(name)


def layout(nb: nbformat.NotebookNode) -> list[str]:
    """One short label per cell: E1 (exercise), A:code/A:text (answer), or the first line."""
    labels = []
    for cell in nb.cells:
        number = assignments.exercise_number(cell)
        if number is not None:
            labels.append(f"E{number}")
        elif ANSWER_TAG in cell.metadata.get("tags", []):
            labels.append(f"A:{cell.cell_type}")
        else:
            labels.append(cell.source.splitlines()[0] if cell.source else "")
    return labels


def test_student_notebook_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = make(tmp_path, monkeypatch, BODY)
    assignment = assignments.build_assignment(tiny, "pytorch")
    assert assignment is not None and assignment.exercises == [1, 2, 3, 4]
    assert layout(assignment.student)[2:] == [
        "# A tiny chapter",
        "data = [1, 2, 3]",
        "## Exercises",
        # a solution that ends in code: a code cell, and (no checks: graded by hand) a text cell
        "E1", "A:code", "A:markdown",
        # prose only: a text cell
        "E2", "A:markdown",
        # starter code stays, the answers come after it
        "E3", "def mean(values):", "A:code", "A:markdown",
        # no solution to go by: both, and a warning
        "E4", "A:code", "A:markdown",
        "## Further reading",
    ]
    assert assignment.warnings == ["exercise 4 has no solution cells"]
    assert not assignments.until_first_exercise(assignment.student).cells[-1].source.startswith("**Exercise")
    assert [c.source for c in assignments.until_first_exercise(assignment.student).cells
            if c.cell_type == "code"][1:] == ["data = [1, 2, 3]"]


def test_solutions_notebook_keeps_its_frameworks_solutions(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = make(tmp_path, monkeypatch, BODY)
    for framework, other in (("pytorch", "mxnet"), ("mxnet", "pytorch")):
        assignment = assignments.build_assignment(tiny, framework)
        sources = [c.source for c in assignment.solutions.cells]
        assert f"print(sum(data))  # {framework}" in sources
        assert f"print(sum(data))  # {other}" not in sources
        assert "Because 1 + 2 + 3 = 6." in sources
        assert not assignment.solutions_executed, "no executed notebook to take outputs from"
    # TensorFlow has no code in exercise 1's solution: prose only
    student = assignments.build_assignment(tiny, "tensorflow").student
    assert layout(student)[layout(student).index("E1") + 1] == "A:markdown"


def test_chapter_without_exercises_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    tiny = make(tmp_path, monkeypatch, "# No exercises\n\nSome text; Exercise 3 of another page.\n")
    assert assignments.build_assignment(tiny, "pytorch") is None
    out = tmp_path / "out"
    assert assignments.write_assignments(out, [tiny]) == 0
    assert "tiny: no '**Exercise N.**' cells, so no assignment" in capsys.readouterr().out
    assert not list(out.rglob("*.ipynb"))


def test_solution_outside_an_exercise_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    body = BODY.replace("```{code-cell} ipython3\ndata = [1, 2, 3]",
                        "```{code-cell} ipython3\n:tags: [solution]\ndata = [1, 2, 3]")
    tiny = make(tmp_path, monkeypatch, body)
    with pytest.raises(AssignmentError, match="follows no"):
        assignments.build_assignment(tiny, "pytorch")
    # `make assignments` reports it, writes the other chapters and fails at the end
    good = make(tmp_path, monkeypatch, BODY, name="good")
    out = tmp_path / "out"
    assert assignments.write_assignments(out, [tiny, good], ("pytorch",)) == 1
    assert "tiny [pytorch]: no assignment" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "pytorch").glob("*.ipynb")) == [
        "good-solutions.ipynb", "good-student.ipynb"]
    assert [p.name for p in (out / "pytorch" / "grader" / "source").iterdir()] == ["good"]


CHECKED = textwrap.dedent(
    """\
    # A checked chapter

    ```{code-cell} ipython3
    data = [1, 2, 3]
    ```

    +++

    **Exercise 1.** Store the sum in `total`.

    ```{code-cell} ipython3
    :tags: [solution]
    total = sum(data)
    ```

    ```{code-cell} ipython3
    :tags: [check]
    assert total == 6, 'expected 6'
    ### BEGIN HIDDEN TESTS
    assert isinstance(total, int)
    ### END HIDDEN TESTS
    ```
    """
)


def test_an_exercise_with_checks_is_auto_graded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its answer is a code cell only (no text cell to grade by hand); the check cell is
    nbgrader's locked test cell, without its hidden lines for the student and with them in
    nbgrader's source version, where the answer holds the worked code between the markers."""
    built = assignments.build_assignment(make(tmp_path, monkeypatch, CHECKED), "pytorch")
    assert layout(built.student)[2:] == ["# A checked chapter", "data = [1, 2, 3]", "E1", "A:code",
                                         "assert total == 6, 'expected 6'"]
    check = built.student.cells[-1]
    assert check.metadata["nbgrader"] == {"schema_version": 3, "grade_id": "check-1-1", "solution": False,
                                          "grade": True, "locked": True, "task": False, "points": 1}
    assert check.source == "assert total == 6, 'expected 6'"
    source = {c["id"]: c.source for c in built.source.cells}
    assert source["answer-1-code"] == "### BEGIN SOLUTION\ntotal = sum(data)\n### END SOLUTION"
    assert "assert isinstance(total, int)" in source[check["id"]]
    assert built.student.metadata["d2lmini"]["auto_graded"] == 1


@pytest.mark.parametrize(("cells", "message"), [
    ("```{code-cell} ipython3\n:tags: [check]\nassert True\n```\n", "follows no '**Exercise N.**' cell"),
    ("+++\n\n**Exercise 1.** Do it.\n\n```{code-cell} ipython3\n:tags: [check]\nassert True\n```\n",
     "come before its worked solution"),
    ("+++\n\n**Exercise 1.** Do it.\n\n```{code-cell} ipython3\n:tags: [solution]\nx = 1\n```\n\n"
     "```{code-cell} ipython3\n:tags: [solution, check]\nassert x\n```\n", "not tagged 'solution' as well"),
    ("+++\n\n**Exercise 1.** Do it.\n\n+++ {\"tags\": [\"solution\"]}\n\nFirst the data.\n\n"
     "```{code-cell} ipython3\ndata = [1]\n```\n", "put the starter code before the solution"),
])
def test_misplaced_checks_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cells: str,
                                      message: str) -> None:
    chapter = make(tmp_path, monkeypatch, "# Bad checks\n\n" + cells)
    with pytest.raises(AssignmentError, match=re.escape(message)):
        assignments.build_assignment(chapter, "pytorch")
