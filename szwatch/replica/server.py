"""Serve a replica on localhost, with faults that tests can switch on per path.

A plain threaded ``http.server``: the replica is static files, and tests need only a handful of
behaviours the real site might show (a 500, a hang, a cut-off body, other bytes than on disk). Every
request is counted per path, so a test can assert what the crawler did *not* download.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter, defaultdict, deque
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from loguru import logger

from szwatch.replica.printed import content_type


class ReplicaServer:
    """``with ReplicaServer(root) as site: site.url`` — a live copy of the site on a free port.

    Faults are queued per path and used up one request at a time: ``site.fail(path, "500", "500")``
    answers two requests with 500 and then serves the file again. Kinds: a status code (``"500"``),
    ``"hang"`` (no answer for ``hang_seconds``), ``"truncate"`` (half the body), ``"drop"`` (close the
    connection). ``site.replace(path, body)`` serves other bytes (an empty body too) until
    ``site.restore(path)``; ``site.redirect(path, location)`` answers with a redirect instead; while
    ``site.down`` is true every request gets a 503. Files carry ``ETag`` and ``Last-Modified``, and a
    conditional GET of an unchanged one gets a 304, as from a web server.
    """

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, hang_seconds: float = 5.0) -> None:
        self.root = Path(root).resolve()
        self.hang_seconds = hang_seconds
        self.hits: Counter[str] = Counter()
        self.order: list[str] = []  # every request's path, in the order they came (what a crawl asked first)
        self.faults: defaultdict[str, deque[str]] = defaultdict(deque)
        self.replacements: dict[str, bytes] = {}
        self.redirects: dict[str, tuple[int, str]] = {}
        self.down = False
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host  # an AF_INET server's host is always str
        return f"http://{host}:{port}"

    def start(self) -> ReplicaServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replica", daemon=True)
        self._thread.start()
        logger.debug("replica serving {} at {}", self.root, self.url)
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def fail(self, path: str, *kinds: str) -> None:
        with self._lock:
            self.faults[path].extend(kinds)

    def replace(self, path: str, body: bytes) -> None:
        self.replacements[path] = body

    def restore(self, path: str) -> None:
        self.replacements.pop(path, None)
        self.redirects.pop(path, None)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.redirects[path] = (status, location)

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.order.clear()
            self.faults.clear()
            self.replacements.clear()
            self.redirects.clear()

    def hits_matching(self, fragment: str) -> int:
        return sum(n for path, n in self.hits.items() if fragment in path)

    def next_fault(self, path: str) -> str | None:
        with self._lock:
            self.hits[path] += 1
            self.order.append(path)
            queue = self.faults.get(path)
            return queue.popleft() if queue else None


def _handler_for(site: ReplicaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        _validators: tuple[str, str] | None = None  # (ETag, Last-Modified) of the body being answered

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            fault = "503" if site.down else site.next_fault(path)
            if fault == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if fault == "hang":
                time.sleep(site.hang_seconds)
            if fault and fault.isdigit():
                return self._send(int(fault), b"<html><body>Server Error</body></html>")
            if path in site.redirects:
                status, location = site.redirects[path]
                return self._send(status, b"", {"Location": location})
            body = site.replacements[path] if path in site.replacements else self._read(path)
            if body is None:
                return self._send(404, b"<html><body>404 Not Found</body></html>")
            if fault == "truncate":
                body = body[: len(body) // 2]
            if not fault and self._unchanged(path, body):
                return self._send(304, b"")
            return self._send(200, body)

        def _unchanged(self, path: str, body: bytes) -> bool:
            """Conditional GET as a web server does it: ETag first, else Last-Modified (to the second)."""
            self._validators = (_etag(body), formatdate(self._mtime(path), usegmt=True))
            if self.headers.get("If-None-Match"):
                return self.headers["If-None-Match"] == self._validators[0]
            since = self.headers.get("If-Modified-Since")
            if not since:
                return False
            try:
                return int(self._mtime(path)) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False

        def _mtime(self, path: str) -> float:
            target = site.root / path.lstrip("/")
            return target.stat().st_mtime if path not in site.replacements and target.is_file() else time.time()

        def _read(self, path: str) -> bytes | None:
            target = (site.root / path.lstrip("/")).resolve()
            if target.is_dir():  # as a web server does: a folder answers with its index page
                target = next((target / n for n in ("index.htm", "index.html") if (target / n).is_file()), target)
            if (site.root not in target.parents and target != site.root) or not target.is_file():
                return None
            return target.read_bytes()

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type(self.path, body))
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            validators = getattr(self, "_validators", None)
            if validators and status in (200, 304):
                self.send_header("ETag", validators[0])
                self.send_header("Last-Modified", validators[1])
            self._validators = None
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def _etag(body: bytes) -> str:
    return '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
