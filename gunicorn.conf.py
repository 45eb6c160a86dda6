"""gunicorn's settings for annolab's web process.

gunicorn reads ``./gunicorn.conf.py`` by itself, so the Docker image's CMD (run in /app, the
repository root) and ``bench/submit_load.py`` (run from the checkout) both get these. Command-line
options still win (``--workers``), and so does the environment: WEB_CONCURRENCY sets the number of
workers, and a DB_CONN_MAX_AGE that the deployment sets is kept.
"""

import os

# A sync worker serves one request after the other, so a connection per request would make
# PostgreSQL start a backend process (and load its catalog caches) for every request: measured
# with bench/submit_load.py, that was about half of a submit's CPU (docs/benchmarks.md). A
# worker keeps its connection for 60 s; Django checks it before reusing it (CONN_HEALTH_CHECKS).
os.environ.setdefault("DB_CONN_MAX_AGE", "60")
