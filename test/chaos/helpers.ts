/**
 * Shared pieces of the chaos tests: a private redis-server, a cuttable TCP proxy (PostgreSQL
 * "unavailable" without touching the shared server), a daemon wired to the sandbox Kubernetes API
 * with one live scale-hpa rule, and a way to make it decide (a remote_write spike + a cycle).
 * Every figure a test measures is printed as one `CHAOS {json}` line, collected by bench/chaos/collect.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import type { PolicyRule } from '../../src/policy/rules.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { K8sApiServer } from '../../src/sandbox/k8s-api-server.js';
import { testConfig, REPO_ROOT } from '../support/env.js';
import { remoteWriteBody, REMOTE_WRITE_HEADERS, spikeSeries } from '../support/remote-write.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000, stepMs = 50): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    let ok = false;
    try {
      ok = await cond();
    } catch {
      ok = false;
    }
    if (ok) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Print one figure for docs/EVIDENCE.md (and append it to artifacts/evidence/chaos.jsonl). */
export function figure(scenario: string, values: Record<string, unknown>): void {
  const line = JSON.stringify({ scenario, date: new Date().toISOString(), ...values });
  console.log(`CHAOS ${line}`);
  try {
    const dir = path.join(REPO_ROOT, 'artifacts/evidence');
    mkdirSync(dir, { recursive: true });
    appendFileSync(path.join(dir, 'chaos.jsonl'), line + '\n');
  } catch {
    /* figures are best effort */
  }
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A private redis-server (noeviction, AOF on so a restart keeps the queue, as BullMQ needs in production). */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    this.child = child;
    await until('private redis up', async () => {
      const s = connect(this.port, '127.0.0.1');
      return new Promise<boolean>((r) => {
        s.once('connect', () => (s.destroy(), r(true)));
        s.once('error', () => r(false));
      });
    }, 10_000);
  }
  /** SIGKILL (a crash), not a clean shutdown. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
}

/** A TCP proxy we can cut (close every connection, refuse new ones) and restore. */
export class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutState = false;
  port = 0;
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}
  async start(port = 0): Promise<void> {
    this.server = createServer((client) => {
      if (this.cutState) return void client.destroy();
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  cut(): void {
    this.cutState = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
  restore(): void {
    this.cutState = false;
  }
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export const liveRule = (extra: Partial<PolicyRule> = {}): PolicyRule => ({
  name: 'scale-on-latency',
  when: { metric: 'http_request_duration_seconds', labels: {}, 'score>=': 0.9 },
  action: { type: 'scale-hpa', target: { namespace: 'shop', name: '${service}' }, params: { minReplicas: 6 } },
  shadow: false,
  ...extra,
});

export function seedHpa(k8s: K8sApiServer, name: string): void {
  k8s.seed({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: 'shop' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 2, maxReplicas: 10 },
  });
}

export const hpaWrites = (k8s: K8sApiServer, name: string): number => k8s.writes({ group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'shop', name });

/** A daemon with live (non dry-run) actions against the sandbox API, the robust detector, no timer. */
export async function chaosDaemon(dataDir: string, k8sUrl: string, overrides: ConfigInput = {}, rules: PolicyRule[] = [liveRule()]): Promise<{ daemon: Daemon; config: ReturnType<typeof testConfig> }> {
  const config = testConfig(dataDir, {
    kubernetes: { mode: 'url', url: k8sUrl },
    policy: { dryRun: false, cooldownMs: 0 },
    detect: { detector: 'robust' },
    actions: { bakeTimeMs: { 'scale-hpa': 0 } },
    ...overrides,
  });
  const daemon = await startDaemon({ config, logger: silentLogger(), autoCycle: false, rules });
  return { daemon, config };
}

/** Send a latency spike for `service` through remote_write; returns the HTTP status. */
export async function sendSpike(url: string, service: string): Promise<number> {
  const samples = spikeSeries({ points: 60, spikeAt: 59, startMs: Date.now() - 60_000, stepMs: 1000, base: 0.12, spike: 1.5 });
  const labels = { __name__: 'http_request_duration_seconds', service, namespace: 'shop', job: service };
  const res = await request(url).post('/api/v1/write').set(REMOTE_WRITE_HEADERS).send(remoteWriteBody([{ labels, samples }]));
  return res.status;
}

export async function ready(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

export { REPO_ROOT };
