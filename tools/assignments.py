"""Assignment notebooks for instructors: ``make assignments``.

For every chapter and framework this writes two notebooks into
``_build/assignments/<framework>/`` (a build folder, never committed):

``<chapter>-student.ipynb``
    The framework's split notebook (the install cell and the whole chapter, so a
    student has every definition the exercises build on) with every cell tagged
    ``solution`` removed. Where an exercise's worked solution was, the student finds
    cells tagged ``answer`` to fill in: an empty code cell where the solution has
    code, a markdown cell reading "Your answer here." where it has prose. Cells that
    follow an exercise's text without the ``solution`` tag (starter code, a hint)
    stay, so the answer cells come after them.
``<chapter>-solutions.ipynb``
    The same split notebook with every solution cell, i.e. the notebook that
    ``make test`` executes and checks with nbval, with the committed outputs when
    ``notebooks/<framework>/<chapter>.ipynb`` is up to date.

An exercise is a markdown cell that starts with ``**Exercise N.**``; the cells after
it up to the next exercise (or the next heading) are its own. A chapter without
exercises yields no assignment, and the command says so.

    python -m tools.assignments                      # every chapter and framework
    python -m tools.assignments --framework pytorch  # one framework (repeatable)
    python -m tools.assignments --chapter autoregression --out /tmp/assignments

Runs in the book environment (.venv/book). ``execute_until_first_exercise`` runs a
student notebook's code up to its first exercise in each framework's environment,
side by side (tests/assignments uses it).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tools import grading, runner
from tools.project import BUILD, CHECK_TAG, FRAMEWORKS, LABELS, ROOT, SOLUTION_TAG
from tools.split import CURRENT, Chapter, chapters, split, status

OUT = BUILD / "assignments"
ANSWER_TAG = "answer"
ANSWER_PROMPT = "*Your answer here.*"
# nbgrader's markers: the solution region its release replaces, the lines of a check
# cell it keeps from students (and restores when it grades).
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_POINTS = 1  # per check cell of an auto-graded exercise
MANUAL_POINTS = 1  # per manually graded exercise
# An exercise cell starts with its bold number; "Exercise 3 shows ..." in prose does not count.
EXERCISE = re.compile(r"\A\s*\*\*Exercise (\d+)\.\*\*")
HEADING = re.compile(r"\A\s*#{1,6}\s")


class AssignmentError(ValueError):
    """A chapter whose exercises and solutions cannot be turned into an assignment."""


def exercise_number(cell: nbformat.NotebookNode) -> int | None:
    """N for a markdown cell that starts with ``**Exercise N.**``, else None."""
    if cell.cell_type != "markdown":
        return None
    match = EXERCISE.match(cell.source)
    return int(match.group(1)) if match else None


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def is_check(cell: nbformat.NotebookNode) -> bool:
    return CHECK_TAG in cell.metadata.get("tags", [])


def first_exercise_index(nb: nbformat.NotebookNode) -> int | None:
    """Index of the first exercise cell of a notebook, or None if it has none."""
    return next((i for i, cell in enumerate(nb.cells) if exercise_number(cell) is not None), None)


@dataclass
class Exercise:
    """One exercise of a split notebook, as indices into its cells."""

    number: int
    cell: int  # the exercise text
    own: list[int] = field(default_factory=list)  # cells after it that belong to it
    solutions: list[int] = field(default_factory=list)  # the subset tagged `solution`
    checks: list[int] = field(default_factory=list)  # the subset tagged `check`

    @property
    def auto_graded(self) -> bool:
        """Graded by its checks; an exercise without checks is graded by hand."""
        return bool(self.checks)


def exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """The exercises of a notebook; refuses solution cells that belong to none."""
    found: list[Exercise] = []
    current: Exercise | None = None
    for index, cell in enumerate(nb.cells):
        number = exercise_number(cell)
        if number is not None:
            current = Exercise(number, index)
            found.append(current)
            continue
        if (cell.cell_type == "markdown" and not is_solution(cell)
                and HEADING.match(cell.source)):
            current = None  # a new section ends the exercise
        if current is None:
            for tag, tagged in ((SOLUTION_TAG, is_solution(cell)), (CHECK_TAG, is_check(cell))):
                if tagged:
                    raise AssignmentError(
                        f"cell {cell.get('id')} is tagged {tag!r} but follows no "
                        f"'**Exercise N.**' cell: {cell.source[:60]!r}")
            continue
        current.own.append(index)
        if is_check(cell):
            if cell.cell_type != "code" or is_solution(cell):
                raise AssignmentError(
                    f"cell {cell.get('id')} of exercise {current.number}: a {CHECK_TAG!r} cell "
                    f"is a code cell of assertions, not tagged {SOLUTION_TAG!r} as well")
            if not current.solutions:
                raise AssignmentError(
                    f"cell {cell.get('id')}: the checks of exercise {current.number} come "
                    "before its worked solution; they go after it (the student's answer "
                    "takes the solution's place)")
            current.checks.append(index)
        elif is_solution(cell):
            current.solutions.append(index)
        elif cell.cell_type == "code" and current.solutions:
            raise AssignmentError(
                f"cell {cell.get('id')}: starter code of exercise {current.number} comes after "
                "its worked solution began; the student's answer takes the solution's place, "
                "so it would run before this cell: put the starter code before the solution")
    return found


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, points: float = 0) -> dict:
    """nbgrader's cell metadata (schema 3): an answer cell (solution), a cell it scores
    (grade: a check cell, or a manually graded answer), locked when it is a check."""
    meta = {"schema_version": 3, "grade_id": grade_id, "solution": solution, "grade": grade,
            "locked": grade and not solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def check_cell(cell: nbformat.NotebookNode, exercise: Exercise, k: int) -> nbformat.NotebookNode:
    """A check cell as nbgrader's test cell: locked, worth CHECK_POINTS."""
    new = _clean(cell)
    new.metadata["nbgrader"] = _nbgrader(f"check-{exercise.number}-{k}", solution=False,
                                         grade=True, points=CHECK_POINTS)
    return new


