"""The GPU runner's logic, on the CPU (tools/verify.py, tools/tolerances.py; README, "Running on a GPU").

The tolerance check (inside, outside, missing result, missing tolerance), how the
tolerances are derived and that the committed file agrees with the results it was made
from, the ignore-output tagging of notebook copies, the device sanitizer, and the
refusal to run without a GPU. Nothing here needs a GPU or executes a notebook.
"""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

import nbformat
import pytest

from tools import tolerances as gpu
from tools import verify

FW, PAGE = "pytorch", "page"


def write_rows(folder: Path, rows: list[tuple[str, str, float, int]], fw: str = FW,
               page: str = PAGE) -> None:
    """Write a results file <folder>/<fw>/<page>.json with (model, metric, value, seed) rows."""
    path = folder / fw / f"{page}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([dict(page=page, model=m, metric=k, value=v, seed=s)
                                for m, k, v, s in rows]))


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    folder = tmp_path / "reference"
    write_rows(folder, [("rnn", "valid_mae", 25_000.0, 0), ("linear", "valid_mae", 33_000.0, 0)])
    return folder


TOLERANCES = {FW: {PAGE: {"rnn/valid_mae": 500.0, "linear/valid_mae": 700.0}}}


def check(reference: Path, run: Path, tolerances: dict = TOLERANCES) -> gpu.CheckReport:
    return gpu.check_results(FW, run, tolerances, reference_dir=reference)


# ----------------------------------------------------------------------------
# the check

def test_figures_inside_their_tolerance_pass(reference: Path, tmp_path: Path) -> None:
    # 499.5 from the reference (just inside), 700 (on the boundary), and identical
    write_rows(tmp_path / "run", [("rnn", "valid_mae", 24_500.5, 0), ("linear", "valid_mae", 33_700.0, 0)])
    report = check(reference, tmp_path / "run")
    assert report.ok, report.failures
    assert len(report.lines) == 2
    write_rows(tmp_path / "same", [("rnn", "valid_mae", 25_000.0, 0), ("linear", "valid_mae", 33_000.0, 0)])
    assert all("identical" in line for line in check(reference, tmp_path / "same").lines)


def test_a_figure_outside_its_tolerance_fails(reference: Path, tmp_path: Path) -> None:
    write_rows(tmp_path / "run", [("rnn", "valid_mae", 25_500.5, 0), ("linear", "valid_mae", 33_000.0, 0)])
    report = check(reference, tmp_path / "run")
    assert not report.ok
    assert report.failures == [f"{FW}/{PAGE} rnn/valid_mae: reference 25000, run 25500.5: "
                               "difference 500 is outside the tolerance 500"]


def test_a_nan_fails(reference: Path, tmp_path: Path) -> None:
    write_rows(tmp_path / "run", [("rnn", "valid_mae", float("nan"), 0), ("linear", "valid_mae", 33_000.0, 0)])
    assert "outside the tolerance" in check(reference, tmp_path / "run").failures[0]


def test_a_figure_missing_from_the_run_fails(reference: Path, tmp_path: Path) -> None:
    write_rows(tmp_path / "run", [("rnn", "valid_mae", 25_000.0, 0)])
    report = check(reference, tmp_path / "run")
    assert report.failures == [f"{FW}/{PAGE} linear/valid_mae: missing from the run's results"]


