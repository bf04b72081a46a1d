"""The Redis cache of a simulated day, with key lifetimes compressed like the clock.

Redis expires keys in real time, but the app gives lifetimes in its own (simulated) seconds: the
per-video pipeline lock lives CELERY_TASK_TIME_LIMIT + 60 = 960 s so that a SIGKILLed worker's
video is free again before the sweeper looks at it 15 minutes later. At 288x those 960 s would be
3.2 simulated days, and every killed video would look lost. This backend divides each lifetime by
the simulation's speed (never below MIN_SECONDS of real time), so a lifetime means the same thing
in the simulated world. Only the simulation's settings use it.
"""

import json
import os

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache

MIN_SECONDS = 2.0


def _speed() -> float:
    raw = os.environ.get("YTEMPIRE_SIM")
    return float(json.loads(raw).get("speed") or 1.0) if raw else 1.0


class TimeScaledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._speed = max(1.0, _speed())

    def _scaled(self, timeout):
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if hasattr(timeout, "total_seconds"):
            timeout = timeout.total_seconds()
        if timeout is None or timeout <= 0:
            return timeout
        return min(float(timeout), max(MIN_SECONDS, float(timeout) / self._speed))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, *args, **kwargs):
        return super().set(key, value, self._scaled(timeout), *args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, *args, **kwargs):
        return super().add(key, value, self._scaled(timeout), *args, **kwargs)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, *args, **kwargs):
        return super().set_many(data, self._scaled(timeout), *args, **kwargs)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, *args, **kwargs):
        return super().touch(key, self._scaled(timeout), *args, **kwargs)

    def expire(self, key, timeout, *args, **kwargs):
        return super().expire(key, self._scaled(timeout), *args, **kwargs)