def strip_hidden(source: str) -> str:
    """A check cell's source without its hidden lines (nbgrader's ClearHiddenTests)."""
    kept, hidden = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept).strip("\n")


def answer_cells(nb: nbformat.NotebookNode, exercise: Exercise,
                 worked: bool = False) -> list[nbformat.NotebookNode]:
    """The cells a student fills in, shaped like the worked solution they replace.

    Code where the solution has code, prose where it has no code or ends in prose
    (a question to discuss after computing something), or where the exercise has no
    checks and is graded by hand; both when there is no solution to go by. With
    ``worked``, the cells hold the worked solution (nbgrader's source version: the code
    inside its solution markers; the prose as the rubric of a manually graded answer, the
    only kind of prose cell nbgrader's release clears), else they are empty.
    """
    solutions = [nb.cells[i] for i in exercise.solutions]
    kinds = [cell.cell_type for cell in solutions]
    want_code = not kinds or "code" in kinds
    want_prose = not kinds or kinds[-1] == "markdown" or not exercise.auto_graded
    n = exercise.number
    cells = []
    if want_code:
        code = "\n\n".join(c.source for c in solutions if c.cell_type == "code")
        cell = nbformat.v4.new_code_cell(
            f"{SOLUTION_BEGIN}\n{code}\n{SOLUTION_END}" if worked else "",
            metadata={"tags": [ANSWER_TAG],
                      "nbgrader": _nbgrader(f"answer-{n}-code", solution=True, grade=False)})
        cell["id"] = f"answer-{n}-code"
        cells.append(cell)
    if want_prose:
        prose = "\n\n".join(c.source for c in solutions if c.cell_type == "markdown")
        metadata: dict = {"tags": [ANSWER_TAG]}
        if not exercise.auto_graded:  # the worked prose is the rubric of a manual grade
            metadata["nbgrader"] = _nbgrader(f"answer-{n}-text", solution=True, grade=True,
                                             points=MANUAL_POINTS)
        rubric = worked and prose and not exercise.auto_graded  # nbgrader clears only graded cells
        cell = nbformat.v4.new_markdown_cell(prose if rubric else ANSWER_PROMPT, metadata=metadata)
        cell["id"] = f"answer-{n}-text"
        cells.append(cell)
    return cells


