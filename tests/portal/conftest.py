"""The portal in a real browser: tongdai's HTTP app served by uvicorn on loopback over a real SQLite
database with the demo tenant, and Debian's Chromium driven by Playwright (headless)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tongdai.api.app import create_app
from tongdai.api.local import LocalServer
from tongdai.app.context import Context
from tongdai.demo import PORTAL_PASSWORD, load_demo
from tongdai.media.prompts import PromptFiles, audio_for_upload
from tongdai.store.db import make_engine, upgrade

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADMIN, SUPERVISOR, OPERATOR = "admin@demo.tongdai.local", "supervisor@demo.tongdai.local", "operator@tongdai.local"


class Portal:
    """tongdai's app (API and portal) on a loopback port, in a thread of the test process."""

    def __init__(self, data: Path):
        self.engine = make_engine(f"sqlite:///{data / 'tongdai.db'}")
        upgrade(self.engine)
        self.keys = load_demo(self.engine, data / "demo-keys.json")
        prompts = PromptFiles(data / "prompts")
        self.ctx = Context(self.engine, prompt_audio=lambda p, upload: prompts.heard(
            p.text if p.type == "tts" else None, p.language, upload), audio_upload=audio_for_upload)
        self.http = LocalServer(create_app(self.ctx))
        self.url = self.http.url

    def stop(self) -> None:
        self.http.stop()
        self.engine.dispose()


@pytest.fixture
def portal(tmp_path):
    p = Portal(tmp_path)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module: Playwright's sync API holds an event loop in this thread while it runs,
    which other modules' asyncio tests must not meet."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    p = context.new_page()
    yield p
    context.close()


def sign_in(page, portal: Portal, email: str = ADMIN, password: str = PORTAL_PASSWORD, next_path: str = "/") -> None:
    page.goto(f"{portal.url}/sign-in?next={next_path}")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    page.click("form[action='/sign-in'] button")
