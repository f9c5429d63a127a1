"""Benchmarks the production stack on this machine: gunicorn + PostgreSQL + Redis, loopback only.

Creates the database loyalite_bench (dropped first), uses Redis db 7 (flushed), migrates,
seeds one org and many customers, then for each gunicorn worker class drives
GET /hello, GET /webhook/customer?code= and POST /webhook/pos (a unique external_id per
request, random customers) for a fixed time and prints one table. Stops what it started.

    .venv/bin/python bench/run.py [--duration 10] [--connections 32] [--classes sync,gthread]
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "loyalite_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/7"
ENDPOINTS = ["hello", "customer", "pos"]
ENDPOINT_LABELS = {
    "hello": "GET /hello",
    "customer": "GET /webhook/customer?code=",
    "pos": "POST /webhook/pos",
}

LUA_TEMPLATE = """
local codes = {%(codes)s}
local key = "%(key)s"
local mode = "%(mode)s"
local run_id = "%(run_id)s"
local counter = 0
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  math.randomseed(os.time() + thread_id * 7919)
end

function request()
  counter = counter + 1
  local code = codes[math.random(#codes)]
  if mode == "customer" then
    return wrk.format("GET", "/webhook/customer?code=" .. code, {["X-Api-Key"] = key})
  elseif mode == "pos" then
    local body = string.format(
      '{"customer_code": %%d, "amount": 12.5, "external_id": "%%s-%%d-%%d"}',
      code, run_id, thread_id, counter)
    return wrk.format("POST", "/webhook/pos",
      {["X-Api-Key"] = key, ["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/hello")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "socket": %%d, '
    .. '"p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Result:
    server: str
    endpoint: str
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def ensure_wrk() -> str | None:
    """wrk from Debian's packages (much lighter than a Python client); None to fall back."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet).returncode:
            subprocess.run(["apt-get", "update", "-qq"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")


def drop_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def count_ledger_entries() -> int:
    with psycopg.connect(DATABASE_URL) as conn:
        return conn.execute("SELECT count(*) FROM campaigns_ledgerentry").fetchone()[0]


def app_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DB_POOL"}}
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        LOG_LEVEL="WARNING",
        SECRET_KEY="bench-" + secrets.token_hex(16),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
    )
    return env


def prepare(customers: int) -> dict:
    log(f"creating database {BENCH_DATABASE}, flushing {REDIS_URL}")
    reset_database()
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = app_env()
    log("migrating")
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    log(f"seeding one org and {customers} customers")
    seeded = subprocess.run(
        [PYTHON, "bench/seed.py", "--customers", str(customers)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(seeded.stdout.strip().splitlines()[-1])


class Gunicorn:
    """One gunicorn process group, started and stopped by the benchmark."""

    def __init__(self, *, worker_class: str, workers: int, threads: int, log_dir: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = [
            str(BIN / "gunicorn"),
            "loyalite.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "-k",
            worker_class,
            "--log-level",
            "warning",
        ]
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        self.log_path = log_dir / f"gunicorn-{worker_class}.log"
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=app_env(),
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not become healthy; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


def run_wrk(
    wrk: str, *, base_url: str, mode: str, seed: dict, run_id: str, args, work_dir: Path
) -> dict:
    script = work_dir / f"{run_id}.lua"
    script.write_text(
        LUA_TEMPLATE
        % {
            "codes": ",".join(str(code) for code in seed["codes"]),
            "key": seed["api_key"],
            "mode": mode,
            "run_id": run_id,
        }
    )
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    stats = json.loads(line.removeprefix("BENCH "))
    stats["seconds"] = stats.pop("duration_us") / 1e6
    for name in ("p50", "p95", "p99"):
        stats[name] = stats[name] / 1000
    return stats


async def _python_load(base_url: str, *, mode: str, seed: dict, run_id: str, args) -> dict:
    """The fallback load generator when wrk is unavailable (heavier: it shares the 2 cores)."""
    import httpx

    latencies: list[float] = []
    counts = {"non2xx": 0, "socket": 0}
    headers = {"X-Api-Key": seed["api_key"]}
    deadline = time.monotonic() + args.duration
    limits = httpx.Limits(max_connections=args.connections)

    async def worker(client: httpx.AsyncClient, worker_id: int) -> None:
        counter = 0
        while time.monotonic() < deadline:
            counter += 1
            code = random.choice(seed["codes"])
            started = time.perf_counter()
            try:
                if mode == "customer":
                    response = await client.get(f"/webhook/customer?code={code}", headers=headers)
                elif mode == "pos":
                    body = {
                        "customer_code": code,
                        "amount": 12.5,
                        "external_id": f"{run_id}-{worker_id}-{counter}",
                    }
                    response = await client.post("/webhook/pos", json=body, headers=headers)
                else:
                    response = await client.get("/hello")
            except httpx.HTTPError:
                counts["socket"] += 1
                continue
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 400:
                counts["non2xx"] += 1

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10) as client:
        await asyncio.gather(*(worker(client, n) for n in range(args.connections)))
    latencies_ms = sorted(latency * 1000 for latency in latencies) or [0.0]
    quantiles = statistics.quantiles(latencies_ms, n=100) if len(latencies_ms) > 1 else [0.0] * 99
    return {
        "requests": len(latencies) + counts["socket"],
        "seconds": time.monotonic() - started,
        "non2xx": counts["non2xx"],
        "socket": counts["socket"],
        "p50": quantiles[49],
        "p95": quantiles[94],
        "p99": quantiles[98],
    }


def drive(wrk: str | None, server: Gunicorn, *, mode: str, seed: dict, run_id: str, args, work_dir):
    if wrk:
        return run_wrk(
            wrk,
            base_url=server.base_url,
            mode=mode,
            seed=seed,
            run_id=run_id,
            args=args,
            work_dir=work_dir,
        )
    return asyncio.run(
        _python_load(server.base_url, mode=mode, seed=seed, run_id=run_id, args=args)
    )


def bench_worker_class(
    worker_class: str, *, wrk: str | None, seed: dict, args, work_dir: Path
) -> list[Result]:
    server = Gunicorn(
        worker_class=worker_class, workers=args.workers, threads=args.gthreads, log_dir=work_dir
    )
    label = f"{worker_class} -w{args.workers}" + (
        f" --threads {args.gthreads}" if worker_class == "gthread" else ""
    )
    results = []
    try:
        server.wait_ready()
        log(f"{label}: warming up on {server.base_url}")
        warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
        for mode in ("customer", "pos"):
            drive(
                wrk,
                server,
                mode=mode,
                seed=seed,
                run_id=f"warm-{worker_class}-{mode}",
                args=warm,
                work_dir=work_dir,
            )
        for mode in ENDPOINTS:
            log(f"{label}: {ENDPOINT_LABELS[mode]} for {args.duration}s")
            stats = drive(
                wrk,
                server,
                mode=mode,
                seed=seed,
                run_id=f"{worker_class}-{mode}",
                args=args,
                work_dir=work_dir,
            )
            results.append(
                Result(
                    server=label,
                    endpoint=ENDPOINT_LABELS[mode],
                    requests=stats["requests"],
                    seconds=stats["seconds"],
                    non2xx=stats["non2xx"],
                    socket_errors=stats["socket"],
                    p50_ms=stats["p50"],
                    p95_ms=stats["p95"],
                    p99_ms=stats["p99"],
                )
            )
    finally:
        server.stop()
    return results


def print_table(results: list[Result], *, generator: str, args) -> None:
    print(
        f"\nloyalite bench: {args.duration}s per endpoint, {args.connections} connections, "
        f"{args.customers} customers, load from {generator}, {os.cpu_count()} CPUs shared "
        "by server, PostgreSQL, Redis and the load generator\n"
    )
    header = (
        f"{'server':<24} {'endpoint':<28} {'requests':>9} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'sock err':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.server:<24} {r.endpoint:<28} {r.requests:>9} {r.rate:>8.0f} "
            f"{r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {r.non2xx:>8} "
            f"{r.socket_errors:>8}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--gthreads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--classes", default="sync,gthread", help="gunicorn worker classes")
    parser.add_argument("--python-load", action="store_true", help="skip wrk, use httpx")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be 1..120 seconds")
    return args


def main() -> None:
    args = parse_args()
    wrk = None if args.python_load else ensure_wrk()
    generator = "wrk" if wrk else "python (asyncio + httpx)"
    seed = prepare(args.customers)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="loyalite-bench-") as work:
        try:
            for worker_class in args.classes.split(","):
                results += bench_worker_class(
                    worker_class.strip(), wrk=wrk, seed=seed, args=args, work_dir=Path(work)
                )
            earns = sum(
                r.requests - r.non2xx - r.socket_errors for r in results if "pos" in r.endpoint
            )
            recorded = count_ledger_entries()
            log(
                f"ledger entries in the database: {recorded} (earns answered 2xx in the "
                f"measured runs: {earns}, plus warm-ups)"
            )
        finally:
            redis.Redis.from_url(REDIS_URL).flushdb()
            if not args.keep:
                drop_database()
    print_table(results, generator=generator, args=args)


if __name__ == "__main__":
    main()
