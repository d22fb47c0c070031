/**
 * Secrets never in logs or answers: a real `aiopsd serve` process (log level trace) configured with canary
 * secrets — the PostgreSQL password in the database URL, the Slack bot token and signing secret, the audit
 * checkpoint key, API / remote_write / Alertmanager tokens, a webhook HMAC secret — is driven through
 * startup, ingest, a decision posted to Slack and a webhook, API reads, bad requests and shutdown; plus
 * `config check`, `audit verify` and a startup that fails on an unreachable database. Every byte of
 * stdout/stderr of every process and every HTTP answer is searched for every canary.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sha256Hex } from '../../src/auth/authenticator.js';
import { startK8sApiServer, type K8sApiServer } from '../../src/sandbox/k8s-api-server.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { dropSchema, postgresAvailable, REDIS_URL, REPO_ROOT, tempDir, TEST_DATABASE_URL, uniqueName } from '../support/env.js';
import { runCli } from '../support/cli.js';
import { remoteWriteBody, REMOTE_WRITE_HEADERS, spikeSeries } from '../support/remote-write.js';
import { freePort, until } from '../chaos/helpers.js';

const pgUp = await postgresAvailable();
const CANARY = {
  dbPassword: 'CanaryDbPw7Q2x',
  slackBot: 'xoxb-canary-bot-9f8e7d6c5b4a',
  slackSigning: 'canary-signing-secret-31415926',
  checkpointKey: 'canary-checkpoint-key-27182818',
  apiToken: 'canary-api-token-16180339',
  remoteWriteToken: 'canary-rw-token-14142135',
  amToken: 'canary-am-token-17320508',
  webhookSecret: 'canary-webhook-secret-22360679',
};

describe.skipIf(!pgUp)('secrets never in logs or HTTP answers (canaries)', () => {
  const tmp = tempDir('aiopsd-sec-secrets-');
  const schema = uniqueName('secrets');
  const captured: Array<{ where: string; text: string }> = [];
  let k8s: K8sApiServer;
  let slack: FakeSlack;
  let hook: Server;
  let hookBodies = 0;
  let configFile = '';
  let dbUrl = '';

  beforeAll(async () => {
    k8s = await startK8sApiServer({ token: null });
    k8s.seed({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'checkout', namespace: 'shop' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' }, minReplicas: 2, maxReplicas: 10 } });
    slack = await startFakeSlack();
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hookBodies++;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const u = new URL(TEST_DATABASE_URL);
    u.password = CANARY.dbPassword; // the test server trusts loopback: the password is carried, not checked
    dbUrl = u.toString();
    const policyFile = path.join(tmp.dir, 'policy.yaml');
    writeFileSync(policyFile, stringify({ dryRun: false, rules: [{ name: 'scale-checkout', when: { metric: 'http_request_duration_seconds', 'score>=': 0.9 }, action: { type: 'scale-hpa', target: { namespace: 'shop', name: '${service}' }, params: { minReplicas: 6 } }, approval: { required: true } }] }));
    configFile = path.join(tmp.dir, 'aiopsd.yaml');
    writeFileSync(
      configFile,
      stringify({
        dataDir: path.join(tmp.dir, 'data'),
        server: { host: '127.0.0.1', port: await freePort() },
        redis: { url: REDIS_URL },
        database: { url: dbUrl, schema },
        queue: { name: uniqueName('q') },
        kubernetes: { mode: 'url', url: k8s.url },
        detect: { detector: 'robust', intervalMs: 200 },
        policy: { file: policyFile },
        audit: { checkpointKey: CANARY.checkpointKey },
        api: { auth: { tokens: [{ name: 'ops', role: 'admin', sha256: sha256Hex(CANARY.apiToken) }] }, remoteWriteTokenSha256: sha256Hex(CANARY.remoteWriteToken) },
        slack: { enabled: true, apiBaseUrl: slack.apiUrl, botToken: CANARY.slackBot, signingSecret: CANARY.slackSigning, channel: 'C1', teamId: 'T1', appId: 'A1', mode: 'http' },
        webhooks: [{ name: 'ops', url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`, secret: CANARY.webhookSecret, groupWaitMs: 0 }],
        log: { level: 'trace', pretty: 'false' },
      }),
    );
  });
  afterAll(async () => {
    await slack?.close();
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
    await k8s?.close();
    await dropSchema(schema).catch(() => undefined);
    tmp.cleanup();
  });

  it('a serving daemon, driven through ingest, a decision, Slack, a webhook, API reads and bad requests, then SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AIOPSD_INGEST_ALERTMANAGER_TOKEN: CANARY.amToken };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts'), 'serve', '--config', configFile], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      const port = /port: (\d+)/.exec((await import('node:fs')).readFileSync(configFile, 'utf8'))![1];
      const base = `http://127.0.0.1:${port}`;
      await until('daemon ready', async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 40_000, 200);
      const answers: string[] = [];
      const get = async (p: string, auth?: string): Promise<void> => {
        const r = await fetch(`${base}${p}`, auth ? { headers: { authorization: auth } } : {});
        answers.push(`${r.status} ${p}\n${JSON.stringify([...r.headers])}\n${await r.text()}`);
      };
      const samples = spikeSeries({ points: 60, spikeAt: 59, startMs: Date.now() - 60_000, stepMs: 1000, base: 0.12, spike: 1.5 });
      const rw = remoteWriteBody([{ labels: { __name__: 'http_request_duration_seconds', service: 'checkout', namespace: 'shop' }, samples }]);
      const noToken = await fetch(`${base}/api/v1/write`, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body: rw });
      answers.push(await noToken.text());
      const withToken = await fetch(`${base}/api/v1/write`, { method: 'POST', headers: { ...REMOTE_WRITE_HEADERS, authorization: `Bearer ${CANARY.remoteWriteToken}` }, body: rw });
      expect(withToken.status).toBe(204);
      await until('a decision posted to Slack', () => slack.calls.some((c) => c.method === 'chat.postMessage'), 20_000, 100);
      for (const p of ['/metrics', '/readyz', '/healthz', '/api/v1/openapi.json', '/api/v1/whoami', '/api/v1/decisions', '/api/v1/audit?limit=1000', '/api/v1/audit/export', '/api/v1/incidents', '/api/v1/anomalies', '/api/v1/killswitch', '/api/v1/approvals', '/api/v1/deadletters', '/api/v1/series', '/']) {
        await get(p, `Bearer ${CANARY.apiToken}`);
      }
      await get('/api/v1/decisions', `Bearer ${CANARY.apiToken.slice(0, -1)}`); // a near-miss token
      const am = await fetch(`${base}/api/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: '{}' });
      answers.push(await am.text());
      const am2 = await fetch(`${base}/api/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${CANARY.amToken}` }, body: '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"X","service":"checkout"},"startsAt":"2026-11-22T00:00:00Z","fingerprint":"f1"}],"groupKey":"g"}' });
      answers.push(await am2.text());
      const sl = await fetch(`${base}/hooks/slack/interactions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': 'v0=00' }, body: 'payload=%7B%7D' });
      answers.push(await sl.text());
      await until('webhook delivered', () => hookBodies > 0, 15_000, 100).catch(() => undefined);
      captured.push({ where: 'http answers', text: answers.join('\n') });
      // slack got the bot token as its bearer (legitimate use): proves the canary was live, not that it leaked
      expect(slack.calls.some((c) => c.token === CANARY.slackBot)).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    captured.push({ where: 'serve stdout+stderr', text: out });
    expect(out.length).toBeGreaterThan(1000); // trace logging really ran
  }, 90_000);

  it('config check, audit verify, and a startup that fails on an unreachable database', async () => {
    const env = { AIOPSD_SLACK_BOT_TOKEN: CANARY.slackBot, AIOPSD_AUDIT_CHECKPOINT_KEY: CANARY.checkpointKey };
    const check = await runCli(['config', 'check', configFile], { env });
    captured.push({ where: 'config check', text: check.stdout + check.stderr });
    expect(check.code).toBe(0);
    const verify = await runCli(['audit', 'verify', '--data-dir', path.join(tmp.dir, 'data')], { env: { ...env, DATABASE_URL: dbUrl, AIOPSD_DATABASE_SCHEMA: schema } });
    captured.push({ where: 'audit verify', text: verify.stdout + verify.stderr });
    expect(verify.code).toBe(0);
    const dead = new URL(dbUrl);
    dead.port = String(await freePort());
    const fail = await runCli(['serve', '--port', '0'], { env: { ...env, DATABASE_URL: dead.toString(), REDIS_URL, AIOPSD_DATABASE_CONNECT_TIMEOUT_MS: '500', AIOPSD_LOG_LEVEL: 'trace' }, timeoutMs: 30_000 });
    captured.push({ where: 'failed startup', text: fail.stdout + fail.stderr });
    expect(fail.code).not.toBe(0);
    expect(fail.stdout + fail.stderr).toMatch(/database|postgres|ECONNREFUSED/i);
  }, 90_000);

  it('no canary appears anywhere', () => {
    const hits: string[] = [];
    for (const { where, text } of captured) {
      for (const [name, value] of Object.entries(CANARY)) if (text.includes(value)) hits.push(`${name} in ${where}: …${text.slice(Math.max(0, text.indexOf(value) - 120), text.indexOf(value) + value.length + 40)}…`);
    }
    console.log(`SECURITY canaries: ${Object.keys(CANARY).length} secrets searched in ${captured.length} outputs (${captured.reduce((a, c) => a + c.text.length, 0)} bytes): ${hits.length} hits`);
    expect(hits).toEqual([]);
  });
});
