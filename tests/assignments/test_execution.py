"""Every student notebook runs, in its framework's environment, up to its first exercise.

That part is the chapter's own code (data, models, training and prediction functions),
which the exercises build on. nbval already executes it, in the committed notebook, so
for the book's chapters this is checked without running them again: the student
notebook's code before its first exercise is the committed, up-to-date notebook's code
before its first exercise, cell for cell, and none of it is a solution. That the
assignment machinery really runs a student notebook is shown on a small chapter made
here, in each framework's environment (tools.assignments.execute_until_first_exercise).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from assignment_support import PAIRS, Written
from test_tiny_chapter import make

from tools import assignments
from tools.project import FRAMEWORKS, SOLUTION_TAG
from tools.split import CURRENT, Chapter, status


def _code_before_first_exercise(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    stop = assignments.first_exercise_index(nb)
    return [(c["id"], c.source) for c in nb.cells[:stop] if c.cell_type == "code"]


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_student_notebook_before_its_first_exercise_is_what_nbval_runs(
        written: Written, chapter: Chapter, framework: str) -> None:
    student, _ = written.notebooks(chapter, framework)
    state = status(chapter, framework)
    assert state.state == CURRENT, "notebooks/ is stale: nbval would not run this code"
    committed = state.committed
    ours = _code_before_first_exercise(student)
    assert ours, "a student notebook with no code before its first exercise"
    assert ours == _code_before_first_exercise(committed)
    before = committed.cells[:assignments.first_exercise_index(committed)]
    assert not [c["id"] for c in before if SOLUTION_TAG in c.metadata.get("tags", [])]
    assert not [c["id"] for c in before if c.cell_type == "code"
                and any(o.output_type == "error" for o in c.outputs)], "a committed cell failed"


TINY = textwrap.dedent(
    """\
    # A tiny chapter

    ```{code-cell} ipython3
    import os, sys
    data = [1, 2, 3]
    print(os.environ['OMP_NUM_THREADS'], len(data), os.path.basename(sys.prefix))
    ```

    ## Exercises

    +++

    **Exercise 1.** Sum the data.

    ```{code-cell} ipython3
    :tags: [solution]
    raise RuntimeError('a solution must not run in the student notebook')
    ```
    """
)


def test_a_student_notebook_runs_to_its_first_exercise_in_every_framework(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chapter = make(tmp_path, monkeypatch, TINY)
    jobs = {}
    for framework in FRAMEWORKS:
        built = assignments.build_assignment(chapter, framework)
        assert built is not None
        # without the install cell, which would pip-install d2lmini in a bare environment
        student = built.student
        student.cells = [c for c in student.cells if c.get("id") != "install-d2lmini"]
        jobs[framework] = (student, framework)
    runs = assignments.execute_until_first_exercise(jobs, tmp_path / "run", tmp_path / "results")
    for framework, run in runs.items():
        assert run.notebook is not None, f"{framework}: execution failed:\n{run.log[-4000:]}"
        ran = [c for c in run.notebook.cells if c.cell_type == "code"]
        assert len(ran) == 1 and ran[0].execution_count is not None
        # the kernel ran under tools/kernel.env, in the framework's own environment
        assert ran[0].outputs[0]["text"] == f"1 3 {framework}\n"
