"""Split: chapter sources and the per-framework notebooks made from them.

A chapter is one MyST Markdown notebook in ``book/`` (jupytext format). A code cell
tagged ``mxnet``, ``pytorch`` or ``tensorflow`` belongs to that framework; an untagged
code cell is shared. Splitting keeps, for one framework, every markdown cell, every
shared cell and that framework's cells.

Each committed notebook stores a content hash of everything its outputs depend on:
the sources of its code cells in order, the d2lmini modules it imports, the pinned
requirements, the kernel settings, the executor, and, for a page that prints benchmark
medians (``load_benchmark``), the benchmark files of the pages it names. Prose (markdown cells), cell ids
and tags do not change what the code computes, so they are not in the hash. A
committed notebook is then in one of three states (:func:`status`):

- current: it equals a fresh split, outputs aside;
- refresh: its hash and code match, but prose, ids or tags differ; :func:`refresh`
  rewrites it from the source and carries every code cell's outputs over, without
  executing anything;
- execute: its code or a dependency changed (or it was never executed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import yaml

from tools.compare import BOUNDS_REASON
from tools.project import (BOOK, D2LMINI_MODULES, FRAMEWORKS, KERNEL_ENV_FILE, LABELS, NOTEBOOKS, RESULTS,
                           ROOT, check_framework)

# Files whose content decides a notebook's outputs besides its own cells.
RUNNER = ROOT / "tools" / "runner.py"


@dataclass(frozen=True)
class Chapter:
    """One chapter source file and where its notebooks go."""

    name: str

    @property
    def source(self) -> Path:
        return BOOK / f"{self.name}.md"

    def notebook(self, framework: str) -> Path:
        return NOTEBOOKS / framework / f"{self.name}.ipynb"


def chapters() -> list[Chapter]:
    """The chapters listed in ``_toc.yml``, in reading order.

    A page counts as a chapter when its source is a jupytext notebook; plain
    Markdown pages (the landing page, say) are copied to the site as they are.
    """
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names: list[str] = []

    def walk(entry: dict) -> None:
        for key in ("root", "file"):
            if key in entry:
                names.append(str(entry[key]))
        for sub in ("parts", "chapters", "sections"):
            for child in entry.get(sub, []):
                walk(child)

    walk(toc)
    found = []
    for name in names:
        if not name.startswith("book/"):
            raise ValueError(f"_toc.yml entry {name!r} must name a file under book/")
        path = ROOT / f"{name}.md"
        if not path.exists():
            raise ValueError(f"_toc.yml names {name!r} but {path} does not exist")
        if path.read_text().lstrip().startswith("---") and "jupytext:" in path.read_text():
            found.append(Chapter(name.removeprefix("book/")))
    return found


def framework_of(cell: nbformat.NotebookNode) -> str | None:
    """The framework a code cell belongs to, or None for a shared cell."""
    tags = [t for t in cell.metadata.get("tags", []) if t in FRAMEWORKS]
    if len(tags) > 1:
        raise ValueError(f"code cell tagged with several frameworks {tags}: {cell.source[:60]!r}")
    return tags[0] if tags else None


def read_source(chapter: Chapter) -> nbformat.NotebookNode:
    """Read a chapter source with stable cell ids (jupytext would make random ones).

    An id is a digest of the cell's kind, framework and source, so editing or adding
    one cell leaves the other cells' ids alone; a repeated cell gets a counter.
    """
    nb = jupytext.read(chapter.source, fmt="md:myst")
    seen: dict[str, int] = {}
    for cell in nb.cells:
        framework = framework_of(cell) if cell.cell_type == "code" else None  # fails on two tags
        key = f"{cell.cell_type}:{framework or ''}:{cell.source}"
        base = ("c" if cell.cell_type == "code" else "m") + hashlib.sha256(key.encode()).hexdigest()[:10]
        seen[base] = seen.get(base, 0) + 1
        cell["id"] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return nb


def split(chapter: Chapter, framework: str) -> nbformat.NotebookNode:
    """The unexecuted notebook of one framework: markdown, shared and its own cells."""
    check_framework(framework)
    source = read_source(chapter)
    nb = nbformat.v4.new_notebook()
    # Colab and Studio Lab know only the standard kernel name; `make lab` maps a
    # python3 notebook under notebooks/<fw>/ to the kernel d2lmini-<fw> (tools/lab.py).
    nb.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": f"Python 3 ({LABELS[framework]})",
            "language": "python",
        },
        "language_info": {"name": "python"},
    }
    nb.cells.append(install_cell(framework))
    for cell in source.cells:
        if cell.cell_type == "code" and framework_of(cell) not in (None, framework):
            continue
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata))
        else:
            new = nbformat.v4.new_markdown_cell(cell.source, metadata=dict(cell.metadata))
        new["id"] = cell["id"]
        nb.cells.append(new)
    nb.metadata["d2lmini"] = {"framework": framework, "source_hash": content_hash(nb, framework)}
    return nb


def repository() -> tuple[str, str]:
    """The repository URL and branch of _config.yml (launch buttons, install cell)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return config["url"].rstrip("/"), config.get("branch", "main")


