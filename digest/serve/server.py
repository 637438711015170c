"""Preview HTTP server: serves site/, confines paths, pushes reload and error events (SSE)."""
from __future__ import annotations

import html
import json
import logging
import posixpath
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

PREFIX = "/__digest__/"
CLIENT_JS = """(function () {
  "use strict";
  var shown = null;
  function banner(text) {
    if (shown) shown.remove();
    if (!text) { shown = null; return; }
    shown = document.createElement("aside");
    shown.className = "digest-build-error"; shown.setAttribute("role", "alert");
    var h = document.createElement("strong"); h.textContent = "digest build failed; showing the last good site";
    var pre = document.createElement("pre"); pre.textContent = text;
    shown.appendChild(h); shown.appendChild(pre); document.body.prepend(shown);
  }
  var es = new EventSource("/__digest__/events");
  es.addEventListener("reload", function () { location.reload(); });
  es.addEventListener("error-report", function (e) { banner(JSON.parse(e.data).message); });
})();
"""
CLIENT_CSS = """.digest-build-error { position: fixed; top: 0; left: 0; right: 0; z-index: 99; background: #7a0916; color: #fff;
  padding: .75rem 1rem; font: 14px/1.4 system-ui, sans-serif; }
.digest-build-error pre { white-space: pre-wrap; margin: .5rem 0 0; font: 13px/1.4 ui-monospace, monospace; }
"""


@dataclass
class LiveState:
    """The generation of the served site and the last build error, shared with handlers."""

    generation: int = 0
    error: str = ""
    closed: bool = False
    cond: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, error: str = "") -> None:
        """Announce a finished build: a new site (no error) or a failure to show."""
        with self.cond:
            self.generation += 1
            self.error = error
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


def make_server(root: Path, state: LiveState, host: str = "127.0.0.1", port: int = 8000,
                base_path: str = "/") -> ThreadingHTTPServer:
    """Return an HTTP server for the folder `root` (not yet serving)."""
    handler = type("Handler", (PreviewHandler,), {"site_root": root.absolute(), "state": state,
                                                   "base_path": base_path})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


class PreviewHandler(SimpleHTTPRequestHandler):
    """Static files from `site_root` only, with live reload injected into HTML."""

    site_root: Path
    state: LiveState
    base_path: str = "/"
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(self.site_root), **kwargs)

    def log_message(self, fmt: str, *args) -> None:
        log.debug("%s %s", self.address_string(), fmt % args)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith(PREFIX):
            return self._internal(path[len(PREFIX):])
        target = self._resolve(path)
        if target is None:
            return self._not_found()
        self._send_file(target)

    def do_HEAD(self) -> None:
        self.do_GET()

    def _resolve(self, url_path: str) -> Path | None:
        """Return the file for a URL path, or None when missing or outside the site."""
        decoded = unquote(url_path)
        if "\x00" in decoded or "\\" in decoded:
            return None
        if self.base_path != "/" and decoded.startswith(self.base_path):
            decoded = "/" + decoded[len(self.base_path):]
        parts = [p for p in posixpath.normpath(decoded).split("/") if p not in ("", ".")]
        if ".." in parts:
            return None
        root = self.site_root.resolve()  # per request: builds flip `site` to a new tree
        target = root.joinpath(*parts)
        if target.is_dir():
            target = target / "index.html"
        try:
            resolved = target.resolve(strict=True)
            resolved.relative_to(root)
        except (OSError, ValueError, RuntimeError):
            return None
        return resolved if resolved.is_file() else None

    def _send_file(self, path: Path, status: int = 200) -> None:
        data = path.read_bytes()
        ctype = self.guess_type(str(path))
        if ctype.startswith("text/html"):
            data = inject(data.decode("utf-8", "replace"), self.state.error).encode("utf-8")
            ctype = "text/html; charset=utf-8"
        self._send(status, ctype, data)

    def _send(self, status: int, ctype: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _not_found(self) -> None:
        page = self.site_root / "404.html"
        if page.is_file():
            return self._send_file(page, 404)
        self._send(404, "text/plain; charset=utf-8", b"404 not found\n")

    def _internal(self, name: str) -> None:
        if name == "events":
            return self._events()
        if name == "live.js":
            return self._send(200, "text/javascript; charset=utf-8", CLIENT_JS.encode())
        if name == "live.css":
            return self._send(200, "text/css; charset=utf-8", CLIENT_CSS.encode())
        if name == "status":
            body = json.dumps({"generation": self.state.generation, "error": self.state.error})
            return self._send(200, "application/json", body.encode())
        self._send(404, "text/plain; charset=utf-8", b"404 not found\n")

    def _events(self) -> None:
        """Stream server-sent events: `reload` after each good build, `error-report` after a bad one."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        state = self.state
        seen = state.generation
        try:
            if state.error:
                self._event("error-report", state.error)
            while True:
                with state.cond:
                    state.cond.wait_for(lambda: state.generation != seen or state.closed, timeout=15)
                    if state.closed:
                        return
                    changed, seen, error = state.generation != seen, state.generation, state.error
                if not changed:
                    self.wfile.write(b": keep-alive\n\n")
                elif error:
                    self._event("error-report", error)
                else:
                    self._event("reload", str(seen))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return

    def _event(self, name: str, message: str) -> None:
        data = json.dumps({"message": message})
        self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())
        self.wfile.flush()


def inject(page: str, error: str) -> str:
    """Return an HTML page with the live-reload client and, after a failed build, the error."""
    tags = (f'<link rel="stylesheet" href="{PREFIX}live.css">'
            f'<script src="{PREFIX}live.js" defer></script>')
    if error:
        tags += ('<aside class="digest-build-error" role="alert"><strong>digest build failed; '
                 'showing the last good site</strong><pre>' + html.escape(error) + "</pre></aside>")
    at = page.rfind("</body>")
    return page[:at] + tags + page[at:] if at >= 0 else page + tags
