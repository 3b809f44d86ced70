#!/usr/bin/env bash
# Installs what jobwatch needs to build and test, when it is missing:
# - Debian packages: libsqlite3-dev (GRDB uses the system SQLite), systemd (systemd-analyze, for the unit
#   checks), man-db (the install test reads the man page), python3 with venv (the end-to-end tests drive
#   `wait` under a pseudo-terminal with Python's pty module and parse /metrics with the official Prometheus
#   client), postgresql (15: the PostgreSQL tests start a private cluster with its initdb and pg_ctl, as the
#   postgres user through runuser from util-linux);
# - from PyPI, into .build/test-venv: prometheus_client, whose parser the metrics test uses.
# With --bench, also what the benchmarks need and `make test` does not: wrk (the loopback ceiling of
# `jobwatch-bench ceiling`).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
if [ "${1:-}" = "--bench" ]; then
    command -v wrk > /dev/null 2>&1 || missing+=(wrk)
fi
dpkg -s libsqlite3-dev > /dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v systemd-analyze > /dev/null 2>&1 || missing+=(systemd)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
command -v runuser > /dev/null 2>&1 || missing+=(util-linux)
command -v python3 > /dev/null 2>&1 || missing+=(python3)
command -v man > /dev/null 2>&1 || missing+=(man-db)
if ! python3 -c 'import ensurepip, venv' > /dev/null 2>&1; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        sudo=sudo
    else
        sudo=
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

venv=.build/test-venv
if ! "$venv/bin/python3" -c 'import prometheus_client' > /dev/null 2>&1; then
    echo "installing prometheus_client into $venv (for the metrics end-to-end test)" >&2
    rm -rf "$venv"
    mkdir -p .build
    python3 -m venv "$venv"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check 'prometheus_client>=0.20,<1'
fi
