"""Writing a file so that readers never see half of it (standard library only)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def replace_atomically(path: Path, mode: str = "w", suffix: str = ".tmp") -> Iterator[IO]:
    """Yield a temp file beside `path`, opened with `mode`; when the block ends, rename it
    to `path`, or delete it if the block raised (a failed checksum, Ctrl-C).

    Readers therefore see the old file or the complete new one, never a partial file.
    The file gets mode 0o644 (mkstemp's files are private; these are meant to be shared).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
