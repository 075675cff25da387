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
    rows = json.loads(path.read_text())
    assert rows == [
        {"page": "rnn-scratch", "model": "gru", "metric": "perplexity", "value": 2.5, "seed": 0},
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
