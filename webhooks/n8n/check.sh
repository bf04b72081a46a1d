#!/usr/bin/env bash
# Check render_workflow.json against a real n8n and a running API. NOT part of `make test`: it
# downloads n8n (~1.7 GB in node_modules) from the npm registry and takes a few minutes.
#
#   webhooks/n8n/check.sh API_URL [VIDEO_ID...]
#
#   API_URL              the running API, e.g. http://127.0.0.1:8123 (or API_URL in the environment)
#   VIDEO_ID...          up to three videos in `processing` (each is rendered by the placeholder and
#                        ends `ready`); VIDEOS="a b c" works too. Fewer ids run fewer scenarios.
#   STOPPED_VIDEO        optional: a cancelled or failed video (the cost check must answer STOP)
#   N8N_WEBHOOK_SECRET   required: the API's secret (whsec_...); n8n signs with it
#   N8N_VERSION          n8n to install (default 1.123.50). 1.123.66 and later patches pull
#                        isolated-vm 6, which does not build on Node 20. 1.123.0 imports the file
#                        (it is the release whose import needs `versionId`) but cannot activate a
#                        CLI-imported workflow at all: its import writes no workflow_history row,
#                        so `update:workflow --active=true` fails with a FOREIGN KEY error.
#   N8N_RUNNERS_ENABLED  passed to n8n: true runs the Code nodes in task runners (n8n 2.x default)
#   N8N_INSTALL_DIR      reuse an install there (installed into it when empty); default: a temp dir
#   N8N_PORT             default 5688
#
# It installs n8n into a temporary folder (npm `overrides` pins xlsx to 0.18.5 from the registry:
# n8n's own dependency points at a tarball outside it), imports the trigger's credential and the
# workflow through the CLI (`import:credentials`, `import:workflow`), activates it
# (`update:workflow --active=true`), then runs check.mjs: it starts n8n, triggers the workflow and
# reports every callback and what the API answered. Exit status 0 when every check passed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
API_URL="${1:-${API_URL:-}}"
[ $# -gt 0 ] && shift
VIDEOS="${*:-${VIDEOS:-}}"
: "${API_URL:?usage: check.sh API_URL [VIDEO_ID...] (N8N_WEBHOOK_SECRET must be set)}"
: "${N8N_WEBHOOK_SECRET:?set N8N_WEBHOOK_SECRET to the whsec_ secret of the API}"
N8N_VERSION="${N8N_VERSION:-1.123.50}"
N8N_PORT="${N8N_PORT:-5688}"
N8N_API_KEY="${N8N_API_KEY:-check-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

if [ -z "${N8N_INSTALL_DIR:-}" ]; then
  N8N_INSTALL_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ytempire-n8n-check.XXXXXX")"
  REMOVE_INSTALL=1
fi
mkdir -p "$N8N_INSTALL_DIR"
# A fresh n8n home (SQLite database) for every run.
export N8N_USER_FOLDER="$N8N_INSTALL_DIR/home-$$"
trap 'rm -rf "$N8N_USER_FOLDER"; [ -z "${REMOVE_INSTALL:-}" ] || rm -rf "$N8N_INSTALL_DIR"' EXIT
N8N="$N8N_INSTALL_DIR/node_modules/.bin/n8n"

echo "node $(node --version); n8n in $N8N_INSTALL_DIR"
if [ ! -x "$N8N" ]; then
  cat > "$N8N_INSTALL_DIR/package.json" <<JSON
{"name": "ytempire-n8n-check", "private": true,
 "dependencies": {"n8n": "$N8N_VERSION"},
 "overrides": {"xlsx": "0.18.5"}}
JSON
  echo "installing n8n $N8N_VERSION from the npm registry (a few minutes)..."
  (cd "$N8N_INSTALL_DIR" && npm install --no-audit --no-fund --loglevel=error)
fi
echo "installed: n8n $("$N8N" --version)"

export N8N_DIAGNOSTICS_ENABLED=false N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false
mkdir -p "$N8N_USER_FOLDER"

# The trigger's Header Auth credential, with the name the workflow refers to (import links by name).
cat > "$N8N_USER_FOLDER/credential.json" <<JSON
[{"id": "YtempireApiKey01", "name": "YTEMPIRE API key (X-N8N-API-KEY = N8N_API_KEY)",
  "type": "httpHeaderAuth", "data": {"name": "X-N8N-API-KEY", "value": "$N8N_API_KEY"}}]
JSON
WORKFLOW_ID="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).id)' "$HERE/render_workflow.json")"

run() { echo "\$ n8n $*"; "$N8N" "$@" 2>&1 | grep -v -e '^Starting migration' -e '^Finished migration' -e 'migrations' || true; }
run import:credentials --input="$N8N_USER_FOLDER/credential.json"
out="$("$N8N" import:workflow --input="$HERE/render_workflow.json" 2>&1 || true)"
echo "\$ n8n import:workflow --input=render_workflow.json"; echo "$out" | grep -v -e 'migration' | tail -3
echo "$out" | grep -q "Successfully imported 1 workflow" || { echo "FAIL: import:workflow"; exit 1; }
run update:workflow --id="$WORKFLOW_ID" --active=true
active="$("$N8N" list:workflow --active=true 2>/dev/null || true)"
echo "\$ n8n list:workflow --active=true"; echo "$active"
echo "$active" | grep -q "^$WORKFLOW_ID|" || {
  echo "FAIL: the workflow is not active after update:workflow (n8n 1.123.0 cannot activate a CLI import; use N8N_VERSION=1.123.50)"
  exit 1
}

echo "running the scenarios against $API_URL"
API_URL="$API_URL" VIDEOS="$VIDEOS" N8N_API_KEY="$N8N_API_KEY" N8N_PORT="$N8N_PORT" \
  N8N_INSTALL_DIR="$N8N_INSTALL_DIR" WORKFLOW_FILE="$HERE/render_workflow.json" \
  node "$HERE/check.mjs"
