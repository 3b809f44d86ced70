#!/usr/bin/env bash
# Removes jobwatch's binary, unit and documentation; keeps the configuration, the credentials, the
# database and the jobwatch user unless --purge is given.
#
#   scripts/uninstall.sh [--purge] [--prefix DIR] [--destdir DIR]
#
# PREFIX and DESTDIR may also come from the environment and must match the ones used to install.
set -euo pipefail

usage() {
    sed -n '5,6s/^# \{0,1\}//p' "$0"
}

prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
purge=no

while [ $# -gt 0 ]; do
    case $1 in
        --purge) purge=yes; shift ;;
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "uninstall.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
    esac
done
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    echo "uninstall.sh: removing jobwatch from the system needs root: run it with sudo" >&2
    exit 77
fi

# Only a live systemd can stop the service; in a DESTDIR or a container without systemd there is none.
systemd_running=no
if [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl > /dev/null; then
    systemd_running=yes
    systemctl disable --now jobwatch.service 2> /dev/null || true
fi

rm -f "$destdir$prefix/bin/jobwatch" \
    "$destdir$prefix/lib/systemd/system/jobwatch.service" \
    "$destdir$prefix/lib/sysusers.d/jobwatch.conf" \
    "$destdir$prefix/share/man/man1/jobwatch.1.gz" \
    "$destdir$prefix/share/bash-completion/completions/jobwatch" \
    "$destdir$prefix/share/zsh/site-functions/_jobwatch" \
    "$destdir$prefix/share/fish/vendor_completions.d/jobwatch.fish"
rm -rf "$destdir$prefix/share/doc/jobwatch"
if [ "$systemd_running" = yes ]; then
    systemctl daemon-reload
fi

if [ "$purge" = yes ]; then
    # DynamicUser= would have put the state under /var/lib/private; this unit uses a static user, but a
    # drop-in may have changed that.
    rm -rf "$destdir/etc/jobwatch" "$destdir/var/lib/jobwatch" "$destdir/var/lib/private/jobwatch"
    if [ -z "$destdir" ] && getent passwd jobwatch > /dev/null; then
        userdel jobwatch
    fi
    if [ -z "$destdir" ] && getent group jobwatch > /dev/null; then
        groupdel jobwatch
    fi
    echo "jobwatch is removed, with its configuration, credentials, database and user."
else
    echo "jobwatch is removed. Kept: /etc/jobwatch (configuration, credentials), /var/lib/jobwatch (database), the jobwatch user."
    echo "Remove them too with: $0 --purge"
fi
