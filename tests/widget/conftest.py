"""The call widget in Chromium against a real `tongdai serve` (SIP over WebSocket, media through rtpengine),
with SIPp as the carrier. Chromium gets a fake microphone (a tone) and no permission prompt."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.portal.conftest import CHROMIUM
from tests.sip.conftest import stop_leftover_sipp  # noqa: F401 - every SIPp a test started is stopped after it
from tests.sip.harness import Server, free_port, stop_cleanly

MEDIA_ARGS = ["--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def crm_origin() -> str:
    """Where the tests' own CRM page is served: `localhost` is another site than tongdai's `127.0.0.1`,
    and a secure context, as the widget's frame needs its parents to be."""
    return f"http://localhost:{free_port(socket.SOCK_STREAM)}"


@pytest.fixture(scope="module")
def server(tmp_path_factory, crm_origin):
    s = Server(tmp_path_factory.mktemp("widget"))
    s.env["TONGDAI_WIDGET_EMBED_ORIGINS"] = crm_origin
    s.start()
    yield s
    stop_cleanly(s)


@pytest.fixture(scope="module")
def crm(server, crm_origin):
    """A CRM's page on another site that frames the widget and lists the call events it posts."""
    widget = f"http://127.0.0.1:{server.http_port}"
    page = f"""<!doctype html><meta charset="utf-8"><title>CRM</title>
<iframe data-widget src="{widget}/sign-in?next=/widget" allow="microphone; autoplay"
        style="width:380px;height:640px"></iframe>
<ol data-events></ol>
<script>
  window.addEventListener("message", (e) => {{
    if (e.origin !== "{widget}" || e.data.source !== "tongdai-widget") return;
    const li = document.createElement("li");
    li.dataset.type = e.data.type;
    li.textContent = e.data.type + " " + e.data.call.direction + " " + e.data.call.number;
    document.querySelector("[data-events]").append(li);
  }});
</script>""".encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            """The test's output stays quiet: no line per request."""

    httpd = ThreadingHTTPServer(("127.0.0.1", int(crm_origin.rsplit(":", 1)[1])), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield crm_origin + "/crm"
    httpd.shutdown()
    httpd.server_close()


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
