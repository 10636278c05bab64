"""Soak the embedded default: `make run` under a steady mix of schedules, API calls and pages.

Starts exactly what ``make run`` starts (supervisord: web, job worker,
scheduler worker, beat; SQLite and the SQLite broker) with a VAR_DIR and a port
of its own, then for ``--minutes`` (default 30):

- creates a few every-minute schedules through the API (two ``* * * * *``
  crons, two ``FREQ=MINUTELY`` rrules) with the demo user's token, and uses a
  demo template now and then (extra jobs for the job worker);
- lists schedules, jobs and campaigns through the API, loads the calendar,
  schedules and jobs pages with a signed-in session, and polls ``/healthz``
  and ``/api/v1/schedule/status``, staying under the rate limits.

At the end it stops everything with SIGINT (as Ctrl-C does) and reports:

- process crashes and restarts (supervisord's log), and processes left over;
- HTTP errors: every 5xx and every request that got no answer;
- the ledger, per schedule: occurrences due in the window, their fates, Jobs
  by status, doubled Jobs (two for one occurrence) and due occurrences without
  a Job.

It exits 1 on a crash, a 5xx, a doubled Job, a due occurrence without a Job or
a leftover process. Traffic goes to 127.0.0.1 only and stops by itself.

    .venv/bin/python bench/soak.py --minutes 30 [--port 8031] [--var-dir /tmp/soak]
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PROGRAMS = ("web", "worker", "scheduler", "beat")
SCHEDULES = [
    ("soak cron A (every minute)", "cron", "* * * * *"),
    ("soak cron B (every minute)", "cron", "* * * * *"),
    ("soak rrule A (minutely)", "rrule", "FREQ=MINUTELY;INTERVAL=1"),
    ("soak rrule B (minutely)", "rrule", "FREQ=MINUTELY;INTERVAL=1"),
]
# After the traffic stops: time for the last dispatched runs to finish, and the
# newest occurrences left out of the "must have a Job" check.
SETTLE_SECONDS = 20
LEDGER_SLACK = timedelta(seconds=15)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Client:
    """HTTP to the soaked server, counting every answer by status."""

    def __init__(self, base: str):
        self.base = base
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.token = ""
        self.token_at = 0.0
        self.session = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.plain = urllib.request.build_opener()

    def request(self, method, path, body=None, *, auth=True, session=False, form=None):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = self.base + path
        if auth and not session:
            if time.monotonic() - self.token_at > 600:  # access tokens last 30 minutes
                self.sign_in()
            headers["Authorization"] = f"Bearer {self.token}"
        # S310: the base is our own http://127.0.0.1 URL.
        request = urllib.request.Request(self.base + path, data, headers, method=method)  # noqa: S310
        opener = self.session if session else self.plain
        try:
            with opener.open(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            self.statuses["no answer"] += 1
            self.errors.append(f"{utcnow():%H:%M:%S} {method} {path}: no answer ({exc})")
            return None, b""
        self.statuses[status] += 1
        if status >= 500:
            self.errors.append(f"{utcnow():%H:%M:%S} {method} {path}: {status} {payload[:300]!r}")
        return status, payload

    def json(self, method, path, body=None, **kwargs):
        status, payload = self.request(method, path, body, **kwargs)
        return status, (json.loads(payload) if payload and status and status < 500 else None)

    def sign_in(self) -> None:
        self.token_at = time.monotonic()
        credentials = {"username": "demo", "password": "demo-password"}
        status, data = self.json("POST", "/api/v1/auth/token/", credentials, auth=False)
        if status != 200:
            raise RuntimeError(f"could not get a token: {status} {data}")
        self.token = data["access"]

    def sign_in_session(self) -> None:
        _, page = self.request("GET", "/accounts/login/", auth=False, session=True)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not match:
            raise RuntimeError("no CSRF token on the login page")
        form = {
            "csrfmiddlewaretoken": match[1].decode(),
            "username": "demo",
            "password": "demo-password",
        }
        self.request("POST", "/accounts/login/", auth=False, session=True, form=form)


class Run:
    """``make run`` in a process group of its own."""

    def __init__(self, var_dir: Path, port: int):
        self.var_dir = var_dir
        self.port = port
        self.output = var_dir / "make-run.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "REDIS_URL")
        }
        env.update(VAR_DIR=str(var_dir), PORT=str(port))
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                ["make", "run"],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def supervisor_log(self) -> str:
        path = self.var_dir / "supervisord.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_running(self, client: Client, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make run exited:\n{self.output.read_text()[-3000:]}")
            running = {
                name
                for name in PROGRAMS
                if f"success: {name} entered RUNNING state" in self.supervisor_log
            }
            if running == set(PROGRAMS):
                try:
                    health = client.base + "/healthz"
                    with urllib.request.urlopen(health, timeout=5) as answer:  # noqa: S310
                        if answer.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(1)
        raise RuntimeError("make run did not come up in time")

    def stop(self, timeout: float = 90) -> list[str]:
        """SIGINT to the group (Ctrl-C); the processes still there afterwards."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        time.sleep(2)
        leftovers = self.ours()
        for pid, _ in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # ours only: they carry this run's VAR_DIR
        return [f"{pid} {command}" for pid, command in leftovers]

    def ours(self) -> list[tuple[int, str]]:
        marker = f"VAR_DIR={self.var_dir}".encode()
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    found.append((int(proc.name), command.strip()))
            except OSError:
                continue
        return found


