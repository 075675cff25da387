"""Sphinx extension: framework tabs and collapsed solutions for notebook pages.

Every chapter notebook tags its framework-specific code cells ``mxnet``,
``pytorch`` or ``tensorflow``; untagged code cells are shared by all three.
After MyST-NB has parsed a notebook, :class:`FrameworkTabsTransform`

1. turns each run of adjacent framework-tagged code cells into one
   sphinx-design tab set (tabs MXNet, PyTorch, TensorFlow, synchronised across
   the site through the sync group ``framework``, PyTorch selected); the
   per-framework output cells that the merge step writes after a shared cell whose
   outputs differ between frameworks (cell metadata ``framework_outputs``) form a
   tab set of their own, with the class ``framework-outputs``, and
2. collapses worked solutions: code cells (or tab sets of code cells) tagged
   ``solution`` are moved into the ``solution`` dropdown right before them, or
   wrapped in a new collapsed "Solution" dropdown when there is none.

The nodes built here are the same generic containers sphinx-design's own
``tab-set``/``tab-item``/``dropdown`` directives produce, so sphinx-design's
HTML post-transforms render them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, TypeGuard

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx_design.shared import create_component, is_component

__version__ = "0.1.0"

#: Framework cell tags mapped to tab labels, in tab order: the Sphinx setting
#: ``framework_labels``, which the build writes from tools/project.py.
FRAMEWORKS: dict[str, str] = {}
#: The tab shown first (before a reader picks another framework).
SELECTED_FRAMEWORK = "pytorch"
#: sphinx-design sync group: picking a framework in one tab set picks it everywhere.
SYNC_GROUP = "framework"
#: Cell tag marking a worked solution; also the class of solution dropdowns.
SOLUTION = "solution"
#: Cell metadata key of an output-only cell (one framework's outputs of a shared cell);
#: also the class, with dashes, of the tab sets they form.
OUTPUTS_KEY = "framework_outputs"

logger = logging.getLogger(__name__)


def group_runs(
    frameworks: Sequence[str | None], keys: Sequence[Hashable] | None = None
) -> list[list[int]]:
    """Split a sequence of sibling cells into the groups that become tab sets.

    :param frameworks: the framework of each sibling, ``None`` for anything that
        is not a framework-tagged code cell (it ends the current run).
    :param keys: optional per-sibling key; neighbours with different keys never
        share a group (used to keep solution and non-solution cells apart).
    :return: the indices of each group, in order. A framework may own several
        consecutive cells, but a framework that comes back after another
        framework's cell starts a new group (``mx pt tf mx`` -> two groups).
    """
    groups: list[list[int]] = []
    current: list[int] = []
    seen: set[str] = set()
    for index, framework in enumerate(frameworks):
        if framework is None:
            current, seen = [], set()
            continue
        previous = current[-1] if current else None
        if previous is not None and (
            (framework in seen and frameworks[previous] != framework)
            or (keys is not None and keys[index] != keys[previous])
        ):
            current, seen = [], set()
        if not current:
            groups.append(current)
        current.append(index)
        seen.add(framework)
    return groups


def is_code_cell(node: nodes.Node) -> TypeGuard[nodes.container]:
    """Whether ``node`` is the container MyST-NB renders for a code cell."""
    return isinstance(node, nodes.container) and node.get("nb_element") == "cell_code"


def cell_tags(node: nodes.Element) -> list[str]:
    """The ``tags`` of a MyST-NB code-cell container (empty if it has none)."""
    metadata: dict[str, Any] = node.get("cell_metadata") or {}
    return list(metadata.get("tags") or [])


def is_outputs_cell(node: nodes.Node) -> bool:
    """An output-only cell: one framework's outputs of a shared cell (tools/merge.py)."""
    return is_code_cell(node) and bool((node.get("cell_metadata") or {}).get(OUTPUTS_KEY))


def cell_framework(node: nodes.Node) -> str | None:
    """The framework a node belongs to, or ``None`` for shared code and non-cells.

    A cell with several framework tags is reported with a warning (an error in
    ``-W`` builds) and treated as shared.
    """
    if not is_code_cell(node):
        return None
    found = [tag for tag in cell_tags(node) if tag in FRAMEWORKS]
    if len(found) > 1:
        logger.warning(
            "notebook cell %s has several framework tags %s; expected at most one",
            node.get("cell_index", -1) + 1,
            found,
            location=node,
            type="framework_tabs",
            subtype="tags",
        )
        return None
    return found[0] if found else None


def make_tab_set(
    cells: Sequence[nodes.Node], frameworks: Sequence[str | None]
) -> nodes.container:
    """Build a sphinx-design tab set with one tab per framework present in ``cells``.

    ``frameworks[i]`` is the framework of ``cells[i]``; tabs follow :data:`FRAMEWORKS`.
    """
    tab_items: list[nodes.Node] = []
    for framework, label in FRAMEWORKS.items():
        owned = [
            cell for cell, fw in zip(cells, frameworks, strict=True) if fw == framework
        ]
        if not owned:
            continue
        rubric = nodes.rubric(label, label, classes=["sd-tab-label"])
        rubric["sync_group"], rubric["sync_id"] = SYNC_GROUP, framework
        content = create_component("tab-content", ["sd-tab-content"], children=owned)
        tab_items.append(
            create_component(
                "tab-item",
                ["sd-tab-item"],
                children=[rubric, content],
                selected=framework == SELECTED_FRAMEWORK,
            )
        )
    classes = ["sd-tab-set", "framework-tabs"]
    if all(is_outputs_cell(cell) for cell in cells):
        classes.append(OUTPUTS_KEY.replace("_", "-"))
    tab_set = create_component("tab-set", classes, children=tab_items)
    tab_set["framework_tabs"] = True
    tab_set.source, tab_set.line = cells[0].source, cells[0].line
    return tab_set


