"""Settings of every process of a simulated day (coordinator, web, worker, beat).

The base settings, pointed at the simulation's own PostgreSQL database and dedicated Redis, with
the providers live against the local fakes (``YTEMPIRE_SIM`` names them, written by the
coordinator). Nothing of the app's behaviour is changed except where the clock's compression must
be applied to a duration the app waits in real time (see ``cache``, and the YouTube retry backoff
below); every other duration is compared with the (simulated) clock and needs nothing.
"""

import json
import os

SIM = json.loads(os.environ["YTEMPIRE_SIM"])
os.environ["ENV_FILE"] = os.devnull  # a developer's .env must not change the simulated world
os.environ["DATABASE_URL"] = os.environ.get("YTEMPIRE_SIM_DATABASE_URL") or SIM["database_url"]
os.environ["REDIS_URL"] = SIM["redis_url"]
os.environ["CELERY_BROKER_URL"] = SIM["redis_url"]
os.environ["LOG_LEVEL"] = SIM.get("log_level", "WARNING")

from ytempire.settings.base import *  # noqa: E402,F401,F403
from ytempire.settings.base import CACHES, DATABASES  # noqa: E402

SPEED = float(SIM["speed"])
DEBUG = False
ENVIRONMENT = "simulation"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CREDENTIALS_ALLOW_DEV_KEY = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 60
for _alias, _cache in CACHES.items():
    _cache["BACKEND"] = "ytempire.ops.simulation.cache.TimeScaledRedisCache"
    _cache["KEY_PREFIX"] = f"sim:{_alias}"

# Providers: live, against the fakes the coordinator serves.
PROVIDERS_MODE = "live"
OPENAI_BASE_URL = f"{SIM['openai_url']}/v1"
OPENAI_API_KEY = "sk-simulation"
ELEVENLABS_BASE_URL = SIM["tts_url"]
ELEVENLABS_API_KEY = "el-simulation"
GOOGLE_TTS_BASE_URL = SIM["tts_url"]
GOOGLE_TTS_API_KEY = "g-simulation"
N8N_RENDER_WORKFLOW_URL = f"{SIM['n8n_url']}/webhook/ytempire-render"
N8N_API_KEY = SIM["n8n_api_key"]
N8N_WEBHOOK_SECRET = SIM["n8n_secret"]
N8N_WEBHOOK_URL = f"http://127.0.0.1:{SIM['web_port']}/api/v1/webhooks/n8n"
YOUTUBE_API_ENDPOINT = SIM["youtube_url"]
YOUTUBE_ANALYTICS_ENDPOINT = SIM["youtube_url"]  # reports.query (revenue) on the same fake
GOOGLE_OAUTH_AUTH_URI = f"{SIM['youtube_url']}o/oauth2/auth"
GOOGLE_OAUTH_TOKEN_URI = f"{SIM['youtube_url']}token"
GOOGLE_OAUTH_REVOKE_URI = f"{SIM['youtube_url']}revoke"
GOOGLE_CA_BUNDLE = SIM["ca_file"]
YOUTUBE_REDIRECT_URI = f"http://127.0.0.1:{SIM['web_port']}/api/v1/youtube/oauth/callback"
YOUTUBE_CLIENT_ID = ""
YOUTUBE_UPLOAD_CHUNK_SIZE = 256 * 1024
YOUTUBE_HTTP_TIMEOUT_SECONDS = 10
# The pool sleeps between retries in real time (time.sleep): compress its backoff like the clock.
YOUTUBE_RETRY_BASE_SECONDS = 1.0 / SPEED
YOUTUBE_RETRY_MAX_SECONDS = 60.0 / SPEED

# Estimates learn from the ledger after this many finished videos per level (production: 30).
COST_ESTIMATE_MIN_SAMPLES = int(SIM.get("estimate_min_samples", 30))

STORAGE_BASE_PATH = SIM["storage_path"]
STATIC_ROOT = os.path.join(SIM["run_dir"], "static")
FRONTEND_URL = "http://127.0.0.1:3000"

# Beat wakes often: its sleeps are real seconds, its schedules simulated ones.
CELERY_BEAT_MAX_LOOP_INTERVAL = SIM.get("beat_max_interval", 0.05)
CELERY_WORKER_SEND_TASK_EVENTS = False
