"""The simulated N8N render workflow: what ``webhooks/n8n/render_workflow.json`` does, in Python.

For each accepted render request, on the simulated clock: a progress callback (10%), then the cost
check (``cost-alert``: STOP ends the execution), then the render itself for a few simulated
minutes (its length follows the script: 150 words a minute), the files written where the API's
storage is, and the completion callback with what the render cost (minutes x the resolution's
price, one thumbnail). Every callback is signed at send time (Standard Webhooks, the simulated
clock's timestamp) with a webhook-id fixed per execution and kind, and is retried like the
workflow's Deliver nodes: network errors, 5xx and 429 after 2, 5, 10 and 20 (simulated) seconds;
any other answer is permanent and stops the execution.

Faults: a silent execution never sends its completion (N8N died mid-render); a duplicated one
delivers its completion twice with the same webhook-id (N8N's "retry execution"), at once in
parallel or a little later.
"""

import heapq
import itertools
import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import requests
from standardwebhooks.webhooks import Webhook

from .clock import real_time
from .faults import Faults, TruthLog

logger = logging.getLogger(__name__)

RETRY_WAITS = (2, 5, 10, 20)  # simulated seconds, as the workflow's Deliver nodes
VIDEO_BYTES = 300 * 1024  # two resumable chunks of 256 KiB
WORDS_PER_MINUTE = 150


