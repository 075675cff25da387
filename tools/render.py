"""Render: the website, from the merged pages, with Jupyter Book 1.

Stages the site's sources in _build/site (the plain pages and files of book/, the
merged chapter pages, the diagrams, _config.yml with the framework labels the
``framework_tabs`` and ``framework_launch`` extensions read), builds with warnings as
errors, then puts beside the HTML what the pages link to: each framework's notebooks,
the site's own MathJax and the notebook downloads.
"""

from __future__ import annotations

import shutil
import subprocess

import nbformat
import yaml

from tools.execute import check
from tools.merge import merge
from tools.project import BUILD, FRAMEWORKS, LABELS, ROOT, VENV
from tools.split import chapters

SITE_SRC = BUILD / "site"
HTML = SITE_SRC / "_build" / "html"


def _write_if_changed(path, content: str | bytes) -> None:
    """Keep unchanged files untouched so Sphinx's incremental build skips them."""
    data = content.encode() if isinstance(content, str) else content
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def site_config() -> str:
    """_config.yml with the frameworks, so that the extensions spell them nowhere else."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.setdefault("sphinx", {}).setdefault("config", {})["framework_labels"] = {
        fw: LABELS[fw] for fw in FRAMEWORKS}
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def stage() -> set:
    """Write the site's sources into _build/site; return the staged paths."""
    names = {c.name for c in chapters()}
    wanted = set()
    for path in (ROOT / "book").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.stem not in names:
            target = SITE_SRC / path.relative_to(ROOT)
            _write_if_changed(target, path.read_bytes())
            wanted.add(target)
    _write_if_changed(SITE_SRC / "_config.yml", site_config())
    _write_if_changed(SITE_SRC / "_toc.yml", (ROOT / "_toc.yml").read_bytes())
    for chapter in chapters():
        merged = SITE_SRC / "book" / f"{chapter.name}.ipynb"
        _write_if_changed(merged, nbformat.writes(merge(chapter)))
        wanted.add(merged)
    # Diagrams are drawn at build time (tools/diagrams.py); MathJax is served by the site.
    from tools import diagrams, offline_math
    wanted.update(diagrams.write_all(SITE_SRC / "book" / "diagrams"))
    offline_math.install()
    # Drop what an earlier build staged and the sources no longer have (a page that
    # became a chapter would otherwise exist twice, as .md and as .ipynb).
    for path in (SITE_SRC / "book").rglob("*"):
        if path.is_file() and path not in wanted and "__pycache__" not in path.parts:
            path.unlink()
    return wanted


def render() -> int:
    """Check, stage, build the site, and put its downloads beside the HTML."""
    if check() != 0:
        return 1
    stage()
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
    from tools import downloads, offline_math
    offline_math.copy_into(HTML)  # _static/mathjax/, which _config.yml's mathjax_path names
    downloads.write_all(HTML)  # downloads/notebooks-<framework>.zip, linked from the front page
    print(f"site: {HTML.relative_to(ROOT)}/index.html")
    return 0
