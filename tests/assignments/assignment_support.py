"""Helpers shared by the assignment tests (the fixture itself is in conftest.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tools.assignments import HIDDEN_BEGIN, HIDDEN_END
from tools.project import CHECK_TAG, FRAMEWORKS, SOLUTION_TAG

from tools.split import Chapter, chapters, read_source

CHAPTERS = chapters()
# Counted in the Markdown text itself, independently of jupytext and tools/assignments.py.
EXERCISE_LINE = re.compile(r"^\*\*Exercise (\d+)\.\*\*", re.MULTILINE)
PAIRS = [pytest.param(c, fw, id=f"{c.name}-{fw}") for c in CHAPTERS for fw in FRAMEWORKS]


def source_exercises(chapter: Chapter) -> list[int]:
    """The exercise numbers of a chapter, read from its Markdown source."""
    return [int(n) for n in EXERCISE_LINE.findall(chapter.source.read_text())]


@dataclass
class Written:
    """What ``write_assignments`` wrote, and what it printed."""

    out: Path
    log: str
    status: int

    def paths(self, chapter: Chapter, framework: str) -> tuple[Path, Path]:
        folder = self.out / framework
        return folder / f"{chapter.name}-student.ipynb", folder / f"{chapter.name}-solutions.ipynb"

    def notebooks(self, chapter: Chapter,
                  framework: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
        """The student and solutions notebooks; skips a chapter without exercises."""
        if not source_exercises(chapter):
            pytest.skip(f"{chapter.name} has no exercises, so no assignment")
        student, solutions = self.paths(chapter, framework)
        return nbformat.read(student, as_version=4), nbformat.read(solutions, as_version=4)


def solution_sources() -> dict[str, str]:
    """Every solution cell of every chapter, in all frameworks: its source -> where it is."""
    found = {}
    for chapter in CHAPTERS:
        for cell in read_source(chapter).cells:
            if SOLUTION_TAG in cell.metadata.get("tags", []) and cell.source.strip():
                found[cell.source.strip()] = f"{chapter.name} cell {cell['id']}"
    return found


SOLUTIONS = solution_sources()


def hidden_checks() -> dict[str, str]:
    """Every line between the hidden-test markers of every check cell: line -> where it is."""
    found = {}
    for chapter in CHAPTERS:
        for cell in read_source(chapter).cells:
            if CHECK_TAG not in cell.metadata.get("tags", []):
                continue
            hidden = False
            for line in cell.source.splitlines():
                if HIDDEN_BEGIN in line:
                    hidden = True
                elif HIDDEN_END in line:
                    hidden = False
                elif hidden and line.strip():
                    found[line.strip()] = f"{chapter.name} cell {cell['id']}"
    return found


HIDDEN = hidden_checks()


def leaks(nb: nbformat.NotebookNode) -> list[str]:
    """Cells of ``nb`` whose source equals or contains some chapter's solution cell, or
    holds a hidden line of some chapter's checks (or the markers themselves)."""
    found = [
        f"cell {cell['id']} holds the solution cell {origin}"
        for cell in nb.cells
        for solution, origin in SOLUTIONS.items()
        if cell.source.strip() == solution or solution in cell.source
    ]
    for cell in nb.cells:
        lines = {line.strip() for line in cell.source.splitlines()}
        found += [f"cell {cell['id']} holds the hidden check line {line!r} of {origin}"
                  for line, origin in HIDDEN.items() if line in lines]
        if HIDDEN_BEGIN in cell.source or HIDDEN_END in cell.source:
            found.append(f"cell {cell['id']} holds a hidden-test marker")
    return found
