"""Signals the training app announces. ``activelearning`` listens; training imports none of it."""

from django.dispatch import Signal

# Sent once after a training run, pre-annotation or evaluation job of a project reached a final
# status and the project is free again (sender=the job's model class, job=<row>). One signal and
# one receiver (``activelearning.services.after_job``) decide what follows a job, so the order
# of what starts next never depends on which receiver was connected first.
project_freed = Signal()
