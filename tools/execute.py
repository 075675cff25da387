"""Execute: bring notebooks/ up to date with book/, executing only what needs it.

A committed notebook is current, needs a refresh (prose, ids or tags changed) or needs
executing (its code or a dependency changed): tools/split.py decides. ``check`` fails
on anything but current; ``refresh`` rewrites without executing; ``execute`` refreshes,
then runs the rest in their frameworks' environments (tools/runner.py), as many at once
as there are cores, the longest first, each kernel single-threaded (tools/kernel.env).
``report`` prints each notebook's wall and kernel CPU seconds from its metadata.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat

from tools import runner
from tools.benchmark import stale_benchmarks
from tools.project import BUILD, FRAMEWORKS, RESULTS, ROOT
from tools.split import CURRENT, EXECUTE, REFRESH, NotebookState, chapters, refresh, statuses

TIMING_REPORT = BUILD / "timing_report.md"
#: Kernel CPU seconds a page may take per framework, and on average (CONTRIBUTING.md).
PAGE_BUDGET_S = 60
MEAN_BUDGET_S = 40
PROFILE_CELLS = 15  # the report's profile lists this many of the costliest cells


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
    benchmarks = stale_benchmarks()
    for line in benchmarks:
        print(f"stale benchmark: {line}")
    if stale or benchmarks:
        return 1
    print(f"notebooks/ matches book/ ({len(chapters())} chapters x {len(FRAMEWORKS)} frameworks); "
          "every benchmark matches its page's code")
    return 0


def refresh_notebooks(frameworks: tuple[str, ...] = FRAMEWORKS,
                      names: tuple[str, ...] = ()) -> list[NotebookState]:
    """Refresh every notebook whose code is unchanged; return those still to execute."""
    todo = []
    for state in statuses(frameworks, names):
        if state.state == REFRESH:
            refresh(state)
            print(f"refreshed {state.path.relative_to(ROOT)} (code unchanged, outputs kept)")
        elif state.state == EXECUTE:
            todo.append(state)
    return todo


def _recorded_seconds(state: NotebookState) -> float:
    """The last execution's wall seconds (for running the longest first); 0 if none."""
    meta = state.committed.metadata.get("d2lmini", {}) if state.committed is not None else {}
    return float(meta.get("seconds") or 0)