def create_schedules(client: Client) -> list[dict]:
    created = []
    start = (utcnow() + timedelta(seconds=5)).isoformat()
    for name, kind, pattern in SCHEDULES:
        body = {
            "name": name,
            "schedule_type": kind,
            "recurrence_pattern": pattern,
            "scheduled_at": start,
            "timezone": "UTC",
            "job_config": {"executor": "noop"},
        }
        status, data = client.json("POST", "/api/v1/schedule", body)
        if status != 201:
            raise RuntimeError(f"could not create {name!r}: {status} {data}")
        created.append(data)
    return created


def demo_template_id(client: Client) -> str | None:
    _, data = client.json("GET", "/api/v1/templates?page_size=5")
    results = (data or {}).get("results") or []
    return results[0]["id"] if results else None


def traffic(client: Client, *, until: float, template_id: str | None) -> None:
    """One step every second; each kind of call on its own period (under the limits)."""
    tick = 0
    while time.monotonic() < until:
        started = time.monotonic()
        if tick % 5 == 0:
            client.request("GET", "/healthz", auth=False)
        if tick % 6 == 0:
            client.request("GET", "/api/v1/schedule?page_size=20")
        if tick % 6 == 3:
            client.request("GET", "/api/v1/jobs?page_size=20")
        if tick % 12 == 1:
            client.request("GET", "/api/v1/campaigns")
        if tick % 15 == 2:
            client.request("GET", "/api/v1/schedule/status")
        if tick % 10 == 4:
            client.request("GET", "/calendar/", session=True)
        if tick % 20 == 7:
            client.request("GET", "/schedules/", session=True)
        if tick % 20 == 17:
            client.request("GET", "/jobs/", session=True)
        if template_id and tick % 30 == 9:
            client.request("POST", f"/api/v1/templates/{template_id}/use", {})
        tick += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


def restarts(log: str) -> tuple[list[str], Counter]:
    """Unexpected exits (crashes) and spawns per program, from supervisord's log."""
    crashes = [
        line
        for line in log.splitlines()
        if (" exited: " in line and "not expected" in line) or " gave up: " in line
    ]
    spawns = Counter(re.findall(r"spawned: '(\w+)'", log))
    return crashes, spawns


