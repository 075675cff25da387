"""Vocab, load_names and load_time_machine, on tiny files made here (no network)."""

import hashlib

import numpy as np
import pytest

# ----------------------------------------------------------------------------
# Vocab


def test_vocab_indices_reserved_tokens_first_then_sorted(d2l):
    vocab = d2l.Vocab("banana", reserved_tokens=["<eos>"])
    assert vocab.idx_to_token == ["<unk>", "<eos>", "a", "b", "n"]
    assert len(vocab) == 5 and vocab.unk == 0
    assert vocab.token_freqs == [("a", 3), ("n", 2), ("b", 1)]
    assert "a" in vocab and "z" not in vocab


def test_vocab_round_trip(d2l):
    text = "la niña"
    vocab = d2l.Vocab(text)
    indices = vocab[list(text)]
    assert all(isinstance(i, int) for i in indices)
    assert "".join(vocab.to_tokens(indices)) == text
    assert "".join(vocab.to_tokens(np.array(indices))) == text  # numpy indices too
    assert vocab.to_tokens(vocab["ñ"]) == "ñ"
    assert vocab[tuple("la")] == vocab[list("la")]


def test_vocab_unknown_tokens_and_min_freq(d2l):
    vocab = d2l.Vocab("aab", min_freq=2)
    assert vocab.idx_to_token == ["<unk>", "a"]
    assert vocab["b"] == vocab["z"] == vocab.unk == 0
    assert vocab.to_tokens(vocab[list("abz")]) == ["a", "<unk>", "<unk>"]
    assert d2l.Vocab([], unk_token="?").idx_to_token == ["?"]


def test_vocab_is_deterministic_and_word_tokens_work(d2l):
    words = ["the", "time", "the", "machine"]
    assert d2l.Vocab(words).idx_to_token == d2l.Vocab(reversed(words)).idx_to_token
    vocab = d2l.Vocab(words, reserved_tokens=("<eos>",))
    assert vocab[["the", "<eos>"]] == [vocab["the"], 1]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(tokens=5), TypeError, "tokens must be an iterable"),
    (dict(tokens=["a", 1]), TypeError, "tokens must be strings"),
    (dict(tokens=["a", ""]), ValueError, "non-empty"),
    (dict(reserved_tokens="<eos>"), TypeError, "list or tuple"),
    (dict(reserved_tokens=["<unk>"]), ValueError, "distinct"),
    (dict(reserved_tokens=["<eos>", "<eos>"]), ValueError, "distinct"),
    (dict(min_freq=0), ValueError, "min_freq must be >= 1"),
    (dict(min_freq=1.5), TypeError, "min_freq must be an int"),
    (dict(unk_token=None), TypeError, "must be strings"),
])
def test_vocab_rejects_bad_arguments(d2l, kwargs, error, match):
    with pytest.raises(error, match=match):
        d2l.Vocab(**kwargs)


def test_vocab_rejects_bad_lookups(d2l):
    """Each error names what was expected and the offending type (and value)."""
    vocab = d2l.Vocab("abc")
    with pytest.raises(TypeError, match="^expected a token .*, got int; for the .* use vocab\\[list\\(s\\)\\]$"):
        vocab[3]
    with pytest.raises(TypeError, match="^tokens must be strings, got int 3$"):
        vocab[["a", 3]]
    with pytest.raises(ValueError, match="out of range.*0 .. 3"):
        vocab.to_tokens(4)
    with pytest.raises(ValueError, match="index -1 is out of range"):
        vocab.to_tokens([0, -1])
    with pytest.raises(TypeError, match="^indices must be ints, got float 1.0$"):
        vocab.to_tokens([1.0])
    with pytest.raises(TypeError, match="^expected an int index .*, got str 'a'$"):
        vocab.to_tokens("a")
    with pytest.raises(TypeError, match="indices must be ints"):
        vocab.to_tokens([True])


def test_vocab_token_freqs_break_ties_by_token(d2l):
    assert d2l.Vocab("cabbac").token_freqs == [("a", 2), ("b", 2), ("c", 2)]
    assert d2l.Vocab(["b", "a"]).token_freqs == [("a", 1), ("b", 1)]


def test_vocab_to_tokens_takes_0d_integer_arrays_only(d2l):
    vocab = d2l.Vocab("abc")
    assert vocab.to_tokens(np.array(1)) == "a"
    assert vocab.to_tokens(np.array(3, dtype=np.uint8)) == "c"
    assert vocab.to_tokens([np.array(2, dtype=np.int32)]) == ["b"]
    with pytest.raises(TypeError, match="indices must be ints, got ndarray"):
        vocab.to_tokens([np.array(1.0)])
    with pytest.raises(TypeError, match="indices must be ints, got ndarray"):
        vocab.to_tokens([np.array([1])])


