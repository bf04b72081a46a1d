"""The faults of a simulated day: what happens, when, and the log of what did happen.

Two kinds of time, on purpose:
- world faults happen at a simulated time (an account revoked mid-day, a project's quota gone
  early) and per request (a provider's 5xx or timeout, an N8N callback that never comes or comes
  twice), decided by one seeded random source, so a seed replays the same decisions in the same
  order of requests;
- process faults happen at a real time (SIGKILL of the worker every N seconds, Redis down for N
  seconds): processes, their sockets and their retry loops live in real time.
"""

import random
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from .clock import real_time


@dataclass(frozen=True)
class FaultConfig:
    transient_error_rate: float = 0.05
    revoke_accounts: int = 1
    exhaust_project: bool = True
    upload_cap_surprise: bool = True
    surprise_cap: int | None = None  # the surprised channel's real cap; None: chosen for the window
    kill_worker_every: float | None = 120.0  # real seconds
    redis_outage: float | None = 30.0  # real seconds
    redis_outage_at: float = 0.45  # when, as a share of the window's real length
    n8n_silence_rate: float = 0.02
    n8n_duplicate_rate: float = 0.05
    every_fault_once: bool = True  # the first chance of each per-request fault takes it, then the rates


class Dice:
    """One seeded random source shared by every fake (thread-safe)."""

    def __init__(self, seed: int):
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def chance(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self._lock:
            return self._random.random() < probability

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self._random.uniform(low, high)

    def gauss(self, mu: float, sigma: float) -> float:
        with self._lock:
            return self._random.gauss(mu, sigma)

    def choice(self, items):
        with self._lock:
            return self._random.choice(items)


class Faults:
    """Per-request decisions of the fakes, counted by provider and kind."""

    def __init__(self, config: FaultConfig, dice: Dice):
        self.config = config
        self.dice = dice
        self.counts: dict[str, int] = {}
        self._forced: set[str] = set()
        self._lock = threading.Lock()
        self.active = False  # the harness switches the world's faults on when the clock starts

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def _first(self, key: str, rate: float) -> bool:
        """With every_fault_once, the first chance of a fault (with a rate above 0) takes it."""
        if not self.active or not self.config.every_fault_once or rate <= 0:
            return False
        with self._lock:
            if key in self._forced:
                return False
            self._forced.add(key)
            return True

    def transient(self, provider: str) -> str | None:
        """None, "error" (a 5xx or 429 with the provider's body) or "timeout" (no answer: the
        connection is dropped after a short wait). Half of the transient faults are each."""
        rate = self.config.transient_error_rate if self.active else 0
        if self._first(f"{provider}:error", rate):
            kind = "error"
        elif self._first(f"{provider}:timeout", rate):
            kind = "timeout"
        elif self.dice.chance(rate):
            kind = "error" if self.dice.chance(0.5) else "timeout"
        else:
            return None
        self.count(f"{provider}:{kind}")
        return kind

    def n8n_silent(self) -> bool:
        rate = self.config.n8n_silence_rate if self.active else 0
        silent = self._first("n8n:silence", rate) or self.dice.chance(rate)
        if silent:
            self.count("n8n:silence")
        return silent

    def n8n_duplicate(self) -> bool:
        rate = self.config.n8n_duplicate_rate if self.active else 0
        duplicate = self._first("n8n:duplicate", rate) or self.dice.chance(rate)
        if duplicate:
            self.count("n8n:duplicate")
        return duplicate

    def final_chunk_answer_lost(self) -> bool:
        rate = self.config.transient_error_rate / 2 if self.active else 0
        lost = self._first("youtube:final_chunk_answer_lost", rate) or self.dice.chance(rate)
        if lost:
            self.count("youtube:final_chunk_answer_lost")
        return lost


@dataclass
class TruthEvent:
    kind: str
    sim_at: str
    real_at: float
    detail: dict = field(default_factory=dict)


class TruthLog:
    """What really happened in the world (the fakes' side), for the report."""

    def __init__(self):
        self.events: list[TruthEvent] = []
        self._lock = threading.Lock()

    def record(self, kind: str, sim_at: datetime, **detail) -> None:
        with self._lock:
            self.events.append(TruthEvent(kind, sim_at.isoformat(), real_time(), detail))

    def of(self, kind: str) -> list[TruthEvent]:
        with self._lock:
            return [event for event in self.events if event.kind == kind]

    def as_dicts(self, *, exclude: tuple[str, ...] = ()) -> list[dict]:
        with self._lock:
            return [asdict(event) for event in self.events if event.kind not in exclude]


@dataclass(frozen=True)
class WorldSchedule:
    """When the world faults happen, in simulated time."""

    revoke_at: list[datetime]
    exhaust_at: datetime | None
    day_end: datetime


def world_schedule(*, config: FaultConfig, start: datetime, end: datetime, pacific_midnight: datetime) -> WorldSchedule:
    """Revocations spread over the middle of the window; the project's quota gone early, before the
    Pacific midnight inside the window, so its reset is seen."""
    span = end - start
    revoke_at = [
        start + span * (0.45 + 0.3 * index / max(1, config.revoke_accounts)) for index in range(config.revoke_accounts)
    ]
    exhaust_at = None
    if config.exhaust_project:
        exhaust_at = min(start + span / 16, pacific_midnight - timedelta(minutes=10))
        exhaust_at = max(exhaust_at, start + timedelta(minutes=1))
    return WorldSchedule(revoke_at=revoke_at, exhaust_at=exhaust_at, day_end=end)
