"""Every student notebook runs, in its framework's environment, up to its first exercise.

That part is the chapter's own code (data, models, training and prediction
functions), which the exercises build on. All notebooks run side by side, at least
one per framework at a time (tools.assignments.execute_until_first_exercise), under
tools/kernel.env, with the results files going to a temporary folder.
"""

from __future__ import annotations

import nbformat
import pytest
from assignment_support import CHAPTERS, PAIRS, Written, source_exercises

from tools import assignments
from tools.chapters import Chapter


@pytest.fixture(scope="session")
def runs(written: Written, tmp_path_factory: pytest.TempPathFactory) -> dict[str, assignments.Run]:
    jobs = {}
    for chapter in CHAPTERS:
        if source_exercises(chapter):
            for framework in assignments.FRAMEWORKS:
                student, _ = written.paths(chapter, framework)
                jobs[f"{chapter.name}-{framework}"] = (nbformat.read(student, as_version=4), framework)
    work = tmp_path_factory.mktemp("executed")
    done = assignments.execute_until_first_exercise(jobs, work / "notebooks", work / "results")
    for name, run in done.items():
        print(f"{name}: {run.seconds:.1f} s to the first exercise")
    return done


@pytest.mark.parametrize(("chapter", "framework"), PAIRS)
def test_student_notebook_runs_to_its_first_exercise(written: Written, runs: dict, chapter: Chapter,
                                                     framework: str) -> None:
    student, _ = written.notebooks(chapter, framework)
    run = runs[f"{chapter.name}-{framework}"]
    assert run.notebook is not None, f"execution failed:\n{run.log[-4000:]}"
    start = assignments.first_exercise_index(student)
    expected = [c["id"] for c in student.cells[:start] if c.cell_type == "code"]
    ran = [c for c in run.notebook.cells if c.cell_type == "code"]
    assert [c["id"] for c in ran] == expected, "exactly the code before the first exercise"
    assert all(c.execution_count is not None for c in ran)
    errors = [c["id"] for c in ran if any(o.output_type == "error" for o in c.outputs)]
    assert not errors
