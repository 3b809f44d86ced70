#!/usr/bin/env bash
# Installs jobwatch as a systemd service: the binary, the unit, the system user, the configuration.
#
#   scripts/install.sh [--binary PATH] [--prefix DIR] [--destdir DIR]
#
# Without --binary it builds the release binary first (swift build -c release --product jobwatch).
# PREFIX (default /usr/local) and DESTDIR (default empty; for packaging) may also come from the
# environment, as with `make install`. An existing /etc/jobwatch/config.yaml is never overwritten.
set -euo pipefail

usage() {
    sed -n '4,8s/^# \{0,1\}//p' "$0"
}

source_dir=$(cd "$(dirname "$0")/.." && pwd)
binary=${BINARY:-}
prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}

while [ $# -gt 0 ]; do
    case $1 in
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
    esac
done

case $prefix in
    /*) ;;
    *) echo "install.sh: PREFIX must be an absolute path, not '$prefix'" >&2; exit 64 ;;
esac
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: installing into the system needs root: run it with sudo (or set DESTDIR to stage it)" >&2
    exit 77
fi

if [ -z "$binary" ]; then
    echo "Building the release binary (swift build -c release --product jobwatch)…"
    (cd "$source_dir" && swift build -c release --product jobwatch)
    binary="$(cd "$source_dir" && swift build -c release --show-bin-path)/jobwatch"
fi
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    echo "install.sh: $binary is not an executable file" >&2
    exit 66
fi

bin_dir="$destdir$prefix/bin"
unit_dir="$destdir$prefix/lib/systemd/system"
sysusers_dir="$destdir$prefix/lib/sysusers.d"
doc_dir="$destdir$prefix/share/doc/jobwatch"
config_dir="$destdir/etc/jobwatch"

install -d -m 0755 "$bin_dir" "$unit_dir" "$sysusers_dir" "$doc_dir/examples"
install -m 0755 "$binary" "$bin_dir/jobwatch"
# The unit names the binary and the documentation where this prefix puts them.
sed -E "s#^(ExecStart|Documentation)=(file:)?/usr/local/#\1=\2$prefix/#" \
    "$source_dir/systemd/jobwatch.service" > "$unit_dir/jobwatch.service"
chmod 0644 "$unit_dir/jobwatch.service"
install -m 0644 "$source_dir/systemd/jobwatch.sysusers" "$sysusers_dir/jobwatch.conf"
install -m 0644 "$source_dir/config/config.yaml" "$doc_dir/config.yaml"
install -m 0644 "$source_dir"/config/examples/*.yaml "$doc_dir/examples/"
install -m 0644 "$source_dir/docs/systemd.md" "$doc_dir/systemd.md"

# The system user and group, before anything is handed to them.
if [ -z "$destdir" ]; then
    if command -v systemd-sysusers > /dev/null; then
        systemd-sysusers "$sysusers_dir/jobwatch.conf"
    elif ! getent passwd jobwatch > /dev/null; then
        useradd --system --user-group --home-dir /var/lib/jobwatch --no-create-home \
            --shell /usr/sbin/nologin --comment "jobwatch job tracker" jobwatch
    fi
fi

# The state directory as the unit declares it (StateDirectoryMode=2770), made here too so that it is right
# even before the first start and whatever umask systemd creates it with.
if [ -z "$destdir" ]; then
    install -d -m 2770 -o jobwatch -g jobwatch /var/lib/jobwatch
fi

# /etc/jobwatch stays world-readable (systemd creates ConfigurationDirectory= as root 0755); the file is
# readable by root and the jobwatch group only, since operators may put secrets in it.
install -d -m 0755 "$config_dir"
install -d -m 0700 "$config_dir/credentials"
if [ -e "$config_dir/config.yaml" ]; then
    config_note="kept the existing $config_dir/config.yaml (the reference is $prefix/share/doc/jobwatch/config.yaml)"
else
    install -m 0640 "$source_dir/systemd/config.yaml" "$config_dir/config.yaml"
    config_note="installed $config_dir/config.yaml"
    if [ -z "$destdir" ]; then
        chgrp jobwatch "$config_dir/config.yaml"
    fi
fi

case $prefix in
    /usr|/usr/local) ;;
    *) echo "Note: systemd does not look for units in $prefix/lib/systemd/system; make it known with" \
        "systemctl link $prefix/lib/systemd/system/jobwatch.service" ;;
esac
cat <<NEXT
jobwatch is installed:
  $bin_dir/jobwatch
  $unit_dir/jobwatch.service
  $config_note

Next steps:
  1. Edit /etc/jobwatch/config.yaml: region, project_id, ak.
  2. Put the secret key where the unit's LoadCredential=sk: reads it (only root can read it):
       install -m 0600 /dev/null /etc/jobwatch/credentials/sk && \$EDITOR /etc/jobwatch/credentials/sk
  3. Let operators use the CLI on the service's database:  usermod -aG jobwatch NAME  (then log in again)
  4. Start it:
       systemctl daemon-reload
       systemctl enable --now jobwatch
       systemctl status jobwatch
  5. Watch it:
       journalctl -u jobwatch -o cat
       jobwatch events --follow
NEXT
