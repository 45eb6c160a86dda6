#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster and returns the command's exit code:
#
#   scripts/with_test_postgres.sh .venv/bin/pytest
#   scripts/with_test_postgres.sh .venv/bin/python bench/selection.py
#
# With DATABASE_URL already set the command runs against that database and no cluster starts.
# Otherwise the cluster lives in a temporary directory, listens on a free port of 127.0.0.1 only,
# trusts every local connection (it holds nothing worth protecting), and is stopped and deleted
# on every way out, so no run leaves a server or a data directory behind.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
if [ -n "${DATABASE_URL:-}" ]; then
  exec "$@"
fi

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ]; then
    echo "$dir"
  elif command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
  fi
}

bin=$(pg_bin_dir)
if [ -z "$bin" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql', or set DATABASE_URL." >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
  bin=$(pg_bin_dir)
fi

# initdb refuses to run as root, so as root the cluster belongs to the postgres system user.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
  fi
  as_owner=(runuser -u postgres --)
fi

cluster=$(mktemp -d /tmp/annolab-pg.XXXXXX)
stop_cluster() {
  local status=$?
  "${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
  exit "$status"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "${#as_owner[@]}" -gt 0 ]; then
  chown postgres: "$cluster"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_owner[@]}" "$bin/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null
# Durability settings are off: the data is thrown away, and tests run faster without fsyncs.
"${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -s start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  || { cat "$cluster/server.log" >&2; exit 1; }
"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres annolab

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/annolab"
# The same server through its unix socket, for processes in a network namespace of their own.
export ANNOLAB_TEST_PG_SOCKET_URL="postgres://postgres@$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$cluster"):$port/annolab"
"$@"
