"""Signals the training app announces. ``activelearning`` listens; training imports none of it."""

from django.dispatch import Signal

# Sent after a training run or pre-annotation job of a project reached a final status and the
# project is free again (sender=TrainingRun or PreannotationJob, job=<row>).
project_freed = Signal()
training_run_finished = Signal()
