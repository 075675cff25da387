"""The book's build pipeline: split, execute what changed, merge, render.

    python -m tools.build check       # fail if notebooks/ does not match book/
    python -m tools.build refresh     # rewrite notebooks whose code is unchanged (prose edits)
    python -m tools.build notebooks   # refresh, then split and execute the stale notebooks
    python -m tools.build site        # merge into one page per chapter, run Jupyter Book
    python -m tools.build report      # seconds per notebook per framework

Runs in the book environment (.venv/book); each framework's notebooks are executed
by tools/execute.py under that framework's interpreter, the three frameworks in
parallel, each kernel single-threaded (tools/kernel.env).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from tools.chapters import (
    CURRENT,
    EXECUTE,
    FRAMEWORKS,
    REFRESH,
    ROOT,
    chapters,
    read_kernel_env,
    refresh,
    statuses,
)
from tools.merge import merge

VENV = ROOT / ".venv"
SITE_SRC = ROOT / "_build" / "site"
HTML = SITE_SRC / "_build" / "html"
TIMING_REPORT = ROOT / "_build" / "timing_report.md"


def kernel_environment(results_dir: Path) -> dict[str, str]:
    """This process's environment plus the kernel settings every notebook runs under."""
    env = dict(os.environ)
    env.update(read_kernel_env())
    env["D2LMINI_RESULTS_DIR"] = str(results_dir)
    return env


def check() -> int:
    """Fail when notebooks/ does not match book/, saying what each stale notebook needs."""
    stale = [state for state in statuses() if state.state != CURRENT]
    for state in stale:
        need = "refresh (prose, ids or tags changed; no execution)" if state.state == REFRESH else "execution"
        print(f"stale: {state.path.relative_to(ROOT)} does not match "
              f"{state.chapter.source.relative_to(ROOT)}: needs {need}")
    if stale:
        print("Run `make notebooks` (it refreshes, then executes only what needs it) and commit "
              "notebooks/ and results/.")
        return 1
    print(f"notebooks/ matches book/ ({len(chapters())} chapters x {len(FRAMEWORKS)} frameworks)")
    return 0


def refresh_notebooks(frameworks: tuple[str, ...] = FRAMEWORKS, names: tuple[str, ...] = ()) -> list:
    """Refresh every notebook whose code is unchanged; return the states still to execute."""
    todo = []
    for state in statuses(frameworks, names):
        if state.state == REFRESH:
            refresh(state)
            print(f"refreshed {state.path.relative_to(ROOT)} (code unchanged, outputs kept)")
        elif state.state == EXECUTE:
            todo.append(state)
    return todo


