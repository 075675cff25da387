"""Grading with nbgrader (tools/grading.py), on a tiny chapter made here and on the cheapest
real chapter, autoregression, in every framework.

Four submissions per chapter and framework, graded by ``python -m tools grade`` as an
instructor runs it (one process per framework, side by side):

- ``worked``: the worked solutions (nbgrader's source notebook): full marks;
- ``alternative``: the student notebook filled in with other, correct code: full marks;
- ``untouched``: the student notebook as handed out: zero everywhere (nbgrader scores an
  answer cell left as it was zero, even a manual one), and the grader does not crash;
- ``wrong``: the worked solutions with one answer wrong: exactly that exercise's points lost.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import graded_answers
import pytest
from test_tiny_chapter import make

from tools import assignments, grading
from tools.project import FRAMEWORKS, ROOT
from tools.split import chapters

TINY = textwrap.dedent(
    """\
    # A tiny graded chapter

    ```{code-cell} ipython3
    data = [1.0, 2.0, 3.0, 6.0]
    ```

    ## Exercises

    +++

    **Exercise 1.** Store the sum of `data` in `total`.

    ```{code-cell} ipython3
    :tags: [mxnet, solution]
    total = sum(data)
    ```

    ```{code-cell} ipython3
    :tags: [pytorch, solution]
    total = float(sum(data))
    ```

    ```{code-cell} ipython3
    :tags: [tensorflow, solution]
    total = sum(data, 0.0)
    ```

    ```{code-cell} ipython3
    :tags: [check]
    assert total == 12, f'expected the sum 12, got {total}'
    ```

    +++

    **Exercise 2.** Store the mean of `data` in `mean`.

    ```{code-cell} ipython3
    :tags: [solution]
    mean = sum(data) / len(data)
    ```

    ```{code-cell} ipython3
    :tags: [check]
    assert isinstance(mean, float), 'expected a number'
    ### BEGIN HIDDEN TESTS
    assert abs(mean - 3) < 1e-12, f'expected the mean 3, got {mean}'
    ### END HIDDEN TESTS
    ```

    +++

    **Exercise 3.** Why is the mean smaller than the largest value?

    +++ {"tags": ["solution"]}

    A mean of values is at most their maximum, equal only when all are equal.
    """
)

# Other correct code for the auto-graded exercises, and one wrong answer, per chapter:
# the tiny chapter's here, a real chapter's in graded_answers/<chapter>.py.
ALTERNATIVES = {
    "tiny": {
        "answer-1-code": "total = data[0] + data[1] + data[2] + data[3]",
        "answer-2-code": "import statistics\nmean = float(statistics.mean(data))",
    },
} | graded_answers.ALTERNATIVES
WRONG = {"tiny": ("answer-2-code", "mean = sum(data) / (len(data) - 1)")} | graded_answers.WRONG
CASES = ("worked", "alternative", "untouched", "wrong")
# `make test` grades the tiny chapter and the cheapest real one; `make grade-all` (outside CI)
# every chapter, `make grade-all CHAPTERS="<name> ..."` those named. A chapter without an
# alternative and a wrong answer in graded_answers/ gets the worked and untouched cases only.
IN_CI = ("tiny", "autoregression")
NAMED = os.environ.get("D2LMINI_GRADE_CHAPTERS", "").split()
ALL = os.environ.get("D2LMINI_GRADE_ALL") == "1"
GRADED = sorted({"tiny", *NAMED} if NAMED else {"tiny", *(c.name for c in chapters())} if ALL else set(IN_CI))
# Each framework grades its submissions one after another, a whole notebook each: a real
# chapter's four took up to 26 minutes with other grading runs on the two cores.
GRADING_TIMEOUT_S = 1800 * max(1, len(GRADED) - 1)


def _code(answer: str | dict[str, str], framework: str) -> str:
    """An answer is the same code in every framework, or framework -> code."""
    return answer if isinstance(answer, str) else answer[framework]


def cases(chapter: str) -> tuple[str, ...]:
    return CASES if chapter in WRONG else ("worked", "untouched")


def _fill(student: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    filled = nbformat.from_dict(student)
    ids = {c["id"] for c in filled.cells}
    assert set(answers) <= ids, f"no answer cells {sorted(set(answers) - ids)}"
    for cell in filled.cells:
        if cell["id"] in answers:
            cell.source = answers[cell["id"]]
    return filled


def _submissions(out: Path, framework: str, folder: Path) -> dict[str, dict[int, str]]:
    """Write the four submissions of each chapter; return chapter -> exercise -> kind."""
    kinds = {}
    for chapter in GRADED:
        course = grading.course_folder(out, framework)
        if not (course / "source" / chapter).is_dir():
            continue  # a chapter without exercises
        worked = nbformat.read(course / "source" / chapter / f"{chapter}.ipynb", as_version=4)
        student = nbformat.read(out / framework / f"{chapter}-student.ipynb", as_version=4)
        submissions = {"worked": worked, "untouched": student}
        if chapter in WRONG:
            wrong_id, wrong_code = WRONG[chapter]
            submissions["wrong"] = _fill(worked, {wrong_id: next(
                c.source for c in worked.cells if c["id"] == wrong_id) + "\n" + _code(wrong_code, framework)})
            # the alternative also answers the exercises graded by hand, in words of its own
            prose = {c["id"]: "My own explanation." for c in student.cells
                     if c["id"].endswith("-text") and c.metadata.get("nbgrader", {}).get("grade")}
            alternative = {cell: _code(code, framework) for cell, code in ALTERNATIVES[chapter].items()}
            submissions["alternative"] = _fill(student, alternative | prose)
        for case, nb in submissions.items():
            (folder / case).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / case / f"{chapter}.ipynb")
        kinds[chapter] = {int(c.metadata["nbgrader"]["grade_id"].split("-")[1]):
                          "auto" if c.metadata["nbgrader"]["grade_id"].startswith("check") else "manual"
                          for c in worked.cells if c.metadata.get("nbgrader", {}).get("grade")}
    return kinds


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Courses for both chapters, the submissions, and each framework's grading run."""
    tmp = tmp_path_factory.mktemp("grading")
    out = tmp / "assignments"
    real = [c for c in chapters() if c.name in GRADED]
    log = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        status = assignments.write_assignments(out, real)
        (tmp / "book").mkdir()
        tiny = make(tmp / "book", monkeypatch, TINY)
        status |= assignments.write_assignments(out, [tiny])
    assert status == 0, log.getvalue()
    kinds, procs = {}, {}
    for framework in FRAMEWORKS:
        folder = tmp / "submissions" / framework
        kinds = _submissions(out, framework, folder)
        procs[framework] = subprocess.Popen(
            [sys.executable, "-m", "tools", "grade", str(folder), "--assignments", str(out),
             "--out", str(tmp / f"{framework}.csv")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=os.environ | {"D2LMINI_RESULTS_DIR": str(tmp / "results")})
    runs = {}
    for framework, proc in procs.items():
        printed, _ = proc.communicate(timeout=GRADING_TIMEOUT_S)
        with (tmp / f"{framework}.csv").open() as handle:
            runs[framework] = (proc.returncode, printed, list(csv.DictReader(handle)))
    return {"kinds": kinds, "runs": runs}


def _scores(rows: list[dict], case: str, chapter: str) -> dict[int, tuple[str, str, str]]:
    return {int(r["exercise"]): (r["graded"], r["score"], r["max_score"])
            for r in rows if r["student"] == case and r["chapter"] == chapter}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_submission_is_graded(graded: dict, framework: str) -> None:
    status, printed, rows = graded["runs"][framework]
    print(printed)  # what the instructor sees (pytest shows it with -rA)
    expected = {(case, chapter) for chapter in graded["kinds"] for case in cases(chapter)}
    assert status == 0, printed
    assert f"{len(expected)} of {len(expected)} submissions graded" in printed
    assert {(r["student"], r["chapter"]) for r in rows} == expected
    assert all(r["framework"] == framework for r in rows)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("chapter", GRADED)
def test_scores_per_case(graded: dict, framework: str, chapter: str) -> None:
    _, printed, rows = graded["runs"][framework]
    if chapter not in graded["kinds"]:
        assert not [r for r in rows if r["chapter"] == chapter]  # no exercises, no assignment
        return
    kinds = graded["kinds"][chapter]
    auto = sorted(n for n, kind in kinds.items() if kind == "auto")
    manual = sorted(n for n, kind in kinds.items() if kind == "manual")
    if chapter in WRONG:
        assert auto, kinds  # a wrong answer needs an auto-graded exercise
    full = {n: ("auto", "1", "1") for n in auto} | {n: ("manual", "", "1") for n in manual}
    for case in {"worked", "alternative"} & set(cases(chapter)):
        assert _scores(rows, case, chapter) == full, (case, printed)
    # nbgrader gives an unchanged answer cell zero, the manual ones included
    zero = {n: (kind, "0", "1") for n, kind in kinds.items()}
    assert _scores(rows, "untouched", chapter) == zero, printed
    if chapter in WRONG:
        wrong_exercise = int(WRONG[chapter][0].split("-")[1])
        assert _scores(rows, "wrong", chapter) == full | {wrong_exercise: ("auto", "0", "1")}, printed


def test_a_file_that_is_no_student_notebook_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "submissions"
    (folder / "ada").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / "ada" / "homework.ipynb")
    (folder / "bob.ipynb").write_text("not json")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        status = grading.grade(folder, tmp_path / "grades.csv", tmp_path / "assignments")
    assert status == 1
    text = printed.getvalue()
    assert "ada/homework.ipynb: not a student notebook of this book" in text
    assert "bob.ipynb: not a readable notebook" in text
    assert "0 of 0 submissions graded" in text
