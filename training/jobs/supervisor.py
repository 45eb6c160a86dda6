"""The django-q2 worker's side of a job: claim it, start its child process, watch it.

Spark runs in a child process of its own (its own JVM), in a new process group, so that
cancelling kills everything it started — the JVM included — and a crashing JVM cannot take the
worker down. The child reports its own result; when it dies without one, the supervisor fails
the job with the child's last words.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from training.jobs.directory import Job, job_dir
from training.jobs.lifecycle import WORKER_LOST, job_claim, job_finish
from training.models import JobStatus

logger = logging.getLogger(__name__)

KILL_GRACE_SECONDS = 10


def kill_group(pid: int) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after a grace period."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + KILL_GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def last_words(log_path: Path) -> str:
    """The last line of the child's output that says something (an exception's message)."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        line = line.strip()
        if line and not line.startswith(("at ", "File ", "^", "~")):
            return line[:500]
    return ""


def child_environment() -> dict[str, str]:
    """The child runs with its worker's database and folders, even where they were overridden
    after start-up (tests use their own database and temporary folders)."""
    return {
        **os.environ,
        "DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "ANNOLAB_VAR_DIR": str(settings.VAR_DIR),
        "MODELS_DIR": str(settings.MODELS_DIR),
        "SPARK_JARS_DIR": str(settings.SPARK_JARS_DIR),
        "EMBEDDINGS_DIR": str(settings.EMBEDDINGS_DIR),
        "SPARK_MASTER": settings.SPARK_MASTER,
        "SPARK_DRIVER_MEMORY": settings.SPARK_DRIVER_MEMORY,
    }


def supervise(job: Job, command: str) -> None:
    """Run ``manage.py <command> <job id>`` for a claimed job until it ends or is cancelled."""
    if not job_claim(job=job):
        logger.info("%s was not queued any more; nothing to do", job)
        return
    log_path = job_dir(job) / "child.log"
    env = child_environment()
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            [
                *shlex.split(settings.TRAINING_CHILD_WRAPPER),
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                command,
                str(job.pk),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=settings.BASE_DIR,
            env=env,
        )
    type(job).objects.filter(pk=job.pk).update(child_pid=child.pid)
    lease = timedelta(seconds=settings.TRAINING_LEASE_SECONDS)
    try:
        while child.poll() is None:
            time.sleep(1)
            row = (
                type(job)
                .objects.filter(pk=job.pk)
                .values("status", "cancel_requested", "heartbeat_at")
                .first()
            )
            if row is None or row["status"] != JobStatus.RUNNING:
                break  # finished by the child itself, or the row is gone
            if row["cancel_requested"]:
                kill_group(child.pid)
                job_finish(job=job, status=JobStatus.CANCELLED, error="cancelled")
                return
            if row["heartbeat_at"] and timezone.now() - row["heartbeat_at"] > lease:
                kill_group(child.pid)
                job_finish(job=job, status=JobStatus.FAILED, error=WORKER_LOST)
                return
        code = child.wait()
    finally:
        kill_group(child.pid)  # the JVM and any helper the child left behind
    if code != 0:
        reason = last_words(log_path) or f"the process exited with code {code}"
        job_finish(job=job, status=JobStatus.FAILED, error=reason)
    else:
        # A child that exits cleanly without reporting a result counts as lost.
        job_finish(job=job, status=JobStatus.FAILED, error=WORKER_LOST)
