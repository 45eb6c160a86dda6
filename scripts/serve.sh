#!/usr/bin/env bash
# Serves annolab for development: the web app on 127.0.0.1:8000 and a django-q2 worker, together.
# One Ctrl-C (or the end of either process) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python

# Job control gives each process its own process group, so stopping a group also stops what it
# started (runserver's autoreloader runs the server in a child process).
set -m
"$python" manage.py qcluster &
worker=$!
"$python" manage.py runserver 127.0.0.1:8000 &
web=$!

stop() {
  trap - EXIT INT TERM
  kill -TERM -- "-$web" "-$worker" 2>/dev/null || true
  wait || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
wait -n
