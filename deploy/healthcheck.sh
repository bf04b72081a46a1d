#!/bin/sh
# Health check for the one image that runs the web process, the Celery worker and beat.
#
#   deploy/healthcheck.sh web      GET /health on gunicorn (Host: the first ALLOWED_HOSTS entry,
#                                  so production's host validation does not answer 400)
#   deploy/healthcheck.sh worker   `celery inspect ping` to this container's worker node
#                                  (celery@$HOSTNAME): the worker is connected to the broker
#                                  and its consumer answers.
#   deploy/healthcheck.sh beat     `celery inspect ping` to this container's beat node
#                                  (celerybeat@$HOSTNAME); beat must run with
#                                  --enable-remote-control. Beat stops answering once its
#                                  scheduler loop has not ticked for 60 s, so a hung beat
#                                  is reported, not only a dead one.
#   deploy/healthcheck.sh [auto]   picks one of the above from PID 1's command line
#                                  (the image's HEALTHCHECK uses this).
#
# Exit 0: healthy; anything else: unhealthy (Docker only looks at zero / non-zero).
set -eu
cd "$(dirname "$0")/.."

role="${1:-auto}"
if [ "$role" = auto ]; then
  cmdline=$(tr '\000' ' ' </proc/1/cmdline 2>/dev/null || true)
  case "$cmdline" in
    *celery*" worker"*) role=worker ;;
    *celery*" beat"*) role=beat ;;
    *) role=web ;;
  esac
fi

# Celery's default node names use the host name, which Docker also exports as HOSTNAME.
node_host="${HOSTNAME:-$(uname -n)}"
timeout="${HEALTHCHECK_TIMEOUT_SECONDS:-10}"

case "$role" in
  web)
    host=$(printf '%s' "${ALLOWED_HOSTS:-localhost}" | cut -d, -f1 | sed -e 's/^ *//' -e 's/ *$//' -e 's/^\.//')
    [ -n "$host" ] && [ "$host" != "*" ] || host=localhost
    exec curl -fsS -o /dev/null --max-time "$timeout" -H "Host: $host" http://127.0.0.1:8000/health
    ;;
  worker)
    exec celery -A ytempire inspect ping --destination "${CELERY_WORKER_NODE:-celery@$node_host}" \
      --timeout "$timeout"
    ;;
  beat)
    exec celery -A ytempire inspect ping --destination "${CELERY_BEAT_NODE:-celerybeat@$node_host}" \
      --timeout "$timeout"
    ;;
  *)
    echo "usage: $0 [web|worker|beat|auto]" >&2
    exit 2
    ;;
esac
