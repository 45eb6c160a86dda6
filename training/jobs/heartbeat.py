"""The child process's heartbeat: the lease that keeps its job ``running``.

Every few seconds the child stamps ``heartbeat_at``. If its parent (the django-q2 worker) is
gone, the child kills its own process group: a job nobody supervises must not go on consuming
the machine, and the reaper then fails it as "worker lost".
"""

from __future__ import annotations

import os
import signal
import threading
from types import TracebackType

from django.conf import settings
from django.db import connection
from django.utils import timezone

from training.models import Job, JobStatus


class Heartbeat:
    def __init__(self, job: Job) -> None:
        self.model = type(job)
        self.job_id = job.pk
        self.parent = os.getppid()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(settings.TRAINING_HEARTBEAT_SECONDS):
                if os.getppid() != self.parent:
                    os.killpg(os.getpgrp(), signal.SIGKILL)
                self.model.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()
