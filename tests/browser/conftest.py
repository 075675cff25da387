"""Fixtures of the browser tests: the built site served on 127.0.0.1 and headless Chromium.

``site`` serves _build/site/_build/html from a background thread. ``driver`` is Chromium in
which every host name but 127.0.0.1 fails to resolve, as offline; ``offline_driver`` also
sends every request that is not for the loopback address to a proxy on a closed port and
keeps a performance log, so that a test can prove that no request left localhost
(test_offline_math.py, test_diagrams_in_place.py).
"""

from __future__ import annotations

import functools
import http.server
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "site" / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# As root in a container, without the services a desktop Chromium would call.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--disable-dev-shm-usage", "--window-size=1280,1400",
         # Every host but the local server fails to resolve, online or not.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """Base URL (ending in '/') of the built site, served from a background thread."""
    if not (HTML / "book" / "intro.html").is_file():
        pytest.fail(f"no built site in {HTML}: run `make site` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium(*extra_flags: str, capabilities: dict[str, Any] | None = None) -> Iterator[Any]:
    """Headless Chromium with a profile of its own, deleted afterwards."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).is_file():
            pytest.fail(f"{path} is missing: run `make browser-deps`")
    with tempfile.TemporaryDirectory(prefix="d2lmini-chromium-") as profile:
        options = Options()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, *extra_flags, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        for name, value in (capabilities or {}).items():
            options.set_capability(name, value)
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        browser.set_page_load_timeout(60)
        try:
            yield browser
        finally:
            browser.quit()


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def offline_driver() -> Iterator[Any]:
    """Chromium with the network off (but for 127.0.0.1) and a performance log."""
    # Whatever still tries to go out (an IP address, say) meets a closed port; requests
    # to the loopback address bypass the proxy.
    with chromium("--proxy-server=http://127.0.0.1:9",
                  capabilities={"goog:loggingPrefs": {"performance": "ALL"}}) as browser:
        yield browser