def execute_notebooks(frameworks: tuple[str, ...], names: tuple[str, ...] = ()) -> int:
    """Refresh, then write and execute every stale notebook (of the chapters `names`,
    default all); frameworks run side by side."""
    known = {c.name for c in chapters()}
    if unknown := sorted(set(names) - known):
        print(f"no chapter named {', '.join(unknown)} in _toc.yml; chapters: {', '.join(sorted(known))}",
              file=sys.stderr)
        return 2
    todo: dict[str, list[Path]] = {fw: [] for fw in frameworks}
    for state in refresh_notebooks(frameworks, names):
        state.path.parent.mkdir(parents=True, exist_ok=True)
        nb = state.fresh
        # The hash becomes the notebook's only once it has executed without error,
        # so an interrupted or failed run leaves the notebook stale, not "up to date".
        nb.metadata["d2lmini"]["pending_hash"] = nb.metadata["d2lmini"].pop("source_hash")
        nbformat.write(nb, state.path)
        todo[state.framework].append(state.path)
    env = kernel_environment(ROOT / "results")
    procs = {
        fw: subprocess.Popen(
            [str(VENV / fw / "bin" / "python"), str(ROOT / "tools" / "execute.py"),
             "--results-dir", str(ROOT / "results"), *map(str, paths)],
            cwd=ROOT, env=env,
        )
        for fw, paths in todo.items() if paths
    }
    if not procs:
        print("no notebook needs executing")
    failed = [fw for fw, proc in procs.items() if proc.wait() != 0]
    if failed:
        print(f"execution failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    report()
    return 0


def _write_if_changed(path: Path, text: str) -> None:
    """Keep unchanged files untouched so Sphinx's incremental build skips them."""
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def site() -> int:
    """Merge the executed notebooks and render the book with Jupyter Book 1."""
    if check() != 0:
        return 1
    names = {c.name for c in chapters()}
    wanted = {SITE_SRC / "_config.yml", SITE_SRC / "_toc.yml"}
    for path in (ROOT / "book").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.stem not in names:
            wanted.add(_copy_if_changed(path))
    for name in ("_config.yml", "_toc.yml"):
        _copy_if_changed(ROOT / name)
    for chapter in chapters():
        merged = SITE_SRC / "book" / f"{chapter.name}.ipynb"
        _write_if_changed(merged, nbformat.writes(merge(chapter)))
        wanted.add(merged)
    # Diagrams are drawn at build time (tools/diagrams.py); MathJax is served by the site.
    from tools import diagrams, downloads, offline_math
    wanted.update(diagrams.write_all(SITE_SRC / "book" / "diagrams"))
    offline_math.install()
    # Drop what an earlier build staged and the sources no longer have (a page that
    # became a chapter would otherwise exist twice, as .md and as .ipynb).
    for path in (SITE_SRC / "book").rglob("*"):
        if path.is_file() and path not in wanted and "__pycache__" not in path.parts:
            path.unlink()
    cmd = [str(VENV / "book" / "bin" / "jupyter-book"), "build", str(SITE_SRC),
           "--warningiserror", "--keep-going", "--quiet"]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        return result.returncode
    # The pages' download buttons point at the per-framework notebooks beside the HTML.
    for chapter in chapters():
        for fw in FRAMEWORKS:
            target = HTML / "notebooks" / fw / f"{chapter.name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(chapter.notebook(fw), target)
    offline_math.copy_into(HTML)  # _static/mathjax/, which _config.yml's mathjax_path names
    downloads.write_all(HTML)  # downloads/notebooks-<framework>.zip, linked from the front page
    print(f"site: {HTML.relative_to(ROOT)}/index.html")
    return 0


def _copy_if_changed(path: Path) -> Path:
    """Stage a file of the repository for the site build; return where it went."""
    target = SITE_SRC / path.relative_to(ROOT)
    if not target.exists() or target.read_bytes() != path.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return target


def report() -> int:
    """Seconds per notebook per framework, from the notebooks' metadata."""
    lines = ["| chapter | " + " | ".join(FRAMEWORKS) + " |", "|---" * (len(FRAMEWORKS) + 1) + "|"]
    timings: dict[str, dict[str, float | None]] = {}
    for chapter in chapters():
        row = {}
        for fw in FRAMEWORKS:
            path = chapter.notebook(fw)
            meta = nbformat.read(path, as_version=4).metadata.get("d2lmini", {}) if path.exists() else {}
            row[fw] = meta.get("seconds")
        timings[chapter.name] = row
        cells = [f"{row[fw]:.1f} s" if row[fw] is not None else "not executed" for fw in FRAMEWORKS]
        lines.append(f"| {chapter.name} | " + " | ".join(cells) + " |")
    text = "Execution time per notebook (seconds, from the last execution)\n\n" + "\n".join(lines) + "\n"
    _write_if_changed(TIMING_REPORT, text)
    _write_if_changed(TIMING_REPORT.with_suffix(".json"), json.dumps(timings, indent=1) + "\n")
    print(text)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the book: split, execute, merge, render.")
    parser.add_argument("command", choices=["check", "refresh", "notebooks", "site", "report"])
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append",
                        help="only this framework's notebooks (repeatable; default all)")
    parser.add_argument("--chapter", action="append", default=[],
                        help="only this chapter's notebooks, e.g. ridership_rnns (repeatable; default all)")
    args = parser.parse_args()
    if args.command == "check":
        return check()
    if args.command == "refresh":
        left = refresh_notebooks(tuple(args.framework or FRAMEWORKS), tuple(args.chapter))
        for state in left:
            print(f"needs execution: {state.path.relative_to(ROOT)} (make notebooks)")
        return 0
    if args.command == "notebooks":
        return execute_notebooks(tuple(args.framework or FRAMEWORKS), tuple(args.chapter))
    if args.command == "site":
        return site()
    return report()


if __name__ == "__main__":
    sys.exit(main())
