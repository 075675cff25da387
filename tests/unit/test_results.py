"""record_result: rows in results/<framework>/<page>.json (framework folders are named
like $D2LMINI_TEST_FRAMEWORK: mxnet, pytorch, tensorflow)."""

import json

import pytest


def test_record_result_writes_and_upserts(d2l, fw, tmp_path, monkeypatch):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    path = d2l.record_result("rnn-scratch", "rnn", "perplexity", 3, seed=0)
    assert path == tmp_path / fw / "rnn-scratch.json"
    d2l.record_result("rnn-scratch", "gru", "perplexity", 2.5, seed=0)
    d2l.record_result("rnn-scratch", "rnn", "perplexity", 2.75, seed=1)  # replaces row 1
    d2l.record_result("rnn-scratch", "lstm", "perplexity", 2.25, seed=0)  # sorted in, not appended
    rows = json.loads(path.read_text())
    assert rows == [
        {"page": "rnn-scratch", "model": "gru", "metric": "perplexity", "value": 2.5, "seed": 0},
        {"page": "rnn-scratch", "model": "lstm", "metric": "perplexity", "value": 2.25, "seed": 0},
        {"page": "rnn-scratch", "model": "rnn", "metric": "perplexity", "value": 2.75, "seed": 1},
    ]
    assert path.read_text() == json.dumps(rows, indent=1) + "\n"
    assert [p.name for p in path.parent.iterdir()] == ["rnn-scratch.json"]  # no temp files


def test_record_result_stores_value_as_float(d2l, tmp_path, monkeypatch):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    path = d2l.record_result("p", "m", "mse", 3, 0)
    assert json.loads(path.read_text())[0]["value"] == 3.0
    assert '"value": 3.0' in path.read_text()


def test_record_result_finds_repo_root(d2l, fw, tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("title: test\n")
    (tmp_path / "d2lmini").mkdir()
    (tmp_path / "chapters" / "rnn").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "chapters" / "rnn")
    path = d2l.record_result("page", "m", "mse", 1.0, 0)
    assert path == tmp_path / "results" / fw / "page.json"


def test_record_result_falls_back_to_cwd(d2l, fw, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = d2l.record_result("page", "m", "mse", 1.0, 0)
    assert path == tmp_path / "results" / fw / "page.json"


@pytest.mark.parametrize("args, error, message", [
    (("", "m", "mse", 1.0, 0), ValueError, "page must be a non-empty"),
    (("p", " ", "mse", 1.0, 0), ValueError, "model must be a non-empty"),
    (("p", "m", "", 1.0, 0), ValueError, "metric must be a non-empty"),
    (("a/b", "m", "mse", 1.0, 0), ValueError, "plain file stem"),
    (("a\\b", "m", "mse", 1.0, 0), ValueError, "plain file stem"),
    (("..", "m", "mse", 1.0, 0), ValueError, "plain file stem"),
    (("p", "m", "mse", float("nan"), 0), ValueError, "finite"),
    (("p", "m", "mse", float("inf"), 0), ValueError, "finite"),
    (("p", "m", "mse", 1.0, -1), ValueError, ">= 0"),
    ((3, "m", "mse", 1.0, 0), TypeError, "page must be a str"),
    (("p", None, "mse", 1.0, 0), TypeError, "model must be a str"),
    (("p", "m", "mse", "1.0", 0), TypeError, "value must be a real number"),
    (("p", "m", "mse", True, 0), TypeError, "value must be a real number"),
    (("p", "m", "mse", 1.0, 0.5), TypeError, "seed must be an int"),
])
def test_record_result_rejects_bad_args(d2l, tmp_path, monkeypatch, args, error, message):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    with pytest.raises(error, match=message):
        d2l.record_result(*args)
    assert not any(tmp_path.rglob("*"))


def _dense_net(fw):
    """A dense layer with 3 inputs and 2 outputs, built: 8 trainable parameters."""
    if fw == "mxnet":
        from mxnet.gluon import nn
        net = nn.Dense(2, in_units=3)
        net.initialize()
    elif fw == "pytorch":
        import torch
        net = torch.nn.Linear(3, 2)
    else:
        import tensorflow as tf
        net = tf.keras.layers.Dense(2)
        net.build((None, 3))
    return net


def test_record_training_keeps_times_apart_from_results(d2l, fw, tmp_path, monkeypatch):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    net = _dense_net(fw)
    path = d2l.record_training("page", "lstm", net, 12.34567)
    assert path == tmp_path / "training" / fw / "page.json"
    d2l.record_training("page", "gru", net, 3)
    d2l.record_training("page", "lstm", net, 10.0)  # replaces the first record
    expected = {"gru": {"params": 8, "seconds": 3.0}, "lstm": {"params": 8, "seconds": 10.0}}
    assert json.loads(path.read_text()) == expected
    assert d2l.load_training("page") == expected
    assert d2l.load_training("other") == {}
    assert not (tmp_path / fw).exists()  # the results folder holds no times
    assert [p.name for p in path.parent.iterdir()] == ["page.json"]  # no temp files


@pytest.mark.parametrize("args, error, message", [
    (("p", "m", -1.0), ValueError, ">= 0"),
    (("p", "m", float("nan")), ValueError, "finite"),
    (("p", "m", "1.0"), TypeError, "seconds must be a real number"),
    (("p/q", "m", 1.0), ValueError, "plain file stem"),
    (("p", "", 1.0), ValueError, "model must be a non-empty"),
])
def test_record_training_rejects_bad_args(d2l, fw, tmp_path, monkeypatch, args, error, message):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    page, model, seconds = args
    with pytest.raises(error, match=message):
        d2l.record_training(page, model, _dense_net(fw), seconds)
    with pytest.raises(TypeError, match="net must be"):
        d2l.record_training("p", "m", "not a net", 1.0)
    assert not any(tmp_path.rglob("*"))


def test_load_benchmark_reads_committed_medians(d2l, fw, tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("title: test\n")
    (tmp_path / "d2lmini").mkdir()
    bench = tmp_path / "results" / "benchmark" / fw / "page.json"
    bench.parent.mkdir(parents=True)
    bench.write_text(json.dumps({"page": "page", "framework": fw, "seeds": [0, 1, 2], "figures": [
        {"model": "gru", "metric": "valid_mae", "values": [3.0, 1.0, 2.0], "median": 2.0}]}))
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    # a redirected results folder (a test run) does not move the committed benchmark
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path / "elsewhere"))
    assert d2l.load_benchmark("page") == {("gru", "valid_mae"): 2.0}
    assert d2l.load_benchmark("missing") == {}


