"""The import services: ``tasks_import``, which checks a whole upload and stores it or reports
every bad task, and ``result_errors``, the same result rules for one completion.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from annolab.errors import ValidationFailed
from projects.imports.result_checks import result_problems, result_schema
from projects.imports.storage import ImportResult, store_tasks
from projects.imports.task_checks import ImportContext, ImportedTask, InvalidTask, parse_task
from projects.imports.upload import read_upload
from projects.models import Project


def tasks_import(
    *, project: Project, payload: bytes | str | list[Any], filename: str | None = None
) -> ImportResult:
    """Validate every task of ``payload``, then store them all, or raise ``ValidationFailed``.

    ``payload`` is an already parsed JSON array, or the bytes/text of a file whose type
    ``filename`` gives (``.json`` when there is no name): ``.json`` an array of tasks,
    ``.txt`` one task (the whole file is its text), ``.csv`` one task per row (a ``text``
    column; every column goes into ``data``).
    """
    items = read_upload(payload, filename)
    if not items:
        raise ValidationFailed("Nothing to import: the upload holds no tasks.")
    context = ImportContext(schema=result_schema(project), now=timezone.now())
    context.learn_label_studio_users(items)
    tasks: list[ImportedTask] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            tasks.append(parse_task(item, context))
        except InvalidTask as exc:
            errors.append({"index": index, "message": str(exc)})
    if errors:
        raise ValidationFailed(
            f"{len(errors)} of {len(items)} tasks are invalid; nothing was imported.", errors
        )
    return store_tasks(project, tasks, context.emails)


def result_errors(*, project: Project, text: str, result: Any) -> list[str]:
    """Every problem of one completion's ``result`` on ``text`` (the first per region).

    The same rules as the import, for the services that create and edit completions.
    """
    return [
        f"{region}: {message}" if region else message
        for region, message in result_problems(result, text, result_schema(project))
    ]
