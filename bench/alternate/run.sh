#!/usr/bin/env bash
# Alternating runs of one jobwatch-bench scenario against several jobwatch binaries, for before/after pairs
# on a shared machine: each binary in turn, ROUNDS times. Prints polls/s, the daemon's and the simulator's
# CPU per poll and their ratio (the simulator's work per poll is fixed, so the ratio cancels out how fast
# the machine happens to be), and the requests at the server on average.
#
#   bench/alternate/run.sh throughput 3 /tmp/jobwatch-before .build/release/jobwatch
#
# Needs the release jobwatch-bench (`swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/../.."
scenario=$1 rounds=$2
shift 2
for _ in $(seq "$rounds"); do
  for binary in "$@"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    line=$(.build/release/jobwatch-bench "$scenario" --jobwatch "$binary" 2>&1 | grep -E "polls in" || true)
    python3 - "$binary" "$load" "$line" <<'PY'
import re, sys
binary, load, line = sys.argv[1:]
m = re.search(r"(\d+) polls in ([\d.]+) s = (\d+)/s; daemon CPU ([\d.]+) s.*?simulator\+bench CPU ([\d.]+) s"
              r".*?\(([\d.]+) on average\)", line)
if not m:
    sys.exit(f"{binary}: no result line: {line!r}")
polls, _, rate, daemon, simulator, average = m.groups()
d, s = float(daemon) / int(polls) * 1000, float(simulator) / int(polls) * 1000
print(f"{binary}  load {load}  {rate}/s  daemon {d:.3f} ms/poll  simulator {s:.3f} ms/poll  ratio {d / s:.2f}  "
      f"at the server {average} on average", flush=True)
PY
  done
done
