"""Rendering through the N8N workflow (HTTP, header credential) or an offline placeholder."""

import struct
import zlib
from pathlib import Path

import requests
from django.conf import settings

from .base import PermanentProviderError, RenderAccepted, TransientProviderError, classify_http_status

TIMEOUT = (5, 30)
N8N_API_KEY_HEADER = "X-N8N-API-KEY"
MAX_EXECUTION_ID_LENGTH = 64  # n8n ids are short numbers; anything longer is not one


def media_folder(kind: str) -> Path:
    folder = Path(settings.STORAGE_BASE_PATH) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class N8NRenderProvider:
    """POSTs the render request to the configured workflow; N8N answers later via the webhooks.

    The request is the pipeline's render payload (``video_id``, ``audio_path``, ``callbacks``...)
    with the ``X-N8N-API-KEY`` header credential. The shipped workflow validates it (400 naming
    what is missing) and answers at once from its "Accept request" node with the id of the
    execution it started, ``{"executionId": "..."}``: the id staff look up in n8n. An answer
    without one means the workflow in n8n is not the shipped one (e.g. a trigger that answers
    "Workflow was started" before its execution exists): PermanentProviderError, so the
    misconfiguration fails the first video loudly instead of recording renders nobody can trace.
    """

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
        execution = execution_id_from(response)
        return RenderAccepted(execution_id=execution, extra={"status_code": response.status_code})


def execution_id_from(response: requests.Response) -> str:
    """The execution id in N8N's answer (``executionId``; ``execution_id`` accepted), or
    PermanentProviderError naming what came back instead."""
    try:
        body = response.json()
    except ValueError:
        body = None
    raw = None
    if isinstance(body, dict):
        raw = body.get("executionId", body.get("execution_id"))
    execution = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not execution or len(execution) > MAX_EXECUTION_ID_LENGTH or any(char.isspace() for char in execution):
        raise PermanentProviderError(
            f"N8N accepted the render but answered no execution id ({response.status_code}: "
            f"{response.text[:200]!r}). The workflow must answer from its 'Accept request' node "
            "(Respond to Webhook with the execution id): import webhooks/n8n/render_workflow.json.",
            provider="n8n",
            status=response.status_code,
        )
    return execution


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
