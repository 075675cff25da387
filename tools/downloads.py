"""One zip per framework with every chapter's notebook, for the website's front page.

The site build writes ``downloads/notebooks-<framework>.zip`` into the built HTML; each
holds ``notebooks-<framework>/<chapter>.ipynb`` for every chapter of ``_toc.yml``, taken
from ``notebooks/<framework>/``. The archives are deterministic: entries in sorted order,
one fixed timestamp, fixed permissions, so the same notebooks give the same bytes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from tools.project import FRAMEWORKS
from tools.split import chapters

FOLDER = "downloads"
# Zip cannot store dates before 1980; any fixed date will do.
TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def archive_name(framework: str) -> str:
    return f"notebooks-{framework}.zip"


def members(framework: str) -> dict[str, Path]:
    """``{name inside the zip: notebook}`` for one framework, in chapter order."""
    return {f"notebooks-{framework}/{chapter.name}.ipynb": chapter.notebook(framework)
            for chapter in chapters()}


def write_zip(path: Path, files: dict[str, Path]) -> None:
    """Write ``files`` into a zip at ``path`` deterministically (unchanged bytes: untouched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, so the permissions above mean what they say
            archive.writestr(info, files[name].read_bytes())
    if path.exists() and path.read_bytes() == tmp.read_bytes():
        tmp.unlink()
    else:
        tmp.replace(path)


def write_all(html: Path) -> list[Path]:
    """Write every framework's zip into ``html/downloads/``; return their paths."""
    written = []
    for framework in FRAMEWORKS:
        target = html / FOLDER / archive_name(framework)
        write_zip(target, members(framework))
        written.append(target)
    return written
