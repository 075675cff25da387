"""Other correct answers and one wrong answer for each real chapter's auto-graded exercises.

One module per chapter, named after it, defines

- ``ALTERNATIVES``: answer cell id (``answer-<n>-code``) -> code that answers exercise n
  correctly in another way than the worked solution, written into the student notebook;
  the code is one string, or framework -> string where the frameworks differ;
- ``WRONG``: (answer cell id, code appended to the worked solution) that makes exactly that
  exercise's checks fail and leaves every other exercise's answer intact.

tests/assignments/test_grading.py grades them (``make grade-all``).
"""

from __future__ import annotations

import importlib
import pkgutil

ALTERNATIVES: dict[str, dict[str, str | dict[str, str]]] = {}
WRONG: dict[str, tuple[str, str | dict[str, str]]] = {}
for _module in pkgutil.iter_modules(__path__):
    _answers = importlib.import_module(f"{__name__}.{_module.name}")
    ALTERNATIVES[_module.name] = _answers.ALTERNATIVES
    WRONG[_module.name] = _answers.WRONG