def test_load_benchmark_outside_a_clone_is_empty(d2l, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no _config.yml and d2lmini/ above: Colab, an assignment
    assert d2l.load_benchmark("page") == {}


def test_concurrent_writers_lose_no_row(tmp_path):
    """Four processes recording 25 rows each into one page: record_result reads, updates
    and replaces the file under a lock, so all 100 rows survive."""
    import os
    import subprocess
    import sys

    script = ("import sys; from d2lmini import core; "
              "h = core.FrameworkHelpers('pytorch', load_array=None, predict_windows=None, "
              "count_params=len, trainer=None); "
              "[h.record_result('page', 'm' + sys.argv[1], f'k{i}', float(i), 0) for i in range(25)]")
    env = dict(os.environ, D2LMINI_RESULTS_DIR=str(tmp_path))
    runs = [subprocess.Popen([sys.executable, "-c", script, str(n)], env=env, stderr=subprocess.PIPE,
                             text=True) for n in range(4)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, errors
    rows = json.loads((tmp_path / "pytorch" / "page.json").read_text())
    assert len(rows) == 100
    assert {(r["model"], r["metric"]) for r in rows} == {(f"m{n}", f"k{i}") for n in range(4) for i in range(25)}


@pytest.mark.parametrize("content, problem", [
    ("[{\"page\": \"p\", \"model\": \"m\"", "is not valid JSON"),  # cut short
    ("{\"rows\": []}", "is not a results file"),
    ("[{\"page\": \"p\", \"model\": \"m\"}]", "is not a results file"),
])
def test_a_corrupt_results_file_is_reported_with_its_path(d2l, fw, tmp_path, monkeypatch, content, problem):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    path = tmp_path / fw / "p.json"
    path.parent.mkdir()
    path.write_text(content)
    for call in (lambda: d2l.record_result("p", "m", "mse", 1.0, 0), lambda: d2l.load_results("p")):
        with pytest.raises(ValueError, match=problem) as info:
            call()
        assert str(path) in str(info.value) and "restore it" in str(info.value)
    assert path.read_text() == content  # left as it was, for the reader to inspect