INSTALL_CELL = """\
# Run first in Colab or SageMaker Studio Lab: installs d2lmini and what the runtime lacks.
# Does nothing where d2lmini is already importable (the book's own environments).
import importlib.util, os, subprocess, sys
if importlib.util.find_spec('d2lmini') is None:
    source = os.environ.get('D2LMINI_SOURCE', 'git+{url}@{branch}')
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet',
                    f'd2lmini[{framework}] @ {{source}}'], check=True)"""


def install_cell(framework: str) -> nbformat.NotebookNode:
    """The first cell of every per-framework notebook (not shown on the website)."""
    url, branch = repository()
    cell = nbformat.v4.new_code_cell(INSTALL_CELL.format(url=url, branch=branch, framework=framework))
    cell["id"] = "install-d2lmini"
    return cell


def _d2lmini_files(framework: str) -> list[Path]:
    """The d2lmini modules a framework's notebooks import: all but the other adapters."""
    others = {f"{D2LMINI_MODULES[fw]}.py" for fw in FRAMEWORKS if fw != framework}
    return sorted(p for p in (ROOT / "d2lmini").glob("*.py") if p.name not in others)


# Tags that change how the executor runs a cell (nbclient honours these two).
EXECUTION_TAGS = ("raises-exception", "skip-execution")


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """What executing a notebook depends on in its cells: each code cell's source and
    execution tags, in order."""
    return [
        (c.source, [t for t in c.metadata.get("tags", []) if t in EXECUTION_TAGS])
        for c in nb.cells if c.cell_type == "code"
    ]


def _benchmark_files(nb: nbformat.NotebookNode, framework: str) -> list[Path]:
    """The benchmark files a notebook may print from, if a code cell calls ``load_benchmark``:
    those of its framework whose page the code names in quotes (``page = 'gated_cells'``, a
    comparison's ``{'ridership_rnns': ...}``). A page names the benchmarks it reads by their
    page names, so a new page's benchmark leaves the other pages' notebooks current."""
    sources = [source for source, _ in code_cells(nb)]
    if not any("load_benchmark(" in source for source in sources):
        return []
    code = "\n".join(sources)
    return [path for path in sorted((RESULTS / "benchmark" / framework).glob("*.json"))
            if f"'{path.stem}'" in code or f'"{path.stem}"' in code]


