#!/usr/bin/env python3
"""Attributes a `perf record -g` profile of the jobwatch daemon to its own functions.

perf 6.1 on these machines cannot read the symbols of the (large) Swift release binary, so this script
resolves the binary's frames itself from `nm` and prints, for every sample, the innermost frame that is
in the binary ("attributed": the function together with the library code it called, e.g. swift_retain
under it), the inclusive share of each function (any frame of the chain), and the share per library.

  perf record -e cpu-clock -g -p PID -o perf.data -- sleep 15
  bench/profile/attribute.py perf.data path/to/jobwatch [--top 40] [--comm THREAD-NAMES]

`perf report -i perf.data --sort comm -g none` shows the share of each thread (name) first.
"""
import argparse
import bisect
import collections
import subprocess
import sys


def load_symbols(binary):
    out = subprocess.run(["nm", "-n", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    addresses, names = [], []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            addresses.append(int(parts[0], 16))
            names.append(parts[2])
    return addresses, names


def demangle(names):
    if not names:
        return {}
    out = subprocess.run(["swift-demangle", "--simplified", "--compact"], input="\n".join(names),
                         capture_output=True, text=True).stdout.splitlines()
    return {name: (short if short else name) for name, short in zip(names, out)}


def samples(data, comm=None, tids=None):
    command = ["perf", "script", "-i", data, "-F", "ip,sym,dso"] + (["--comms", comm] if comm else []) \
        + (["--tid", tids] if tids else [])
    script = subprocess.run(command, capture_output=True, text=True).stdout
    chain = []
    for line in script.splitlines():
        line = line.strip()
        if not line:
            if chain:
                yield chain
            chain = []
            continue
        parts = line.split(" ", 1)
        try:
            ip = int(parts[0], 16)
        except ValueError:
            continue
        rest = parts[1] if len(parts) > 1 else ""
        dso = rest[rest.rfind("(") + 1:rest.rfind(")")] if "(" in rest else ""
        sym = rest[:rest.rfind("(")].strip() if "(" in rest else rest
        chain.append((ip, sym, dso))
    if chain:
        yield chain


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("binary")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--tid", help="only the samples of these thread ids (comma-separated; "
                                      "`perf script -F comm,tid | sort | uniq -c` lists them)")
    parser.add_argument("--comm", help="only the samples of these threads (perf's thread names, comma-separated), "
                                       "e.g. NIO-SGLTN-1-#1 or -qos.overcommit (Dispatch's serial queues)")
    args = parser.parse_args()
    addresses, names = load_symbols(args.binary)

    def resolve(ip):
        i = bisect.bisect_right(addresses, ip) - 1
        return names[i] if i >= 0 else "?"

    total = 0
    by_dso = collections.Counter()
    attributed = collections.Counter()
    inclusive = collections.Counter()
    for chain in samples(args.data, args.comm, args.tid):
        total += 1
        leaf_dso = chain[0][2].rsplit("/", 1)[-1]
        by_dso[leaf_dso] += 1
        seen = set()
        first = None
        for ip, sym, dso in chain:
            if dso.endswith("/" + args.binary.rsplit("/", 1)[-1]):
                name = resolve(ip)
                if first is None:
                    first = name
                seen.add(name)
        attributed[first or "(no frame in the binary: " + leaf_dso + ")"] += 1
        for name in seen:
            inclusive[name] += 1
    shown = {n for n, _ in attributed.most_common(args.top)} | {n for n, _ in inclusive.most_common(args.top)}
    pretty = demangle(list(shown))
    print(f"{total} samples")
    print("\n## by library (leaf frame)")
    for dso, count in by_dso.most_common(12):
        print(f"{count / total * 100:6.2f} %  {dso}")
    print("\n## attributed to the innermost jobwatch function (with the library code it called)")
    for name, count in attributed.most_common(args.top):
        print(f"{count / total * 100:6.2f} %  {pretty.get(name, name)[:150]}")
    print("\n## inclusive (the function is anywhere on the stack)")
    for name, count in inclusive.most_common(args.top):
        print(f"{count / total * 100:6.2f} %  {pretty.get(name, name)[:150]}")


if __name__ == "__main__":
    sys.exit(main())