def test_a_page_the_run_did_not_record_fails(reference: Path, tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    report = check(reference, tmp_path / "run")
    assert len(report.failures) == 2
    assert all("missing from the run's results" in f for f in report.failures)


def test_a_figure_without_a_tolerance_fails(reference: Path, tmp_path: Path) -> None:
    write_rows(tmp_path / "run", [("rnn", "valid_mae", 25_000.0, 0), ("linear", "valid_mae", 33_000.0, 0)])
    tolerances = {FW: {PAGE: {"rnn/valid_mae": 500.0}}}
    report = check(reference, tmp_path / "run", tolerances)
    assert report.failures == [f"{FW}/{PAGE} linear/valid_mae: no tolerance in "
                               "tools/gpu_tolerances.json: run `make gpu-tolerances` and review"]


def test_figures_or_tolerances_the_reference_lacks_fail(reference: Path, tmp_path: Path) -> None:
    write_rows(tmp_path / "run", [("rnn", "valid_mae", 25_000.0, 0), ("linear", "valid_mae", 33_000.0, 0),
                                  ("gru", "valid_mae", 24_000.0, 0)])
    tolerances = {FW: {PAGE: TOLERANCES[FW][PAGE] | {"lstm/valid_mae": 1.0}}}
    failures = check(reference, tmp_path / "run", tolerances).failures
    assert failures == [f"{FW}/{PAGE} gru/valid_mae: recorded by the run but not in the reference results",
                        f"{FW}/{PAGE} lstm/valid_mae: has a tolerance but is not in the reference: "
                        "regenerate tools/gpu_tolerances.json"]


def test_a_run_with_another_seed_fails(reference: Path, tmp_path: Path) -> None:
    write_rows(tmp_path / "run", [("rnn", "valid_mae", 25_000.0, 1), ("linear", "valid_mae", 33_000.0, 0)])
    assert check(reference, tmp_path / "run").failures == [
        f"{FW}/{PAGE} rnn/valid_mae: run with seed 1, the reference with seed 0"]


def test_nothing_to_check_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert not gpu.check_results(FW, tmp_path / "empty", {}, reference_dir=tmp_path / "empty").ok


def test_only_the_pages_asked_for_are_checked(reference: Path, tmp_path: Path) -> None:
    write_rows(reference, [("mlp", "train_mse", 0.05, 42)], page="other")
    write_rows(tmp_path / "run", [("mlp", "train_mse", 0.051, 42)], page="other")
    tolerances = {FW: {"other": {"mlp/train_mse": 0.006}} | TOLERANCES[FW]}
    report = gpu.check_results(FW, tmp_path / "run", tolerances, reference_dir=reference,
                               pages=["other"])
    assert report.ok and len(report.lines) == 1


# ----------------------------------------------------------------------------
# the tolerances

def test_tolerance_is_twice_the_spread_with_a_relative_floor() -> None:
    assert gpu.tolerance_from_spread([100.0, 110.0, 104.0]) == pytest.approx(2 * 10.0)
    # a spread of 0.5 is below 2% of the median 1000: the floor applies
    assert gpu.tolerance_from_spread([1000.0, 1000.5, 1000.2]) == pytest.approx(0.02 * 1000.2, rel=1e-3)
    with pytest.raises(ValueError, match="at least two finite values"):
        gpu.tolerance_from_spread([1.0])


def test_tolerances_come_from_the_benchmark_else_from_the_frameworks(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for fw in gpu.FRAMEWORKS:
        write_rows(results, [("rnn", "valid_mae", 25_000.0, 0)], fw=fw, page="ridership_rnns")
        write_rows(results, [("naive_7day", "mae_rail", 42_143.0, 0)], fw=fw,
                   page="ridership_baselines")
        write_rows(results, [("mlp", "train_mse", {"mxnet": 0.050, "pytorch": 0.052,
                                                   "tensorflow": 0.053}[fw], 42)],
                   fw=fw, page="autoregression")
        bench = results / "benchmark" / fw / "ridership_rnns.json"
        bench.parent.mkdir(parents=True, exist_ok=True)
        bench.write_text(json.dumps({"seeds": [0, 1, 2], "figures": [
            {"model": "rnn", "metric": "valid_mae", "values": [25_000.0, 26_000.0, 25_500.0],
             "median": 25_500.0}]}))
    table = gpu.build_tolerances(results)["tolerances"]
    rnn = table[FW]["ridership_rnns"]["rnn/valid_mae"]
    assert (rnn["tolerance"], rnn["basis"]) == (2000.0, "seeds 0, 1, 2")
    mlp = table[FW]["autoregression"]["mlp/train_mse"]
    assert mlp["tolerance"] == pytest.approx(0.006)
    assert mlp["basis"] == "frameworks " + ", ".join(gpu.FRAMEWORKS)

    write_rows(results, [("gru", "valid_mae", 1.0, 0)], page="new_chapter")
    with pytest.raises(ValueError, match="new_chapter: no benchmark"):
        gpu.build_tolerances(results)


def multistep_results(tmp_path: Path, iterative_t14: float, seeds: list[float]) -> Path:
    """A results folder with the multistep page's naive forecast and one model's t+14 MAE."""
    results = tmp_path / "results"
    write_rows(results, [("naive", "valid_mae_t14", 43_755.0, 0),
                         ("iterative", "valid_mae_t14", iterative_t14, 0)], page="ridership_multistep")
    bench = results / "benchmark" / FW / "ridership_multistep.json"
    bench.parent.mkdir(parents=True)
    bench.write_text(json.dumps({"seeds": [0, 1, 2], "figures": [
        {"model": "naive", "metric": "valid_mae_t14", "values": [43_755.0] * 3, "median": 43_755.0},
        {"model": "iterative", "metric": "valid_mae_t14", "values": seeds, "median": sorted(seeds)[1]}]}))
    return results


def test_a_band_stops_halfway_to_the_naive_forecast(tmp_path: Path) -> None:
    # seeds 24,890 to 34,780: twice their spread would reach the naive 43,755 from 24,890
    results = multistep_results(tmp_path, 24_890.0, [24_890.0, 34_780.0, 25_100.0])
    entry = gpu.build_tolerances(results)["tolerances"][FW]["ridership_multistep"]["iterative/valid_mae_t14"]
    assert entry["tolerance"] == pytest.approx(0.5 * (43_755.0 - 24_890.0), abs=1.0)
    assert entry["tolerance"] <= 0.5 * (43_755.0 - 24_890.0) and entry["baseline"] == 43_755.0
    # with a narrow spread the spread decides
    results = multistep_results(tmp_path / "narrow", 24_890.0, [24_890.0, 25_390.0, 25_100.0])
    entry = gpu.build_tolerances(results)["tolerances"][FW]["ridership_multistep"]["iterative/valid_mae_t14"]
    assert entry["tolerance"] == pytest.approx(1000.0)


def test_a_reference_at_its_baseline_must_be_exempted_with_a_reason(tmp_path: Path) -> None:
    results = multistep_results(tmp_path, 44_000.0, [44_000.0, 44_500.0, 43_000.0])
    with pytest.raises(ValueError, match="at or past its baseline 43755.*EXEMPT"):
        gpu.build_tolerances(results)


def test_an_exemption_that_is_no_longer_needed_is_an_error(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    results = multistep_results(tmp_path, 24_890.0, [24_890.0, 25_390.0, 25_100.0])
    monkeypatch.setitem(gpu.EXEMPT, (FW, "ridership_multistep", "iterative/valid_mae_t14"), "was at chance")
    with pytest.raises(ValueError, match="clear of its baseline.*remove it from EXEMPT"):
        gpu.build_tolerances(results)


def test_a_figure_no_rule_covers_is_an_error(tmp_path: Path) -> None:
    results = multistep_results(tmp_path, 24_890.0, [24_890.0, 25_390.0, 25_100.0])
    write_rows(results, [("iterative", "valid_rmse", 30_000.0, 0)], page="ridership_multistep")
    bench = results / "benchmark" / FW / "ridership_multistep.json"
    figures = json.loads(bench.read_text())
    figures["figures"].append({"model": "iterative", "metric": "valid_rmse",
                               "values": [30_000.0] * 3, "median": 30_000.0})
    bench.write_text(json.dumps(figures))
    with pytest.raises(ValueError, match="iterative/valid_rmse matches no rule"):
        gpu.build_tolerances(results)


def test_committed_tolerances_obey_the_rules() -> None:
    """Claimed bounds are used as such, and no band reaches its baseline: the rule
    check passes on the committed file and fails on the bands it was written against."""
    committed = json.loads(gpu.TOLERANCES.read_text())
    assert gpu.rule_violations(committed) == []
    figures = committed["tolerances"]
    assert figures["pytorch"]["gated_cells"]["lstm_cell/max_abs_diff"]["tolerance"] == 1e-5
    assert figures["mxnet"]["rnn_language_model"]["bptt/max_abs_diff"]["tolerance"] == 1e-8
    # the bands of the earlier file: the naive forecast, predicting 0, chance all passed
    figures["pytorch"]["ridership_multistep"]["iterative/valid_mae_t14"]["tolerance"] = 19_780.0
    figures["pytorch"]["autoregression"]["mlp/kstep_mse_k64"]["tolerance"] = 1.067
    figures["pytorch"]["gated_cells"]["lstm_cell/max_abs_diff"]["tolerance"] = 0.0
    figures["tensorflow"]["gated_cells"]["recall_lstm_b3/recall_acc_k20"]["tolerance"] = 1.808
    problems = gpu.rule_violations(committed)
    assert len(problems) == 5, problems  # the accuracy breaks two rules
    assert any("iterative/valid_mae_t14" in p and "reaches the baseline 43754" in p for p in problems)
    assert any("range [0, 1]" in p for p in problems)


def test_a_reference_figure_the_benchmark_lacks_is_an_error(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_rows(results, [("rnn", "valid_mae", 1.0, 0), ("gru", "valid_mae", 1.0, 0)], page="p")
    bench = results / "benchmark" / FW / "p.json"
    bench.parent.mkdir(parents=True)
    bench.write_text(json.dumps({"seeds": [0, 1, 2], "figures": [
        {"model": "rnn", "metric": "valid_mae", "values": [1.0, 1.1, 1.2], "median": 1.1}]}))
    with pytest.raises(ValueError, match="gru/valid_mae is in the reference but not"):
        gpu.build_tolerances(results)


@pytest.mark.parametrize("entry", [{"tolerance": -1.0}, {"tolerance": "5"}, {"basis": "seeds"}, 3.0])
def test_load_tolerances_rejects_bad_entries(tmp_path: Path, entry) -> None:
    path = tmp_path / "tolerances.json"
    path.write_text(json.dumps({"tolerances": {FW: {PAGE: {"rnn/valid_mae": entry}}}}))
    with pytest.raises(ValueError, match="expected a tolerance >= 0"):
        gpu.load_tolerances(path)


def test_committed_tolerances_agree_with_the_results_they_were_made_from() -> None:
    """Regenerating tools/gpu_tolerances.json must change nothing: when results/ or
    results/benchmark/ change, run `make gpu-tolerances`, review the diff and commit it."""
    committed = json.loads(gpu.TOLERANCES.read_text())
    assert committed == gpu.build_tolerances(gpu.RESULTS), (
        "tools/gpu_tolerances.json is out of date with results/: run `make gpu-tolerances`")
    loaded = gpu.load_tolerances()
    for fw in gpu.FRAMEWORKS:  # every reference figure has a tolerance
        for path in (gpu.RESULTS / fw).glob("*.json"):
            figures = {f"{row['model']}/{row['metric']}" for row in json.loads(path.read_text())}
            assert figures == set(loaded[fw][path.stem]), f"{fw}/{path.stem}"


# ----------------------------------------------------------------------------
# the notebook copies, the sanitizer, the refusal without a GPU

def tiny_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter", metadata={"tags": ["trained"]}),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["pytorch"]}),
                nbformat.v4.new_code_cell("print(loss)", metadata={"tags": ["pytorch", "trained"]}),
                nbformat.v4.new_code_cell("print(table)", metadata={"tags": ["trained", "solution"]}),
                nbformat.v4.new_code_cell("print('shapes')")]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def test_copies_ignore_the_outputs_of_trained_cells_only(tmp_path: Path) -> None:
    original = tmp_path / "notebooks" / "chapter.ipynb"
    original.parent.mkdir()
    nbformat.write(tiny_notebook(), original)
    before = original.read_bytes()

    [(copy, ignored)] = verify.write_copies_ignoring_trained([original], tmp_path / "gpu").items()
    assert ignored == 3
    assert original.read_bytes() == before  # the committed notebook is only read
    nb = nbformat.read(copy, as_version=4)
    nbformat.validate(nb)
    ignored = [c["id"] for c in nb.cells if verify.IGNORE_OUTPUT_TAG in c.metadata.get("tags", [])]
    assert ignored == ["cell-0", "cell-2", "cell-3"]
    assert [c.metadata.get("tags") for c in nb.cells][1:] == [
        ["pytorch"], ["pytorch", "trained", "nbval-ignore-output"],
        ["trained", "solution", "nbval-ignore-output"], None]
    assert [c.source for c in nb.cells] == [c.source for c in tiny_notebook().cells]
    assert verify.ignore_trained_outputs(json.loads(copy.read_text())) == 3  # tagging is idempotent


def test_gpu_sanitizer_masks_device_names_and_nothing_else() -> None:
    config = configparser.ConfigParser()
    config.read_string("\n".join(p.read_text() for p in (verify.SANITIZER, verify.GPU_SANITIZER)))

    def sanitize(text: str) -> str:
        for section in config.sections():
            text = re.sub(config[section]["regex"], config[section]["replace"], text)
        return text

    pairs = [("tensor([1., 2.])", "tensor([1., 2.], device='cuda:0')"),
             ("\n[1. 2.]\n<NDArray 2 @cpu(0)>", "\n[1. 2.]\n<NDArray 2 @gpu(0)>"),
             ("/job:localhost/replica:0/task:0/device:CPU:0",
              "/job:localhost/replica:0/task:0/device:GPU:0")]
    for cpu_text, gpu_text in pairs:
        assert sanitize(cpu_text) == sanitize(gpu_text)
    for text in ["linear: validation MAE 33,096 riders", "a batch: (32, 56) -> (32, 1)",
                 "tensor([1., 2.])", "cpu count: 2"]:
        assert sanitize(text) == text


def test_run_refuses_without_a_gpu(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(verify, "gpu_count", lambda framework: 0)
    monkeypatch.setattr(verify, "write_copies_ignoring_trained", lambda *a: pytest.fail("must not get this far"))
    monkeypatch.setattr(verify.importlib.util, "find_spec", lambda name: object())
    assert verify.gpu("pytorch", [], dry_run=False) == 2
    assert "no GPU found by pytorch" in capsys.readouterr().err
