"""How fast is the embedded broker: SQLite (scheduler_site/broker.py) against the old filesystem?

For each broker, in one run, on a scratch VAR_DIR (its own SQLite database and
broker files; nothing of yours is touched):

- raw baseline: kombu put + get of N small messages in this process, no Celery;
- noop tasks/s: N ``celery.accumulate`` tasks (Celery's built-in no-op)
  published at once, executed by one real ``celery worker`` (prefork,
  --concurrency 2, as ``make run`` starts it), and by two workers sharing the
  queue (several processes on one SQLite file); time from the first publish
  to the last "succeeded" line in the workers' logs;
- idle CPU: what one idle worker costs polling its queues, in % of a core.

    .venv/bin/python bench/embedded_broker_bench.py [--tasks 1000] [--redis redis://127.0.0.1:6379/6]

``--redis`` adds a Redis row (that database's queues are purged).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CELERY = [PYTHON, "-m", "celery", "-A", "scheduler_site"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# [2026-12-02 02:47:06,027: INFO/ForkPoolWorker-1] Task celery.accumulate[...] succeeded in ...
SUCCEEDED = re.compile(
    r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): [^]]*\] Task celery\.accumulate\[[^]]*\] succeeded"
)


def broker_env(var_dir: Path, url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "REDIS_URL")
    }
    env.update(
        VAR_DIR=str(var_dir),
        CELERY_BROKER_URL=url,
        DJANGO_SETTINGS_MODULE="scheduler_site.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [PYTHON, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return result.stdout


RAW = """
import time, django
django.setup()
from scheduler_site.celery import app
n = {n}
with app.connection_for_write() as conn:
    queue = conn.SimpleQueue("bench-raw")
    queue.clear()
    started = time.perf_counter()
    for i in range(n):
        queue.put({{"n": i}})
    put = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(n):
        queue.get(timeout=5).ack()
    get = n / (time.perf_counter() - started)
    queue.close()
print(put, get)
"""

PUBLISH = """
import time, django
django.setup()
from scheduler_site.celery import app
with app.producer_or_acquire() as producer:
    started = time.time()
    for i in range({n}):
        app.send_task("celery.accumulate", args=(i,), producer=producer)
print(started, time.time())
"""

PURGE = """
import django
django.setup()
from scheduler_site.celery import app
with app.connection_for_write() as conn:
    app.control.purge(connection=conn)
"""


class Worker:
    def __init__(self, env: dict[str, str], log: Path, node: str):
        self.log = log
        command = [
            *CELERY,
            "worker",
            "-Q",
            "celery",
            "--concurrency",
            "2",
            "-n",
            f"{node}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ]
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def succeeded(self) -> list[float]:
        """Wall-clock times of the log's 'succeeded' lines."""
        times = []
        for match in SUCCEEDED.finditer(self.log.read_text(errors="replace")):
            when = dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f")
            times.append(when.timestamp())
        return times

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def noop_throughput(env: dict[str, str], var_dir: Path, tasks: int, workers: int) -> float:
    run_python(PURGE, env)
    pool = [Worker(env, var_dir / f"worker-{workers}-{n}.log", f"bench{n}") for n in range(workers)]
    try:
        time.sleep(1)
        first, _ = (float(x) for x in run_python(PUBLISH.format(n=tasks), env).split())
        deadline = time.monotonic() + 600
        while True:
            done = [t for w in pool for t in w.succeeded()]
            if len(done) >= tasks:
                return tasks / (max(done) - first)
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(done)} of {tasks} tasks ran")
            time.sleep(0.5)
    finally:
        for worker in pool:
            worker.stop()


def idle_cpu(env: dict[str, str], var_dir: Path, seconds: float = 10.0) -> float:
    worker = Worker(env, var_dir / "worker-idle.log", "idle")
    try:
        time.sleep(2)
        before = worker.cpu_seconds()
        time.sleep(seconds)
        return 100 * (worker.cpu_seconds() - before) / seconds
    finally:
        worker.stop()


def measure(name: str, url: str | None, tasks: int) -> dict:
    var_dir = Path(tempfile.mkdtemp(prefix=f"broker-bench-{name}-"))
    url = (
        url
        or {
            "sqlite": f"sqlite:///{var_dir / 'celery-broker.sqlite3'}",
            "filesystem": "filesystem://",
        }[name]
    )
    env = broker_env(var_dir, url)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--verbosity", "0"], cwd=BASE_DIR, env=env, check=True
    )
    put, get = (float(x) for x in run_python(RAW.format(n=tasks), env).split())
    row = {"broker": name, "put": put, "get": get}
    row["one"] = noop_throughput(env, var_dir, tasks, workers=1)
    row["two"] = noop_throughput(env, var_dir, tasks, workers=2)
    row["idle"] = idle_cpu(env, var_dir)
    print(f"  {name}: done ({var_dir})", file=sys.stderr)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--redis", default="", help="also measure this Redis URL")
    args = parser.parse_args()

    rows = [measure("filesystem", None, args.tasks), measure("sqlite", None, args.tasks)]
    if args.redis:
        rows.append(measure("redis", args.redis, args.tasks))

    print(f"\n{args.tasks} messages / noop tasks per measurement, {os.cpu_count()} cores\n")
    print(
        "| broker | raw put msg/s | raw get msg/s | noop tasks/s, 1 worker "
        "| noop tasks/s, 2 workers | idle worker CPU |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['broker']} | {r['put']:,.0f} | {r['get']:,.0f} | {r['one']:,.0f} "
            f"| {r['two']:,.0f} | {r['idle']:.1f} % |"
        )


if __name__ == "__main__":
    main()
