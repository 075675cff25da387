"""Per-framework launch and download buttons for chapter pages.

sphinx-book-theme builds one launch link per service from the page's own source,
which here is the merged page holding all three frameworks: no kernel can run it.
This extension rewrites the header's launch menu so that every link opens one
framework's notebook, ``notebooks/<framework>/<chapter>.ipynb`` in the repository,
and replaces the merged-notebook download with one download per framework (the
build copies the notebooks next to the HTML).

Services: Colab and Binder for PyTorch and TensorFlow; SageMaker Studio Lab for all
three. MXNet 1.9 needs numpy < 1.24, which Colab's Python cannot install, and the
repository's Binder environment (environment.yml) is the PyTorch/TensorFlow one, so
MXNet's entries for those two point at the page that explains how to run it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sphinx.application import Sphinx

__version__ = "0.1.0"

#: Where the book explains running the notebooks (and why MXNet is not on Colab).
RUNNING_DOC = "book/intro"
RUNNING_ANCHOR = "running-the-notebooks"
STUDIO_LAB = "https://studiolab.sagemaker.aws/import/github"
#: Services that cannot run MXNet, with the reason shown on the button.
NOT_FOR_MXNET = {"colab": "Colab cannot install numpy < 1.24", "binder": "see how to run MXNet"}


def launch_urls(repo_url: str, branch: str, notebook: str, options: dict[str, Any]) -> dict[str, str]:
    """The launch URL of one notebook (a path in the repository) per service."""
    org_repo = repo_url.removeprefix("https://github.com/").strip("/")
    urls = {"studiolab": f"{STUDIO_LAB}/{org_repo}/blob/{branch}/{notebook}"}
    if options.get("colab_url"):
        urls["colab"] = f"{options['colab_url'].rstrip('/')}/github/{org_repo}/blob/{branch}/{notebook}"
    if options.get("binderhub_url"):
        urls["binder"] = (f"{options['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/{branch}"
                          f"?urlpath={quote('lab/tree/' + notebook)}")
    return urls


SERVICE_NAMES = {"colab": "Colab", "studiolab": "SageMaker Studio Lab", "binder": "Binder (JupyterLab)"}


def rewrite_buttons(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                    doctree: Any) -> None:
    """Replace the launch and notebook-download entries of a chapter page."""
    if context.get("page_source_suffix") != ".ipynb":
        return  # not a chapter (the landing page, say)
    options = app.config.html_theme_options
    repo_url, branch = options.get("repository_url", ""), options.get("repository_branch", "main")
    chapter = pagename.rsplit("/", 1)[-1]
    to_root = "../" * pagename.count("/")
    why = context["pathto"](RUNNING_DOC) + "#" + RUNNING_ANCHOR
    launch: list[dict[str, Any]] = []
    downloads: list[dict[str, Any]] = []
    # {framework: label}, the setting framework_tabs registers (written by tools/render.py)
    for framework, name in app.config.framework_labels.items():
        notebook = f"notebooks/{framework}/{chapter}.ipynb"
        urls = launch_urls(repo_url, branch, notebook, options.get("launch_buttons", {}))
        for service, label in SERVICE_NAMES.items():
            if service not in urls:
                continue
            if framework == "mxnet" and service in NOT_FOR_MXNET:
                url, text = why, f"{name} · {label}: not available ({NOT_FOR_MXNET[service]})"
                service = f"{service}-unavailable"
            else:
                url, text = urls[service], f"{name} · {label}"
            launch.append({"type": "link", "text": text, "url": url, "icon": "fas fa-rocket",
                           "tooltip": f"Open the {name} notebook", "label": f"d2l-{service}-{framework}"})
        downloads.append({"type": "link", "text": f"{name} notebook (.ipynb)", "icon": "fas fa-code",
                          "url": to_root + notebook, "tooltip": f"Download the {name} notebook",
                          "label": f"d2l-download-{framework}"})
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"] = launch
        elif group.get("label") == "download-buttons":
            # The merged page's .ipynb and .md hold all three frameworks and run nowhere.
            kept = [b for b in group["buttons"] if b.get("label") == "download-pdf-button"]
            group["buttons"] = downloads + kept


def setup(app: Sphinx) -> dict[str, Any]:
    """Run after sphinx-book-theme's own button handlers (priority 501)."""
    app.setup_extension("framework_tabs")  # registers the framework_labels setting
    app.connect("html-page-context", rewrite_buttons, priority=510)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
