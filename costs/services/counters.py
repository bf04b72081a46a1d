"""Redis counters (the fast path): recorded and reserved micro-dollars per video, day and month.

Every check-and-take is one Lua script, so concurrent reservations cannot together pass a
limit. Each counter is a hash {recorded, reserved, ready}; a counter without ``ready`` is
unknown (flushed, evicted, never built) and is initialised from the database before use.
Holds live in a hash per hold plus a sorted set scored by expiry, and expired holds are
swept inside the same scripts, so a dead worker's money is released after its TTL.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.core.cache import caches
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

COUNTERS_ALIAS = "counters"
VIDEO_KEY_TTL = 40 * 24 * 3600
DAY_KEY_TTL = 40 * 24 * 3600
MONTH_KEY_TTL = 400 * 24 * 3600

_SWEEP = """
local function sweep(zkey, prefix, now)
  local expired = redis.call('ZRANGEBYSCORE', zkey, '-inf', now, 'LIMIT', 0, 500)
  for _, id in ipairs(expired) do
    local hk = prefix .. id
    local h = redis.call('HMGET', hk, 'amount', 'video', 'day', 'month')
    if h[1] then
      for i = 2, 4 do
        if h[i] and redis.call('HEXISTS', h[i], 'ready') == 1 then
          redis.call('HINCRBY', h[i], 'reserved', -tonumber(h[1]))
        end
      end
      redis.call('DEL', hk)
    end
    redis.call('ZREM', zkey, id)
  end
  return #expired
end
"""

# KEYS: video, day, month, holds zset, hold hash
# ARGV: amount, video limit, day limit, month limit, now ms, expires ms, hold id, hold prefix,
#       video ttl, day ttl, month ttl
# Returns {1} granted, {0, which, current} refused, {-1, which} counter not ready.
RESERVE_LUA = (
    _SWEEP
    + """
sweep(KEYS[4], ARGV[8], ARGV[5])
for i = 1, 3 do
  if redis.call('HEXISTS', KEYS[i], 'ready') == 0 then return {-1, i} end
end
local amount = tonumber(ARGV[1])
for i = 1, 3 do
  local v = redis.call('HMGET', KEYS[i], 'recorded', 'reserved')
  local current = tonumber(v[1] or '0') + tonumber(v[2] or '0')
  if current + amount > tonumber(ARGV[i + 1]) then return {0, i, current} end
end
for i = 1, 3 do
  redis.call('HINCRBY', KEYS[i], 'reserved', ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[8 + i])
end
redis.call('HSET', KEYS[5], 'amount', ARGV[1], 'video', KEYS[1], 'day', KEYS[2], 'month', KEYS[3])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
return {1}
"""
)

# KEYS: video, day, month (of the charge), holds zset, hold hash
# ARGV: recorded amount (0 to only release), hold id, now ms, hold prefix
SETTLE_LUA = (
    _SWEEP
    + """
sweep(KEYS[3 + 1], ARGV[4], ARGV[3])
local h = redis.call('HMGET', KEYS[5], 'amount', 'video', 'day', 'month')
local released = 0
if h[1] then
  for i = 2, 4 do
    if h[i] and redis.call('HEXISTS', h[i], 'ready') == 1 then
      redis.call('HINCRBY', h[i], 'reserved', -tonumber(h[1]))
    end
  end
  redis.call('DEL', KEYS[5])
  redis.call('ZREM', KEYS[4], ARGV[2])
  released = tonumber(h[1])
end
if tonumber(ARGV[1]) ~= 0 then
  for i = 1, 3 do
    if redis.call('HEXISTS', KEYS[i], 'ready') == 1 then
      redis.call('HINCRBY', KEYS[i], 'recorded', ARGV[1])
    end
  end
end
return released
"""
)

# KEYS: counter ; ARGV: recorded, reserved, ttl. Only initialises an unknown counter.
INIT_LUA = """
if redis.call('HEXISTS', KEYS[1], 'ready') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'recorded', ARGV[1], 'reserved', ARGV[2], 'ready', 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: holds zset ; ARGV: now ms, hold prefix
SWEEP_LUA = _SWEEP + "\nreturn sweep(KEYS[1], ARGV[2], ARGV[1])\n"

