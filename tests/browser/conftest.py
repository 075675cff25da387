"""Fixtures for the browser tests that need the network off and a record of every request
(test_offline_math.py, test_diagrams_in_place.py).

``offline_site`` serves the built site on 127.0.0.1; ``offline_driver`` is headless Chromium
in which no other host is reachable: every host name but 127.0.0.1 fails to resolve, and
every request that is not for the loopback address goes to a proxy on a closed port. Its
performance log records each request, so a test can prove that none left localhost.
"""

from __future__ import annotations

import functools
import http.server
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "site" / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def offline_site() -> Iterator[str]:
    """Base URL (ending in '/') of the built site, served from a background thread."""
    if not (HTML / "book" / "intro.html").is_file():
        pytest.fail(f"no built site in {HTML}: run `make site` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="offline-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def offline_driver() -> Iterator[object]:
    """Headless Chromium with the network off (but for 127.0.0.1) and a performance log."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).is_file():
            pytest.fail(f"{path} is missing: run `make browser-deps`")
    with tempfile.TemporaryDirectory(prefix="d2lmini-offline-") as profile:
        options = Options()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
                     "--window-size=1280,1400",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                     # Whatever still tries to go out (an IP address, say) meets a closed
                     # port; requests to the loopback address bypass the proxy.
                     "--proxy-server=http://127.0.0.1:9",
                     f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        browser.set_page_load_timeout(60)
        try:
            yield browser
        finally:
            browser.quit()
