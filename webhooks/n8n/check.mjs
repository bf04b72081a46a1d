// The real-n8n check of render_workflow.json, run by check.sh (read it first; not part of `make test`).
//
// check.sh installed n8n, imported the credential and the workflow and activated it through the
// CLI. This script starts n8n, puts a small recording proxy between n8n and the API (so it can see
// every callback, lose an answer or play "API down" on purpose), triggers the workflow the way the
// API's render provider does, and reports what the API answered to each callback.
//
// Scenarios (each needs a video; the ones without one are skipped):
//   not-set-up        n8n without NODE_FUNCTION_ALLOW_BUILTIN=crypto and the key: the trigger answers 503
//   refused-request   a render request without audio_path and callbacks: n8n answers 400
//   wrong-key         n8n signs with a wrong key: progress refused 401, not retried, no render
//   happy             progress "down" (503, tolerated after its tries), cost check CONTINUE, render,
//                     completion answer lost once: retried with the same webhook-id -> duplicate
//   retry-after-fix   n8n restarted with the right key; "Retry execution" of wrong-key: fresh
//                     signature, same webhook-ids, the render runs once, the video completes
//   api-down          completion 503 on every try: the execution fails at "Deliver completion";
//                     the API comes back; "Retry execution" delivers it, the render is not re-run
//   stopped-video     a cancelled/failed video: cost check STOP, nothing rendered or completed

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';

const env = process.env;
const require = createRequire(`${env.N8N_INSTALL_DIR}/node_modules/n8n/package.json`);
const { parse: unflatten } = require('flatted');

const API = env.API_URL.replace(/\/+$/, '');
const N8N = `http://127.0.0.1:${env.N8N_PORT}`;
const VIDEOS = (env.VIDEOS || '').split(/[\s,]+/).filter(Boolean);
const STOPPED = env.STOPPED_VIDEO || '';
const RIGHT_KEY = env.N8N_WEBHOOK_SECRET;
const WRONG_KEY = `whsec_${randomBytes(24).toString('base64')}`;
const OWNER = { email: 'check@ytempire.local', firstName: 'Check', lastName: 'Sh', password: `Check-${randomBytes(6).toString('hex')}1` };
const BROWSER = 'ytempire-check';
const results = [];
let cookie = '';
let n8n = null;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const short = (value, n = 300) => {
  const text = (typeof value === 'string' ? value : JSON.stringify(value) || '').replace(/\s+/g, ' ');
  return text.length > n ? `${text.slice(0, n)}...` : text;
};
function check(scenario, what, ok, detail = '') {
  results.push({ scenario, what, ok });
  console.log(`  [${ok ? 'PASS' : 'FAIL'}] ${what}${detail ? ` -- ${detail}` : ''}`);
}

// --- the recording proxy ------------------------------------------------------------------------
// Callback URL: http://127.0.0.1:<port>/<scenario>/<mode>/<route>, forwarded to
// {API}/api/v1/webhooks/n8n/<route>. Modes: pass; lose-first (forward the first delivery of a
// webhook-id, then answer n8n 503 as if the answer was lost); down (503 without forwarding until
// the scenario is healed).
const wire = [];
const healed = new Set();
const proxy = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const [, scenario, mode, route] = req.url.split('/');
    const body = Buffer.concat(chunks);
    const entry = {
      scenario, mode, route,
      webhook_id: req.headers['webhook-id'],
      timestamp: req.headers['webhook-timestamp'],
      signatures: (req.headers['webhook-signature'] || '').split(' ').filter(Boolean).length,
      body: body.toString('utf8'),
    };
    wire.push(entry);
    const answer = (status, text) => {
      entry.to_n8n = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (mode === 'down' && !healed.has(scenario)) {
      entry.api_status = null;
      return answer(503, JSON.stringify({ detail: 'check.sh: the API is down (simulated)' }));
    }
    try {
      const response = await fetch(`${API}/api/v1/webhooks/n8n/${route}`, {
        method: 'POST',
        headers: Object.fromEntries(
          ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']
            .filter((h) => req.headers[h]).map((h) => [h, req.headers[h]]),
        ),
        body,
      });
      const text = await response.text();
      entry.api_status = response.status;
      try { entry.api_answer = JSON.parse(text); } catch { entry.api_answer = text.slice(0, 300); }
      const forwardedBefore = wire.filter((e) => e.webhook_id === entry.webhook_id && e.api_status != null).length > 1;
      if (mode === 'lose-first' && !forwardedBefore) {
        return answer(503, JSON.stringify({ detail: 'check.sh: the API answered, the answer was lost (simulated)' }));
      }
      return answer(response.status, text);
    } catch (error) {
      entry.api_status = 0;
      entry.api_answer = String(error.cause?.code || error.message);
      return answer(502, JSON.stringify({ detail: `check.sh: API unreachable: ${entry.api_answer}` }));
    }
  });
});

