"""Execute notebooks in place, inside one framework's environment.

Run with that environment's interpreter, e.g.
``.venv/pytorch/bin/python tools/execute.py notebooks/pytorch/autoregression.ipynb``.
The kernel is this interpreter's own (``python3``) and inherits this process's
environment, which the build sets from tools/kernel.env. Needs only nbformat and
nbclient, so it runs in every framework's environment.

The split step leaves the notebook's content hash as ``pending_hash``; only a run
that finishes without error stores it as ``source_hash``, which marks the notebook
up to date. The page's results file (and its training file) is removed first, so the
run writes it afresh. The
seconds the run took are stored in the notebook's metadata (``d2lmini.seconds``),
where the build's timing report reads them, and the CPU it ran on (``d2lmini.cpu``),
which decides how `make test` compares the outputs (tools/nbval_run.py); nbval does not
compare metadata.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from host import cpu_model  # tools/ is this script's folder, first on sys.path

CELL_TIMEOUT_S = 600


def execute(path: Path, results_dir: Path) -> float:
    """Execute one notebook in place and return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    framework = nb.metadata["d2lmini"]["framework"]
    (results_dir / framework / f"{path.stem}.json").unlink(missing_ok=True)
    # d2l.record_training's file, likewise (models a page no longer trains must not linger)
    (results_dir / "training" / framework / f"{path.stem}.json").unlink(missing_ok=True)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    meta = nb.metadata["d2lmini"]
    meta["seconds"] = round(seconds, 1)
    meta["cpu"] = cpu_model()  # outputs repeat bit for bit on this CPU model (tools/host.py)
    meta["source_hash"] = meta.pop("pending_hash")
    nbformat.write(nb, path)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--results-dir", type=Path, required=True)
    args = parser.parse_args()
    for path in args.notebooks:
        seconds = execute(path, args.results_dir)
        print(f"executed {path} in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
