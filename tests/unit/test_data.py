"""download, extract and load_ridership, on small archives made here (no network)."""

import hashlib
import io
import socket
import tarfile
import urllib.request

import pytest

import d2lmini.data as data

NAME = "test-archive.tgz"


def make_tgz(path, files):
    """Write a gzip'd tar holding {member name: bytes}; return its sha256."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def closed_port_url():
    """An http URL on localhost where nothing listens: fails at once, like being offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{NAME}"


@pytest.fixture
def archive(tmp_path, monkeypatch, d2l):
    """A small .tgz registered in DATA_HUB under NAME with a file:// URL."""
    src = tmp_path / "server" / NAME
    src.parent.mkdir()
    sha = make_tgz(src, {"pkg/hello.txt": b"hello\n", "pkg/sub/n.txt": b"42\n"})
    monkeypatch.setitem(d2l.DATA_HUB, NAME, (src.as_uri(), sha))
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    return src


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def listing(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def offline(d2l, monkeypatch, url=None):
    _, sha = d2l.DATA_HUB[NAME]
    monkeypatch.setitem(d2l.DATA_HUB, NAME, (url or closed_port_url(), sha))


def test_download_from_url(d2l, archive, cache):
    path = d2l.download(NAME, cache)
    assert path == cache / NAME
    assert path.read_bytes() == archive.read_bytes()
    assert listing(cache) == [NAME]


def test_download_uses_data_dir_env(d2l, archive, tmp_path, monkeypatch):
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(tmp_path / "env-cache"))
    assert d2l.download(NAME) == tmp_path / "env-cache" / NAME


def test_download_reuses_verified_cache(d2l, archive, cache, monkeypatch):
    d2l.download(NAME, cache)
    offline(d2l, monkeypatch)
    assert d2l.download(NAME, cache).read_bytes() == archive.read_bytes()


def test_download_from_mirror(d2l, archive, cache, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / NAME).write_bytes(archive.read_bytes())
    monkeypatch.setenv("D2LMINI_DATA_MIRROR", str(mirror))
    offline(d2l, monkeypatch)
    assert d2l.download(NAME, cache).read_bytes() == archive.read_bytes()
    assert listing(cache) == [NAME]


def test_corrupted_mirror_copy_is_refused(d2l, archive, cache, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / NAME).write_bytes(b"not the archive")
    monkeypatch.setenv("D2LMINI_DATA_MIRROR", str(mirror))
    with pytest.raises(d2l.DownloadError, match="checksum mismatch"):
        d2l.download(NAME, cache)
    assert listing(cache) == []


def test_corrupted_cache_is_reported_and_fetched_again(d2l, archive, cache):
    cache.mkdir()
    (cache / NAME).write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="corrupted"):
        path = d2l.download(NAME, cache)
    assert path.read_bytes() == archive.read_bytes()
    assert listing(cache) == [NAME]


def test_corrupted_download_raises_and_leaves_nothing(d2l, archive, cache, monkeypatch):
    url, sha = d2l.DATA_HUB[NAME]
    monkeypatch.setitem(d2l.DATA_HUB, NAME, (url, "0" * 64))
    with pytest.raises(d2l.DownloadError) as info:
        d2l.download(NAME, cache)
    assert isinstance(info.value, OSError)
    assert "expected sha256 " + "0" * 64 in str(info.value)
    assert f"got {sha}" in str(info.value)
    assert listing(cache) == []


def test_interrupted_download_leaves_nothing(d2l, archive, cache, monkeypatch):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell():
                raise ConnectionResetError("connection reset by peer")
            return super().read(3)

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Broken(b"abcdef"))
    with pytest.raises(d2l.DownloadError, match="connection reset"):
        d2l.download(NAME, cache)
    assert listing(cache) == []


@pytest.mark.parametrize("how", ["closed port", "missing file"])
def test_offline_without_mirror_says_where_to_put_the_file(d2l, archive, cache, monkeypatch,
                                                           tmp_path, how):
    url = closed_port_url() if how == "closed port" else (tmp_path / "gone.tgz").as_uri()
    offline(d2l, monkeypatch, url)
    with pytest.raises(d2l.DownloadError) as info:
        d2l.download(NAME, cache)
    message = str(info.value)
    assert url in message
    assert str(cache / NAME) in message
    assert "D2LMINI_DATA_MIRROR" in message
    assert listing(cache) == []


def test_download_unknown_name_lists_known_names(d2l):
    with pytest.raises(ValueError, match="unknown data set 'nope'.*ridership.tgz"):
        d2l.download("nope")
    with pytest.raises(TypeError, match="name must be a str"):
        d2l.download(None)


def test_registry_has_the_books_data_sets(d2l):
    assert {"ridership.tgz", "timemachine.txt", "male_names.csv", "female_names.csv",
            "surnames_freq_ge_100.csv"} <= set(d2l.DATA_HUB)
    for url, sha in d2l.DATA_HUB.values():
        assert url.startswith(("http://", "https://", "file://")) and len(sha) == 64