def chapter_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def _header(text: str, cell_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": ["assignment-header"]})
    cell["id"] = cell_id
    return cell


def _metadata(nb: nbformat.NotebookNode, chapter: Chapter, framework: str, kind: str,
              count: int) -> dict:
    meta = copy.deepcopy(dict(nb.metadata))
    # No source_hash: these are not the committed notebooks and never count as up to date.
    meta["d2lmini"] = {"framework": framework, "chapter": chapter.name,
                       "assignment": kind, "exercises": count}
    return meta


def _grading_note(auto: int, count: int) -> str:
    """What the student notebook's header says about grading."""
    if not auto:
        return "Your answers are graded by hand."
    which = "All of the exercises are" if auto == count else f"{auto} of the {count} exercises are"
    rest = "" if auto == count else " The others are graded by hand."
    return (f"{which} graded automatically: after your answer comes a cell of checks (do not "
            "edit it). Run it: it prints nothing when your answer passes, and stops with an "
            "`AssertionError` that says what was expected when it does not. The grader runs "
            "the whole notebook from the top, with these checks and a few more." + rest)


def student_notebook(nb: nbformat.NotebookNode, chapter: Chapter, framework: str,
                     worked: bool = False) -> nbformat.NotebookNode:
    """A split notebook without its solutions, with answer cells in their place and
    each check cell marked as nbgrader's test cell.

    This is what students get (nbgrader's release, with the hidden checks left out). With
    ``worked``, it is nbgrader's source version instead: the answer cells hold the worked
    solutions inside nbgrader's markers and the checks keep their hidden lines.
    """
    found = exercises(nb)
    answers_before: dict[int, list[nbformat.NotebookNode]] = {}
    checks: dict[int, nbformat.NotebookNode] = {}
    for exercise in found:
        # Where the solution began, else after the exercise's last cell of its own.
        at = exercise.solutions[0] if exercise.solutions else (exercise.own or [exercise.cell])[-1] + 1
        answers_before.setdefault(at, []).extend(answer_cells(nb, exercise, worked))
        for k, index in enumerate(exercise.checks, start=1):
            checks[index] = check_cell(nb.cells[index], exercise, k)
            if not worked:
                checks[index].source = strip_hidden(checks[index].source)
    auto = sum(e.auto_graded for e in found)
    student = nbformat.v4.new_notebook()
    # The same metadata in both: nbgrader's release of the source is the student notebook.
    student.metadata = _metadata(nb, chapter, framework, "student", len(found))
    student.metadata["d2lmini"]["auto_graded"] = auto
    title = chapter_title(nb, chapter.name)
    student.cells.append(_header(
        f"# Assignment: {title} ({LABELS[framework]})\n\n"
        f"This notebook is the chapter *{title}* followed by its {len(found)} exercises, "
        "without their worked solutions. Run the cells from the top (the first code cell "
        "installs `d2lmini` in Colab or SageMaker Studio Lab), then answer each exercise "
        "in the cells after it: an empty code cell for code, a cell reading "
        f"{ANSWER_PROMPT} for your explanation.\n\n" + _grading_note(auto, len(found)),
        "assignment-header"))
    for index, cell in enumerate(nb.cells):
        student.cells.extend(answers_before.get(index, []))
        if index in checks:
            student.cells.append(checks[index])
        elif not is_solution(cell):
            student.cells.append(_clean(cell))
    student.cells.extend(answers_before.get(len(nb.cells), []))
    return student


def _clean(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a cell without outputs (students run the notebook themselves)."""
    new = copy.deepcopy(cell)
    if new.cell_type == "code":
        new.outputs, new.execution_count = [], None
    return new


def solutions_notebook(nb: nbformat.NotebookNode, chapter: Chapter,
                       framework: str) -> tuple[nbformat.NotebookNode, bool]:
    """The split notebook with a header; outputs from notebooks/ when that is up to date.

    Returns the notebook and whether it carries outputs.
    """
    found = exercises(nb)
    solutions = copy.deepcopy(nb)
    state = status(chapter, framework)
    executed = state.state == CURRENT
    if executed:
        ran = {c["id"]: c for c in state.committed.cells}
        for cell in solutions.cells:
            if cell.cell_type == "code":
                cell.outputs = ran[cell["id"]].outputs
                cell.execution_count = ran[cell["id"]].execution_count
    solutions.metadata = _metadata(nb, chapter, framework, "solutions", len(found))
    title = chapter_title(nb, chapter.name)
    solutions.cells.insert(0, _header(
        f"# Solutions: {title} ({LABELS[framework]})\n\n"
        f"The chapter *{title}* with its {len(found)} exercises and their worked "
        f"solutions (the cells tagged `{SOLUTION_TAG}`), for instructors. The student "
        "version of this notebook has the same cells without the solutions.",
        "solutions-header"))
    return solutions, executed


@dataclass
class Assignment:
    """The two notebooks of one chapter in one framework."""

    chapter: Chapter
    framework: str
    student: nbformat.NotebookNode
    solutions: nbformat.NotebookNode
    source: nbformat.NotebookNode  # nbgrader's source version: worked answers, every check
    exercises: list[int]
    solutions_executed: bool
    warnings: list[str] = field(default_factory=list)

    def paths(self, out: Path) -> tuple[Path, Path]:
        folder = out / self.framework
        return folder / f"{self.chapter.name}-student.ipynb", folder / f"{self.chapter.name}-solutions.ipynb"


def build_assignment(chapter: Chapter, framework: str) -> Assignment | None:
    """The assignment of one chapter and framework, or None when it has no exercises."""
    nb = split(chapter, framework)
    found = exercises(nb)
    if not found:
        return None
    solutions, executed = solutions_notebook(nb, chapter, framework)
    student = student_notebook(nb, chapter, framework)
    source = student_notebook(nb, chapter, framework, worked=True)
    for notebook in (student, solutions, source):
        nbformat.validate(notebook)
    numbers = [e.number for e in found]
    warnings = [f"exercise {e.number} has no solution cells" for e in found if not e.solutions]
    if numbers != list(range(1, len(numbers) + 1)):
        warnings.append(f"exercises are numbered {numbers}, not 1 to {len(numbers)}")
    return Assignment(chapter, framework, student, solutions, source, numbers, executed, warnings)


def write_assignments(out: Path = OUT, selected: list[Chapter] | None = None,
                      frameworks: tuple[str, ...] = FRAMEWORKS) -> int:
    """Write the assignments into ``out/<framework>/`` and report what was (not) written.

    With every chapter selected, the folders are emptied first, so a chapter that was
    renamed, removed or lost its exercises leaves no notebook behind.
    """
    everything = selected is None
    selected = chapters() if selected is None else selected
    for framework in frameworks:
        folder = out / framework
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            if everything or old.stem.rsplit("-", 1)[0] in {c.name for c in selected}:
                old.unlink()
    failed = 0
    for chapter in selected:
        for framework in frameworks:
            try:
                assignment = build_assignment(chapter, framework)
            except (ValueError, nbformat.ValidationError) as error:  # AssignmentError, bad source
                print(f"{chapter.name} [{framework}]: no assignment: {error}", file=sys.stderr)
                failed += 1
                continue
            if assignment is None:  # exercise cells are markdown, the same in every framework
                print(f"{chapter.name}: no '**Exercise N.**' cells, so no assignment")
                break
            for warning in assignment.warnings:
                print(f"{chapter.name} [{framework}]: warning: {warning}", file=sys.stderr)
            student_path, solutions_path = assignment.paths(out)
            try:  # nbgrader's release of the source is the student notebook
                release = grading.generate(grading.course_folder(out, framework), framework,
                                           chapter.name, assignment.source)
            except grading.GradingError as error:
                print(f"{chapter.name} [{framework}]: no assignment: {error}", file=sys.stderr)
                failed += 1
                continue
            shutil.copyfile(release, student_path)
            nbformat.write(assignment.solutions, solutions_path)
            outputs = ("with outputs" if assignment.solutions_executed
                       else "without outputs: notebooks/ is stale, run `make notebooks`")
            print(f"{chapter.name} [{framework}]: {len(assignment.exercises)} exercises -> "
                  f"{_show(student_path)}, {_show(solutions_path)} ({outputs})")
    return 1 if failed else 0


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def until_first_exercise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a notebook holding only the cells before its first exercise."""
    stop = first_exercise_index(nb)
    prefix = copy.deepcopy(nb)
    prefix.cells = prefix.cells[: len(nb.cells) if stop is None else stop]
    return prefix


@dataclass
class Run:
    """The outcome of executing one notebook in a framework's environment."""

    framework: str
    notebook: nbformat.NotebookNode | None  # the executed notebook, None if it failed
    seconds: float
    log: str


def execute_in_framework(nb: nbformat.NotebookNode, framework: str, workdir: Path,
                         results_dir: Path, name: str) -> Run:
    """Execute a notebook in the framework's environment (tools/runner.py), its kernel in
    ``workdir`` and its figures in ``results_dir``; everything else (D2LMINI_DATA_MIRROR,
    say) comes from this process's environment, as in the build."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.ipynb"
    nbformat.write(nb, path)
    start = time.perf_counter()
    proc = runner.start(framework, ["run", str(path), str(path), "--cwd", str(workdir)],
                        results_dir=results_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True)
    log, _ = proc.communicate()
    seconds = time.perf_counter() - start
    executed = nbformat.read(path, as_version=4) if proc.returncode == 0 else None
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)  # nbclient colors tracebacks
    return Run(framework, executed, seconds, log)


def execute_until_first_exercise(jobs: dict[str, tuple[nbformat.NotebookNode, str]],
                                 workdir: Path, results_dir: Path,
                                 parallel: int | None = None) -> dict[str, Run]:
    """Run each student notebook's code before its first exercise, side by side.

    ``jobs`` maps a name to (student notebook, framework). Each kernel is
    single-threaded (tools/kernel.env); as many run at once as there are frameworks or
    cores, whichever is more, unless ``$D2LMINI_ASSIGNMENT_JOBS`` sets the number.
    """
    parallel = parallel or int(os.environ.get("D2LMINI_ASSIGNMENT_JOBS", "0")) or \
        max(len(FRAMEWORKS), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(jobs)))) as pool:
        futures = {
            name: pool.submit(execute_in_framework, until_first_exercise(nb), framework,
                              workdir / name, results_dir, name)
            for name, (nb, framework) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Write student and solutions notebooks per chapter and framework.")
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append",
                        help="only this framework (repeatable; default all)")
    parser.add_argument("--chapter", action="append",
                        help="only this chapter, e.g. autoregression (repeatable; default all in _toc.yml)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {_show(OUT)})")
    args = parser.parse_args()
    selected = None  # every chapter of _toc.yml
    if args.chapter:
        known = chapters()
        unknown = set(args.chapter) - {c.name for c in known}
        if unknown:
            parser.error(f"not a chapter in _toc.yml: {', '.join(sorted(unknown))}")
        selected = [c for c in known if c.name in args.chapter]
    return write_assignments(args.out.resolve(), selected, tuple(args.framework or FRAMEWORKS))


if __name__ == "__main__":
    sys.exit(main())
