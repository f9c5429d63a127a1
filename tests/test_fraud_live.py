"""The gate with real processes: uvicorn serving the app, a Celery worker, Redis, a WebSocket.

The servers run as subprocesses against pytest-django's test database (transactional tests,
so they see the committed rows).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from websockets.sync.client import connect

from customers.push import CUSTOMER_SESSION_KEY
from fraud.models import Challenge
from fraud.services import pending_challenges
from loyalite.models import Preset

from .test_fraud_gate import make_gate

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up in {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_database_url() -> str:
    db = connection.settings_dict
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@contextmanager
def process(args: list[str], env: dict, log: Path):
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def app_env(redis_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": redis_url}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return {**env, "CONN_MAX_AGE": "0", "LOG_LEVEL": "INFO"}


@contextmanager
def uvicorn(env: dict, log: Path):
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "loyalite.asgi:application", "--port", str(port)]
    with process([*args, "--host", "127.0.0.1", "--no-access-log"], env, log):
        wait_for(lambda: port_open(port), 30, f"uvicorn (see {log})")
        yield f"127.0.0.1:{port}"


@contextmanager
def celery_worker(env: dict, log: Path):
    args = [sys.executable, "-m", "celery", "-A", "loyalite", "worker", "-P", "solo"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
    with process(args, env, log):
        wait_for(lambda: b" ready." in log.read_bytes(), 60, f"the Celery worker (see {log})")
        yield


def logged_in_cookie(customer) -> str:
    session = SessionStore()
    session[CUSTOMER_SESSION_KEY] = customer.pk
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def pos_post(server: str, gate, **body) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(
        f"http://{server}{gate.path}",
        json=gate.body(**body),
        headers={"X-Api-Key": gate.tenant.key},
        timeout=10,
    )
    return response, time.monotonic() - started


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_412_pushes_the_pin_to_the_customers_websocket_within_2_seconds(
    postgres_db, tenant_factory, tmp_path
):
    gate = make_gate(tenant_factory, Preset.BALANCED, "redeem")
    gate.tenant.org.name = "Kahveci"
    gate.tenant.org.save()
    env = app_env(settings.REDIS_URL)
    with (
        celery_worker(env, tmp_path / "worker.log"),
        uvicorn(env, tmp_path / "uvicorn.log") as server,
    ):
        headers = {"Cookie": logged_in_cookie(gate.customer), "Origin": f"http://{server}"}
        with connect(f"ws://{server}/ws/me/", additional_headers=headers) as socket_:
            sent = time.monotonic()
            response, _ = pos_post(server, gate, value=200)
            assert response.status_code == 412, response.text
            message = json.loads(socket_.recv(timeout=2))
            latency = time.monotonic() - sent
    challenge = Challenge.objects.get(pk=response.json()["challenge_id"])
    print(f"PIN reached the WebSocket {latency * 1000:.0f} ms after the POS request was sent")
    assert latency < 2
    assert message["type"] == "challenge.issued"
    assert message["challenge"]["challenge_id"] == str(challenge.pk)
    assert message["challenge"]["pin"] == challenge.pin
    assert message["challenge"]["description"] == "Redeem 200 points at Kahveci"
    assert message["challenge"]["expires_at"].endswith("Z")


# Killed: connections are refused at once. Stalled (SIGSTOP): every Redis call waits for its
# socket timeout (cache 0.5 s; the first broker publish 1 s, then 15 s of backoff).
OUTAGES = {"killed": (signal.SIGKILL, 1.0), "stalled": (signal.SIGSTOP, 2.0)}


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("outage", sorted(OUTAGES))
def test_with_redis_down_the_gate_still_answers_412_promptly_and_the_pin_works(
    postgres_db, tenant_factory, tmp_path, outage
):
    stop, limit = OUTAGES[outage]
    gate = make_gate(tenant_factory, Preset.STRICT, "redeem")
    redis_port = free_port()
    redis_args = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"]
    redis_args += ["--save", "", "--appendonly", "no"]
    env = app_env(f"redis://127.0.0.1:{redis_port}/0")
    with process(redis_args, os.environ.copy(), tmp_path / "redis.log") as redis:
        wait_for(lambda: port_open(redis_port), 10, "redis-server")
        with uvicorn(env, tmp_path / "uvicorn.log") as server:
            warm, _ = pos_post(server, gate, external_id="warm-up")  # pools connect to Redis
            assert warm.status_code == 412
            redis.send_signal(stop)
            timings = []
            for attempt in range(3):
                response, elapsed = pos_post(server, gate, external_id=f"order-{attempt}")
                assert response.status_code == 412, response.text
                timings.append(elapsed)
            print(f"412 latency, Redis {outage}: " + ", ".join(f"{t:.2f} s" for t in timings))
            assert max(timings) < limit
            pins = {c.external_id: c.pin for c in pending_challenges(customer=gate.customer)}
            assert set(pins) == {"warm-up", "order-0", "order-1", "order-2"}
            redeemed, elapsed = pos_post(server, gate, external_id="order-2", pin=pins["order-2"])
            assert redeemed.status_code == 200, redeemed.text
            assert redeemed.json() == {"data": {"stamps": 5, "points": 995}}
            assert elapsed < limit
        redis.kill()
