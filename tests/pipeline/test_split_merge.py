"""The split, hash and merge steps of tools/, on a small chapter made here."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools import build, chapters
from tools.chapters import Chapter

SOURCE = textwrap.dedent(
    """\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---
    # A tiny chapter

    ```{code-cell} ipython3
    shared = 1
    ```

    ```{code-cell} ipython3
    :tags: [mxnet]
    framework = 'mxnet'
    ```

    ```{code-cell} ipython3
    :tags: [pytorch]
    framework = 'pytorch'
    ```

    ```{code-cell} ipython3
    :tags: [tensorflow]
    framework = 'tensorflow'
    ```

    +++ {"tags": ["solution"]}

    The answer.
    """
)


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Chapter:
    monkeypatch.setattr(chapters, "BOOK", tmp_path)
    (tmp_path / "tiny.md").write_text(SOURCE)
    return Chapter("tiny")


def test_split_keeps_shared_and_own_cells(tiny: Chapter) -> None:
    for framework in chapters.FRAMEWORKS:
        nb = chapters.split(tiny, framework)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert code[1:] == ["shared = 1", f"framework = {framework!r}"]
        assert f"d2lmini[{framework}] @ " in code[0], "the first cell installs d2lmini"
        # Colab knows only python3; `make lab` maps it to d2lmini-<fw> by folder
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["d2lmini"]["framework"] == framework


def test_cell_ids_are_stable_and_shared_across_frameworks(tiny: Chapter) -> None:
    first = chapters.split(tiny, "pytorch")
    again = chapters.split(tiny, "pytorch")
    other = chapters.split(tiny, "mxnet")
    assert [c["id"] for c in first.cells] == [c["id"] for c in again.cells]
    assert first.cells[2]["id"] == other.cells[2]["id"]  # the shared cell


def test_hash_follows_the_source(tiny: Chapter) -> None:
    before = chapters.split(tiny, "pytorch").metadata["d2lmini"]["source_hash"]
    assert before == chapters.split(tiny, "pytorch").metadata["d2lmini"]["source_hash"]
    # An edit to another framework's cell leaves PyTorch's notebook up to date...
    tiny.source.write_text(SOURCE.replace("framework = 'mxnet'", "framework = 'mx'"))
    assert chapters.split(tiny, "pytorch").metadata["d2lmini"]["source_hash"] == before
    # ...an edit to a shared cell does not.
    tiny.source.write_text(SOURCE.replace("shared = 1", "shared = 2"))
    assert chapters.split(tiny, "pytorch").metadata["d2lmini"]["source_hash"] != before


def test_hash_follows_d2lmini_core_not_other_frameworks() -> None:
    files = [p.name for p in chapters._d2lmini_files("pytorch")]
    assert "core.py" in files and "torch.py" in files
    assert "mxnet.py" not in files and "tensorflow.py" not in files


def test_cell_with_two_framework_tags_is_refused(tiny: Chapter) -> None:
    tiny.source.write_text(SOURCE.replace(":tags: [mxnet]", ":tags: [mxnet, pytorch]"))
    with pytest.raises(ValueError, match="several frameworks"):
        chapters.split(tiny, "pytorch")


def test_unknown_framework_is_refused(tiny: Chapter) -> None:
    with pytest.raises(ValueError, match="unknown framework"):
        chapters.split(tiny, "jax")


def test_merge_takes_each_frameworks_outputs(tiny: Chapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat

    monkeypatch.setattr(chapters, "NOTEBOOKS", tmp_path / "notebooks")
    for framework in chapters.FRAMEWORKS:
        nb = chapters.split(tiny, framework)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{framework}\n")]
        path = tiny.notebook(framework)
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    page = build.merge(tiny)
    printed = {c.source: c.outputs[0]["text"] for c in page.cells if c.cell_type == "code"}
    assert printed["shared = 1"] == "pytorch\n"
    for framework in chapters.FRAMEWORKS:
        assert printed[f"framework = {framework!r}"] == f"{framework}\n"
    solution = [c.source for c in page.cells if "solution" in c.metadata.get("tags", [])]
    assert solution[0].startswith("`````{dropdown} Solution") and "The answer." in solution[0]
