"""Signals the annotation core announces; other apps listen, ``projects`` imports none of them."""

from django.dispatch import Signal

# Sent once per completion, inside the transaction that submits it (sender=Completion,
# completion=<Completion>). Imports create submitted completions without sending it: an
# imported backlog is not new labeling work.
completion_submitted = Signal()
