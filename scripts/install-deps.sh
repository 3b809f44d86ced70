#!/usr/bin/env bash
# Installs the Debian packages jobwatch needs to build and test, when they are missing:
# libsqlite3-dev (GRDB uses the system SQLite), systemd (systemd-analyze, for the unit checks) and
# postgresql (the PostgreSQL tests start a private PostgreSQL 15 cluster with its initdb and pg_ctl).
set -euo pipefail
missing=()
dpkg -s libsqlite3-dev > /dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v systemd-analyze > /dev/null 2>&1 || missing+=(systemd)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
command -v runuser > /dev/null 2>&1 || missing+=(util-linux)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
