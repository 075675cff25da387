"""Data sets: a registry of public URLs with sha256 checksums, a verified download cache,
safe archive extraction, and loaders.

Files are cached in `cache_dir`, else `$D2LMINI_DATA_DIR`, else `~/.cache/d2lmini`.
Machines without internet access can point `$D2LMINI_DATA_MIRROR` at a folder holding
copies of the files; they are checksummed like downloads.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import tarfile
import tempfile
import urllib.request
import warnings
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from ._atomic import replace_atomically

__all__ = ["DATA_HUB", "DownloadError", "RIDERSHIP_SCALE", "download", "extract", "load_names",
           "load_ridership", "load_time_machine"]

_NAMES_URL = "https://raw.githubusercontent.com/jvalhondo/spanish-names-surnames/master/"

#: name -> (public URL, sha256 of the file)
DATA_HUB: dict[str, tuple[str, str]] = {
    "ridership.tgz": (
        "https://github.com/ageron/data/raw/main/ridership.tgz",
        "0ff99f3dddd886ddea161b68f25f90b56b0468f5c91949b75376fb494516c794"),
    "timemachine.txt": (
        "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
        "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516"),
    "male_names.csv": (
        _NAMES_URL + "male_names.csv",
        "14a5dd22d253148d04f044ee373bb1637bda3c83c2707cf7ace912c1e9bace8e"),
    "female_names.csv": (
        _NAMES_URL + "female_names.csv",
        "55527e547db44f595b04c44d9c00881ca559e1cc38682b3d75ce72d5dd831948"),
    "surnames_freq_ge_100.csv": (
        _NAMES_URL + "surnames_freq_ge_100.csv",
        "c67019ce17003739722f62dbce8bffa3447176c1c2fa178f6d2071cfc261e4b7"),
}

TIMEOUT_S = 60  # per network operation; a stalled connection should fail, not hang a build


class DownloadError(OSError):
    """A data set could not be fetched, or what was fetched failed its checksum."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    if cache_dir is None:
        cache_dir = os.environ.get("D2LMINI_DATA_DIR") or Path.home() / ".cache" / "d2lmini"
    return Path(cache_dir).expanduser()


def _copy_verified(src: BinaryIO, path: Path, sha256: str, source: str) -> None:
    """Stream `src` to `path`, checking its sha256 on the way.

    Readers see either no file or a complete, verified one: on any failure (checksum,
    network, Ctrl-C) nothing is left behind.
    """
    with replace_atomically(path, "wb", suffix=".part") as f:
        digest = hashlib.sha256()
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            f.write(chunk)
        if digest.hexdigest() != sha256:
            raise DownloadError(f"checksum mismatch for {path.name} from {source}: "
                                f"expected sha256 {sha256}, got {digest.hexdigest()}")