# KEYS: holds zset ; ARGV: hold prefix, then (key, recorded, reserved, ttl) * n, '--', then
# (hold id, amount, video key, day key, month key, expires ms) * m.
# Replaces the given counters and every hold with the database's view, atomically.
REBUILD_LUA = """
local zkey = KEYS[1]
local prefix = ARGV[1]
for _, id in ipairs(redis.call('ZRANGE', zkey, 0, -1)) do redis.call('DEL', prefix .. id) end
redis.call('DEL', zkey)
local i = 2
while ARGV[i] ~= '--' do
  redis.call('DEL', ARGV[i])
  redis.call('HSET', ARGV[i], 'recorded', ARGV[i + 1], 'reserved', ARGV[i + 2], 'ready', 1)
  redis.call('EXPIRE', ARGV[i], ARGV[i + 3])
  i = i + 4
end
i = i + 1
local holds = 0
while ARGV[i] do
  redis.call('HSET', prefix .. ARGV[i], 'amount', ARGV[i + 1], 'video', ARGV[i + 2], 'day', ARGV[i + 3],
    'month', ARGV[i + 4])
  redis.call('ZADD', zkey, ARGV[i + 5], ARGV[i])
  holds = holds + 1
  i = i + 6
end
return holds
"""


class CountersUnavailableError(Exception):
    """Redis is not configured for the counters alias, or cannot be reached."""


@dataclass(frozen=True)
class Counter:
    recorded: int
    reserved: int

    @property
    def total(self) -> int:
        return self.recorded + self.reserved


_scripts: dict[int, dict[str, object]] = {}


def _cache():
    return caches[COUNTERS_ALIAS]


def redis_configured() -> bool:
    return "django_redis" in type(_cache()).__module__


def client():
    """The raw redis-py client of the counters alias (raises CountersUnavailableError)."""
    if not redis_configured():
        raise CountersUnavailableError("counters cache is not Redis")
    return _cache().client.get_client(write=True)


def _script(name: str):
    redis_client = client()
    per_client = _scripts.setdefault(id(redis_client.connection_pool), {})
    if name not in per_client:
        source = {
            "reserve": RESERVE_LUA,
            "settle": SETTLE_LUA,
            "init": INIT_LUA,
            "sweep": SWEEP_LUA,
            "rebuild": REBUILD_LUA,
        }[name]
        per_client[name] = redis_client.register_script(source)
    return per_client[name], redis_client


def run(name: str, *, keys: list[str], args: list) -> object:
    """Run one of the scripts; any Redis failure becomes CountersUnavailableError."""
    try:
        script, redis_client = _script(name)
        return script(keys=keys, args=args, client=redis_client)
    except RedisError as exc:
        raise CountersUnavailableError(f"redis: {exc.__class__.__name__}") from exc


def key(name: str) -> str:
    return _cache().make_key(name)


def video_key(video_id) -> str:
    return key(f"cost:video:{video_id}")


def day_key(day: date) -> str:
    return key(f"cost:day:{day.isoformat()}")


def month_key(day: date) -> str:
    return key(f"cost:month:{day:%Y-%m}")


def holds_key() -> str:
    return key("cost:holds")


def hold_prefix() -> str:
    return key("cost:hold:")


def hold_key(hold_id) -> str:
    return f"{hold_prefix()}{hold_id}"


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def ping() -> None:
    try:
        client().ping()
    except RedisError as exc:
        raise CountersUnavailableError(f"redis: {exc.__class__.__name__}") from exc


def read(counter_key: str) -> Counter | None:
    """The counter's values, or None when it is not ready (unknown)."""
    try:
        values = client().hmget(counter_key, "recorded", "reserved", "ready")
    except RedisError as exc:
        raise CountersUnavailableError(f"redis: {exc.__class__.__name__}") from exc
    if values[2] is None:
        return None
    return Counter(recorded=int(values[0] or 0), reserved=int(values[1] or 0))


def delete_all() -> None:
    """Forget every cost counter and hold (the next use initialises them from the database)."""
    try:
        _cache().delete_pattern("cost:*")
    except RedisError as exc:
        raise CountersUnavailableError(f"redis: {exc.__class__.__name__}") from exc
