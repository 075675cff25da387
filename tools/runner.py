"""Run notebooks: the one place in the pipeline that starts a kernel.

:func:`run_notebook` executes a notebook with nbclient in this interpreter (its kernel is
``python3`` of this interpreter, with this process's environment) and measures the wall
and kernel CPU seconds. :func:`start` runs this module's CLI in a framework's
environment under tools/kernel.env, which is how the book environment's tools
(execute, benchmark, assignments) run notebooks. :func:`nbval_command` is the one nbval
command line (verify uses it for the exact, cross-CPU and GPU comparisons).

    python -m tools.runner build NOTEBOOK... --results-dir DIR   # in place, stamped for the build
    python -m tools.runner run SOURCE EXECUTED [--cwd DIR] [--stop-before N] [--timeout S]

Imports only the standard library, nbformat and nbclient (those lazily), so that it runs
in every framework's environment and in bare ones (the fresh-runtime test, a GPU
machine's own Python). Run it from the repository root (``-m tools.runner``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.host import cpu_model
from tools.project import ROOT, SANITIZER, interpreter, kernel_environment

CELL_TIMEOUT_S = 600


@dataclass
class Run:
    """One execution: the notebook (with the outputs it got), its cost, its failure."""

    notebook: Any  # nbformat.NotebookNode
    wall_seconds: float
    cpu_seconds: float | None  # user + system of the kernel process; None where unknown
    error: str | None = None  # the failing cell's error, or None
    #: The profile: kernel CPU seconds of each code cell, by cell id, in execution order.
    cell_cpu_seconds: dict[str, float] = field(default_factory=dict)

    def slowest(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` cells that took the most kernel CPU, slowest first."""
        return sorted(self.cell_cpu_seconds.items(), key=lambda item: -item[1])[:n]


def kernel_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds a (live) process has used, from /proc (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return None
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def run_notebook(notebook: Any, cwd: Path, timeout: int = CELL_TIMEOUT_S,
                 stop_before: int | None = None) -> Run:
    """Execute ``notebook`` (in place) in a kernel started in ``cwd``.

    With ``stop_before``, only the cells before that index run (and stay in the
    notebook). A failing cell stops the run; its error is returned, not raised.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if stop_before is not None:
        notebook.cells = notebook.cells[:stop_before]
    cpu: list[float | None] = [None]
    per_cell: dict[str, float] = {}
    client = NotebookClient(notebook, kernel_name="python3", timeout=timeout,
                            startup_timeout=120, record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})

    def kernel_cpu() -> float | None:
        return kernel_cpu_seconds(getattr(client.km.provisioner, "pid", None))

    def begin(**_: Any) -> None:  # before every cell (kernel start-up is no cell's cost)
        cpu[0] = kernel_cpu()

    def measure(cell: Any = None, **_: Any) -> None:  # after every cell, while the kernel is alive
        before, cpu[0] = cpu[0], kernel_cpu()
        if cell is not None and before is not None and cpu[0] is not None:
            per_cell[cell.get("id", str(len(per_cell)))] = round(cpu[0] - before, 2)

    client.on_cell_execute = begin
    client.on_cell_executed = measure
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as failure:
        error = str(failure)
    return Run(notebook, round(time.perf_counter() - start, 1),
               None if cpu[0] is None else round(cpu[0], 1), error, per_cell)


def build_execute(path: Path, results_dir: Path) -> Run:
    """The build's execution of one committed notebook, in place.

    The split step leaves the notebook's content hash as ``pending_hash``; only a run
    without error stores it as ``source_hash``, which marks the notebook up to date. The
    page's results and training files are removed first, so the run writes them afresh
    (models a page no longer trains must not linger). The notebook's metadata records
    the wall and kernel CPU seconds (the timing report reads them) and the CPU model
    (which decides how `make test` compares the outputs, README "Reproducibility").
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata["d2lmini"]
    framework = meta["framework"]
    (results_dir / framework / f"{path.stem}.json").unlink(missing_ok=True)
    (results_dir / "training" / framework / f"{path.stem}.json").unlink(missing_ok=True)
    run = run_notebook(nb, path.parent)
    if run.error is not None:
        return run
    meta["seconds"] = run.wall_seconds
    meta["cpu_seconds"] = run.cpu_seconds
    # The profile `make report` prints: the cells that cost at least a second of CPU.
    meta["cell_cpu_seconds"] = {cell: s for cell, s in run.cell_cpu_seconds.items() if s >= 1.0}
    meta["cpu"] = cpu_model()
    meta["source_hash"] = meta.pop("pending_hash")
    nbformat.write(nb, path)
    return run


def start(framework: str, args: list[str], results_dir: Path | None = None,
          seed: int | None = None, **popen: Any) -> subprocess.Popen:
    """This module's CLI in the framework's environment, under tools/kernel.env."""
    return subprocess.Popen([str(interpreter(framework)), "-m", "tools.runner", *args], cwd=ROOT,
                            env=kernel_environment(results_dir, seed), **popen)


def nbval_command(python: str, notebooks: list[Path], sanitizer: Path = SANITIZER) -> list[str]:
    """The one nbval command line: re-execute ``notebooks`` with ``python`` (its own
    environment) and compare every cell not tagged to be ignored, durations masked."""
    return [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
            "--nbval-current-env", "--nbval-sanitize-with", str(sanitizer),
            f"--nbval-cell-timeout={CELL_TIMEOUT_S}", *map(str, notebooks)]


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="execute committed notebooks in place for the build")
    build.add_argument("notebooks", nargs="+", type=Path)
    build.add_argument("--results-dir", type=Path, required=True)
    run = sub.add_parser("run", help="execute SOURCE and write it to EXECUTED")
    run.add_argument("source", type=Path)
    run.add_argument("executed", type=Path)
    run.add_argument("--cwd", type=Path, help="the kernel's working folder (default: SOURCE's)")
    run.add_argument("--stop-before", type=int, help="run only the cells before this index")
    run.add_argument("--timeout", type=int, default=CELL_TIMEOUT_S, help="seconds per cell")
    run.add_argument("--profile", type=int, default=0, metavar="N",
                     help="print the N cells that took the most kernel CPU")
    args = parser.parse_args(argv)
    if args.command == "build":
        for path in args.notebooks:
            done = build_execute(path, args.results_dir)
            if done.error is not None:
                print(f"{path}: {done.error}", file=sys.stderr)
                return 1
            print(f"executed {path} in {done.wall_seconds:.1f} s "
                  f"(kernel CPU {done.cpu_seconds} s)", flush=True)
        return 0
    nb = nbformat.read(args.source, as_version=4)
    done = run_notebook(nb, args.cwd or args.source.parent, args.timeout, args.stop_before)
    args.executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(done.notebook, args.executed)  # also after a failure, to show the cell
    if done.error is not None:
        print(done.error, file=sys.stderr)
        return 1
    print(f"executed {len(done.notebook.cells)} cells of {args.source.name} in "
          f"{done.wall_seconds:.1f} s (kernel CPU {done.cpu_seconds} s)")
    if args.profile:
        sources = {cell.get("id"): cell.source for cell in done.notebook.cells}
        for cell, seconds in done.slowest(args.profile):
            first = next((line for line in sources.get(cell, "").splitlines() if line.strip()), "")
            print(f"{seconds:7.1f} s  {cell}  {first[:70]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
