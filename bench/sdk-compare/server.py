#!/usr/bin/env python3
"""A plain loopback imitation of IMS `GET /v1/cloudimages/job/{job_id}` for the side-by-side benchmark.

It is deliberately not jobwatch's simulator: a Python ThreadingHTTPServer (HTTP/1.1 keep-alive, a thread
per connection) that answers every job RUNNING after a fixed delay, like the cloud's tens of milliseconds.
`GET /_stats` answers {"polls": N, "max_concurrent": M}. It stops by itself after --lifetime seconds.
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
stats = {"polls": 0, "in_flight": 0, "max_concurrent": 0}


def job_body(job_id: str) -> bytes:
    return json.dumps({
        "status": "RUNNING",
        "job_id": job_id,
        "job_type": "imsCreateImageByInstance",
        "begin_time": "2026-11-22T05:40:00.000Z",
        "end_time": "",
        "error_code": None,
        "fail_reason": None,
        "entities": {"image_id": "eacac5cb-1153-4b8c-873c-73e036f5a988", "process_percent": 0.5,
                     "current_task": "ImportImageTask:ObtainImageInfoTask"},
    }).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay = 0.03
    # One send per answer, as the cloud's gateway answers: with the default unbuffered writer the status line
    # and headers go out in one segment and the body in a second, which Nagle holds until the client's
    # delayed ACK (up to 40 ms on Linux) - a "30 ms" answer then took ~72 ms for every client.
    # `handle_one_request` flushes the buffer after each answer.
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == "/_stats":
            with lock:
                body = json.dumps({"polls": stats["polls"], "max_concurrent": stats["max_concurrent"]}).encode()
            return self.reply(200, body)
        prefix = "/v1/cloudimages/job/"
        if not self.path.startswith(prefix):
            return self.reply(404, b'{"error_code":"APIGW.0101","error_msg":"no such API"}')
        with lock:
            stats["in_flight"] += 1
            stats["max_concurrent"] = max(stats["max_concurrent"], stats["in_flight"])
        try:
            time.sleep(self.delay)
            body = job_body(self.path[len(prefix):].split("?")[0])
            with lock:
                stats["polls"] += 1
            self.reply(200, body, {"X-Request-Id": "bench"})
        finally:
            with lock:
                stats["in_flight"] -= 1

    def reply(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=30)
    parser.add_argument("--lifetime", type=float, default=600)
    args = parser.parse_args()
    Handler.delay = args.delay_ms / 1000
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
