"""Rendering through the N8N workflow (HTTP, header credential) or an offline placeholder."""

import struct
import zlib
from pathlib import Path

import requests
from django.conf import settings

from .base import PermanentProviderError, RenderAccepted, TransientProviderError, classify_http_status

TIMEOUT = (5, 30)
N8N_API_KEY_HEADER = "X-N8N-API-KEY"


def media_folder(kind: str) -> Path:
    folder = Path(settings.STORAGE_BASE_PATH) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class N8NRenderProvider:
    """POSTs the render request to the configured workflow; N8N answers later via the webhooks."""

    sandbox = False

    def start(self, *, payload: dict) -> RenderAccepted:
        url = settings.N8N_RENDER_WORKFLOW_URL or f"{settings.N8N_BASE_URL.rstrip('/')}/webhook/ytempire-render"
        try:
            response = requests.post(
                url, json=payload, headers={N8N_API_KEY_HEADER: settings.N8N_API_KEY}, timeout=TIMEOUT
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientProviderError(f"N8N unreachable: {exc.__class__.__name__}", provider="n8n") from exc
        if response.status_code >= 400:
            raise classify_http_status(response.status_code)(
                f"N8N answered {response.status_code}: {response.text[:300]}",
                provider="n8n",
                status=response.status_code,
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        execution = str(body.get("executionId") or body.get("execution_id") or "")
        return RenderAccepted(execution_id=execution, extra={"status_code": response.status_code})


def placeholder_mp4() -> bytes:
    """A tiny ISO-BMFF file (ftyp + free boxes): enough to stand for a rendered video offline."""
    ftyp = b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2mp41"
    free = b"free" + b"YTEMPIRE SANDBOX PLACEHOLDER VIDEO"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(free) + 4) + free


def placeholder_png(width: int = 64, height: int = 36, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class SandboxRenderProvider:
    """Makes a placeholder MP4 and thumbnail locally; completion is reported by the pipeline itself."""

    sandbox = True

    def start(self, *, payload: dict) -> RenderAccepted:
        video_id = payload["video_id"]
        video_path = media_folder("video") / f"{video_id}.mp4"
        thumb_path = media_folder("thumbnails") / f"{video_id}.png"
        video_path.write_bytes(placeholder_mp4())
        thumb_path.write_bytes(placeholder_png())
        if not video_path.exists():
            raise PermanentProviderError("sandbox render could not write its file", provider="sandbox")
        return RenderAccepted(
            execution_id=f"sandbox-{video_id}",
            sandbox=True,
            extra={"video_path": str(video_path), "thumbnail_path": str(thumb_path), "duration_seconds": 1},
        )
