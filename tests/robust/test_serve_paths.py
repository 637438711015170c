"""`digest serve` serves site/ and nothing else, whatever the request path looks like."""
from __future__ import annotations

import os
import socket
import threading

import pytest

from digest.cli import _parser
from digest.serve import serve
from robust_support import GOOD, write_site

SECRET = "SECRET-outside-site"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("serve"), {"good.md": GOOD})
    (root / "secret.txt").write_text(SECRET)
    (root / "content/secret.md").write_text(f"---\ntitle: {SECRET}\n---\n\nx\n")
    port, ready, stop = free_port(), threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(root,), daemon=True,
                              kwargs={"port": port, "ready": ready, "stop": stop})
    thread.start()
    assert ready.wait(30)
    os.symlink(root / "secret.txt", root / "site" / "leak.txt")   # planted links out of site/
    os.symlink(root / "content", root / "site" / "leakdir")
    yield root, port
    stop.set()
    thread.join(10)


def raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """Send a GET with the request target exactly as given (no client-side normalising)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


TRAVERSALS = [
    b"/../secret.txt", b"/../../../../etc/passwd", b"/articles/../../secret.txt",
    b"/%2e%2e/secret.txt", b"/%2E%2E%2Fsecret.txt", b"/..%2fsecret.txt", b"/.%2e/secret.txt",
    b"/%252e%252e/secret.txt", b"/%252e%252e%252fsecret.txt",          # double-encoded
    b"/..\\secret.txt", b"/%5c..%5csecret.txt", b"/..%5csecret.txt",     # backslashes
    b"/secret.txt%00.html", b"/%00/../secret.txt", b"/index.html%00",   # NUL
    b"//etc/passwd", b"/%2fetc%2fpasswd", b"/etc/passwd",
    b"http://127.0.0.1/../secret.txt",                                   # absolute-form target
    b"/leak.txt", b"/leakdir/secret.md", b"/leakdir/", b"/content/secret.md",
    b"/%c0%ae%c0%ae/secret.txt",                                          # overlong UTF-8 dots
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_traversal_is_refused(server, target):
    _, port = server
    status, body = raw_get(port, target)
    assert status in (400, 404)
    assert SECRET.encode() not in body and b"root:x:0:0" not in body


@pytest.mark.parametrize("target", [b"/", b"/static/", b"/articles/", b"/stories/"])
def test_no_directory_listing(server, target):
    _, port = server
    status, body = raw_get(port, target)
    assert b"Directory listing for" not in body
    if target == b"/":
        assert status == 200 and b"A good neighbour" in body
    else:
        assert status == 404


def test_real_pages_still_served(server):
    _, port = server
    status, body = raw_get(port, b"/articles/good/")
    assert status == 200 and b"The harbour reopened" in body
    status, body = raw_get(port, b"/articles/good/%69ndex.html")      # encoded 'i' is fine
    assert status == 200 and b"The harbour reopened" in body


def test_default_host_is_loopback():
    args = _parser().parse_args(["serve"])
    assert args.host == "127.0.0.1"
