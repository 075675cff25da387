"""How re-executed outputs are compared with the committed ones (tools/compare.py) and
the nbval plugin that does it (tools/nbval_compare.py): numbers within a relative bound
on another CPU model, images pixel for pixel or by RMS, live plots as their final frame.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from tools import runner, verify  # noqa: E402
from tools.compare import (DEFAULT_RMS, DEFAULT_RTOL, Bounds, cell_bounds, compare_image,  # noqa: E402
                           compare_text)
from tools.project import ROOT, interpreter, kernel_environment  # noqa: E402


# ----------------------------------------------------------------------------
# text, number by number


@pytest.mark.parametrize("reference, test", [
    ("valid MAE 21,942 riders", "valid MAE 21,943 riders"),  # a rounded figure, one unit off
    ("perplexity 4.61", "perplexity 4.62"),  # 4.6149 -> 4.6151 rounds across
    ("loss 0.0590078621", "loss 0.0590078617"),  # 7e-9 relative
    ("  9.5  10.2\n", " 9.5 10.2\n"),  # column padding
    ("x=  9.50", "x=9.5004"),  # padding and digits printed may change
    ("3.1e-05", "3.1e-05"),
    ("-0.000", "0.000"),
])
def test_numbers_within_the_bound_pass_on_another_cpu(reference: str, test: str) -> None:
    assert compare_text(reference, test, "tolerant").ok


@pytest.mark.parametrize("reference, test, why", [
    ("valid MAE 21,942 riders", "valid MAE 22,100 riders", "relative difference"),
    ("perplexity 4.61", "perplexity 4.63", "relative difference"),
    ("stopped at epoch 37", "stopped at epoch 38", "relative difference"),  # a count, not rounded
    ("accuracy 0.744", "accuracy 0.878", "relative difference"),
    ("valid MAE 21,942", "valid RMSE 21,942", "words differ"),
    ("shape (4, 8)", "shape (4, 8, 1)", "words differ"),
    ("t-1", "t-1-2", "1 numbers became 2"),  # numbers side by side: the same words
])
def test_a_moved_number_or_changed_words_fail_on_another_cpu(reference: str, test: str, why: str) -> None:
    outcome = compare_text(reference, test, "tolerant")
    assert not outcome.ok and why in outcome.message


def test_exact_comparison_allows_no_difference() -> None:
    assert compare_text("loss 0.059007862", "loss 0.059007862", "exact").identical
    assert not compare_text("loss 0.0590078621", "loss 0.0590078617", "exact").ok


def test_the_largest_relative_difference_is_reported() -> None:
    outcome = compare_text("a 1.000000 b 2.000000", "a 1.000001 b 2.000004", "tolerant")
    assert outcome.ok and not outcome.identical
    assert outcome.largest_rel == pytest.approx(2e-6, rel=1e-3)


def test_a_cell_tag_widens_the_bounds() -> None:
    assert cell_bounds([]) == Bounds(DEFAULT_RTOL, DEFAULT_RMS)
    assert cell_bounds(["trained", "rtol-0.2", "rms-5"]) == Bounds(0.2, 5.0)
    assert compare_text("accuracy 0.744", "accuracy 0.878", "tolerant", Bounds(rtol=0.2)).ok
    for bad in ("rtol=0.2", "atol-", "words-differ"):
        with pytest.raises(ValueError, match="expected rtol-<number>"):
            cell_bounds([bad])


def test_an_absolute_bound_for_a_printed_rounding_error() -> None:
    bounds = cell_bounds(["atol-1e-6"])
    assert bounds.atol == 1e-6
    assert compare_text("largest difference 7.5e-08", "largest difference 8.9e-08", "tolerant", bounds).ok
    outcome = compare_text("largest difference 7.5e-08", "largest difference 3.2e-06", "tolerant", bounds)
    assert not outcome.ok and "atol 1e-06" in outcome.message
    assert not compare_text("largest difference 7.5e-08", "largest difference 8.9e-08", "tolerant").ok


def test_sampled_words_may_vary_but_not_the_numbers() -> None:
    bounds = cell_bounds(["words-vary"])
    assert bounds.words_vary
    assert compare_text("perplexity 4.61\nthe time machine was", "perplexity 4.61\nthe time is a fourth",
                        "tolerant", bounds).ok
    assert not compare_text("perplexity 4.61\nthe time machine was", "perplexity 4.91\nthe time is a fourth",
                            "tolerant", bounds).ok
    assert not compare_text("0.5: the time machine was", "0.5: the time 1", "tolerant", bounds).ok
    assert not compare_text("the time machine was", "the time is a fourth", "tolerant").ok


# ----------------------------------------------------------------------------
# images


def png(ys: list[float], size: tuple[float, float] = (3.5, 2.5)) -> str:
    fig, axes = plt.subplots(figsize=size)
    axes.plot(ys)
    axes.set_ylim(0, 2)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


CURVE = [1.0, 0.6, 0.45, 0.4, 0.38]


def test_identical_plots_pass_exactly() -> None:
    assert compare_image(png(CURVE), png(CURVE), "exact").identical


def test_a_changed_plot_fails_in_both_modes() -> None:
    worse = [y * 1.3 for y in CURVE]
    for mode in ("exact", "tolerant"):
        outcome = compare_image(png(CURVE), png(worse), mode)
        assert not outcome.ok and "image differs" in outcome.message
    assert compare_image(png(CURVE), png(worse), "tolerant").rms > DEFAULT_RMS


def test_a_plot_moved_by_last_bits_passes_only_on_another_cpu() -> None:
    nudged = [CURVE[0] + 2e-3] + CURVE[1:]  # a fraction of a pixel: antialiasing changes
    outcome = compare_image(png(CURVE), png(nudged), "tolerant")
    assert outcome.ok and 0 < outcome.rms <= DEFAULT_RMS
    assert not compare_image(png(CURVE), png(nudged), "exact").ok


def test_a_plot_of_another_size_fails() -> None:
    outcome = compare_image(png(CURVE), png(CURVE, size=(4, 2.5)), "tolerant")
    assert not outcome.ok and "size differs" in outcome.message


# ----------------------------------------------------------------------------
# the plugin, through nbval in the PyTorch environment

PLOT = """from d2lmini import core as d2l
fig = d2l.TrainingPlot(legend=['train'], ylim=(0, 1.2))
for epoch in range(1, 6):
    fig.add(epoch, SCALE / epoch)"""


def executed(tmp_path: Path, plot_scale: float, loss: float) -> Path:
    """A two-cell notebook (a live plot, a printed loss) executed the way the build does."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"SCALE = {plot_scale}\n" + PLOT),
                nbformat.v4.new_code_cell(f"print(f'valid loss {{{loss}:.9f}}')")]
    source, done = tmp_path / "source.ipynb", tmp_path / f"committed-{plot_scale}-{loss}.ipynb"
    nbformat.write(nb, source)
    subprocess.run([str(interpreter("pytorch")), "-m", "tools.runner", "run", str(source), str(done)],
                   cwd=ROOT, env=kernel_environment(), check=True, capture_output=True)
    return done


