"""Raw HTTP/1.1 requests (the same bytes for wrk and the open-loop generator) and a tiny client.

Every request carries what production's TLS proxy adds (``X-Forwarded-Proto: https``) and
``Connection: close``: gunicorn's sync workers close after each response anyway (as behind nginx,
whose upstream connections are not kept alive by default).
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestSpec:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def render(spec: RequestSpec, *, host: str, extra_headers: dict[str, str] | None = None) -> bytes:
    headers = {
        "Host": host,
        "User-Agent": "ytempire-bench",
        "Accept": "application/json",
        "X-Forwarded-Proto": "https",
        "Connection": "close",
        **spec.headers,
        **(extra_headers or {}),
    }
    if spec.body is not None:
        headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(spec.body))
    head = f"{spec.method} {spec.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + (spec.body or b"")


def json_body(data) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def parse_response(raw: bytes) -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(status=status, headers=headers, body=body)


def send(host: str, port: int, raw: bytes, *, timeout: float = 30.0) -> Response:
    """One request on a fresh connection, read to the server's close."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return parse_response(b"".join(chunks))