def test_vocab_constructor_errors_name_the_offending_type(d2l):
    with pytest.raises(TypeError, match="^tokens must be an iterable .*, got int$"):
        d2l.Vocab(5)
    with pytest.raises(TypeError, match="^reserved_tokens must be .*, got str '<eos>'$"):
        d2l.Vocab(reserved_tokens="<eos>")
    with pytest.raises(TypeError, match="^min_freq must be an int, got float 1.5$"):
        d2l.Vocab(min_freq=1.5)
    with pytest.raises(TypeError, match="^reserved and unknown tokens must be strings, got NoneType"):
        d2l.Vocab(unk_token=None)
    with pytest.raises(ValueError, match="^reserved and unknown tokens must be non-empty"):
        d2l.Vocab(reserved_tokens=[""])


# ----------------------------------------------------------------------------
# load_names and load_time_machine, on miniatures registered in DATA_HUB

MALE = "name,frequency,mean_age\nJOSE,641525,60\nJOSE  LUIS,100,50\nGONÇALO,30,20\nNA,10,30\n".encode()
FEMALE = ("name,frequency,mean_age\nMARIA CARMEN,668639,54.5\nJOSE,5,70\nM'BARKA,5,40\n"
          " ANA ,3,30\nMARÍA,2,20\n").encode()
SURNAMES = ("surname,frequency_first,frequency_second,frequency_both\nGARCIA,1,1,1\n"
            "O'BRIEN,1,1,1\nDE LA FUENTE,1,1,1\n").encode()


def register(d2l, monkeypatch, folder, name, content):
    """Write `content` to folder/name and register it in DATA_HUB with a file:// URL."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    monkeypatch.setitem(d2l.DATA_HUB, name, (path.as_uri(), hashlib.sha256(content).hexdigest()))
    return path


@pytest.fixture
def name_files(d2l, monkeypatch, tmp_path):
    for name, content in [("male_names.csv", MALE), ("female_names.csv", FEMALE),
                          ("surnames_freq_ge_100.csv", SURNAMES)]:
        register(d2l, monkeypatch, tmp_path / "server", name, content)


def test_load_names_cleans_the_corpus(d2l, name_files, tmp_path):
    names = d2l.load_names(cache_dir=tmp_path / "cache")
    # distinct over both files, lowercased, one space in compound names, sorted; the
    # names with ç and an apostrophe are dropped; NA is a name, not a missing value
    assert names == ["ana", "jose", "jose luis", "maria carmen", "maría", "na"]
    assert d2l.load_names("given", tmp_path / "cache") == names  # from the cache


def test_load_names_surnames(d2l, name_files, tmp_path):
    assert d2l.load_names("surnames", tmp_path / "cache") == ["de la fuente", "garcia"]


def test_load_names_rejects_unknown_kind(d2l):
    with pytest.raises(ValueError, match="kind must be one of"):
        d2l.load_names("nicknames")
    with pytest.raises(TypeError, match="kind must be a str"):
        d2l.load_names(1)


def test_load_names_through_the_mirror_with_checksum(d2l, name_files, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, content in [("male_names.csv", MALE), ("female_names.csv", FEMALE)]:
        (mirror / name).write_bytes(content)
        # the public URL is unreachable: only the mirror can serve the file
        sha = d2l.DATA_HUB[name][1]
        monkeypatch.setitem(d2l.DATA_HUB, name, ((tmp_path / "gone" / name).as_uri(), sha))
    monkeypatch.setenv("D2LMINI_DATA_MIRROR", str(mirror))
    assert "maria carmen" in d2l.load_names(cache_dir=tmp_path / "cache")
    (mirror / "female_names.csv").write_bytes(FEMALE + b"EVA,1,1\n")  # not the published file
    with pytest.raises(d2l.DownloadError, match="checksum mismatch"):
        d2l.load_names(cache_dir=tmp_path / "other-cache")


def test_load_time_machine_keeps_letters_and_single_spaces(d2l, monkeypatch, tmp_path):
    register(d2l, monkeypatch, tmp_path / "server", "timemachine.txt",
             b"The Time Machine, by H. G. Wells [1898]\n\n\nI\n  The -- end.\n")
    text = d2l.load_time_machine(tmp_path / "cache")
    assert text == "the time machine by h g wells i the end "
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz ")
