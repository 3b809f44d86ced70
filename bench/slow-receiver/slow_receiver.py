#!/usr/bin/env python3
"""Daemon CPU while it waits on a slow webhook receiver (issue 13, point 3).

50 jobs that are already SUCCESS at their first poll, one webhook sink with `concurrency: 1` whose receiver
answers each request after 3 s: a backlog of 50 terminal events that takes 150 s to drain. The daemon has
nothing to do but wait, so its CPU over the measuring window should be near idle. Before the fix of the
delivery timer (a saturated sink kept in the earliest-due computation) it re-armed its timer for "now" in a
loop: 96 % of a core.

  python3 bench/slow-receiver/slow_receiver.py --binary .build/release/jobwatch [--window 30]

Prints the daemon's CPU (% of one core) over the window, the deliveries the receiver answered in it, and
the context switches per second of all the daemon's threads. Everything is on 127.0.0.1 and stops by itself.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLK_TCK = os.sysconf("SC_CLK_TCK")
lock = threading.Lock()
received = []


class JobHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        job_id = self.path.rstrip("/").rsplit("/", 1)[-1]
        body = json.dumps({
            "status": "SUCCESS", "job_id": job_id, "job_type": "imsCreateImageByInstance",
            "begin_time": "2026-11-22T05:40:00.000Z", "end_time": "2026-11-22T05:45:00.000Z",
            "entities": {"image_id": "eacac5cb-1153-4b8c-873c-73e036f5a988"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SlowReceiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(3)
        with lock:
            received.append(time.monotonic())
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def context_switches(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if re.match(r"(non)?voluntary_ctxt_switches:", line):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--window", type=float, default=30)
    args = parser.parse_args()

    cloud, receiver = serve(JobHandler), serve(SlowReceiver)
    work = tempfile.mkdtemp(prefix="jobwatch-slow-receiver-")
    try:
        config = os.path.join(work, "config.yaml")
        database = os.path.join(work, "jobwatch.sqlite")
        with open(config, "w") as f:
            f.write(f"""log_level: warning
accounts:
  default:
    region: cn-north-4
    ak: BENCHACCESSKEY
    sk: bench-secret-key
    endpoints:
      ims: http://127.0.0.1:{cloud.server_address[1]}
polling:
  requests_per_second: 100
sinks:
  stdout:
    enabled: false
  webhooks:
    - name: slow
      url: http://127.0.0.1:{receiver.server_address[1]}/hook
      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
      events: terminal
      concurrency: 1
      timeout: 10s
""")
        ids = [f"slow{i:028d}" for i in range(args.jobs)]
        listing = os.path.join(work, "jobs.json")
        with open(listing, "w") as f:
            json.dump({"job_ids": ids}, f)
        env = dict(os.environ, JOBWATCH_CONFIG=config)
        subprocess.run([args.binary, "register", "--from-json", listing, "--api", "ims", "--db", database],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        daemon = subprocess.Popen([args.binary, "daemon", "--db", database], env=env, stdout=subprocess.DEVNULL)
        try:
            # The backlog is in place once every job has its verdict and the first delivery is under way.
            deadline = time.monotonic() + 60
            while True:
                out = subprocess.run([args.binary, "list", "--tracking", "all", "--json", "--db", database], env=env,
                                     capture_output=True, text=True).stdout
                done = sum(1 for job in json.loads(out or "[]") if job.get("status") == "SUCCESS")
                if done == len(ids):
                    break
                if time.monotonic() > deadline or daemon.poll() is not None:
                    raise SystemExit("the jobs did not reach SUCCESS within 60 s")
                time.sleep(0.2)
            time.sleep(2)
            cpu0, switches0, wall0 = cpu_seconds(daemon.pid), context_switches(daemon.pid), time.monotonic()
            with lock:
                before = len(received)
            time.sleep(args.window)
            cpu1, switches1, wall1 = cpu_seconds(daemon.pid), context_switches(daemon.pid), time.monotonic()
            with lock:
                answered = len(received) - before
            elapsed = wall1 - wall0
            print(json.dumps({
                "jobs": len(ids), "window_s": round(elapsed, 1),
                "daemon_cpu_percent_of_one_core": round(100 * (cpu1 - cpu0) / elapsed, 2),
                "deliveries_answered_in_window": answered,
                "context_switches_per_s": round((switches1 - switches0) / elapsed, 1),
            }))
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daemon.kill()
    finally:
        cloud.shutdown()
        receiver.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
