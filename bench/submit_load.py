"""Submitting completions under load, on the production server: gunicorn, PostgreSQL, a worker.

Run: scripts/with_test_postgres.sh .venv/bin/python bench/submit_load.py
     (quick: ... bench/submit_load.py --seconds 10 --clients 1,8)

Migrates the database DATABASE_URL names, creates a project with one annotator per client and
``--tasks`` tasks, turns active learning ON with a frequency the bench never reaches (1,000,000:
every submit is counted and checked against the threshold, but no Spark training ever starts),
then starts what the Docker image runs: ``gunicorn annolab.wsgi:application`` with ``--workers``
sync workers (4) and its access log, and a django-q2 worker (``manage.py qcluster``). Settings
are the production ones (DEBUG off); DB_CONN_MAX_AGE and the like come from the environment, as
in a deployment.

Phases of 1, 8, 50 and 200 concurrent clients (``--clients``), ``--seconds`` (60) each. A client
is a thread that POSTs submitted completions (``{"result": [...], "submit": true}``) one after
the other, each on a new connection (gunicorn's sync workers close it anyway), to tasks of its
own (client i of n takes every n-th task). Requests still in flight when a phase's time is up
finish in that phase. Prints per phase: requests, 201s, errors, p50/p95/p99 latency of the 201s,
throughput (201s per second of the phase), and the CPU milliseconds per submit of the client
(this process: the figure is honest only if the client is cheap), of gunicorn and of PostgreSQL,
the machine's busy share, and the part of it that none of the bench's processes (client,
gunicorn, PostgreSQL, the worker) took: other users of the machine, which make figures lower.

Then checks in the database, and exits 1 if any check fails: every 201 names a completion that
is stored exactly once, the project holds no completion beyond those (nothing stored for a
request whose answer was lost), no request went unanswered or was answered 5xx (or anything
but 201), and the active-learning counter equals the number of submitted completions.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annolab.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from activelearning import services as al_services  # noqa: E402
from activelearning.models import ActiveLearningSettings  # noqa: E402
from bench.completion_latency import (  # noqa: E402
    NEVER,
    body_for,
    free_port,
    load,
    percentile,
    wait_until_serving,
)
from projects.models import Completion  # noqa: E402

PROJECT = "bench-submit-load"
REQUEST_TIMEOUT_SECONDS = 120  # far beyond any queueing: a request that times out is "lost"
STOP_SECONDS = 20


@dataclass
class Phase:
    clients: int
    latencies: list[float] = field(default_factory=list)  # of the 201s, in seconds
    statuses: dict[int, int] = field(default_factory=dict)  # answer status -> count
    lost: list[str] = field(default_factory=list)  # requests sent that got no answer
    completion_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process group

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + len(self.lost)

    @property
    def created(self) -> int:
        return self.statuses.get(201, 0)


def submit(port: int, path: str, token: str, body: bytes) -> tuple[float, int, bytes]:
    """One POST on a fresh connection: (seconds, status, body)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Connection": "close",
            },
        )
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    return time.perf_counter() - started, response.status, answer


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants, exited ones (reaped by their parent) too."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for process in processes:
        try:
            t = process.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def postgres_pid() -> int:
    """The postmaster of the bench's database: the parent of this connection's backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        postmaster = psutil.Process(cursor.fetchone()[0]).ppid()  # before the backend exits
    connection.close()
    return postmaster


def run_phase(
    *,
    port: int,
    clients: int,
    seconds: float,
    tokens: list[str],
    tasks: list[tuple[int, bytes]],
    watched: dict[str, int],
) -> Phase:
    phase = Phase(clients)
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = 0.0

    def client(index: int) -> None:
        own = tasks[index::clients]
        token = tokens[index]
        barrier.wait(timeout=60)
        sent = 0
        while time.perf_counter() < deadline:
            task_id, body = own[sent % len(own)]
            sent += 1
            path = f"/api/projects/{PROJECT}/tasks/{task_id}/completions/"
            try:
                latency, status, answer = submit(port, path, token, body)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    phase.lost.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
                if status == 201:
                    phase.latencies.append(latency)
                    phase.completion_ids.append(json.loads(answer)["id"])

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    cpu_before = {name: tree_cpu(pid) for name, pid in watched.items()}
    client_before = time.process_time()
    machine_before = psutil.cpu_times()
    started = time.perf_counter()
    deadline = started + seconds
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT_SECONDS + 30)
    phase.seconds = time.perf_counter() - started
    phase.cpu = {name: tree_cpu(pid) - cpu_before[name] for name, pid in watched.items()}
    phase.cpu["client"] = time.process_time() - client_before
    machine_after = psutil.cpu_times()
    busy = sum(machine_after) - machine_after.idle - (sum(machine_before) - machine_before.idle)
    phase.cpu["machine"] = busy
    return phase


def report(phase: Phase) -> str:
    errors = phase.requests - phase.created
    values = phase.latencies or [float("nan")]
    per_submit = {k: v / max(phase.created, 1) * 1000 for k, v in phase.cpu.items()}
    cores = psutil.cpu_count() or 1
    # What the rest of the machine took meanwhile (other users of the cores): not this bench's.
    others = max(0.0, phase.cpu["machine"] - sum(v for k, v in phase.cpu.items() if k != "machine"))
    return (
        f"| {phase.clients} | {phase.requests} | {phase.created} | {errors} "
        f"| {percentile(values, 0.5) * 1000:.0f} | {percentile(values, 0.95) * 1000:.0f} "
        f"| {percentile(values, 0.99) * 1000:.0f} | {phase.created / phase.seconds:.1f} "
        f"| {per_submit['client']:.1f} | {per_submit['gunicorn']:.1f} "
        f"| {per_submit['postgres']:.1f} "
        f"| {phase.cpu['machine'] / (phase.seconds * cores) * 100:.0f}% "
        f"| {others / (phase.seconds * cores) * 100:.0f}% |"
    )


def check(project_id: int, phases: list[Phase]) -> list[str]:
    """What the database must say after the run; each failed check as a sentence."""
    problems = []
    for phase in phases:
        if phase.lost:
            problems.append(
                f"{len(phase.lost)} requests of the {phase.clients}-client phase got no answer "
                f"(first: {phase.lost[0]})"
            )
        others = {status: n for status, n in phase.statuses.items() if status != 201}
        if others:
            problems.append(f"the {phase.clients}-client phase got answers {others}")
    ids = [i for phase in phases for i in phase.completion_ids]
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} completion ids were answered twice")
    stored = Completion.objects.filter(pk__in=ids).count()
    if stored != len(set(ids)):
        problems.append(f"{len(set(ids))} completions answered 201 but {stored} are stored")
    in_project = Completion.objects.filter(task__project_id=project_id).count()
    if in_project != len(ids):
        problems.append(f"the project holds {in_project} completions, {len(ids)} were answered")
    counted = ActiveLearningSettings.objects.get(
        project_id=project_id
    ).completions_since_last_training
    if counted != len(ids):
        problems.append(f"active learning counted {counted} of {len(ids)} submitted completions")
    return problems


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument("--clients", default="1,8,50,200", help="concurrent clients per phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--tasks", type=int, default=20_000)
    args = parser.parse_args()
    client_counts = [int(n) for n in args.clients.split(",")]
    if connection.vendor != "postgresql":
        sys.exit("Run this bench on PostgreSQL (scripts/with_test_postgres.sh ...).")

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    project, tokens, tasks = load(PROJECT, max(client_counts), args.tasks)
    al_services.active_learning_update(
        project=project, actor=project.owner, enabled=True, frequency=NEVER
    )
    work = [(task_id, body_for(text)) for task_id, text in tasks]
    postmaster = postgres_pid()

    port = free_port()
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "annolab.wsgi:application"]
    gunicorn += ["--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
    gunicorn += ["--access-logfile", "-"]  # as the Dockerfile's CMD: one line per request
    with tempfile.TemporaryFile() as log, tempfile.TemporaryFile() as access_log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=access_log, stderr=log)
        phases: list[Phase] = []
        try:
            wait_until_serving(f"http://127.0.0.1:{port}", tokens[0], server)
            if worker.poll() is not None:
                sys.exit(f"the worker exited with {worker.returncode}")
            watched = {"gunicorn": server.pid, "postgres": postmaster, "worker": worker.pid}
            # Every worker process imports and connects before the first phase is timed.
            warm_up = run_phase(
                port=port, clients=8, seconds=2, tokens=tokens, tasks=work, watched=watched
            )
            for clients in client_counts:
                load_average = os.getloadavg()[0]
                phase = run_phase(
                    port=port,
                    clients=clients,
                    seconds=args.seconds,
                    tokens=tokens,
                    tasks=work,
                    watched=watched,
                )
                phases.append(phase)
                print(
                    f"{clients} clients done (load average before {load_average:.2f})",
                    file=sys.stderr,
                )
        except BaseException:
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            stop(server)
            stop(worker)

    conn_max_age = os.environ.get("DB_CONN_MAX_AGE", "unset (gunicorn.conf.py's default, if any)")
    print(
        f"gunicorn --workers {args.workers}, active learning on (never reached), "
        f"{args.seconds:g} s per phase, DB_CONN_MAX_AGE {conn_max_age}"
    )
    print(
        "| clients | requests | 201 | errors | p50 ms | p95 ms | p99 ms | submits/s "
        "| CPU ms/submit: client | gunicorn | postgres | machine busy | of it, others |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for phase in phases:
        print(report(phase))
    problems = check(project.pk, [warm_up, *phases])
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}")
        sys.exit(1)
    total = sum(phase.created for phase in [warm_up, *phases])
    print(
        f"checked: all {total} submits stored exactly once, none lost or 5xx, "
        "active learning counted each once"
    )


if __name__ == "__main__":
    main()
