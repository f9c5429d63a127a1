"""A real app for browser tests: uvicorn (HTTP and WebSockets in one process) in a subprocess.

It runs the embedded default (a file-backed SQLite, eager Celery, in-memory channel layer),
so it needs no PostgreSQL or Redis; tests seed it with manage.py commands and the POS API.
Shared by the browser test modules (the dashboard's, the till's).
"""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
]
START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base_url: str
    env: dict
    workdir: Path
    keys: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def manage(self, *args: str, env: dict | None = None) -> str:
        result = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def start(self) -> None:
        log = open(self.workdir / "uvicorn.log", "ab")  # noqa: SIM115 - closed with the process
        port = self.base_url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [str(VENV_BIN / "uvicorn"), "loyalite.asgi:application", "--host", "127.0.0.1"]
            + ["--port", port, "--lifespan", "off", "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", trust_env=False).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError((self.workdir / "uvicorn.log").read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

    def api(self, slug: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"X-Api-Key": self.keys[slug]}, trust_env=False
        )

    def enroll(self, slug: str, email: str, name: str) -> int:
        with self.api(slug) as api:
            response = api.post(
                "/webhook/customer",
                json={"email": email, "name": name, "consent_terms": True, "consent_privacy": True},
            )
        assert response.status_code == 200, response.text
        return response.json()["data"]["customer_code"]

    def link(self, slug: str, email: str) -> str:
        return self.manage("customer_link", slug, email)


@contextmanager
def running_server(workdir: Path, seed: Callable[[Server], None]) -> Iterator[Server]:
    """Migrates a fresh SQLite file, lets `seed` run manage.py commands, serves, then stops."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        SQLITE_PATH=str(workdir / "db.sqlite3"),
        SITE_URL=f"http://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    server = Server(base_url=f"http://127.0.0.1:{port}", env=env, workdir=workdir)
    server.manage("migrate", "--noinput", "-v", "0")
    seed(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, headless (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
