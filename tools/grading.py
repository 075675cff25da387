"""Grading with nbgrader: ``make assignments`` writes a course per framework, ``make grade``
scores a folder of submissions into a CSV.

A course is nbgrader's own folder layout, so an instructor can also use nbgrader's
commands and its formgrader on it::

    _build/assignments/<framework>/grader/
        nbgrader_config.py          the kernel d2lmini-<framework>, the timeouts, the stubs
        gradebook.db                nbgrader's database: assignments, checks, scores
        source/<chapter>/<chapter>.ipynb      the worked solutions and every check
        release/<chapter>/<chapter>.ipynb     what students get (= <chapter>-student.ipynb)
        submitted/<student>/<chapter>/...     filled in by `make grade`
        autograded/<student>/<chapter>/...    the executed, scored submissions

Grading executes a submission from the top in the kernel ``d2lmini-<framework>``
(tools/lab.py: the framework's environment under tools/kernel.env), with nbgrader
running in the book environment; no framework environment needs nbgrader. Each check
cell is worth ``CHECK_POINTS``; an exercise without checks has one answer cell worth
``MANUAL_POINTS``, graded by hand (in nbgrader's formgrader) with the worked solution as
its rubric.

    python -m tools grade SUBMISSIONS [--out grades.csv]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools.project import FRAMEWORKS, RESULTS_VARIABLE, ROOT

CELL_TIMEOUT_S = 1800  # nbgrader's default, 30 s, is shorter than a training cell
GRADE_ID = re.compile(r"^(check|answer)-(\d+)-(\w+)$")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
CSV_FIELDS = ("student", "framework", "chapter", "exercise", "graded", "score", "max_score")


class GradingError(RuntimeError):
    """nbgrader failed, or a submission cannot be graded as it is."""


def course_folder(out: Path, framework: str) -> Path:
    return out / framework / "grader"


def kernel_name(framework: str) -> str:
    from tools.lab import kernel_name as name
    return name(framework)


def course_config(framework: str) -> str:
    """The course's nbgrader_config.py."""
    return (
        "# nbgrader's settings for this book's assignments in one framework (tools/grading.py).\n"
        "c = get_config()  # noqa: F821 (nbgrader defines it)\n"
        f"c.CourseDirectory.course_id = 'd2lmini-{framework}'\n"
        "# Submissions run in the framework's own environment: the kernel `make lab` installs.\n"
        f"c.Execute.kernel_name = {kernel_name(framework)!r}\n"
        f"c.Execute.timeout = {CELL_TIMEOUT_S}\n"
        "# What students see in place of a solution (the book's student notebook's cells).\n"
        "c.ClearSolutions.code_stub = {'python': ''}\n"
        "c.ClearSolutions.text_stub = '*Your answer here.*'\n"
    )


def _alembic_head() -> str:
    """The newest revision of nbgrader's database schema, read in this process; nbgrader
    asks the `alembic` command for it (about 2.5 s) whenever it creates a gradebook."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise GradingError(f"nbgrader's migrations in {ALEMBIC_DIR} have no head revision")
    return head


def _api(course: Path):  # -> nbgrader.apps.NbGraderAPI
    """nbgrader's API on a course folder, configured by its nbgrader_config.py."""
    import nbgrader.api
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    nbgrader.api.get_alembic_version = _alembic_head
    # nbgrader runs its database migrations with the `alembic` command of its environment
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    config = PyFileConfigLoader("nbgrader_config.py", str(course)).load_config()
    config.merge(Config({"CourseDirectory": {"root": str(course)}}))
    return NbGraderAPI(config=config)


def _run(result: dict, what: str) -> None:
    if not result.get("success"):
        raise GradingError(f"nbgrader {what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")


