#!/usr/bin/env python3
"""Side by side: `jobwatch daemon` and the official Huawei Cloud Python SDK polling the same N jobs, M polls
each, against the same loopback server (server.py, not jobwatch's simulator), both with 64 requests in
flight. Prints CPU seconds per 1,000 polls for both, the ratio, polls/s and peak RSS.

  bench/sdk-compare/run.sh [--jobs 256] [--polls-per-job 20] [--delay-ms 30] [--concurrency 64]

run.sh builds the release binary and the SDK's virtual environment first; this script only measures.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def proc_peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def server_stats(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=5) as r:
        return json.load(r)


def start_server(delay_ms, lifetime):
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), "--delay-ms", str(delay_ms),
                               "--lifetime", str(lifetime)], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    return server, port


def job_ids(n):
    return [f"bench{i:027d}" for i in range(n)]


def run_jobwatch(binary, args):
    server, port = start_server(args.delay_ms, 900)
    work = tempfile.mkdtemp(prefix="jobwatch-sdk-compare-")
    try:
        config = os.path.join(work, "config.yaml")
        database = os.path.join(work, "jobwatch.sqlite")
        with open(config, "w") as f:
            f.write(f"""log_level: warning
accounts:
  default:
    region: cn-north-4
    project_id: 0123456789abcdef0123456789abcdef
    ak: BENCHACCESSKEY
    sk: bench-secret-key
    endpoints:
      ims: http://127.0.0.1:{port}
polling:
  initial_interval: {args.interval}
  max_interval: {args.interval}
  jitter: 0
  max_in_flight: {args.concurrency}
  requests_per_second: 100000
  request_timeout: 30s
sinks:
  stdout:
    enabled: false
""")
        env = dict(os.environ, JOBWATCH_CONFIG=config)
        ids = job_ids(args.jobs)
        t0 = time.monotonic()
        for job_id in ids:
            subprocess.run([binary, "register", job_id, "--api", "ims", "--db", database], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        print(f"jobwatch: {len(ids)} jobs registered in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        daemon = subprocess.Popen([binary, "daemon", "--db", database], env=env, stdout=subprocess.DEVNULL)
        try:
            # Steady state: every job polled once (the first poll records RUNNING and is costlier).
            deadline = time.monotonic() + 60
            while server_stats(port)["polls"] < len(ids):
                if time.monotonic() > deadline or daemon.poll() is not None:
                    raise SystemExit("jobwatch: the first polls did not complete within 60 s")
                time.sleep(0.05)
            target = args.jobs * args.polls_per_job
            polls0 = server_stats(port)["polls"]
            cpu0, wall0 = proc_cpu_seconds(daemon.pid), time.monotonic()
            server_cpu0 = proc_cpu_seconds(server.pid)
            deadline = wall0 + 300
            while (polls := server_stats(port)["polls"]) - polls0 < target:
                if time.monotonic() > deadline or daemon.poll() is not None:
                    raise SystemExit("jobwatch: the polls did not complete within 300 s")
                time.sleep(0.02)
            cpu1, wall1 = proc_cpu_seconds(daemon.pid), time.monotonic()
            server_cpu = proc_cpu_seconds(server.pid) - server_cpu0
            result = {"polls": polls - polls0, "cpu_seconds": cpu1 - cpu0, "wall_seconds": wall1 - wall0,
                      "server_cpu_seconds": server_cpu,
                      "peak_rss_mib": proc_peak_rss_mib(daemon.pid),
                      "max_concurrent": server_stats(port)["max_concurrent"]}
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daemon.kill()
        return result
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


def run_sdk(python, args):
    server, port = start_server(args.delay_ms, 900)
    try:
        out = subprocess.run([python, os.path.join(HERE, "sdk_poll.py"), "--endpoint", f"http://127.0.0.1:{port}",
                              "--jobs", str(args.jobs), "--polls", str(args.jobs * args.polls_per_job),
                              "--threads", str(args.concurrency)], check=True, capture_output=True, text=True,
                             timeout=600)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["max_concurrent"] = server_stats(port)["max_concurrent"]
        return result
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--sdk-python", required=True)
    parser.add_argument("--jobs", type=int, default=256)
    parser.add_argument("--polls-per-job", type=int, default=20)
    parser.add_argument("--delay-ms", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--jobwatch-only", action="store_true",
                        help="measure only the daemon (A/B runs of two binaries); no SDK, no ratio")
    parser.add_argument("--interval", default="100ms", help="jobwatch's poll interval: short, so every job is due")
    args = parser.parse_args()

    jw = run_jobwatch(args.binary, args)
    runs = [("jobwatch daemon", jw)]
    if not args.jobwatch_only:
        runs.append((f"huaweicloudsdkims, {args.concurrency} threads", run_sdk(args.sdk_python, args)))
    rows = []
    for name, r in runs:
        rows.append((name, r["polls"], r["cpu_seconds"] / r["polls"] * 1000, r["polls"] / r["wall_seconds"],
                     r["peak_rss_mib"], r["max_concurrent"]))
    print(f"\n{args.jobs} jobs x {args.polls_per_job} polls, server answers after {args.delay_ms:g} ms, "
          f"{args.concurrency} in flight\n")
    print("| client | polls | CPU s / 1,000 polls | polls/s | peak RSS MiB | most in flight at the server |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, polls, cpu, rate, rss, conc in rows:
        print(f"| {name} | {polls} | {cpu:.3f} | {rate:.0f} | {rss:.1f} | {conc} |")
    if args.jobwatch_only:
        # The server's work per poll is fixed, so daemon CPU / server CPU compares binaries across runs on a
        # shared machine whose speed drifts (raw CPU figures move ±15 % between runs of one binary).
        print(f"\ndaemon CPU / server CPU: {jw['cpu_seconds'] / max(jw['server_cpu_seconds'], 1e-9):.3f}")
        return
    ratio = rows[1][2] / rows[0][2] if rows[0][2] > 0 else float("inf")
    print(f"\nCPU per poll, SDK / jobwatch: {ratio:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