def nbval(notebook: Path, mode: str, report: Path) -> subprocess.CompletedProcess:
    env = verify.compare_environment(kernel_environment(), mode, mode, report)
    return subprocess.run(runner.nbval_command(str(interpreter("pytorch")), [notebook]), cwd=ROOT,
                          env=env, capture_output=True, text=True)


def with_code_of(notebook: Path, other: Path, tmp_path: Path) -> Path:
    """``notebook``'s committed outputs with ``other``'s code: a re-execution that
    computes what ``other`` computed."""
    committed, code = (nbformat.read(p, as_version=4) for p in (notebook, other))
    for cell, new in zip(committed.cells, code.cells):
        cell.source = new.source
    path = tmp_path / f"{notebook.stem}-as-{other.stem}.ipynb"
    nbformat.write(committed, path)
    return path


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("compare")
    return {"reference": executed(folder, 1.0, 0.5), "changed plot": executed(folder, 0.9, 0.5),
            "worse model": executed(folder, 1.0, 0.53), "last bits": executed(folder, 1.0, 0.5000001)}


def test_a_live_plot_is_compared_as_its_final_frame(notebooks: dict[str, Path], tmp_path: Path) -> None:
    committed = nbformat.read(notebooks["reference"], as_version=4)
    assert [o.output_type for o in committed.cells[0].outputs] == ["display_data"]  # one picture
    result = nbval(notebooks["reference"], "exact", tmp_path / "report.json")
    assert result.returncode == 0, result.stdout[-3000:]
    [row] = json.loads((tmp_path / "report.json").read_text()).values()
    assert row["images_compared"] == 1 and row["cells_identical"] == 2 and row["largest_image_rms"] == 0


@pytest.mark.parametrize("mode", ["exact", "tolerant"])
def test_a_changed_plot_or_a_worse_model_fails(notebooks: dict[str, Path], tmp_path: Path, mode: str) -> None:
    for change, cell in (("changed plot", 0), ("worse model", 1)):
        notebook = with_code_of(notebooks["reference"], notebooks[change], tmp_path)
        result = nbval(notebook, mode, tmp_path / "report.json")
        assert result.returncode != 0, f"{change} passed the {mode} comparison"
        [row] = json.loads((tmp_path / "report.json").read_text()).values()
        assert row["failed_cells"] == [cell], result.stdout[-3000:]


def test_last_bits_pass_only_the_tolerant_comparison(notebooks: dict[str, Path], tmp_path: Path) -> None:
    notebook = with_code_of(notebooks["reference"], notebooks["last bits"], tmp_path)
    assert nbval(notebook, "exact", tmp_path / "exact.json").returncode != 0
    result = nbval(notebook, "tolerant", tmp_path / "tolerant.json")
    assert result.returncode == 0, result.stdout[-3000:]
    [row] = json.loads((tmp_path / "tolerant.json").read_text()).values()
    assert row["largest_rel_diff"] == pytest.approx(2e-7, rel=0.01)
