"""One simulated clock for every process of a simulated day.

The coordinator owns the clock: a small JSON value ``{"sim_epoch", "real_epoch", "speed"}`` in the
simulation's dedicated Redis (and mirrored in a file of the run folder, for a process that starts
while Redis is down). Simulated now = ``sim_epoch + (real_now - real_epoch) * speed``; speed 0 is a
paused clock. Every process follows it with time-machine: ``time_machine.travel(now, tick=True)``
and a daemon thread that moves the traveller to the clock's value every few milliseconds
(``traveller.move_to``), while a second thread re-reads the value from Redis. Between two moves
time ticks at the real rate, so the lag behind the clock is at most the move interval times the
speed (10 ms x 288 = 3 simulated seconds), and time never goes backwards while the clock runs.

What time-machine patches (``time.time``, ``datetime.now``, ``timezone.now``...) follows the
clock; ``time.monotonic`` and ``time.sleep`` stay real, which is what timeouts and polling loops
need. The real time is read through ``time_machine.escape_hatch``.
"""

import contextlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import time_machine

REDIS_KEY = "simulation:clock"
MOVE_EVERY = 0.01  # real seconds between two moves of the traveller
READ_EVERY = 0.25  # real seconds between two reads of the clock from Redis


def real_time() -> float:
    """The real wall-clock time, also while time-machine travels."""
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.time.time()
    return time.time()


@dataclass(frozen=True)
class ClockState:
    sim_epoch: float
    real_epoch: float
    speed: float

    def at(self, real_now: float | None = None) -> float:
        real_now = real_time() if real_now is None else real_now
        return self.sim_epoch + (real_now - self.real_epoch) * self.speed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.at(), tz=UTC)

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: str | bytes) -> "ClockState":
        return cls(**json.loads(raw))


class ClockStore:
    """Where the clock lives: the dedicated Redis, mirrored in a file (atomic rename)."""

    def __init__(self, *, redis_url: str, path: str):
        import redis  # the sim's Redis client, short timeouts: a reader never blocks on an outage

        self.path = path
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=0.2, socket_connect_timeout=0.2)

    def write(self, state: ClockState) -> None:
        tmp = f"{self.path}.tmp"
        with open(tmp, "w") as fh:
            fh.write(state.dumps())
        os.replace(tmp, self.path)
        with contextlib.suppress(Exception):  # during an outage the file is the source
            self.redis.set(REDIS_KEY, state.dumps())

    def read(self) -> ClockState:
        with contextlib.suppress(Exception):  # Redis is down: the file has the same value
            raw = self.redis.get(REDIS_KEY)
            if raw:
                return ClockState.loads(raw)
        with open(self.path) as fh:
            return ClockState.loads(fh.read())


class SimClock:
    """The coordinator's side: start paused at ``start``, run at ``speed``, pause, read."""

    def __init__(self, store: ClockStore, *, start: datetime, speed: float):
        self.store = store
        self.speed = speed
        self.state = ClockState(sim_epoch=start.timestamp(), real_epoch=real_time(), speed=0.0)
        self.store.write(self.state)

    def now(self) -> datetime:
        return self.state.now()

    def run(self) -> None:
        self._set(self.speed)

    def pause(self) -> None:
        self._set(0.0)

    def _set(self, speed: float) -> None:
        real = real_time()
        self.state = ClockState(sim_epoch=self.state.at(real), real_epoch=real, speed=speed)
        self.store.write(self.state)

    def refresh(self) -> None:
        """Re-publish the value (after Redis came back from an outage, it may have lost it)."""
        self.store.write(self.state)


class Follower:
    """A process's side: travel to the clock's value and keep following it."""

    def __init__(self, store: ClockStore, state: ClockState | None = None):
        self.store = store
        self.state = state or store.read()
        self.traveller = None
        self._stop = threading.Event()

    def start(self) -> "Follower":
        self.traveller = time_machine.travel(self.state.at(), tick=True).start()
        self.start_threads()
        return self

    def start_threads(self) -> None:
        """The two daemon threads; call again in a forked child (threads do not survive fork)."""
        self._stop = threading.Event()
        threading.Thread(target=self._move_loop, name="sim-clock-move", daemon=True).start()
        threading.Thread(target=self._read_loop, name="sim-clock-read", daemon=True).start()

    def _move_loop(self) -> None:
        while not self._stop.is_set():
            target = self.state.at()
            if self.state.speed or abs(time.time() - target) > 0.5:
                self.traveller.move_to(target, tick=bool(self.state.speed))
            self._stop.wait(MOVE_EVERY)

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # keep the last value
                self.state = self.store.read()
            self._stop.wait(READ_EVERY)

    def stop(self) -> None:
        self._stop.set()


def follow_from_environment() -> Follower:
    """Follow the clock named by the simulation's environment (YTEMPIRE_SIM)."""
    config = json.loads(os.environ["YTEMPIRE_SIM"])
    store = ClockStore(redis_url=config["redis_url"], path=config["clock_file"])
    return Follower(store).start()
