"""Fixtures for the assignment notebooks of tools/assignments.py.

Run in the book environment from the repository root (``make test-assignments``):

    .venv/book/bin/python -m pytest tests/assignments

The notebooks are written afresh into a temporary folder, for every chapter of
``_toc.yml`` and every framework, exactly as ``make assignments`` writes them.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from assignment_support import Written

from tools import assignments


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    out = tmp_path_factory.mktemp("assignments")
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        status = assignments.write_assignments(out)
    return Written(out, log.getvalue(), status)
