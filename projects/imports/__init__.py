"""Import tasks: a JSON array (Annotation Lab or Label Studio export), a .txt or a .csv file.

All or nothing: every task is checked first and one error per bad task is reported (its first
problem, with the task's index), so a user fixes a file in one round trip instead of one error
at a time. Only a fully valid upload is stored, in one transaction, with a fixed number of bulk
queries whatever the number of tasks (one more per ``BATCH_SIZE`` rows per table).

Completions are created with ``bulk_create``, which sends no ``post_save`` signal and does not
call ``completion_submitted`` either. That is deliberate: active learning counts new labeling
work, and an imported backlog is not new work, so it must never trigger a training run.

Its modules, in the order an import runs through them: ``upload`` (the file read into task
items), ``task_checks`` (each item checked into a task), ``result_checks`` (what a result may
contain, per the labeling config), ``storage`` (the bulk writes) and ``service`` (the entry
points); ``json_values`` holds the small helpers they share.
"""

from projects.imports.result_checks import REGION_TYPES
from projects.imports.service import result_errors, tasks_import
from projects.imports.storage import BATCH_SIZE, ImportResult
from projects.imports.task_checks import UNKNOWN_MODEL
from projects.imports.upload import FILE_TYPES

__all__ = [
    "BATCH_SIZE",
    "FILE_TYPES",
    "REGION_TYPES",
    "UNKNOWN_MODEL",
    "ImportResult",
    "result_errors",
    "tasks_import",
]
