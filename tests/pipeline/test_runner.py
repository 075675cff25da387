"""The one function that runs a notebook (tools/runner.py), in the book environment."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from tools import runner
from tools.project import ROOT


def _notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_run_measures_wall_and_kernel_cpu_seconds(tmp_path: Path) -> None:
    busy = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass"
    run = runner.run_notebook(_notebook("import os; print(os.getcwd())", busy), tmp_path)
    assert run.error is None
    assert run.notebook.cells[0].outputs[0]["text"].strip() == str(tmp_path)  # the kernel's cwd
    assert run.cpu_seconds is not None and 1.0 <= run.cpu_seconds < run.wall_seconds + 1
    assert run.wall_seconds >= 1.0


def test_profile_names_the_busy_cell(tmp_path: Path) -> None:
    busy = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass"
    nb = _notebook("x = 1", busy, "y = 2")
    run = runner.run_notebook(nb, tmp_path)
    assert list(run.cell_cpu_seconds) == [cell.id for cell in nb.cells]  # every cell, in order
    (slowest, seconds), *_ = run.slowest(1)
    # read from outside the kernel in clock ticks (10 ms) and rounded to 0.01 s: a busy
    # second can read 0.99 (it did in CI)
    assert slowest == nb.cells[1].id and 0.98 <= seconds < 1.5
    assert run.cell_cpu_seconds[nb.cells[0].id] < 0.5


def test_partial_run_and_failures(tmp_path: Path) -> None:
    run = runner.run_notebook(_notebook("x = 1", "raise ValueError('stop here')", "y = 2"), tmp_path,
                              stop_before=1)
    assert run.error is None and len(run.notebook.cells) == 1
    failed = runner.run_notebook(_notebook("x = 1", "raise ValueError('stop here')", "y = 2"), tmp_path)
    assert failed.error is not None and "stop here" in failed.error
    assert failed.notebook.cells[2].execution_count is None  # nothing ran after the failure


def _kernel_starters(tree: ast.AST) -> list[str]:
    """Imports of nbclient or jupyter_client's kernel managers, and command lines that
    would start a kernel (jupyter-execute, jupyter nbconvert --execute)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in ("nbclient", "jupyter_client")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("nbclient", "jupyter_client"):
            found.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in (
                "jupyter-execute", "--execute"):
            found.append(node.value)
    return found


def test_no_other_module_starts_a_kernel() -> None:
    """Only tools/runner.py starts kernels (besides nbval, which it invokes, and `make lab`'s
    JupyterLab, whose kernel specs tools/lab.py writes and tests/pipeline/test_lab.py starts)."""
    allowed = {ROOT / "tools" / "runner.py", ROOT / "tools" / "lab.py", ROOT / "tests" / "pipeline" / "test_lab.py",
               Path(__file__).resolve()}  # this file names the starters it looks for
    found = {str(path.relative_to(ROOT)): starters
             for path in sorted((ROOT / "tools").glob("*.py")) + sorted((ROOT / "tests").rglob("*.py"))
             if path not in allowed and (starters := _kernel_starters(ast.parse(path.read_text())))}
    assert found == {}
    assert "nbclient" in _kernel_starters(ast.parse((ROOT / "tools" / "runner.py").read_text()))


def test_report_profile_names_cells_by_what_they_do() -> None:
    from tools.execute import _telling_line

    source = "# train it\nd2l.seed_everything(seed)\ntimer = d2l.Timer()\nmlp = make_mlp()\nfit(mlp)"
    assert _telling_line(source) == "mlp = make_mlp()"
    assert _telling_line(":tags: [trained]\ntrain_gated('lstm')") == "train_gated('lstm')"
