"""A real HTTP mirror on 127.0.0.1 that can misbehave on purpose, one file at a time."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What the server does with a request, per file name (without .gz):
GOOD = "good"  # the whole file
DROP = "drop"  # the full Content-Length, then half the bytes and a closed connection
CORRUPT = "corrupt"  # the right length, wrong bytes (one byte flipped in the gzip body)
MISSING = "missing"  # 404
STALL = "stall"  # headers, then silence longer than any test timeout
ENDLESS = "endless"  # no Content-Length, then zero bytes until the client hangs up
OVERSIZED = "oversized"  # a Content-Length of 10 GB, then zero bytes until the client hangs up
# What ENDLESS and OVERSIZED send per write.
ENDLESS_CHUNK = bytes(1 << 16)


@dataclass
class MirrorPlan:
    """Files served and, per file, the behaviours of successive requests (the last repeats)."""

    files: dict[str, bytes]
    behaviours: dict[str, list[str]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    # For ENDLESS and OVERSIZED, per file: the body bytes sent before the client hung up.
    hung_up_after: dict[str, int] = field(default_factory=dict)

    def behaviour(self, name: str) -> str:
        plan = self.behaviours.get(name, [GOOD])
        return plan[min(self.requests[name] - 1, len(plan) - 1)]


class MirrorHandler(BaseHTTPRequestHandler):
    server: MirrorServer

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        name = self.path.rsplit("/", 1)[-1].removesuffix(".gz")
        plan = self.server.plan
        plan.requests[name] += 1
        behaviour = plan.behaviour(name)
        if name not in plan.files or behaviour == MISSING:
            self.send_error(404)
            return
        body = plan.files[name]
        if behaviour == CORRUPT:
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
        if behaviour in (ENDLESS, OVERSIZED):
            self.send_endless(name, declared=10**10 if behaviour == OVERSIZED else None)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if behaviour == STALL:
            time.sleep(3)
            return
        if behaviour == DROP:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def send_endless(self, name: str, declared: int | None) -> None:
        """Zero bytes until the client closes the connection (HTTP/1.0: the body ends at close)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        if declared is not None:
            self.send_header("Content-Length", str(declared))
        self.end_headers()
        self.close_connection = True
        sent = 0
        try:
            while True:
                self.wfile.write(ENDLESS_CHUNK)
                sent += len(ENDLESS_CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            self.server.plan.hung_up_after[name] = sent

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests assert on request counts, not on the access log."""


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, plan: MirrorPlan) -> None:
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.plan = plan

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/mnist/"


@contextmanager
def serving(plan: MirrorPlan) -> Iterator[MirrorServer]:
    server = MirrorServer(plan)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
