#!/bin/sh
# Fuzzes the cloud answer decoder (Sources/jobwatch-fuzz) with libFuzzer.
#
#   scripts/fuzz.sh [RUNS] [libFuzzer options…]     e.g. scripts/fuzz.sh 10000000 -jobs=1
#
# Builds in its own scratch path (.build-fuzz, git-ignored) with -sanitize=fuzzer, seeds the corpus with
# the API fixtures, then runs RUNS inputs (default 1,000,000) under `nice`, each limited to 64 KiB and 2 s.
# A crash leaves its input in .build-fuzz/findings; `swift run jobwatch-fuzz FILE` replays it normally.
set -eu
cd "$(dirname "$0")/.."
runs="${1:-1000000}"
[ $# -gt 0 ] && shift

scratch=.build-fuzz
# gold fails to link the instrumented objects (an internal error in its DWARF reader); lld links them.
nice swift build -c release --scratch-path "$scratch" --product jobwatch-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DJOBWATCH_FUZZ -Xswiftc -use-ld=lld
binary="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/jobwatch-fuzz"

corpus="$scratch/corpus"
mkdir -p "$corpus" "$scratch/findings"
for fixture in Tests/HuaweiCloudTests/Fixtures/*.json; do
    cp "$fixture" "$corpus/$(basename "$fixture")"
done

exec nice "$binary" "$corpus" -runs="$runs" -max_len=65536 -timeout=2 -rss_limit_mb=1024 \
    -artifact_prefix="$scratch/findings/" -print_final_stats=1 "$@"