def content_hash(nb: nbformat.NotebookNode, framework: str, benchmarks: bool = True) -> str:
    """Hash of the code cells plus every file that decides what executing them prints;
    with ``benchmarks=False``, of the code alone (what a benchmark file records: the
    medians depend on the code, not on the medians the page printed)."""
    h = hashlib.sha256()
    h.update(json.dumps(code_cells(nb)).encode())
    deps = _d2lmini_files(framework) + [ROOT / "requirements" / f"{framework}.txt", KERNEL_ENV_FILE, RUNNER]
    named = [(path.relative_to(ROOT).as_posix(), path) for path in deps]
    if benchmarks:  # rerunning `make benchmark` makes a page that prints its medians stale
        named += [(f"benchmark/{framework}/{path.name}", path) for path in _benchmark_files(nb, framework)]
    for name, path in named:
        h.update(name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


CURRENT, REFRESH, EXECUTE = "current", "refresh", "execute"


@dataclass
class NotebookState:
    """A committed notebook compared with a fresh split of its chapter."""

    chapter: Chapter
    framework: str
    fresh: nbformat.NotebookNode  # the split, unexecuted
    committed: nbformat.NotebookNode | None  # notebooks/<fw>/<chapter>.ipynb, if any
    state: str  # CURRENT, REFRESH or EXECUTE

    @property
    def path(self) -> Path:
        return self.chapter.notebook(self.framework)


def status(chapter: Chapter, framework: str) -> NotebookState:
    """Whether a committed notebook is current, needs a refresh, or needs executing."""
    fresh = split(chapter, framework)
    path = chapter.notebook(framework)
    committed = nbformat.read(path, as_version=4) if path.exists() else None
    if committed is None or not executed_for(committed, fresh):
        state = EXECUTE
    elif _cells(committed) == _cells(fresh):
        state = CURRENT
    else:
        state = REFRESH
    return NotebookState(chapter, framework, fresh, committed, state)


def executed_for(committed: nbformat.NotebookNode, fresh: nbformat.NotebookNode) -> bool:
    """Whether the committed outputs were computed by the fresh split's code: the stored
    hash matches and so does every code cell (a hand edit to a committed notebook's code
    would otherwise pass for the source's)."""
    stored = committed.metadata.get("d2lmini", {}).get("source_hash")
    return stored == fresh.metadata["d2lmini"]["source_hash"] and code_cells(committed) == code_cells(fresh)


def statuses(frameworks: tuple[str, ...] = FRAMEWORKS, names: tuple[str, ...] = ()) -> list[NotebookState]:
    """The state of every notebook of the given frameworks (and chapters; default all)."""
    return [status(c, fw) for c in chapters() if not names or c.name in names for fw in frameworks]


def refresh(state: NotebookState) -> None:
    """Rewrite a notebook from its source, keeping its outputs and execution record.

    Only for a notebook whose code the source has not changed: the n-th code cell of
    the fresh split takes the outputs of the n-th code cell of the committed notebook.
    """
    if state.state != REFRESH or state.committed is None:
        raise ValueError(f"{state.path} is {state.state}, not {REFRESH}: it cannot be refreshed")
    nb = state.fresh
    ran = [c for c in state.committed.cells if c.cell_type == "code"]
    todo = [c for c in nb.cells if c.cell_type == "code"]
    for cell, old in zip(todo, ran, strict=True):
        cell.outputs = old.outputs
        cell.execution_count = old.execution_count
    nb.metadata["d2lmini"] = dict(state.committed.metadata["d2lmini"])  # seconds, cpu, hash
    nbformat.write(nb, state.path)


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, str, list[str]]]:
    """What a notebook's cells say, outputs aside (ids, kinds, sources, tags, and why a
    cell's cross-CPU bounds are wider, tools/compare.py)."""
    return [(c["id"], c.cell_type, c.source, list(c.metadata.get("tags", [])),
             c.metadata.get(BOUNDS_REASON)) for c in nb.cells]


def write_split(frameworks: tuple[str, ...] = FRAMEWORKS, names: tuple[str, ...] = ()) -> int:
    """Write the unexecuted split notebooks to _build/split/<framework>/ (to inspect them)."""
    out = ROOT / "_build" / "split"
    for chapter in chapters():
        if names and chapter.name not in names:
            continue
        for framework in frameworks:
            path = out / framework / f"{chapter.name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(split(chapter, framework), path)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0
