"""Open-loop load at a fixed rate, timed from when each request was DUE (no coordinated omission).

Request i is due at ``start + i / rate`` whatever happened to the others: it is sent on its own
connection at that moment (never waiting for an earlier response or a free connection), and its
latency runs from the due time to the last byte of the response. A server stall therefore shows
up in every request that fell due during it, as a user would see it, instead of being hidden by a
client that waits before sending the next request (closed-loop tools such as wrk or ab do).

If the generator itself falls behind (its own CPU starved), the lateness counts against the
latency too, and is reported separately as ``send_lag`` so it can be told apart. Requests still
unanswered ``drain_seconds`` after the last one was due are reported as ``unanswered``: their
latency is at least their wait so far, and the percentiles count them at that lower bound
(``saturated``: the server cannot sustain the rate).
"""

from __future__ import annotations

import asyncio
import math
import resource
from collections.abc import Callable
from dataclasses import dataclass, field

from .http import parse_response


@dataclass
class OpenLoopResult:
    rate: float
    seconds: float
    sent: int
    ok: int
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    unanswered: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    send_lag_p99_ms: float = 0.0
    bad_examples: list[str] = field(default_factory=list)

    @property
    def saturated(self) -> bool:
        return self.unanswered > 0

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def as_dict(self) -> dict:
        return {
            "rate": self.rate,
            "seconds": self.seconds,
            "sent": self.sent,
            "ok": self.ok,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "unanswered": self.unanswered,
            "saturated": self.saturated,
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "send_lag_p99_ms": round(self.send_lag_p99_ms, 2),
        }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


async def _run(host, port, make: Callable[[int], bytes], rate: float, seconds: float, drain: float) -> OpenLoopResult:
    loop = asyncio.get_running_loop()
    total = max(1, int(round(rate * seconds)))
    start = loop.time() + 0.2
    latencies: list[float | None] = [None] * total
    lags: list[float] = [0.0] * total
    result = OpenLoopResult(rate=rate, seconds=seconds, sent=total, ok=0)

    async def one(i: int) -> None:
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        raw = make(i)  # built at send time: webhook signatures get a fresh timestamp
        lags[i] = loop.time() - due
        writer = None
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(raw)
            await writer.drain()
            response = parse_response(await _read_all(reader))
            latencies[i] = loop.time() - due
            result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
            if 200 <= response.status < 300:
                result.ok += 1
            elif len(result.bad_examples) < 3:
                result.bad_examples.append(f"{response.status}: {response.body[:300]!r}")
        except (OSError, asyncio.IncompleteReadError) as exc:
            name = exc.__class__.__name__
            result.errors[name] = result.errors.get(name, 0) + 1
            latencies[i] = loop.time() - due
        finally:
            if writer is not None:
                writer.close()

    tasks = [asyncio.create_task(one(i)) for i in range(total)]
    deadline = start + total / rate + drain
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
    now = loop.time()
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    waited: list[float] = []
    for i, latency in enumerate(latencies):
        if latency is None:
            result.unanswered += 1
            waited.append(max(0.0, now - (start + i / rate)))  # at least this long
        else:
            waited.append(latency)
    waited.sort()
    result.p50_ms = percentile(waited, 50) * 1000
    result.p95_ms = percentile(waited, 95) * 1000
    result.p99_ms = percentile(waited, 99) * 1000
    result.max_ms = waited[-1] * 1000
    result.send_lag_p99_ms = percentile(sorted(lags), 99) * 1000
    return result


def open_loop(
    host: str, port: int, make: Callable[[int], bytes], *, rate: float, seconds: float, drain: float = 30.0
) -> OpenLoopResult:
    """Send ``rate * seconds`` requests at a constant rate; ``make(i)`` builds request i's bytes."""
    raise_fd_limit()
    return asyncio.run(_run(host, port, make, rate, seconds, drain))