def ledger(client: Client, db: Path, schedules: list[dict], start, cutoff) -> list[dict]:
    rows = []
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        for schedule in schedules:
            query = urllib.parse.urlencode({"from": start.isoformat(), "to": cutoff.isoformat()})
            _, data = client.json("GET", f"/api/v1/schedule/{schedule['id']}/occurrences?{query}")
            occurrences = (data or {}).get("occurrences") or []
            due = [o for o in occurrences if o["nominal_at"] <= cutoff.isoformat()]
            hex_id = schedule["id"].replace("-", "")
            statuses = dict(
                connection.execute(
                    "SELECT status, count(*) FROM jobs_job WHERE scheduled_job_id = ? "
                    "GROUP BY status",
                    (hex_id,),
                ).fetchall()
            )
            doubled = connection.execute(
                "SELECT count(*) FROM (SELECT scheduled_for FROM jobs_job "
                "WHERE scheduled_job_id = ? AND scheduled_for IS NOT NULL "
                "GROUP BY scheduled_for HAVING count(*) > 1)",
                (hex_id,),
            ).fetchone()[0]
            rows.append(
                {
                    "name": schedule["name"],
                    "due": len(due),
                    "fates": Counter(o["fate"] for o in due),
                    "jobs": statuses,
                    "doubled": doubled,
                    "jobless": sum(1 for o in due if not o.get("job")),
                    "late": max((o.get("late_seconds") or 0 for o in due), default=0),
                }
            )
    finally:
        connection.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--port", type=int, default=8031)
    parser.add_argument("--var-dir", default="", help="default: a new temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the VAR_DIR afterwards")
    args = parser.parse_args()

    var_dir = Path(args.var_dir or tempfile.mkdtemp(prefix="soak-")).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    client = Client(f"http://127.0.0.1:{args.port}")
    print(f"soak: make run in {var_dir} on port {args.port} for {args.minutes:g} min", flush=True)
    run = Run(var_dir, args.port)
    leftovers: list[str] = []
    try:
        run.wait_running(client)
        client.sign_in()
        client.sign_in_session()
        schedules = create_schedules(client)
        template_id = demo_template_id(client)
        started_at = utcnow()
        print(f"soak: running since {started_at:%H:%M:%S}Z", flush=True)
        traffic(client, until=time.monotonic() + args.minutes * 60, template_id=template_id)
        ended_at = utcnow()
        time.sleep(SETTLE_SECONDS)
        rows = ledger(
            client, var_dir / "db.sqlite3", schedules, started_at, ended_at - LEDGER_SLACK
        )
    finally:
        leftovers = run.stop()
    crashes, spawns = restarts(run.supervisor_log)
    output = run.output.read_text(errors="replace")
    fatal_lines = [
        line for line in output.splitlines() if "Unrecoverable error" in line or "CRITICAL" in line
    ]

    print(f"\n## Soak: {args.minutes:g} minutes of `make run` ({started_at:%Y-%m-%d %H:%M}Z)\n")
    print("### Processes\n")
    print("| program | starts | crashes |")
    print("| --- | --- | --- |")
    for name in PROGRAMS:
        crashed = sum(1 for line in crashes if f" {name} " in line)
        print(f"| {name} | {spawns.get(name, 0)} | {crashed} |")
    for line in crashes:
        print(f"- {line}")
    for line in fatal_lines[:20]:
        print(f"- output: {line.strip()}")
    print(f"\nLeft over after Ctrl-C: {len(leftovers)}")
    for line in leftovers:
        print(f"- {line}")

    print("\n### HTTP\n")
    answered = sum(v for k, v in client.statuses.items() if k != "no answer")
    print(
        f"{answered} answers: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(client.statuses.items(), key=str))
    )
    server_errors = sum(v for k, v in client.statuses.items() if k == "no answer" or k >= 500)
    print(f"5xx or no answer: {server_errors}")
    for line in client.errors[:30]:
        print(f"- {line}")

    print("\n### Ledger (occurrences due in the window)\n")
    print(
        "| schedule | due | fates | Jobs by status | doubled | due without a Job | latest start |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        fates = ", ".join(f"{k} {v}" for k, v in sorted(row["fates"].items()))
        jobs = ", ".join(f"{k} {v}" for k, v in sorted(row["jobs"].items()))
        print(
            f"| {row['name']} | {row['due']} | {fates} | {jobs} | {row['doubled']} "
            f"| {row['jobless']} | {row['late']:.1f} s |"
        )

    failed = (
        bool(crashes)
        or server_errors > 0
        or bool(leftovers)
        or any(row["doubled"] or row["jobless"] for row in rows)
    )
    print(f"\nResult: {'FAIL' if failed else 'OK'}")
    if not args.keep and not args.var_dir:
        shutil.rmtree(var_dir, ignore_errors=True)
    else:
        print(f"(logs in {var_dir})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
