"""Values the harness, the seed and the bench-only views share."""

# Every seeded user's password (one PBKDF2 hash computed once and given to all of them).
BENCH_PASSWORD = "bench-Password-4-seeded-users"
EMAIL_DOMAIN = "bench.example"
# Redis keys the harness owns in its database: the cache prefixes and Celery's global_keyprefix.
REDIS_KEY_PATTERN = "bench*"