class Scheduler:
    """Runs callables at simulated times (a heap polled every few real milliseconds)."""

    def __init__(self, *, workers: int = 8):
        self._heap: list = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="n8n")
        self._thread = threading.Thread(target=self._loop, name="n8n-scheduler", daemon=True)

    def start(self) -> "Scheduler":
        self._thread.start()
        return self

    def at(self, when: datetime, fn, *args) -> None:
        with self._lock:
            heapq.heappush(self._heap, (when.timestamp(), next(self._seq), fn, args))

    def pending(self) -> int:
        with self._lock:
            return len(self._heap)

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = datetime.now(UTC).timestamp()
            due = []
            with self._lock:
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap))
            for _, _, fn, args in due:
                self._pool.submit(self._run, fn, args)
            self._stop.wait(0.005)

    @staticmethod
    def _run(fn, args) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - one execution's error must not stop the workflow engine
            logger.exception("simulated n8n step failed")

    def stop(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


class RenderWorkflow:
    def __init__(self, *, faults: Faults, truth: TruthLog, storage: Path, scheduler: Scheduler):
        self.faults = faults
        self.truth = truth
        self.storage = storage
        self.scheduler = scheduler
        self.secret = ""
        self.rates: dict[tuple[str, str], Decimal] = {}
        self.session = requests.Session()
        self.stats = {"accepted": 0, "completed": 0, "stopped": 0, "silent": 0, "duplicates": 0}
        self.deliveries: dict[str, int] = {}  # "kind:status" -> count
        self._lock = threading.Lock()
        self.speed = 1.0

    def configure(self, *, secret: str, rates: dict, speed: float) -> None:
        self.secret = secret
        self.rates = rates
        self.speed = speed

    def _count(self, table: dict, key: str) -> None:
        with self._lock:
            table[key] = table.get(key, 0) + 1

    # --- an execution --------------------------------------------------------------------------
    def accept(self, *, execution_id: str, payload: dict) -> None:
        self._count(self.stats, "accepted")
        now = datetime.now(UTC)
        execution = {
            "id": execution_id,
            "payload": payload,
            "webhook_ids": {kind: f"msg_{uuid.uuid4().hex}" for kind in ("progress", "cost_alert", "complete")},
            "silent": self.faults.n8n_silent(),
            "duplicate": self.faults.n8n_duplicate(),
        }
        self.scheduler.at(now + timedelta(seconds=self.faults.dice.uniform(2, 10)), self._start, execution)

    def _start(self, execution: dict) -> None:
        payload = execution["payload"]
        video_id = payload["video_id"]
        self._deliver(
            execution,
            "progress",
            {"video_id": video_id, "step": "render", "percent": 10, "message": "render started"},
            required=False,
        )
        answer = self._deliver(execution, "cost_alert", {"video_id": video_id, "service": "rendering"}, required=True)
        if answer is None or answer.get("action") != "CONTINUE":
            self._count(self.stats, "stopped")
            return
        words = len(str(payload.get("script") or "").split())
        minutes = max(Decimal(1), Decimal(words) / WORDS_PER_MINUTE).quantize(Decimal("0.01"))
        minutes = min(minutes, Decimal(int(payload.get("max_duration_seconds") or 600)) / 60)
        # A renderer at 2-4x real time plus its start-up: a 10-minute video renders in under 7
        # minutes, inside the API's 10-minute render timeout (the seed's P99).
        render_time = timedelta(
            seconds=float(minutes) * 60 * self.faults.dice.uniform(0.25, 0.5) + self.faults.dice.uniform(30, 90)
        )
        self.scheduler.at(datetime.now(UTC) + render_time, self._finish, execution, minutes)

    def _finish(self, execution: dict, minutes: Decimal) -> None:
        payload = execution["payload"]
        video_id = payload["video_id"]
        if execution["silent"]:
            self._count(self.stats, "silent")
            self.truth.record("n8n_silent", datetime.now(UTC), video_id=video_id, execution=execution["id"])
            return
        video = self.storage / "video" / f"{video_id}.mp4"
        thumb = self.storage / "thumbnails" / f"{video_id}.jpg"
        video.parent.mkdir(parents=True, exist_ok=True)
        thumb.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * (VIDEO_BYTES // 256) + b"end")
        thumb.write_bytes(b"\xff\xd8\xff\xe0" + b"t" * 2000)
        resolution = str(payload.get("resolution") or "1080p")
        thumbnail = str(payload.get("thumbnail") or "template")
        render_cost = (minutes * self.rates.get(("rendering", resolution), Decimal("0.02"))).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
        thumb_cost = self.rates.get(("thumbnail", thumbnail), Decimal("0.01"))
        body = {
            "video_id": video_id,
            "status": "completed",
            "video_path": str(video),
            "thumbnail_path": str(thumb),
            "audio_path": payload.get("audio_path") or "",
            "duration_seconds": float(minutes * 60),
            "costs": [
                {"service": "rendering", "amount": f"{render_cost:.4f}"},
                {"service": "thumbnail", "amount": f"{thumb_cost:.4f}"},
            ],
        }
        if execution["duplicate"]:
            self._count(self.stats, "duplicates")
            if self.faults.dice.chance(0.5):
                # Both copies at once: two deliveries of one webhook-id race at the API.
                self.scheduler._pool.submit(self._deliver, execution, "complete", body, True)
            else:
                later = datetime.now(UTC) + timedelta(seconds=self.faults.dice.uniform(20, 120))
                self.scheduler.at(later, self._deliver, execution, "complete", body, True)
        self._deliver(execution, "complete", body, required=True)

    # --- a signed delivery with the Deliver node's retries ---------------------------------------
    def _deliver(self, execution: dict, kind: str, payload: dict, required: bool, attempt: int = 0):
        url = execution["payload"]["callbacks"][kind]
        body = json.dumps(payload, separators=(",", ":"))
        msg_id = execution["webhook_ids"][kind]
        now = datetime.now(UTC)
        signature = Webhook(self.secret).sign(msg_id=msg_id, timestamp=now, data=body)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        started = real_time()
        try:
            response = self.session.post(url, data=body.encode(), headers=headers, timeout=10)
            status = response.status_code
        except requests.RequestException:
            response, status = None, 0
        self._count(self.deliveries, f"{kind}:{status or 'network'}")
        if status and real_time() - started > 2:
            self._count(self.deliveries, f"{kind}:slow_over_2s_real")
        if 200 <= status < 300:
            if kind == "complete":
                self._count(self.stats, "completed")
            try:
                return response.json()
            except ValueError:
                return {}
        retryable = status == 0 or status == 429 or status >= 500
        if retryable and attempt < len(RETRY_WAITS):
            wait = timedelta(seconds=RETRY_WAITS[attempt])
            if kind == "cost_alert":
                # The workflow waits for this answer before rendering: retry in line.
                threading.Event().wait(wait.total_seconds() / max(1.0, self.speed))
                return self._deliver(execution, kind, payload, required, attempt + 1)
            self.scheduler.at(now + wait, self._deliver, execution, kind, payload, required, attempt + 1)
            return None
        self.truth.record(
            "n8n_delivery_given_up",
            now,
            kind=kind,
            status=status,
            video_id=execution["payload"]["video_id"],
            answer=(response.text[:200] if response is not None else ""),
        )
        return None