def generate(course: Path, framework: str, chapter: str, source: nbformat.NotebookNode) -> Path:
    """Write a chapter's source notebook into the course and let nbgrader make the
    release (the student notebook); return the release notebook's path."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(course_config(framework))
    folder = course / "source" / chapter
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(source, folder / f"{chapter}.ipynb")
    with _unvalidated_steps():
        _run(_api(course).generate_assignment(chapter, force=True, create=True),
             f"generate_assignment {chapter}")
    release = course / "release" / chapter / f"{chapter}.ipynb"
    nbformat.validate(nbformat.read(release, as_version=4))
    return release


@contextlib.contextmanager
def _unvalidated_steps() -> Iterator[None]:
    """nbconvert validates the notebook after each of nbgrader's dozen steps, compiling
    the schema anew each time (two thirds of the time); the release is validated once."""
    from nbconvert.exporters.exporter import Exporter

    saved = Exporter._validate_preprocessor
    Exporter._validate_preprocessor = lambda self, nb, preprocessor: None
    try:
        yield
    finally:
        Exporter._validate_preprocessor = saved


@dataclass(frozen=True)
class Submission:
    student: str
    framework: str
    chapter: str
    path: Path


def find_submissions(folder: Path) -> tuple[list[Submission], list[str]]:
    """The submitted notebooks under ``folder``: ``<student>/<any name>.ipynb`` or
    ``<student>.ipynb``; which chapter and framework each is comes from the student
    notebook's own metadata. Returns them and a message for each file that is not one."""
    found, problems = [], []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        relative = path.relative_to(folder)
        student = relative.parts[0] if len(relative.parts) > 1 else path.stem
        if not STUDENT_ID.match(student):
            problems.append(f"{relative}: {student!r} is not a usable student id (letters, digits, "
                            "and _ . @ - after the first character)")
            continue
        try:
            meta = nbformat.read(path, as_version=4).metadata.get("d2lmini", {})
        except Exception as error:  # noqa: BLE001 (any unreadable file is reported, not fatal)
            problems.append(f"{relative}: not a readable notebook ({error})")
            continue
        framework, chapter = meta.get("framework"), meta.get("chapter")
        if framework not in FRAMEWORKS or not chapter:
            problems.append(f"{relative}: not a student notebook of this book (its metadata has no "
                            "d2lmini framework and chapter; hand out the notebooks `make "
                            "assignments` writes)")
            continue
        found.append(Submission(student, framework, chapter, path))
    seen: dict[tuple[str, str, str], Path] = {}
    for sub in found:
        key = (sub.student, sub.framework, sub.chapter)
        if key in seen:
            problems.append(f"{sub.path.relative_to(folder)}: a second submission of {sub.chapter} "
                            f"[{sub.framework}] by {sub.student} (the first: "
                            f"{seen[key].relative_to(folder)})")
        seen.setdefault(key, sub.path)
    return [s for s in found if seen[(s.student, s.framework, s.chapter)] == s.path], problems


@contextlib.contextmanager
def _grading_environment() -> Iterator[None]:
    """Kernels that find the framework kernels and write a submission's figures to a
    scratch folder, never into the book's results/."""
    from tools import lab

    lab.install()  # the d2lmini-<framework> kernel specs, in the book environment
    saved = os.environ.get(RESULTS_VARIABLE)
    with tempfile.TemporaryDirectory(prefix="d2lmini-grading-") as scratch:
        os.environ[RESULTS_VARIABLE] = scratch
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop(RESULTS_VARIABLE, None)
            else:
                os.environ[RESULTS_VARIABLE] = saved


@dataclass(frozen=True)
class Score:
    """One exercise of one submission."""

    student: str
    framework: str
    chapter: str
    exercise: int
    graded: str  # "auto" or "manual"
    score: float | None  # None: a manual grade not given yet
    max_score: float


def autograde(course: Path, sub: Submission) -> list[Score]:
    """Copy a submission into the course, let nbgrader execute and score it, return its
    score per exercise (inside ``_grading_environment``)."""
    if not (course / "source" / sub.chapter).is_dir():
        raise GradingError(f"no assignment {sub.chapter} in {course}: run `make assignments` first")
    target = course / "submitted" / sub.student / sub.chapter
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copyfile(sub.path, target / f"{sub.chapter}.ipynb")
    _run(_api(course).autograde(sub.chapter, sub.student, force=True, create=True),
         f"autograde {sub.chapter} for {sub.student}")
    return scores(course, sub)


