"""Chapter sources and the per-framework notebooks split from them.

A chapter is one MyST Markdown notebook in ``book/`` (jupytext format). A code cell
tagged ``mxnet``, ``pytorch`` or ``tensorflow`` belongs to that framework; an untagged
code cell is shared. Splitting keeps, for one framework, every markdown cell, every
shared cell and that framework's cells.

Each committed notebook stores a content hash of everything its outputs depend on
(its cells, the d2lmini modules it imports, the pinned requirements, the kernel
settings and the executor). A notebook whose stored hash equals the hash of a fresh
split is up to date and is never re-executed, whatever the file times say.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"
FRAMEWORKS = ("mxnet", "pytorch", "tensorflow")
# Shared cells are executed in every framework; the merged page shows this one's outputs.
SHARED_OUTPUTS_FROM = "pytorch"
SOLUTION_TAG = "solution"
DISPLAY_NAMES = {"mxnet": "MXNet", "pytorch": "PyTorch", "tensorflow": "TensorFlow"}
# Files whose content decides a notebook's outputs besides its own cells.
KERNEL_ENV = ROOT / "tools" / "kernel.env"
EXECUTOR = ROOT / "tools" / "execute.py"


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
    """Read a chapter source with stable cell ids (jupytext would make random ones)."""
    nb = jupytext.read(chapter.source, fmt="md:myst")
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha256(cell.source.encode()).hexdigest()[:8]
        cell["id"] = f"c{index:03d}-{digest}"
        if cell.cell_type == "code":
            framework_of(cell)  # fails early on a cell tagged for two frameworks
    return nb


def split(chapter: Chapter, framework: str) -> nbformat.NotebookNode:
    """The unexecuted notebook of one framework: markdown, shared and its own cells."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; expected one of {FRAMEWORKS}")
    source = read_source(chapter)
    nb = nbformat.v4.new_notebook()
    # Colab and Studio Lab know only the standard kernel name; `make lab` maps a
    # python3 notebook under notebooks/<fw>/ to the kernel d2lmini-<fw> (tools/lab.py).
    nb.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": f"Python 3 ({DISPLAY_NAMES[framework]})",
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
    """The d2lmini modules a framework's notebooks import: the core and its own module."""
    others = {f"{fw}.py" for fw in FRAMEWORKS if fw != framework}
    return sorted(p for p in (ROOT / "d2lmini").glob("*.py") if p.name not in others)


def content_hash(nb: nbformat.NotebookNode, framework: str) -> str:
    """Hash of the cells plus every file that decides what executing them prints."""
    h = hashlib.sha256()
    cells = [
        {"type": c.cell_type, "id": c["id"], "source": c.source, "tags": c.metadata.get("tags", [])}
        for c in nb.cells
    ]
    h.update(json.dumps(cells, sort_keys=True).encode())
    deps = _d2lmini_files(framework) + [ROOT / "requirements" / f"{framework}.txt", KERNEL_ENV, EXECUTOR]
    for path in deps:
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def stored_hash(path: Path) -> str | None:
    """The hash a committed notebook was executed for, or None if there is none."""
    if not path.exists():
        return None
    nb = nbformat.read(path, as_version=4)
    return nb.metadata.get("d2lmini", {}).get("source_hash")


def stale_notebooks() -> list[tuple[Chapter, str]]:
    """(chapter, framework) pairs whose committed notebook does not match the sources."""
    stale = []
    for chapter in chapters():
        for framework in FRAMEWORKS:
            fresh = split(chapter, framework)
            path = chapter.notebook(framework)
            if stored_hash(path) != fresh.metadata["d2lmini"]["source_hash"] or _cells(
                nbformat.read(path, as_version=4)
            ) != _cells(fresh):
                stale.append((chapter, framework))
    return stale


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """What a notebook's cells say, outputs aside (catches hand edits to a committed notebook)."""
    return [(c["id"], c.cell_type, c.source) for c in nb.cells]


def read_kernel_env() -> dict[str, str]:
    """The KEY=VALUE settings of tools/kernel.env."""
    env = {}
    for line in KERNEL_ENV.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env
