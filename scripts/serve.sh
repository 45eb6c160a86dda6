#!/usr/bin/env bash
# Serves annolab for development: the web app on 127.0.0.1:8000 and a django-q2 worker, together.
# One Ctrl-C (or the end of either process) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python

# Job control puts each process in its own process group: runserver's autoreloader serves from a
# child process, so the whole group is stopped. qcluster stops its own processes on SIGTERM, and
# signalling them directly as well can leave it deadlocked, so only its main process is signalled.
set -m
"$python" manage.py qcluster &
worker=$!
"$python" manage.py runserver 127.0.0.1:8000 &
web=$!

stop() {
  trap - EXIT INT TERM
  kill -TERM -- "-$web" "$worker" 2>/dev/null || true
  wait || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
wait -n
