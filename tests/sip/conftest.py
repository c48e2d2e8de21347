"""Every SIPp a test started is gone when the test ends, whatever happened in it."""

import pytest

from .harness import Sipp


@pytest.fixture(autouse=True)
def stop_leftover_sipp():
    yield
    while Sipp.running:
        sipp = Sipp.running.pop()
        if sipp.proc.poll() is None:
            sipp.proc.kill()
        sipp.proc.wait()