def test_download_default_cache_is_home_dot_cache_d2lmini(d2l, archive, tmp_path, monkeypatch):
    monkeypatch.delenv("D2LMINI_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert d2l.download(NAME) == tmp_path / "home" / ".cache" / "d2lmini" / NAME


def test_download_and_extract_create_nested_folders(d2l, archive, tmp_path):
    path = d2l.download(NAME, tmp_path / "a" / "b")
    assert path.read_bytes() == archive.read_bytes()
    dest = d2l.extract(path, tmp_path / "c" / "d")
    assert listing(dest) == ["pkg"]


def test_corrupted_cache_warning_says_it_is_fetched_again(d2l, archive, cache):
    cache.mkdir()
    (cache / NAME).write_bytes(b"truncated")
    with pytest.warns(UserWarning, match=f"{cache / NAME} is corrupted .* deleted and fetched again"):
        d2l.download(NAME, cache)


def test_checksum_mismatch_names_its_source(d2l, archive, cache, tmp_path, monkeypatch):
    url, _ = d2l.DATA_HUB[NAME]
    monkeypatch.setitem(d2l.DATA_HUB, NAME, (url, "0" * 64))
    with pytest.raises(d2l.DownloadError, match=f"for {NAME} from {url}: "):
        d2l.download(NAME, cache)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / NAME).write_bytes(b"x")
    monkeypatch.setenv("D2LMINI_DATA_MIRROR", str(mirror))
    with pytest.raises(d2l.DownloadError, match=f"from {mirror / NAME}: "):
        d2l.download(NAME, cache)


