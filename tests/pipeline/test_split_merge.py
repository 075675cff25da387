"""The split, hash and merge steps of tools/, on a small chapter made here."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from collections.abc import Callable

import nbformat
import pytest

from tools import merge, split as chapters
from tools.split import Chapter, framework_of

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
    for framework in ("mxnet", "tensorflow"):  # PyTorch's adapter is torch.py
        files = [p.name for p in chapters._d2lmini_files(framework)]
        assert "torch.py" not in files and f"{framework}.py" in files


def test_hash_follows_the_benchmarks_only_of_pages_that_print_them(
        tiny: Chapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = tmp_path / "results"
    (results / "benchmark" / "pytorch").mkdir(parents=True)
    monkeypatch.setattr(chapters, "RESULTS", results)
    medians = results / "benchmark" / "pytorch" / "other_page.json"
    medians.write_text('{"figures": []}')

    def source_hash() -> str:
        return chapters.split(tiny, "pytorch").metadata["d2lmini"]["source_hash"]

    plain = source_hash()
    medians.write_text('{"figures": [1]}')  # a rerun of `make benchmark`
    assert source_hash() == plain  # the tiny page prints no benchmark
    tiny.source.write_text(SOURCE.replace("shared = 1", "shared = d2l.load_benchmark('other_page')"))
    before = source_hash()
    assert before == source_hash()
    medians.write_text('{"figures": [2]}')
    assert source_hash() != before
    (results / "benchmark" / "tensorflow").mkdir()
    (results / "benchmark" / "tensorflow" / "other_page.json").write_text("{}")
    assert source_hash() == chapters.split(tiny, "pytorch").metadata["d2lmini"]["source_hash"]
    after = source_hash()
    (results / "benchmark" / "pytorch" / "new_page.json").write_text('{"figures": []}')
    assert source_hash() == after  # a benchmark that the page does not name


def test_cell_with_two_framework_tags_is_refused(tiny: Chapter) -> None:
    tiny.source.write_text(SOURCE.replace(":tags: [mxnet]", ":tags: [mxnet, pytorch]"))
    with pytest.raises(ValueError, match="several frameworks"):
        chapters.split(tiny, "pytorch")


def test_unknown_framework_is_refused(tiny: Chapter) -> None:
    with pytest.raises(ValueError, match="unknown framework"):
        chapters.split(tiny, "jax")


def _stream(text: str) -> dict:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _execute(chapter: Chapter, shared: Callable[[str], list[dict]]) -> None:
    """Write each framework's notebook as if executed: framework cells print their
    framework, the shared cell prints ``shared(framework)``."""
    for framework in chapters.FRAMEWORKS:
        nb = chapters.split(chapter, framework)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = shared(framework) if cell.source == "shared = 1" else [_stream(f"{framework}\n")]
                cell.execution_count = 1
        nb.metadata["d2lmini"].update(seconds=1.5, cpu="some CPU")
        path = chapter.notebook(framework)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)


@pytest.fixture
def executed(tiny: Chapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Chapter:
    monkeypatch.setattr(chapters, "NOTEBOOKS", tmp_path / "notebooks")
    return tiny


def test_merge_takes_each_frameworks_outputs(executed: Chapter) -> None:
    _execute(executed, lambda fw: [_stream("same everywhere\n")])
    page = merge.merge(executed)
    printed = {c.source: c.outputs[0]["text"] for c in page.cells if c.cell_type == "code"}
    assert printed["shared = 1"] == "same everywhere\n"
    assert sum(c.source == "shared = 1" for c in page.cells) == 1, "equal outputs: the cell once"
    for framework in chapters.FRAMEWORKS:
        assert printed[f"framework = {framework!r}"] == f"{framework}\n"
    solution = [c.source for c in page.cells if "solution" in c.metadata.get("tags", [])]
    assert solution[0].startswith("`````{dropdown} Solution") and "The answer." in solution[0]


def test_shared_cell_with_differing_outputs_gets_one_output_cell_per_framework(executed: Chapter) -> None:
    _execute(executed, lambda fw: [_stream(f"MAE of {fw}\n")])
    assert merge.differing_shared_cells(executed) == [chapters.read_source(executed).cells[1]["id"]]
    page = merge.merge(executed)
    at = next(i for i, c in enumerate(page.cells) if c.source == "shared = 1")
    code, *outputs = page.cells[at:at + 4]
    assert code.outputs == [] and framework_of(code) is None
    for framework, cell in zip(chapters.FRAMEWORKS, outputs, strict=True):
        assert cell.metadata["tags"] == [framework, "remove-input"]
        assert cell.metadata[merge.OUTPUTS_KEY] == code["id"]
        assert [o["text"] for o in cell.outputs] == [f"MAE of {framework}\n"]


@pytest.mark.parametrize("printed", [
    dict(zip(chapters.FRAMEWORKS, [["took 1.2 sec\n"], ["took 3.4 sec\n"], ["took 0.5 sec\n"]])),
    dict(zip(chapters.FRAMEWORKS, [["a\nb\n"], ["a\n", "b\n"], ["a", "\nb\n"]])),
    dict(zip(chapters.FRAMEWORKS, [["took 1.", "2 sec\n"], ["took 3.4 sec\n"], ["took 0.5 sec\n"]])),
], ids=["masked durations", "split streams", "a duration split over two pieces"])
def test_outputs_equal_up_to_masking_and_stream_splits_are_shown_once(
        executed: Chapter, printed: dict[str, list[str]]) -> None:
    _execute(executed, lambda fw: [_stream(text) for text in printed[fw]])
    assert merge.differing_shared_cells(executed) == []
    assert sum(c.source == "shared = 1" for c in merge.merge(executed).cells) == 1


def test_outputs_differing_by_stream_name_or_image_are_not_equal() -> None:
    out = nbformat.v4.new_output
    assert merge.comparable([out("stream", name="stdout", text="x")]) != merge.comparable(
        [out("stream", name="stderr", text="x")])
    png = [out("display_data", data={"image/png": "AAA", "text/plain": "<Figure>"})]
    other = [out("display_data", data={"image/png": "AAB", "text/plain": "<Figure>"})]
    assert merge.comparable(png) != merge.comparable(other)
    assert merge.comparable(png) == merge.comparable(
        [out("display_data", data={"image/png": "AAA", "text/plain": "<Figure>"}, metadata={"x": 1})])


def test_markdown_edit_refreshes_without_executing(executed: Chapter) -> None:
    _execute(executed, lambda fw: [_stream("same everywhere\n")])
    before = {fw: nbformat.read(executed.notebook(fw), as_version=4) for fw in chapters.FRAMEWORKS}
    assert {chapters.status(executed, fw).state for fw in chapters.FRAMEWORKS} == {chapters.CURRENT}
    executed.source.write_text(SOURCE.replace("# A tiny chapter", "# A tiny chapter\n\nNew prose.\n\n+++"))
    for framework in chapters.FRAMEWORKS:
        state = chapters.status(executed, framework)
        assert state.state == chapters.REFRESH
        chapters.refresh(state)
        assert chapters.status(executed, framework).state == chapters.CURRENT
        after = nbformat.read(executed.notebook(framework), as_version=4)
        assert "New prose." in after.cells[1].source
        old_code = [(c.source, c.outputs, c.execution_count) for c in before[framework].cells if c.cell_type == "code"]
        new_code = [(c.source, c.outputs, c.execution_count) for c in after.cells if c.cell_type == "code"]
        assert new_code == old_code
        assert after.metadata["d2lmini"] == before[framework].metadata["d2lmini"]


def test_code_edit_needs_execution_and_cannot_be_refreshed(executed: Chapter) -> None:
    _execute(executed, lambda fw: [])
    executed.source.write_text(SOURCE.replace("shared = 1", "shared = 2"))
    state = chapters.status(executed, "pytorch")
    assert state.state == chapters.EXECUTE
    with pytest.raises(ValueError, match="cannot be refreshed"):
        chapters.refresh(state)


def test_hand_edited_code_in_a_committed_notebook_needs_execution(executed: Chapter) -> None:
    _execute(executed, lambda fw: [])
    path = executed.notebook("pytorch")
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.source == "shared = 1").source = "shared = 3"
    nbformat.write(nb, path)
    assert chapters.status(executed, "pytorch").state == chapters.EXECUTE


def test_tags_change_only_needs_a_refresh(executed: Chapter) -> None:
    _execute(executed, lambda fw: [])
    executed.source.write_text(SOURCE.replace(":tags: [pytorch]", ":tags: [pytorch, trained]"))
    assert chapters.status(executed, "pytorch").state == chapters.REFRESH
    assert chapters.status(executed, "mxnet").state == chapters.CURRENT


def test_page_says_what_running_it_costs(executed: Chapter) -> None:
    _execute(executed, lambda fw: [])
    page = merge.merge(executed)
    assert page.cells[0].source.startswith("# A tiny chapter")
    note = page.cells[1].source
    assert "MXNet 2 s, PyTorch 2 s, TensorFlow 2 s (wall time" in note  # 1.5 s recorded, no CPU seconds
    records = {fw: {"seconds": 30.0, "cpu_seconds": 20.4 + i} for i, fw in enumerate(chapters.FRAMEWORKS)}
    assert merge.cost_note(records).startswith("*Running this page takes MXNet 20 s, PyTorch 21 s, "
                                               "TensorFlow 22 s of CPU")
    for fw in chapters.FRAMEWORKS:  # the CPU model the figures come from, once
        records[fw]["cpu"] = "AuthenticAMD family 26 model 2: AMD EPYC"
    assert merge.cost_note(records).endswith(
        "idle 2-core machine), measured on AMD EPYC (AuthenticAMD family 26 model 2).*")


def test_a_benchmark_of_other_code_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import benchmark
    monkeypatch.setattr(benchmark, "OUT", tmp_path)
    monkeypatch.setattr(benchmark, "benchmarked_pages", lambda: ["page"])
    monkeypatch.setattr(benchmark, "code_hash", lambda page, framework: f"{page}-{framework}-now")
    path = tmp_path / "pytorch" / "page.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"source_hash": "page-pytorch-now"}))
    assert benchmark.stale_benchmarks() == []
    path.write_text(json.dumps({"source_hash": "page-pytorch-before"}))
    assert benchmark.stale_benchmarks() == [
        f"{path} was computed with other code: run `make benchmark FRAMEWORK=pytorch PAGE=page`"]
    path.write_text(json.dumps({}))
    assert "records no code hash" in benchmark.stale_benchmarks()[0]
    (tmp_path / "pytorch" / "gone.json").write_text("{}")
    assert any("no page gone reads" in p for p in benchmark.stale_benchmarks())


def test_check_cells_run_in_the_notebooks_but_stay_off_the_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exercise's checks (tag `check`) are the grader's: split keeps them, merge drops them."""
    monkeypatch.setattr(chapters, "BOOK", tmp_path)
    monkeypatch.setattr(chapters, "NOTEBOOKS", tmp_path / "notebooks")
    checked = SOURCE + "\n```{code-cell} ipython3\n:tags: [check]\nassert shared == 1\n```\n"
    (tmp_path / "checked.md").write_text(checked)
    chapter = Chapter("checked")
    assert all("assert shared == 1" in [c.source for c in chapters.split(chapter, fw).cells]
               for fw in chapters.FRAMEWORKS)
    _execute(chapter, lambda fw: [_stream("same everywhere\n")])
    page = merge.merge(chapter)
    assert "shared = 1" in [c.source for c in page.cells]
    assert not [c for c in page.cells if "assert shared == 1" in c.source]


def test_a_benchmark_is_keyed_on_the_cells_up_to_its_last_recorded_figure() -> None:
    """Cells after the last one that records a figure (directly, or through a function of the
    page that does) cannot change a benchmark's figures: editing them leaves it current."""
    from tools import benchmark
    cell = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        cell("def train(seed):\n    d2l.record_training('p', 'm', net, 1.0)"),
        cell("def score():\n    return train(seed)  # records through train"),
        cell("score()"),
        cell("%time result = 1"),
        cell("errors = [1, 2]\nassert errors"),  # an exercise and its check
    ])
    assert [c.source for c in benchmark.recorded_part(nb).cells] == [c.source for c in nb.cells[:3]]
    nb.cells[3].source = "%time d2l.record_result('p', 'm', 'mae', 1.0, seed)"  # read as text
    assert len(benchmark.recorded_part(nb).cells) == 4
    unrecorded = nbformat.v4.new_notebook(cells=[cell("x = 1"), cell("def f():\n    d2l.record_result()")])
    assert len(benchmark.recorded_part(unrecorded).cells) == 2  # no recording call: all of it