def execute_notebooks(frameworks: tuple[str, ...] = FRAMEWORKS, names: tuple[str, ...] = ()) -> int:
    """Refresh, then write and execute every stale notebook (of the chapters ``names``,
    default all)."""
    known = {c.name for c in chapters()}
    if unknown := sorted(set(names) - known):
        print(f"no chapter named {', '.join(unknown)} in _toc.yml; chapters: {', '.join(sorted(known))}",
              file=sys.stderr)
        return 2
    todo = sorted(refresh_notebooks(frameworks, names), key=_recorded_seconds, reverse=True)
    if not todo:
        print("no notebook needs executing")
        return 0
    for state in todo:
        state.path.parent.mkdir(parents=True, exist_ok=True)
        nb = state.fresh
        # The hash becomes the notebook's only once it has executed without error,
        # so an interrupted or failed run leaves the notebook stale, not "up to date".
        nb.metadata["d2lmini"]["pending_hash"] = nb.metadata["d2lmini"].pop("source_hash")
        nbformat.write(nb, state.path)

    def run(state: NotebookState) -> bool:
        proc = runner.start(state.framework, ["build", str(state.path), "--results-dir", str(RESULTS)],
                            results_dir=RESULTS)
        return proc.wait() == 0

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        ok = list(pool.map(run, todo))
    failed = [str(s.path.relative_to(ROOT)) for s, good in zip(todo, ok, strict=True) if not good]
    print(f"executed {len(todo) - len(failed)} of {len(todo)} notebooks in "
          f"{time.perf_counter() - start:.0f} s")
    if failed:
        print(f"execution failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return report()


def timings() -> dict[str, dict[str, dict[str, float | None]]]:
    """{chapter: {framework: {"wall": s, "cpu": s}}} from the notebooks' metadata."""
    table: dict[str, dict[str, dict[str, float | None]]] = {}
    for chapter in chapters():
        for fw in FRAMEWORKS:
            path = chapter.notebook(fw)
            meta = nbformat.read(path, as_version=4).metadata.get("d2lmini", {}) if path.exists() else {}
            table.setdefault(chapter.name, {})[fw] = {"wall": meta.get("seconds"),
                                                      "cpu": meta.get("cpu_seconds"),
                                                      "host": meta.get("cpu")}
    return table


def hosts(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Which CPU models recorded the figures: CPU seconds compare only on one model."""
    counts: dict[str, int] = {}
    for row in table.values():
        for entry in row.values():
            if entry["wall"] is not None:
                host = entry.get("host") or "an unrecorded CPU"
                counts[host] = counts.get(host, 0) + 1
    if len(counts) > 1:
        return ("Recorded on several CPU models, whose speeds differ, so compare CPU seconds "
                "within one model: " + "; ".join(f"{n} on {h}" for h, n in sorted(counts.items())) + ".")
    return "".join(f"Recorded on {h} ({n} notebooks)." for h, n in counts.items())


def _telling_line(source: str) -> str:
    """The first line of a cell that says what it does (not a seed call, tag or comment)."""
    for line in source.splitlines():
        text = line.strip()
        if text and not text.startswith(("#", ":", "d2l.seed_everything", "timer =")):
            return text
    return ""


def profile(top: int = PROFILE_CELLS) -> str:
    """The cells that cost the most kernel CPU, over every notebook: where time goes."""
    cells = []
    for chapter in chapters():
        for fw in FRAMEWORKS:
            path = chapter.notebook(fw)
            if not path.exists():
                continue
            nb = nbformat.read(path, as_version=4)
            sources = {cell.get("id"): cell.source for cell in nb.cells}
            for cell, seconds in nb.metadata.get("d2lmini", {}).get("cell_cpu_seconds", {}).items():
                first = _telling_line(sources.get(cell, ""))
                cells.append((seconds, chapter.name, fw, first.strip()[:60]))
    if not cells:
        return "No cell profile recorded (the notebooks predate it; `make notebooks` records one)."
    total = sum(seconds for seconds, *_ in cells)
    rows = [f"| {s:.1f} s | {name} | {fw} | `{first}` |" for s, name, fw, first in sorted(cells, reverse=True)[:top]]
    return (f"Profile: the {top} costliest cells (of {len(cells)} that took a second or more, "
            f"{total:.0f} s of kernel CPU in all)\n\n| kernel CPU | chapter | framework | first line |\n"
            "|---|---|---|---|\n" + "\n".join(rows) + "\n")


def report() -> int:
    """Wall and kernel CPU seconds per notebook per framework; pages over budget flagged."""
    table = timings()
    head = "| chapter | " + " | ".join(f"{fw} wall | {fw} CPU" for fw in FRAMEWORKS) + " |"
    lines = [head, "|---" * (2 * len(FRAMEWORKS) + 1) + "|"]
    over = []
    for name, row in table.items():
        cells = []
        for fw in FRAMEWORKS:
            wall, cpu = row[fw]["wall"], row[fw]["cpu"]
            cells.append("not executed" if wall is None else f"{wall:.1f} s")
            flag = " (over budget)" if cpu is not None and cpu > PAGE_BUDGET_S else ""
            cells.append("not measured" if cpu is None else f"{cpu:.1f} s{flag}")
            if flag:
                over.append(f"{name} [{fw}]")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    cpu_values = [row[fw]["cpu"] for row in table.values() for fw in FRAMEWORKS if row[fw]["cpu"] is not None]
    mean = sum(cpu_values) / len(cpu_values) if cpu_values else None
    summary = [f"Budget: {PAGE_BUDGET_S} s of kernel CPU per page and framework, {MEAN_BUDGET_S} s on average."]
    if mean is not None:
        summary.append(f"Mean kernel CPU: {mean:.1f} s over {len(cpu_values)} notebooks"
                       + (" (over budget)" if mean > MEAN_BUDGET_S else "") + ".")
    if over:
        summary.append("Over budget: " + ", ".join(over) + ".")
    summary.append(hosts(table))
    text = ("Execution time per notebook (from the last execution; wall seconds depend on what "
            "else ran, kernel CPU seconds much less)\n\n" + "\n".join(lines) + "\n\n"
            + "\n".join(summary) + "\n\n" + profile() + "\n")
    TIMING_REPORT.parent.mkdir(parents=True, exist_ok=True)
    TIMING_REPORT.write_text(text)
    TIMING_REPORT.with_suffix(".json").write_text(json.dumps(table, indent=1) + "\n")
    print(text)
    return 0