def test_offline_message_says_whether_the_mirror_lacked_the_file(d2l, archive, cache,
                                                                 tmp_path, monkeypatch):
    offline(d2l, monkeypatch)
    with pytest.raises(d2l.DownloadError) as info:
        d2l.download(NAME, cache)
    assert str(info.value).endswith(f"that contains {NAME}.")
    monkeypatch.setenv("D2LMINI_DATA_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(d2l.DownloadError) as info:
        d2l.download(NAME, cache)
    assert str(info.value).endswith(f"{NAME} (the mirror {tmp_path / 'mirror'} has no {NAME}).")


def test_download_errors_name_the_type_and_the_known_names(d2l):
    with pytest.raises(ValueError, match="known names: female_names.csv, male_names.csv, "):
        d2l.download("nope")
    with pytest.raises(TypeError, match="^name must be a str, got NoneType None$"):
        d2l.download(None)


# ----------------------------------------------------------------------------
# extract

def test_extract(d2l, archive, tmp_path):
    dest = d2l.extract(archive, tmp_path / "out")
    assert dest == tmp_path / "out"
    assert (dest / "pkg" / "hello.txt").read_bytes() == b"hello\n"
    assert (dest / "pkg" / "sub" / "n.txt").read_bytes() == b"42\n"
    assert listing(dest) == ["pkg"]  # no temp folder left
    assert d2l.extract(archive) == archive.parent  # default: beside the archive
    assert listing(archive.parent) == ["pkg", NAME]


def test_extract_keeps_existing_unless_overwrite(d2l, archive, tmp_path):
    dest = tmp_path / "out"
    (dest / "pkg").mkdir(parents=True)
    (dest / "pkg" / "hello.txt").write_bytes(b"old\n")
    d2l.extract(archive, dest)
    assert (dest / "pkg" / "hello.txt").read_bytes() == b"old\n"
    d2l.extract(archive, dest, overwrite=True)
    assert (dest / "pkg" / "hello.txt").read_bytes() == b"hello\n"
    assert listing(dest) == ["pkg"]


def test_extract_refuses_path_traversal(d2l, tmp_path):
    evil = tmp_path / "evil.tgz"
    make_tgz(evil, {"ok.txt": b"fine", "../escaped.txt": b"gotcha"})
    dest = tmp_path / "out"
    with pytest.raises(tarfile.TarError):
        d2l.extract(evil, dest)
    assert not (tmp_path / "escaped.txt").exists()
    assert listing(dest) == []


def test_interrupted_extraction_leaves_nothing(d2l, archive, tmp_path, monkeypatch):
    def extract_then_fail(self, path, *args, **kwargs):
        self.extract(self.getmembers()[0], path, filter="data")
        raise KeyboardInterrupt

    monkeypatch.setattr(tarfile.TarFile, "extractall", extract_then_fail)
    dest = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        d2l.extract(archive, dest)
    assert listing(dest) == []


def test_extract_rejects_non_archive(d2l, tmp_path):
    text = tmp_path / "plain.txt"
    text.write_text("just text")
    with pytest.raises(ValueError, match="not a tar archive"):
        d2l.extract(text)


# ----------------------------------------------------------------------------
# load_ridership, on a made-up miniature of the CTA file

RIDERSHIP_CSV = b"""service_date,day_type,bus,rail_boardings,total_rides
01/03/2001,W,300,200,500
01/01/2001,U,100,50,150
01/02/2001,W,300,200,500
01/03/2001,W,300,200,500
"""


@pytest.fixture
def ridership(d2l, tmp_path, monkeypatch):
    """A small ridership.tgz registered in DATA_HUB, with its CSV's sha256 expected."""
    tgz = tmp_path / "ridership.tgz"
    sha = make_tgz(tgz, {data._RIDERSHIP_CSV: RIDERSHIP_CSV})
    monkeypatch.setitem(d2l.DATA_HUB, "ridership.tgz", (tgz.as_uri(), sha))
    monkeypatch.setattr(data, "_RIDERSHIP_CSV_SHA256", hashlib.sha256(RIDERSHIP_CSV).hexdigest())
    return tmp_path / "cache"


def test_load_ridership_cleans_the_table(d2l, ridership, tmp_path):
    df = d2l.load_ridership(tmp_path / "cache")
    assert list(df.columns) == ["day_type", "bus", "rail"]
    assert df.index.name == "date" and str(df.index.dtype).startswith("datetime64")
    # sorted; the exact duplicate is gone, the same numbers on another day stay
    assert [d.strftime("%Y-%m-%d") for d in df.index] == ["2001-01-01", "2001-01-02",
                                                          "2001-01-03"]
    assert df["bus"].tolist() == [100, 300, 300] and df["rail"].tolist() == [50, 200, 200]
    assert d2l.load_ridership(tmp_path / "cache").equals(df)  # cached second time


def test_a_damaged_extracted_csv_is_reported_and_extracted_again(d2l, ridership):
    clean = d2l.load_ridership(ridership)
    csv = ridership / data._RIDERSHIP_CSV
    csv.write_bytes(RIDERSHIP_CSV[:40])  # truncated, still a readable CSV
    with pytest.warns(UserWarning, match="extracted file .* is corrupted .* extracted again"):
        again = d2l.load_ridership(ridership)
    assert again.equals(clean) and csv.read_bytes() == RIDERSHIP_CSV


def test_an_archive_whose_csv_fails_its_checksum_is_refused(d2l, ridership, monkeypatch):
    monkeypatch.setattr(data, "_RIDERSHIP_CSV_SHA256", "0" * 64)
    with pytest.raises(d2l.DownloadError, match="does not have the expected sha256 0000"):
        d2l.load_ridership(ridership)


# --- a server that is slow, or stalls -------------------------------------------------

def serve(body: bytes, *, stall_after: int | None = None, chunk_delay: float = 0.0):
    """An HTTP server on localhost sending `body` in 64 KiB chunks, `chunk_delay` seconds
    apart; with `stall_after`, it sends that many bytes and then nothing (for 30 s).
    Returns (server, url); call server.shutdown() when done."""
    import http.server
    import threading
    import time

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            sent = body if stall_after is None else body[:stall_after]
            for start in range(0, len(sent), 1 << 16):
                self.wfile.write(sent[start:start + (1 << 16)])
                self.wfile.flush()
                time.sleep(chunk_delay)
            if stall_after is not None:
                time.sleep(30)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/{NAME}"


def test_a_stalled_download_times_out_with_a_clear_error_and_leaves_nothing(d2l, archive, cache,
                                                                            monkeypatch):
    body = archive.read_bytes()
    server, url = serve(body, stall_after=len(body) // 2)
    try:
        offline(d2l, monkeypatch, url)
        monkeypatch.setattr(data, "TIMEOUT_S", 0.5)
        with pytest.raises(d2l.DownloadError, match="the server sent nothing for 0.5 s"):
            d2l.download(NAME, cache)
    finally:
        server.shutdown()
    assert listing(cache) == []


def test_two_processes_downloading_at_once_leave_one_good_file(d2l, tmp_path, cache):
    """Each process streams to its own temp file and renames it into place."""
    import os
    import subprocess
    import sys

    body = os.urandom(1 << 20)  # 16 chunks, 0.05 s apart: the two downloads overlap
    sha = hashlib.sha256(body).hexdigest()
    server, url = serve(body, chunk_delay=0.05)
    script = ("import sys, d2lmini.data as data; "
              f"data.DATA_HUB['blob.bin'] = ({url!r}, {sha!r}); "
              "print(data.download('blob.bin', sys.argv[1]))")
    try:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        runs = [subprocess.Popen([sys.executable, "-c", script, str(cache)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
        outputs = [run.communicate(timeout=60) for run in runs]
    finally:
        server.shutdown()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert listing(cache) == ["blob.bin"]  # no temp file left behind
    assert hashlib.sha256((cache / "blob.bin").read_bytes()).hexdigest() == sha
