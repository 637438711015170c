"""A real HTTP server for built sites in tests: the standard library's, on 127.0.0.1."""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve_folder(folder: Path, prefix: str = "") -> tuple[ThreadingHTTPServer, str]:
    """Serve `folder` on 127.0.0.1 (under /prefix/ when given); return the server and base URL."""
    root = folder
    if prefix:
        root = folder.parent / "_served"
        root.mkdir(exist_ok=True)
        (root / prefix).symlink_to(folder, target_is_directory=True)
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/" + (f"{prefix}/" if prefix else "")
    return server, base
