"""Rate limits per user (minute, hour, day), stricter for anonymous callers and for auth.

One Redis round trip per request for every window: a Lua script reads the fixed-window counters
of the caller's scopes and, only if none is at its limit, increments them all (each key expires
with its window). The cost does not grow with the caller's history — DRF's SimpleRateThrottle
keeps every request's timestamp in one value and rewrites it three times per request.

Fixed windows (the minute, the hour, the day on the clock): the same limits as before, the same
429 ``{"detail": "Rate limit exceeded", "retry_after"}`` and ``Retry-After``: the seconds until the
earliest full window among those exceeded ends. Without Redis (the embedded default's local
memory cache, one process) the same counters live in the cache, checked then incremented.
"""

import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}

# KEYS: one counter per window; ARGV: limit1, ttl1, limit2, ttl2, ...
# Returns 0 when allowed (every counter incremented), else the 1-based index of the first full window.
WINDOWS_LUA = """
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[2 * i - 1]) then return i end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return 0
"""

_scripts: dict[int, object] = {}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/min" -> (60, 60): requests allowed, window in seconds."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


def _rates() -> dict:
    # Read on each request (DRF caches rates at import), so settings overrides apply.
    return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


class WindowedRateThrottle(BaseThrottle):
    """The caller's windows (``scopes``), checked and counted together in one round trip."""

    scopes: tuple[str, ...] = ()
    cache_alias = "default"

    def identity(self, request) -> str | None:
        """Whose windows these are; None: not throttled by this class."""
        raise NotImplementedError

    def scopes_for(self, request) -> tuple[str, ...]:
        return self.scopes

    def allow_request(self, request, view) -> bool:
        ident = self.identity(request)
        scopes = self.scopes_for(request)
        if ident is None or not scopes:
            return True
        now = time.time()
        rates = _rates()
        windows = []
        for scope in scopes:
            limit, period = parse_rate(rates[scope])
            start = int(now // period) * period
            windows.append((f"throttle:{scope}:{ident}:{start}", limit, period, start + period))
        full = self._check_and_count(windows)
        self._wait = None if full is None else max(1, int(windows[full][3] - now + 0.999))
        return full is None

    def wait(self):
        return self._wait

    def _check_and_count(self, windows) -> int | None:
        cache = caches[self.cache_alias]
        keys = [cache.make_key(key) for key, *_ in windows]
        client = getattr(cache, "client", None)
        if client is not None and hasattr(client, "get_client"):
            redis_client = client.get_client(write=True)
            script = _scripts.get(id(redis_client.connection_pool))
            if script is None:
                script = _scripts[id(redis_client.connection_pool)] = redis_client.register_script(WINDOWS_LUA)
            args = [value for _, limit, period, _ in windows for value in (limit, period + 1)]
            full = int(script(keys=keys, args=args, client=redis_client))
            return None if full == 0 else full - 1
        # Local memory (one process, the embedded default): check, then count.
        for index, (key, limit, _period, _end) in enumerate(windows):
            if (cache.get(key) or 0) >= limit:
                return index
        for key, _limit, period, _end in windows:
            if not cache.add(key, 1, timeout=period + 1):
                cache.incr(key)
        return None


class UserRateThrottle(WindowedRateThrottle):
    """An authenticated caller: per minute, hour and day, by user id."""

    scopes = ("user_minute", "user_hour", "user_day")

    def identity(self, request):
        user = getattr(request, "user", None)
        return f"user:{user.pk}" if user is not None and user.is_authenticated else None


class AnonMinuteThrottle(WindowedRateThrottle):
    """An anonymous caller: per minute, by client address."""

    scopes = ("anon_minute",)

    def identity(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        return f"anon:{self.get_ident(request)}"


class AuthEndpointThrottle(WindowedRateThrottle):
    """Login and register: per client address, whoever the caller claims to be."""

    scopes = ("auth",)

    def identity(self, request):
        return f"auth:{self.get_ident(request)}"
