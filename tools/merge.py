"""Merge: one page per chapter from the three executed notebooks.

Framework cells keep their own outputs. A shared (untagged) cell ran in every
framework; what each framework printed decides how the page shows it:

- the same outputs everywhere (compared as nbval compares them: printed durations
  masked by tools/nbval_sanitize.cfg, consecutive stream pieces joined): the cell once,
  with its outputs;
- different outputs: the code once, then one output-only cell per framework, tagged
  with that framework, ``remove-input`` and :data:`OUTPUTS_KEY`, which the
  ``framework_tabs`` extension turns into a tab set of the framework sync group.

A markdown cell tagged ``solution`` is wrapped in a collapsed dropdown (the extension
moves the solution's code into it); a code cell tagged ``check`` (an exercise's checks,
for the grader) is left out. Under the chapter's title, the page says what running
it costs in each framework, from the notebooks' execution records.
"""

from __future__ import annotations

import configparser
import re
from functools import cache
from typing import Any

import nbformat

from tools.project import CHECK_TAG, FRAMEWORKS, LABELS, SANITIZER, SOLUTION_TAG
from tools.split import Chapter, framework_of, read_source

#: Cell metadata key marking the per-framework output cells of a shared cell.
OUTPUTS_KEY = "framework_outputs"
# What the page shows for a shared cell whose outputs agree (they agree up to masking).
SHOWN_FRAMEWORK = "pytorch"


@cache
def sanitizers() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The (regex, replacement) pairs nbval applies before comparing (its config format)."""
    config = configparser.ConfigParser()
    config.read(SANITIZER)
    return tuple((re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections())


def sanitize(text: str) -> str:
    for pattern, replacement in sanitizers():
        text = pattern.sub(replacement, text)
    return text


def comparable(outputs: list[dict[str, Any]]) -> list[tuple]:
    """A cell's outputs as nbval compares them: streams joined, durations masked,
    rich outputs by their data (images by their bytes), metadata and counts ignored."""
    found: list[tuple] = []
    for out in outputs:
        kind = out["output_type"]
        if kind == "stream":
            text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
            if found and found[-1][:2] == ("stream", out["name"]):
                found[-1] = ("stream", out["name"], found[-1][2] + text)
            else:
                found.append(("stream", out["name"], text))
        elif kind in ("display_data", "execute_result"):
            data = {mime: value if isinstance(value, str) else "".join(value)
                    for mime, value in out.get("data", {}).items()}
            found.append(("data", tuple(sorted(data.items()))))
        elif kind == "error":
            found.append(("error", out["ename"], out["evalue"]))
    # Masking after joining, so that a duration split over two pieces is masked too.
    return [
        ("stream", out[1], sanitize(out[2])) if out[0] == "stream"
        else ("data", tuple((mime, sanitize(value)) for mime, value in out[1])) if out[0] == "data"
        else out
        for out in found
    ]


def outputs_differ(cells: dict[str, nbformat.NotebookNode]) -> bool:
    """Whether one shared cell's executed outputs differ between frameworks."""
    first, *others = (comparable(cells[fw].outputs) for fw in FRAMEWORKS)
    return any(other != first for other in others)


def executed_cells(chapter: Chapter) -> dict[str, dict[str, nbformat.NotebookNode]]:
    """Each framework's executed cells of a chapter, by cell id."""
    return {
        fw: {c["id"]: c for c in nbformat.read(chapter.notebook(fw), as_version=4).cells}
        for fw in FRAMEWORKS
    }


def differing_shared_cells(chapter: Chapter) -> list[str]:
    """The ids of the chapter's shared cells whose outputs differ between frameworks."""
    executed = executed_cells(chapter)
    return [
        cell["id"] for cell in read_source(chapter).cells
        if cell.cell_type == "code" and framework_of(cell) is None
        and outputs_differ({fw: executed[fw][cell["id"]] for fw in FRAMEWORKS})
    ]


def merge(chapter: Chapter) -> nbformat.NotebookNode:
    """One page with every framework's cells and outputs."""
    executed = executed_cells(chapter)
    page = read_source(chapter)
    page.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    cells = []
    for cell in page.cells:
        if CHECK_TAG in cell.metadata.get("tags", []):
            continue  # an exercise's checks are the grader's, not the reader's
        cells.append(cell)
        if len(cells) == 1 and cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(cost_note(executed_records(chapter))))
        if cell.cell_type == "markdown":
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                # MyST-NB ignores markdown cell metadata: wrap the text in a collapsed
                # dropdown; the framework_tabs extension moves the solution code into it.
                cell.source = f"`````{{dropdown}} Solution\n:class-container: solution\n\n{cell.source}\n`````"
            continue
        framework = framework_of(cell)
        if framework is not None:
            _take_outputs(cell, executed[framework][cell["id"]])
            continue
        ran = {fw: executed[fw][cell["id"]] for fw in FRAMEWORKS}
        if not outputs_differ(ran):
            _take_outputs(cell, ran[SHOWN_FRAMEWORK])
            continue
        cell.outputs, cell.execution_count = [], None
        cells.extend(_output_cell(cell, fw, ran[fw]) for fw in FRAMEWORKS)
    page.cells = cells
    return page


def executed_records(chapter: Chapter) -> dict[str, dict[str, Any]]:
    """Each framework notebook's execution record (``d2lmini`` metadata)."""
    return {fw: dict(nbformat.read(chapter.notebook(fw), as_version=4).metadata.get("d2lmini", {}))
            for fw in FRAMEWORKS}


def _cpu_name(cpu: str) -> str:
    """'AuthenticAMD family 26 model 2: AMD EPYC' (tools/host.py) -> 'AMD EPYC (AuthenticAMD
    family 26 model 2)': the name a reader knows, then the model that decides the speed."""
    model, _, name = cpu.partition(": ")
    return f"{name} ({model})" if name else model


def cost_note(records: dict[str, dict[str, Any]]) -> str:
    """What running the page costs per framework: kernel CPU seconds where recorded."""
    parts, measured = [], True
    for fw in FRAMEWORKS:
        cpu, wall = records[fw].get("cpu_seconds"), records[fw].get("seconds")
        measured &= cpu is not None
        seconds = cpu if cpu is not None else wall
        parts.append(f"{LABELS[fw]} {seconds:.0f} s" if seconds is not None else f"{LABELS[fw]} not measured")
    what = ("of CPU (the kernel's user and system time; a single-threaded kernel, so about the "
            "same in wall time on an idle 2-core machine)" if measured
            else "(wall time of the last execution, which may have shared the CPU with other jobs)")
    # CPU models differ in speed: say which one the figures come from
    hosts = sorted({_cpu_name(records[fw]["cpu"]) for fw in FRAMEWORKS if records[fw].get("cpu")})
    where = f", measured on {' and '.join(hosts)}" if hosts else ""
    return f"*Running this page takes {', '.join(parts)} {what}{where}.*"


def _take_outputs(cell: nbformat.NotebookNode, ran: nbformat.NotebookNode) -> None:
    cell.outputs = ran.outputs
    cell.execution_count = ran.execution_count


def _output_cell(shared: nbformat.NotebookNode, framework: str,
                 ran: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """One framework's outputs of a shared cell, its code hidden (shown once above)."""
    tags = [framework, "remove-input"] + [t for t in shared.metadata.get("tags", []) if t == SOLUTION_TAG]
    cell = nbformat.v4.new_code_cell(shared.source, metadata={"tags": tags, OUTPUTS_KEY: shared["id"]})
    cell["id"] = f"{shared['id']}-{framework}"
    _take_outputs(cell, ran)
    return cell
