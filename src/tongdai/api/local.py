"""tongdai's HTTP app (API and portal) served by uvicorn on a free loopback port, in a thread of this
process: for tests, benchmarks and the screenshot script, which need a real server and a real browser."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class LocalServer:
    def __init__(self, app: Any):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the local HTTP server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