def download(name: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the local path of data set `name` (a key of DATA_HUB), fetching it if needed.

    Order: a cached copy whose sha256 matches; else the file from `$D2LMINI_DATA_MIRROR`
    if that folder has it; else the public URL. A cached copy with the wrong checksum is
    reported and fetched again. Raises DownloadError (an OSError) when the file cannot be
    fetched or its checksum does not match.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    if name not in DATA_HUB:
        raise ValueError(f"unknown data set {name!r}; known names: {', '.join(sorted(DATA_HUB))}")
    url, sha256 = DATA_HUB[name]
    folder = _cache_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name

    if path.is_file():
        if _sha256(path) == sha256:
            return path
        warnings.warn(f"cached file {path} is corrupted (sha256 mismatch); it will be "
                      "deleted and fetched again", stacklevel=2)
        path.unlink()

    mirror = os.environ.get("D2LMINI_DATA_MIRROR")
    if mirror and (Path(mirror) / name).is_file():
        source = Path(mirror) / name
        with open(source, "rb") as f:
            _copy_verified(f, path, sha256, str(source))
        return path

    # Two processes fetching at once each stream to a private temp file and rename it
    # into place, so the cache ends up with one complete, verified file either way.
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            _copy_verified(response, path, sha256, url)
    except DownloadError:
        raise
    except (OSError, ValueError, http.client.HTTPException) as e:  # URLError, timeouts, ...
        checked = f" (the mirror {mirror} has no {name})" if mirror else ""
        stalled = _timed_out(e)
        why = f"the server sent nothing for {TIMEOUT_S} s" if stalled else str(e)
        raise DownloadError(
            f"could not download {name} from {url} ({why}). If this machine is offline, "
            f"put the file at {path} yourself, or set D2LMINI_DATA_MIRROR to a folder "
            f"that contains {name}{checked}.") from e
    return path


def _timed_out(error: BaseException) -> bool:
    """Whether a network error is a timeout (urllib wraps a connect timeout in URLError)."""
    reason = getattr(error, "reason", None)
    return isinstance(error, TimeoutError) or isinstance(reason, TimeoutError)


def extract(archive: str | os.PathLike, dest_dir: str | os.PathLike | None = None,
            overwrite: bool = False) -> Path:
    """Unpack a tar archive (.tgz, .tar.gz, .tar) into `dest_dir` and return `dest_dir`.

    `dest_dir` defaults to the archive's folder. Members are unpacked into a temporary
    folder inside `dest_dir`, then each top-level entry is renamed into place, so an
    interrupted extraction never leaves half a data set. Top-level entries that already
    exist are kept (an earlier extraction, so concurrent readers never see them vanish)
    unless `overwrite` is true. Absolute paths, '..' and links leading outside are refused
    (tarfile's 'data' filter).
    """
    archive = Path(archive)
    dest = Path(dest_dir) if dest_dir is not None else archive.parent
    if not tarfile.is_tarfile(archive):
        raise ValueError(f"{archive} is not a tar archive")
    dest.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=dest, prefix=f".{archive.name}.", suffix=".extract"))
    try:
        new, old = work / "new", work / "old"
        new.mkdir()
        old.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(new, filter="data")
        for entry in sorted(new.iterdir()):
            target = dest / entry.name
            if target.exists() or target.is_symlink():
                if not overwrite:
                    continue
                os.replace(target, old / entry.name)  # deleted with `work` below
            os.replace(entry, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


_RIDERSHIP_CSV = "ridership/CTA_-_Ridership_-_Daily_Boarding_Totals.csv"
_RIDERSHIP_CSV_SHA256 = "34faaba085ca21434b7dd3e0abcbaf8cde5be3a4f170dda1c8caef72c5c4bd06"

#: Riders per unit of the ridership series that the chapters train on (millions of boardings,
#: as in the published recipes); an error of 1 in those units is RIDERSHIP_SCALE riders.
RIDERSHIP_SCALE = 1e6


def load_ridership(cache_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Chicago Transit Authority daily boardings, 2001-01-01 to 2021-11-30.

    Returns a DataFrame indexed by date (sorted) with columns day_type ('W' weekday,
    'A' Saturday, 'U' Sunday/holiday), bus and rail (boardings). The published file has
    a `total` column (bus + rail), which is dropped, and 62 duplicated rows, which are
    removed, leaving 7,639 days. The extracted CSV is checked against its sha256 too: a
    damaged or edited copy is reported and extracted again from the verified archive.
    """
    archive = download("ridership.tgz", cache_dir)
    csv = archive.parent / _RIDERSHIP_CSV
    if csv.is_file() and _sha256(csv) != _RIDERSHIP_CSV_SHA256:
        warnings.warn(f"extracted file {csv} is corrupted (sha256 mismatch); it will be "
                      f"extracted again from {archive}", stacklevel=2)
        extract(archive, overwrite=True)
    elif not csv.is_file():
        extract(archive)
    if _sha256(csv) != _RIDERSHIP_CSV_SHA256:
        raise DownloadError(f"{csv}, extracted from the verified {archive.name}, does not have "
                            f"the expected sha256 {_RIDERSHIP_CSV_SHA256}")
    df = pd.read_csv(csv)
    df = df.rename(columns={"service_date": "date", "rail_boardings": "rail",
                            "total_rides": "total"})
    df["date"] = pd.to_datetime(df["date"], format="%m/%d/%Y")
    df = df.drop(columns="total").drop_duplicates()  # duplicates include the date
    return df.set_index("date").sort_index(kind="stable")


#: The characters a name of `load_names` may hold: a-z, ñ, the accented vowels and the space.
NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzñáéíóúü ")

#: kind -> (the files of DATA_HUB, the column holding the names)
_NAME_FILES = {"given": (("male_names.csv", "female_names.csv"), "name"),
               "surnames": (("surnames_freq_ge_100.csv",), "surname")}


def _clean_names(raw: list[str]) -> list[str]:
    """Lowercase, trim and single-space each name; drop empty names and names with a
    character outside NAME_CHARACTERS; return the distinct names, sorted."""
    names = set()
    for name in raw:
        name = " ".join(str(name).lower().split())
        if name and set(name) <= NAME_CHARACTERS:
            names.add(name)
    return sorted(names)


def load_names(kind: str = "given", cache_dir: str | os.PathLike | None = None) -> list[str]:
    """Spanish names registered by the Spanish statistics institute INE (2015 files of
    jvalhondo/spanish-names-surnames, Open Database License 1.0).

    `kind="given"` reads the male and female given-name files, `kind="surnames"` the
    surnames borne by at least 100 people. Returns every distinct name once, sorted,
    lowercased, compound names with one space between their parts, and without the
    names that hold a character other than a-z, ñ, á, é, í, ó, ú, ü and the space (such
    as ç or an apostrophe). Frequencies are ignored: a rare name counts as much as a
    common one.
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a str, got {type(kind).__name__} {kind!r}")
    if kind not in _NAME_FILES:
        raise ValueError(f"kind must be one of {sorted(_NAME_FILES)}, got {kind!r}")
    files, column = _NAME_FILES[kind]
    raw: list[str] = []
    for name in files:
        # keep_default_na=False: a name such as NA or NAN is a name, not a missing value
        table = pd.read_csv(download(name, cache_dir), dtype=str, keep_default_na=False)
        if column not in table.columns:
            raise ValueError(f"{name} has no column {column!r}; its columns: {list(table.columns)}")
        raw.extend(table[column])
    return _clean_names(raw)


def load_time_machine(cache_dir: str | os.PathLike | None = None) -> str:
    """H. G. Wells, The Time Machine (public domain), as one lowercase string in which
    every run of characters other than the letters a-z is replaced by one space."""
    text = download("timemachine.txt", cache_dir).read_text(encoding="utf-8")
    return re.sub("[^a-z]+", " ", text.lower())