// --- n8n -------------------------------------------------------------------------------------------
async function startN8n(signingKey, overrides = {}) {
  const n8nEnv = {
    ...env,
    N8N_USER_FOLDER: env.N8N_USER_FOLDER,
    N8N_PORT: env.N8N_PORT,
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_SECURE_COOKIE: 'false',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
    NODE_FUNCTION_ALLOW_BUILTIN: 'crypto',
    YTEMPIRE_WEBHOOK_SIGNING_KEY: signingKey,
    EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
    EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
    ...overrides,
  };
  for (const [name, value] of Object.entries(n8nEnv)) if (value === undefined) delete n8nEnv[name];
  n8n = spawn(`${env.N8N_INSTALL_DIR}/node_modules/.bin/n8n`, ['start'], { env: n8nEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  n8n.stdout.on('data', (d) => log.push(String(d)));
  n8n.stderr.on('data', (d) => log.push(String(d)));
  n8n.log = log;
  for (let i = 0; i < 240; i++) {
    if (n8n.exitCode !== null) throw new Error(`n8n exited:\n${log.join('').slice(-3000)}`);
    try {
      // The production webhook answers 403 (wrong key) once the workflow is active, 404 before.
      const probe = await fetch(`${N8N}/webhook/ytempire-render`, { method: 'POST', headers: { 'x-n8n-api-key': 'probe' } });
      if (probe.status !== 404 && probe.status !== 502 && probe.status !== 503) return;
    } catch { /* not listening yet */ }
    await sleep(500);
  }
  throw new Error(`n8n did not register the webhook:\n${log.join('').slice(-3000)}`);
}

async function stopN8n() {
  if (!n8n || n8n.exitCode !== null) return;
  const done = new Promise((resolve) => n8n.once('exit', resolve));
  n8n.kill('SIGTERM');
  await Promise.race([done, sleep(20000)]);
  if (n8n.exitCode === null) n8n.kill('SIGKILL');
}

async function rest(method, path, body) {
  const response = await fetch(`${N8N}/rest${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'browser-id': BROWSER, cookie },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const setCookie = response.headers.get('set-cookie');
  if (setCookie && setCookie.includes('n8n-auth=')) cookie = setCookie.split(';')[0];
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: response.status, json };
}

async function login() {
  await rest('POST', '/owner/setup', OWNER); // 400 once the owner exists (second start): fine
  const answer = await rest('POST', '/login', { emailOrLdapLoginId: OWNER.email, email: OWNER.email, password: OWNER.password });
  if (answer.status !== 200) throw new Error(`login to n8n failed: ${answer.status} ${short(answer.json)}`);
}

async function execution(id) {
  for (let i = 0; i < 400; i++) {
    const answer = await rest('GET', `/executions/${id}`);
    const data = answer.json?.data;
    if (data && ['success', 'error', 'crashed', 'canceled'].includes(data.status)) {
      return { ...data, data: typeof data.data === 'string' ? unflatten(data.data) : data.data };
    }
    await sleep(500);
  }
  throw new Error(`execution ${id} did not finish`);
}

const runsOf = (exec, node) => exec.data?.resultData?.runData?.[node] || [];
const outputOf = (exec, node) => runsOf(exec, node).at(-1)?.data?.main?.[0]?.[0]?.json;
const errorOf = (exec) => ({ node: exec.data?.resultData?.lastNodeExecuted, message: exec.data?.resultData?.error?.message || '' });

async function trigger(payload, apiKey = env.N8N_API_KEY) {
  const response = await fetch(`${N8N}/webhook/ytempire-render`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-n8n-api-key': apiKey },
    body: JSON.stringify(payload),
  });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: response.status, json };
}

function renderRequest(scenario, videoId, modes = {}) {
  const url = (kind, route) => `http://127.0.0.1:${proxy.address().port}/${scenario}/${modes[kind] || 'pass'}/${route}`;
  return {
    video_id: videoId,
    title: `n8n check (${scenario})`,
    script: 'A script the placeholder render does not read.',
    audio_path: `${env.CHECK_AUDIO_DIR || '/tmp/ytempire-n8n-check/audio'}/${videoId}.mp3`,
    resolution: '1080p',
    effects: 'standard',
    thumbnail: 'standard',
    callbacks: { progress: url('progress', 'progress'), complete: url('complete', 'video-complete'), cost_alert: url('cost_alert', 'cost-alert') },
  };
}

function report(scenario) {
  for (const e of wire.filter((w) => w.scenario === scenario)) {
    const api = e.api_status === null ? 'not forwarded' : `API ${e.api_status} ${short(e.api_answer, 220)}`;
    console.log(`    ${e.route.padEnd(14)} id=${e.webhook_id} ts=${e.timestamp} sigs=${e.signatures} -> ${api}; n8n got ${e.to_n8n}`);
  }
}
const sent = (scenario, route) => wire.filter((w) => w.scenario === scenario && w.route === route);

// --- scenarios ------------------------------------------------------------------------------------
async function triggered(scenario, payload) {
  const answer = await trigger(payload);
  console.log(`  trigger -> ${answer.status} ${short(answer.json)}`);
  const id = answer.json?.executionId;
  check(scenario, 'the trigger answers 200 with the execution id', answer.status === 200 && /^\d+$/.test(String(id || '')), `executionId=${id}`);
  if (!id) return null;
  const exec = await execution(id);
  console.log(`  execution ${id}: ${exec.status}${exec.status === 'error' ? ` at "${errorOf(exec).node}": ${short(errorOf(exec).message)}` : ''}`);
  return exec;
}

async function refusedRequest() {
  const scenario = 'refused-request';
  console.log(`\n== ${scenario}`);
  const answer = await trigger({ video_id: VIDEOS[0] || 'x', title: 'no audio, no callbacks' });
  console.log(`  trigger -> ${answer.status} ${short(answer.json)}`);
  check(scenario, 'a request without audio_path and callbacks is refused with 400 naming them',
    answer.status === 400 && /audio_path/.test(JSON.stringify(answer.json)) && /callbacks\.progress/.test(JSON.stringify(answer.json)));
  const wrongKey = await trigger(renderRequest(scenario, VIDEOS[0] || 'x'), 'not-the-key');
  check(scenario, 'the trigger refuses a wrong X-N8N-API-KEY', wrongKey.status === 403 || wrongKey.status === 401, `${wrongKey.status}`);
}

async function notSetUp() {
  const scenario = 'not-set-up';
  console.log(`\n== ${scenario} (n8n started without NODE_FUNCTION_ALLOW_BUILTIN and without the signing key)`);
  const answer = await trigger(renderRequest(scenario, VIDEOS[0] || 'x'));
  console.log(`  trigger -> ${answer.status} ${short(answer.json)}`);
  const text = JSON.stringify(answer.json);
  check(scenario, 'the trigger answers 503 naming what n8n lacks (the API retries a 503 later)',
    answer.status === 503 && /NODE_FUNCTION_ALLOW_BUILTIN/.test(text) && /YTEMPIRE_WEBHOOK_SIGNING_KEY/.test(text));
  check(scenario, 'nothing was sent to the API', sent(scenario, 'progress').length === 0);
}

async function wrongKey(videoId) {
  const scenario = 'wrong-key';
  console.log(`\n== ${scenario} (video ${videoId}; n8n signs with a key the API does not know)`);
  const exec = await triggered(scenario, renderRequest(scenario, videoId));
  report(scenario);
  const progress = sent(scenario, 'progress');
  check(scenario, 'progress refused 401 and not retried', progress.length === 1 && progress[0].api_status === 401);
  check(scenario, 'the execution fails at "Deliver progress": no cost check, no render, no completion',
    exec?.status === 'error' && errorOf(exec).node === 'Deliver progress'
      && runsOf(exec, 'Render (placeholder)').length === 0 && sent(scenario, 'video-complete').length === 0);
  return exec;
}

async function happy(videoId) {
  const scenario = 'happy';
  console.log(`\n== ${scenario} (video ${videoId}; progress API down, completion answer lost once)`);
  const exec = await triggered(scenario, renderRequest(scenario, videoId, { progress: 'down', complete: 'lose-first' }));
  report(scenario);
  const progress = sent(scenario, 'progress');
  check(scenario, 'progress 503 retried (5 tries, one webhook-id, fresh timestamps) then tolerated',
    progress.length === 5 && new Set(progress.map((p) => p.webhook_id)).size === 1 && outputOf(exec, 'Deliver progress')?.delivered === false);
  const cost = sent(scenario, 'cost-alert');
  check(scenario, 'cost check answered 200 CONTINUE', cost.length === 1 && cost[0].api_status === 200 && cost[0].api_answer?.action === 'CONTINUE',
    short(cost[0]?.api_answer));
  const complete = sent(scenario, 'video-complete');
  check(scenario, 'completion applied once, its lost answer retried with the same webhook-id and answered as a duplicate',
    complete.length === 2 && complete[0].webhook_id === complete[1].webhook_id && complete[0].api_status === 200
      && complete[0].api_answer?.video_status === 'ready' && complete[1].api_status === 200 && complete[1].api_answer?.duplicate === true);
  check(scenario, 'the completion carries the audio_path of the request',
    complete.length > 0 && JSON.parse(complete[0].body).audio_path === renderRequest(scenario, videoId).audio_path);
  check(scenario, 'the execution succeeds', exec?.status === 'success');
}

async function retryAfterFix(failed, videoId) {
  const scenario = 'wrong-key'; // the callbacks of the retried execution use the original URLs
  console.log(`\n== retry-after-fix (n8n restarted with the right key; "Retry execution" of ${failed.id})`);
  const before = wire.length;
  const answer = await rest('POST', `/executions/${failed.id}/retry`, { loadWorkflow: false });
  const retriedId = answer.json?.data?.id;
  console.log(`  retry -> ${answer.status} new execution ${retriedId}`);
  const exec = retriedId ? await execution(retriedId) : null;
  for (const e of wire.slice(before)) e.scenario = 'retry-after-fix';
  report('retry-after-fix');
  const progress = sent('retry-after-fix', 'progress');
  const first = sent(scenario, 'progress')[0];
  check('retry-after-fix', 'progress re-sent with the same webhook-id, a fresh timestamp and signature: 200 applied',
    progress.length === 1 && progress[0].webhook_id === first.webhook_id && progress[0].timestamp !== first.timestamp
      && progress[0].api_status === 200 && progress[0].api_answer?.applied === true);
  const complete = sent('retry-after-fix', 'video-complete');
  check('retry-after-fix', 'the render ran once and the completion was applied (video ready)',
    runsOf(exec || {}, 'Render (placeholder)').length === 1 && complete.length === 1 && complete[0].api_answer?.video_status === 'ready');
  check('retry-after-fix', 'the retried execution succeeds', exec?.status === 'success', `video ${videoId}`);
}

async function apiDown(videoId) {
  const scenario = 'api-down';
  console.log(`\n== ${scenario} (video ${videoId}; the completion cannot reach the API)`);
  const exec = await triggered(scenario, renderRequest(scenario, videoId, { complete: 'down' }));
  const complete = sent(scenario, 'video-complete');
  check(scenario, 'completion 503 retried 5 times with one webhook-id, then the execution fails there',
    complete.length === 5 && new Set(complete.map((c) => c.webhook_id)).size === 1
      && exec?.status === 'error' && errorOf(exec).node === 'Deliver completion');
  healed.add(scenario);
  const before = wire.length;
  const answer = await rest('POST', `/executions/${exec.id}/retry`, { loadWorkflow: false });
  const retried = answer.json?.data?.id ? await execution(answer.json.data.id) : null;
  console.log(`  API back; retry -> ${answer.status} new execution ${retried?.id}: ${retried?.status}`);
  report(scenario);
  const again = wire.slice(before).filter((w) => w.route === 'video-complete');
  check(scenario, 'after "Retry execution": only the completion is sent (same webhook-id), applied; the render did not run again',
    again.length === 1 && again[0].webhook_id === complete[0].webhook_id && again[0].api_answer?.video_status === 'ready'
      && wire.slice(before).every((w) => w.route === 'video-complete') && runsOf(retried || {}, 'Render (placeholder)').length === 1
      && retried?.status === 'success');
}

async function stoppedVideo(videoId) {
  const scenario = 'stopped-video';
  console.log(`\n== ${scenario} (video ${videoId}, not processing)`);
  const exec = await triggered(scenario, renderRequest(scenario, videoId));
  report(scenario);
  const cost = sent(scenario, 'cost-alert');
  check(scenario, 'cost check answers STOP and the workflow ends without rendering or completing',
    cost.length === 1 && cost[0].api_answer?.action === 'STOP' && runsOf(exec, 'Stopped by the API').length === 1
      && runsOf(exec, 'Render (placeholder)').length === 0 && sent(scenario, 'video-complete').length === 0,
    short(cost[0]?.api_answer));
}

async function editorImport() {
  // What the editor does with "Import from file": the JSON is posted as a new workflow.
  const workflow = JSON.parse(require('node:fs').readFileSync(env.WORKFLOW_FILE, 'utf8'));
  const { id, versionId, ...imported } = workflow;
  const answer = await rest('POST', '/workflows', { ...imported, active: false, name: `${workflow.name} (editor import)` });
  check('import', 'the editor import (POST /rest/workflows) accepts the file', answer.status === 200, `${answer.status} ${answer.status === 200 ? '' : short(answer.json)}`);
  if (answer.json?.data?.id) await rest('DELETE', `/workflows/${answer.json.data.id}`);
}

async function main() {
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  console.log(`proxy on ${proxy.address().port} -> ${API}; n8n on ${N8N}`);
  let failed = null;
  try {
    await startN8n(undefined, { NODE_FUNCTION_ALLOW_BUILTIN: undefined });
    await login();
    await notSetUp();
    await stopN8n();
    console.log('\n(n8n restarted, set up, signing with a wrong key)');
    await startN8n(WRONG_KEY);
    await login();
    await editorImport();
    await refusedRequest();
    if (VIDEOS[0]) failed = await wrongKey(VIDEOS[0]);
    await stopN8n();
    console.log('\n(n8n restarted with the right signing key)');
    await startN8n(RIGHT_KEY);
    await login();
    if (VIDEOS[1]) await happy(VIDEOS[1]);
    if (failed) await retryAfterFix(failed, VIDEOS[0]);
    if (VIDEOS[2]) await apiDown(VIDEOS[2]);
    if (STOPPED) await stoppedVideo(STOPPED);
  } catch (error) {
    check('run', 'the check ran to its end', false, error.stack || String(error));
    if (n8n?.log) console.log(n8n.log.join('').slice(-4000));
  } finally {
    await stopN8n();
    proxy.close();
  }
  const failures = results.filter((r) => !r.ok);
  console.log(`\n${results.length - failures.length} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}

main();
