"""Execute one notebook with nbclient, in the interpreter that runs this script.

Used by test_fresh_runtime.py under a bare virtual environment (PyTorch, ipykernel and
nbclient only)::

    <venv>/bin/python run_notebook.py SOURCE.ipynb EXECUTED.ipynb WORKDIR

The kernel is 'python3' of this interpreter and starts in WORKDIR with this process's
environment. The executed notebook is written to EXECUTED.ipynb also when a cell fails,
so that the caller can show the failing cell's output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(source: str, executed: str, workdir: str) -> int:
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=900,
        startup_timeout=120,
        resources={"metadata": {"path": workdir}},
    )
    try:
        client.execute()
    except CellExecutionError:
        nbformat.write(notebook, executed)
        raise
    nbformat.write(notebook, executed)
    print(f"executed {len(notebook.cells)} cells of {Path(source).name}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
