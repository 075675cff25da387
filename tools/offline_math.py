"""MathJax 3 served by the website itself, so that formulas render without a network.

Sphinx would load MathJax from a CDN; offline (a downloaded site, a classroom without
internet) every formula then shows as raw ``\\(x_1, x_2, \\ldots\\)``. Instead the site
build installs the MathJax version pinned in ``tools/mathjax/package-lock.json`` from the
npm registry (``npm ci``, which checks the package's integrity hash) into
``_build/mathjax/`` once, and copies its ``es5/`` components into the built site as
``_static/mathjax/``. ``_config.yml`` points Sphinx there (``mathjax_path:
mathjax/tex-chtml.js``, relative to ``_static``).

MathJax 3 ships its CommonHTML fonts (woff-v2) inside the package; MathJax 4 fetches its
fonts from a CDN unless configured otherwise, hence version 3.

The files are copied after Jupyter Book has run, rather than through Sphinx's
``html_static_path``: Jupyter Book adds every ``.js`` file it finds under a book's
``_static`` folder to every page, which would load all of MathJax's components at once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tools" / "mathjax"  # package.json and package-lock.json (committed)
CACHE = ROOT / "_build" / "mathjax"  # npm's install (not committed)
SITE_DIR = Path("_static") / "mathjax"  # inside the built HTML
ENTRY = "tex-chtml.js"


def pinned_version() -> str:
    lock = json.loads((PACKAGE / "package-lock.json").read_text())
    return lock["packages"]["node_modules/mathjax"]["version"]


def installed_version(cache: Path = CACHE) -> str | None:
    manifest = cache / "node_modules" / "mathjax" / "package.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text()).get("version")


def install(cache: Path = CACHE) -> Path:
    """The pinned MathJax's es5/ folder, installed with npm on first use only."""
    version = pinned_version()
    if installed_version(cache) != version:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed: run `make npm-deps` "
                               "(apt-get install npm) so the site can serve its own MathJax")
        cache.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(PACKAGE / name, cache / name)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=cache, check=True)
        if installed_version(cache) != version:
            raise RuntimeError(f"npm did not install mathjax {version} into {cache}")
        print(f"mathjax {version} installed into {cache.relative_to(ROOT)}")
    return cache / "node_modules" / "mathjax" / "es5"


def copy_into(html: Path, cache: Path = CACHE) -> Path:
    """Copy MathJax into the built site (skipped when that version is already there)."""
    source = install(cache)
    target = html / SITE_DIR
    stamp = target / ".version"
    version = pinned_version()
    if not (stamp.is_file() and stamp.read_text().strip() == version and (target / ENTRY).is_file()):
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        stamp.write_text(version + "\n")
    return target


def main() -> int:
    print(install())
    return 0


if __name__ == "__main__":
    sys.exit(main())