def make_solution_dropdown(first: nodes.Node) -> nodes.container:
    """Build an empty collapsed sphinx-design dropdown titled "Solution"."""
    dropdown = create_component(
        "dropdown",
        children=[nodes.rubric("Solution", "Solution")],
        opened=False,
        type="dropdown",
        has_title=True,
        icon=None,
        chevron=None,
        container_classes=["sd-mb-3", SOLUTION],
        title_classes=[],
        body_classes=[],
    )
    dropdown.source, dropdown.line = first.source, first.line
    return dropdown


def is_solution_item(node: nodes.Node) -> bool:
    """A solution-tagged code cell, or a framework tab set made of such cells."""
    if is_code_cell(node):
        return SOLUTION in cell_tags(node)
    if isinstance(node, nodes.Element) and node.get("framework_tabs"):
        cells = [c for c in node.findall(nodes.container) if is_code_cell(c)]
        return bool(cells) and all(SOLUTION in cell_tags(c) for c in cells)
    return False


def is_solution_dropdown(node: nodes.Node) -> TypeGuard[nodes.Element]:
    """A dropdown written with ``:class-container: solution``."""
    return (
        isinstance(node, nodes.Element)
        and is_component(node, "dropdown")
        and SOLUTION in node.get("container_classes", [])
    )


def is_solution_part(node: nodes.Node) -> bool:
    """Anything that belongs in a solution dropdown, or is one."""
    return is_solution_item(node) or is_solution_dropdown(node)


class FrameworkTabsTransform(SphinxTransform):
    """Group framework code cells into tab sets, then collapse solution code."""

    default_priority = 500

    def _parents(
        self, predicate: Callable[[nodes.Node], bool]
    ) -> Iterator[nodes.Element]:
        """Distinct parents of the nodes matching ``predicate``, in document order."""
        seen: set[int] = set()
        for node in list(self.document.findall(predicate)):
            parent = node.parent
            if isinstance(parent, nodes.Element) and id(parent) not in seen:
                seen.add(id(parent))
                yield parent

    def apply(self, **kwargs: Any) -> None:
        """Run both steps on the whole document."""
        for parent in list(self._parents(is_code_cell)):
            self.make_tabs(parent)
        for parent in list(self._parents(is_solution_part)):
            if not is_component(parent, "tab-content"):  # cells already in a tab set
                self.nest_solutions(parent)

    def make_tabs(self, parent: nodes.Element) -> None:
        """Replace each group of framework cells among ``parent``'s children."""
        children = list(parent.children)
        frameworks = [cell_framework(child) for child in children]
        # Solution and non-solution cells, and output-only and code cells, never share a tab set.
        keys = [(is_solution_item(child), is_outputs_cell(child)) for child in children]
        groups = group_runs(frameworks, keys)
        if not groups:
            return
        starts = {group[0]: group for group in groups}
        grouped = {index for group in groups for index in group}
        new_children: list[nodes.Node] = []
        for index, child in enumerate(children):
            if index in starts:
                group = starts[index]
                cells = [children[i] for i in group]
                new_children.append(make_tab_set(cells, [frameworks[i] for i in group]))
            elif index not in grouped:
                new_children.append(child)
        parent[:] = new_children

    def nest_solutions(self, parent: nodes.Element) -> None:
        """Gather each run of consecutive solution cells into one dropdown.

        Solution code moves into the solution dropdown just before it, and a solution
        dropdown that directly follows another one (prose, code, more prose) is merged
        into it, so one exercise's worked solution is one "Solution" to open.
        """
        new_children: list[nodes.Node] = []
        target: nodes.Element | None = None
        for child in list(parent.children):
            if is_solution_item(child):
                if target is None:
                    target = make_solution_dropdown(child)
                    new_children.append(target)
                target.append(child)
                continue
            if is_solution_dropdown(child) and target is not None:
                target.extend(child.children[1:])  # its body; children[0] is the title
                continue
            target = child if is_solution_dropdown(child) else None
            new_children.append(child)
        parent[:] = new_children


def read_labels(app: Sphinx, config: Config) -> None:
    """Take the frameworks and their tab labels from the ``framework_labels`` setting."""
    labels = config.framework_labels
    if not labels or not isinstance(labels, dict):
        raise ConfigError("framework_labels is not set: expected {cell tag: tab label}, "
                          "e.g. {'pytorch': 'PyTorch'} (tools/render.py writes it)")
    FRAMEWORKS.clear()
    FRAMEWORKS.update({str(tag): str(label) for tag, label in labels.items()})


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the transform (and sphinx-design, whose nodes it builds)."""
    app.setup_extension("sphinx_design")
    app.add_config_value("framework_labels", {}, "env", dict)
    app.connect("config-inited", read_labels)
    app.add_transform(FrameworkTabsTransform)
    return {
        "version": __version__,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
