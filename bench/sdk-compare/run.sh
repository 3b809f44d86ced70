#!/usr/bin/env bash
# Side-by-side benchmark: jobwatch daemon vs the official Python SDK (huaweicloudsdkims) on the same
# loopback server. Builds the release binary, installs the SDK from PyPI into a virtual environment
# (.build-sdk-venv, git-ignored), then runs compare.py with the given options.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.build-sdk-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import huaweicloudsdkims' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'huaweicloudsdkims>=3.1' 
fi
swift build -c release --product jobwatch >&2
exec python3 bench/sdk-compare/compare.py --binary .build/release/jobwatch --sdk-python "$venv/bin/python" "$@"
