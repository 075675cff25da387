"""Assertions on HTML pages built with the ``framework_tabs`` book extension.

Usage from any test or script::

    from html_checks import check_tab_sets, check_solutions
    html = Path("book/_build/html/chapter.html").read_text(encoding="utf-8")
    check_tab_sets(html, expected_groups=7)
    check_solutions(html)
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tools.project import LABELS as FRAMEWORKS  # noqa: E402  (cell tag -> tab label, in tab order)


def _children(tag: Tag, name: str, class_: str | None = None) -> list[Tag]:
    """Direct child elements of ``tag`` named ``name`` (optionally with a class)."""
    found = tag.find_all(name, recursive=False)
    return [
        child
        for child in found
        if isinstance(child, Tag) and (class_ is None or class_ in _classes(child))
    ]


def _classes(tag: Tag) -> list[str]:
    """The ``class`` attribute of ``tag`` as a list."""
    value = tag.get("class")
    if value is None:
        return []
    return value.split() if isinstance(value, str) else list(value)


def _framework_of(cell: Tag) -> str | None:
    """The framework tag of a MyST-NB cell ``div`` (``None`` if shared)."""
    found = [fw for fw in FRAMEWORKS if f"tag_{fw}" in _classes(cell)]
    assert len(found) <= 1, f"cell with several framework tags: {found}"
    return found[0] if found else None


def check_tab_sets(html: str, expected_groups: int) -> None:
    """Assert a page has exactly ``expected_groups`` well-formed framework tab sets.

    Every ``.sd-tab-set`` on the page must be a framework tab set: labels in the
    order MXNet, PyTorch, TensorFlow (missing frameworks allowed, none repeated),
    each with ``data-sync-group="framework"`` and the framework as
    ``data-sync-id``; the PyTorch tab (else the first) checked; each tab holding
    only code cells of its framework. No framework-tagged code cell may be left
    outside a tab set.
    """
    soup = BeautifulSoup(html, "html.parser")
    tab_sets = [tag for tag in soup.select("div.sd-tab-set") if isinstance(tag, Tag)]
    assert len(tab_sets) == expected_groups, (
        f"expected {expected_groups} tab sets, found {len(tab_sets)}"
    )
    for number, tab_set in enumerate(tab_sets, start=1):
        where = f"tab set {number}"
        inputs = _children(tab_set, "input")
        labels = _children(tab_set, "label")
        contents = _children(tab_set, "div", "sd-tab-content")
        assert labels, f"{where}: no tabs"
        assert len(inputs) == len(labels) == len(contents), f"{where}: malformed tabs"
        assert all(label.get("data-sync-group") == "framework" for label in labels), (
            f"{where}: sync group is not 'framework'"
        )
        ids = [str(label.get("data-sync-id")) for label in labels]
        assert ids == [fw for fw in FRAMEWORKS if fw in ids], (
            f"{where}: tabs {ids} out of order, repeated or unknown"
        )
        texts = [label.get_text(strip=True) for label in labels]
        assert texts == [FRAMEWORKS[fw] for fw in ids], f"{where}: labels {texts}"
        for tab_input, label in zip(inputs, labels, strict=True):
            assert label.get("for") == tab_input.get("id"), (
                f"{where}: label/input mismatch"
            )
        checked = [
            i for i, tab_input in enumerate(inputs) if tab_input.has_attr("checked")
        ]
        selected = ids.index("pytorch") if "pytorch" in ids else 0
        assert checked == [selected], (
            f"{where}: checked tabs {checked}, expected [{selected}]"
        )
        for framework, content in zip(ids, contents, strict=True):
            cells = content.select("div.cell")
            assert cells, f"{where}: empty {framework} tab"
            for cell in cells:
                assert _framework_of(cell) == framework, (
                    f"{where}: foreign cell in the {framework} tab"
                )
    for cell in soup.select("div.cell"):
        if _framework_of(cell) is not None:
            assert cell.find_parent("div", class_="sd-tab-set") is not None, (
                f"{_framework_of(cell)} cell outside a tab set: "
                f"{cell.get_text(' ', strip=True)[:80]!r}"
            )


def check_solutions(html: str, expected: int | None = None) -> None:
    """Assert every ``solution``-tagged code cell is in a collapsed Solution dropdown.

    Solution dropdowns are ``<details class="solution ...">`` elements, closed by
    default, whose summary reads "Solution". With ``expected``, also check
    how many there are.
    """
    soup = BeautifulSoup(html, "html.parser")
    dropdowns = [tag for tag in soup.select("details.solution") if isinstance(tag, Tag)]
    if expected is not None:
        assert len(dropdowns) == expected, (
            f"expected {expected} solution dropdowns, found {len(dropdowns)}"
        )
    for details in dropdowns:
        assert not details.has_attr("open"), "solution dropdown is open by default"
        summary = details.find("summary")
        assert summary is not None and "Solution" in summary.get_text(), (
            "solution dropdown without a 'Solution' summary"
        )
    for cell in soup.select("div.cell.tag_solution"):
        assert cell.find_parent("details", class_="solution") is not None, (
            f"solution cell outside a Solution dropdown: "
            f"{cell.get_text(' ', strip=True)[:80]!r}"
        )
