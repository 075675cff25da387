"""Each diagram (an image from ``diagrams/``, drawn by tools/diagrams.py) links to its SVG,
so that a reader can open it at full size.

On the website a diagram is scaled to the text column, about 60% of its drawn size; the
link opens the same vector drawing in its own tab, where it can be zoomed freely. The
extension wraps every such image in a reference to the copy that the HTML builder puts in
``_images/`` (the figure directive's ``:target:`` would need that path in every chapter).
"""

from __future__ import annotations

import posixpath
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

__version__ = "0.1.0"

DIAGRAM_DIR = "diagrams"


def is_diagram(uri: str) -> bool:
    return DIAGRAM_DIR in posixpath.dirname(uri).split("/") and uri.endswith(".svg")


def link_diagrams(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    here = posixpath.dirname(docname)
    for image in list(doctree.findall(nodes.image)):
        uri = image.get("uri", "")
        if not is_diagram(uri) or isinstance(image.parent, nodes.reference):
            continue
        target = posixpath.relpath(posixpath.join(app.builder.imagedir, posixpath.basename(uri)),
                                   here or ".")
        reference = nodes.reference("", "", refuri=target, internal=False,
                                    classes=["d2l-diagram-link"])
        image.replace_self(reference)
        reference.append(image)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-resolved", link_diagrams)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
