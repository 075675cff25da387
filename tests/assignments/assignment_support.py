"""Helpers shared by the assignment tests (the fixture itself is in conftest.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tools.project import FRAMEWORKS, SOLUTION_TAG

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


def leaks(nb: nbformat.NotebookNode) -> list[str]:
    """Cells of ``nb`` whose source equals or contains some chapter's solution cell."""
    return [
        f"cell {cell['id']} holds the solution cell {origin}"
        for cell in nb.cells
        for solution, origin in SOLUTIONS.items()
        if cell.source.strip() == solution or solution in cell.source
    ]
