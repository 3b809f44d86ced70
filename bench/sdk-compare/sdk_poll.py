#!/usr/bin/env python3
"""The official Huawei Cloud Python SDK (huaweicloudsdkims, ImsClient.show_job_progress) polling the same
jobs as jobwatch, from N threads, against the benchmark server. Prints one JSON line: the CPU seconds of
this process during the polling window (setup excluded), the wall time, the polls made and peak RSS."""
import argparse
import json
import resource
import sys
import threading
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkims.v2 import ImsClient, ShowJobProgressRequest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--polls", type=int, required=True, help="total polls to make")
    parser.add_argument("--threads", type=int, default=64)
    args = parser.parse_args()

    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    # The SDK's own pool settings sized to the thread count (its default pool keeps 10 connections), so the
    # comparison is not bounded by the pool. One client shared by all threads, as a user would script it.
    config.pool_connections = args.threads
    config.pool_maxsize = args.threads
    client = (ImsClient.new_builder()
              .with_http_config(config)
              .with_credentials(BasicCredentials("BENCHACCESSKEY", "bench-secret-key",
                                                 "0123456789abcdef0123456789abcdef"))
              .with_endpoints([args.endpoint])
              .build())

    ids = [f"bench{i:027d}" for i in range(args.jobs)]
    counter = iter(range(args.polls))
    counter_lock = threading.Lock()
    errors = []

    def worker():
        while True:
            with counter_lock:
                n = next(counter, None)
            if n is None:
                return
            try:
                response = client.show_job_progress(ShowJobProgressRequest(job_id=ids[n % len(ids)]))
                assert response.status == "RUNNING", response.status
            except Exception as error:
                errors.append(repr(error))
                return

    # Warm-up: one call per thread's connection is part of setup, as jobwatch's first polls are.
    client.show_job_progress(ShowJobProgressRequest(job_id=ids[0]))
    cpu0 = time.process_time()
    wall0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"polls": args.polls - len(errors), "cpu_seconds": cpu, "wall_seconds": wall,
                      "peak_rss_mib": rss_mib, "errors": errors[:3]}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
