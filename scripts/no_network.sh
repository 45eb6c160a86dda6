#!/usr/bin/env bash
# Runs a command in a network namespace of its own: only a loopback interface, nothing outside.
# The test suite starts training children this way (TRAINING_CHILD_WRAPPER) to prove that Spark
# NLP trains without any download. Needs root (or user namespaces: `unshare -rn`).
set -euo pipefail
exec unshare -n -- bash -c 'ip link set lo up && exec "$@"' no_network "$@"
