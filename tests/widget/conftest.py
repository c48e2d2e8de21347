"""The call widget in Chromium against a real `tongdai serve` (SIP over WebSocket, media through rtpengine),
with SIPp as the carrier. Chromium gets a fake microphone (a tone) and no permission prompt."""

from __future__ import annotations

import pytest

from tests.portal.conftest import CHROMIUM
from tests.sip.conftest import stop_leftover_sipp  # noqa: F401 - every SIPp a test started is stopped after it
from tests.sip.harness import Server, stop_cleanly

MEDIA_ARGS = ["--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("widget"))
    s.start()
    yield s
    stop_cleanly(s)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=MEDIA_ARGS)
        yield b
        b.close()


@pytest.fixture
def work(tmp_path):
    return tmp_path