def scores(course: Path, sub: Submission) -> list[Score]:
    """A graded submission's score per exercise, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    per_exercise: dict[int, list] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(sub.chapter, sub.chapter, sub.student)
        for grade in notebook.grades:
            match = GRADE_ID.match(grade.name)
            if not match:
                continue
            kind, number = match.group(1), int(match.group(2))
            auto = kind == "check"
            score = grade.score if (auto or not grade.needs_manual_grade) else None
            per_exercise.setdefault(number, []).append((auto, score, grade.max_score))
    rows = []
    for number, grades in sorted(per_exercise.items()):
        auto = all(a for a, _, _ in grades)
        got = [s for _, s, _ in grades]
        rows.append(Score(sub.student, sub.framework, sub.chapter, number,
                          "auto" if auto else "manual",
                          None if any(s is None for s in got) else float(sum(got)),
                          float(sum(m for _, _, m in grades))))
    return rows


def write_csv(rows: list[Score], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_FIELDS)
        for r in rows:
            writer.writerow([r.student, r.framework, r.chapter, r.exercise, r.graded,
                             "" if r.score is None else f"{r.score:g}", f"{r.max_score:g}"])


def summary(rows: list[Score]) -> str:
    """One line per submission: the auto-graded points and what waits for a person."""
    lines = []
    keys = sorted({(r.student, r.framework, r.chapter) for r in rows})
    for key in keys:
        mine = [r for r in rows if (r.student, r.framework, r.chapter) == key]
        auto = [r for r in mine if r.graded == "auto"]
        manual = [r for r in mine if r.graded == "manual"]
        per = " ".join(f"{r.exercise}:{r.score:g}/{r.max_score:g}" for r in auto)
        lines.append(f"{key[0]} {key[2]} [{key[1]}]: auto-graded {sum(r.score or 0 for r in auto):g} of "
                     f"{sum(r.max_score for r in auto):g} ({per}); {len(manual)} exercises to grade by hand")
    return "\n".join(lines)


def grade(folder: Path, out: Path, assignments_out: Path) -> int:
    """Grade every submission under ``folder`` into the CSV ``out``; 1 if any file could
    not be graded (the others still are)."""
    if not folder.is_dir():
        print(f"no folder {folder}: expected a folder of submitted notebooks, "
              "<student>/<notebook>.ipynb or <student>.ipynb", file=sys.stderr)
        return 1
    subs, problems = find_submissions(folder)
    rows: list[Score] = []
    graded = 0
    with _grading_environment():  # once for the run: the kernel specs, the scratch results folder
        for sub in subs:
            start = time.perf_counter()
            try:
                rows.extend(autograde(course_folder(assignments_out, sub.framework), sub))
                graded += 1
            except GradingError as error:
                problems.append(f"{sub.path.relative_to(folder)}: {error}")
            print(f"{sub.student} {sub.chapter} [{sub.framework}]: ran in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
    write_csv(rows, out)
    if rows:
        print(summary(rows))
    print(f"{graded} of {len(subs)} submissions graded -> {out}")
    for problem in problems:
        print(f"not graded: {problem}", file=sys.stderr)
    return 1 if problems or not graded else 0


def main() -> int:
    from tools.assignments import OUT

    parser = argparse.ArgumentParser(description="Grade submitted assignment notebooks with nbgrader.")
    parser.add_argument("submissions", type=Path,
                        help="a folder of <student>/<notebook>.ipynb or <student>.ipynb")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write (default grades.csv)")
    parser.add_argument("--assignments", type=Path, default=OUT,
                        help="where `make assignments` wrote the courses (default _build/assignments)")
    args = parser.parse_args()
    return grade(args.submissions.resolve(), args.out.resolve(), args.assignments.resolve())


if __name__ == "__main__":
    sys.exit(main())
