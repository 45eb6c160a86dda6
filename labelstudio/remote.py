"""The one request annolab makes to Label Studio: a project's tasks with their annotations.

The URL is user-chosen (Label Studio sends its ``hostname`` at setup), so the caller checks it
against ``LABEL_STUDIO_URLS`` first, redirects are not followed (a listed server must not bounce
annolab elsewhere), the answer's size is capped and it is read by annolab's strict JSON rules.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from annolab import json_input
from annolab.errors import ValidationFailed

#: Seconds to wait for Label Studio's export; START_TRAINING itself waits ML_TIMEOUT_PREDICT
#: (100 s by default) on Label Studio's side.
EXPORT_TIMEOUT_SECONDS = 30


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, [{"field": "hostname", "message": message}])


def export_tasks(*, hostname: str, ls_project: str, access_token: str) -> list[dict[str, Any]]:
    """GET ``{hostname}/api/projects/{id}/export?exportType=JSON``: every task with annotations."""
    if not ls_project.isdigit():
        raise _refused(f"Label Studio sent no usable project id ({ls_project!r}).")
    url = f"{hostname.rstrip('/')}/api/projects/{ls_project}/export?exportType=JSON"
    request = urllib.request.Request(
        url, headers={"Authorization": f"Token {access_token}", "Accept": "application/json"}
    )
    limit = settings.MAX_UPLOAD_BYTES
    try:
        with _opener.open(request, timeout=EXPORT_TIMEOUT_SECONDS) as response:
            body = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise _refused(
            f"Label Studio at {hostname} answered {exc.code} to the export of project "
            f"{ls_project}: reconnect the model in Label Studio so it sends a valid token."
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _refused(f"Label Studio at {hostname} could not be reached: {exc}.") from None
    if len(body) > limit:
        raise _refused(f"Label Studio's export is larger than {limit} bytes.")
    try:
        tasks = json_input.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValidationFailed) as exc:
        raise _refused(f"Label Studio's export is not a JSON list of tasks ({exc}).") from None
    if not isinstance(tasks, list):
        raise _refused("Label Studio's export is not a JSON list of tasks.")
    return [task for task in tasks if isinstance(task, dict)]
