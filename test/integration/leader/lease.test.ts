/**
 * Two LeaderElector instances (two replicas) on one Lease at the sandbox Kubernetes API: only one
 * leads; when the leader stops renewing (killed / partitioned) the other takes over within the lease
 * duration, and the two leadership intervals never overlap, so nothing is decided twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8s, KubernetesClient, type KubernetesApi } from '../../../src/clients/kubernetes.js';
import { AppError } from '../../../src/lib/errors.js';
import { AlwaysLeader, LeaderElector } from '../../../src/leader/lease.js';
import { startK8sApiServer, type K8sApiServer } from '../../../src/sandbox/k8s-api-server.js';

const LEASE_MS = 2000;
const RENEW_MS = 1200;
const RETRY_MS = 200;

/** A client whose network can be cut (a killed or partitioned replica: it can no longer renew). */
function cuttable(inner: KubernetesApi): KubernetesApi & { cut: boolean } {
  const down = (): never => {
    throw new AppError('k8s_unavailable', 'partitioned', { retryable: true });
  };
  const api = {
    cut: false,
    getObject: (...a: Parameters<KubernetesApi['getObject']>) => (api.cut ? Promise.reject(down()) : inner.getObject(...a)),
    listObjects: (...a: Parameters<KubernetesApi['listObjects']>) => (api.cut ? Promise.reject(down()) : inner.listObjects(...a)),
    patchObject: (...a: Parameters<KubernetesApi['patchObject']>) => (api.cut ? Promise.reject(down()) : inner.patchObject(...a)),
    createObject: (...a: Parameters<KubernetesApi['createObject']>) => (api.cut ? Promise.reject(down()) : inner.createObject(...a)),
    replaceObject: (...a: Parameters<KubernetesApi['replaceObject']>) => (api.cut ? Promise.reject(down()) : inner.replaceObject(...a)),
  };
  return api;
}

interface Replica {
  elector: LeaderElector;
  api: ReturnType<typeof cuttable>;
  intervals: Array<{ from: number; to: number | undefined }>;
  decided: number[];
}

let srv: K8sApiServer;
let replicas: Replica[] = [];
let loop: NodeJS.Timeout | undefined;
const decisions: Array<{ replica: number; t: number; seq: number }> = [];

beforeEach(async () => {
  srv = await startK8sApiServer();
  replicas = [];
  decisions.length = 0;
});
afterEach(async () => {
  clearInterval(loop);
  for (const r of replicas) await r.elector.stop({ release: false }).catch(() => undefined);
  await srv.close();
});

function replica(identity: string): Replica {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(srv.kubeconfigYaml('aiops-system'));
  const api = cuttable(new KubernetesClient(kc, { timeoutMs: 1000 }));
  const r: Replica = { api, intervals: [], decided: [], elector: undefined as unknown as LeaderElector };
  r.elector = new LeaderElector({
    kube: api,
    namespace: 'aiops-system',
    name: 'aiopsd-leader',
    identity,
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_MS,
    retryPeriodMs: RETRY_MS,
    onStartedLeading: () => r.intervals.push({ from: performance.now(), to: undefined }),
    onStoppedLeading: () => {
      const last = r.intervals.at(-1);
      if (last) last.to = performance.now();
    },
  });
  replicas.push(r);
  return r;
}

/** Each replica "decides" (a shared counter, like the pipeline's policy step) only while isLeader(). */
function runDecisionLoop(): void {
  let seq = 0;
  loop = setInterval(() => {
    replicas.forEach((r, i) => {
      if (r.elector.isLeader()) {
        seq += 1;
        decisions.push({ replica: i, t: performance.now(), seq });
      }
    });
  }, 20);
}

const until = async (what: string, cond: () => boolean, timeoutMs: number): Promise<number> => {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
};

describe('leader election over a Lease', () => {
  it('only one of two replicas leads; the Lease names it', async () => {
    const a = replica('replica-a');
    const b = replica('replica-b');
    await Promise.all([a.elector.start(), b.elector.start()]);
    await until('a leader', () => a.elector.isLeader() || b.elector.isLeader(), 5000);
    await new Promise((r) => setTimeout(r, 1000));
    expect([a, b].filter((r) => r.elector.isLeader())).toHaveLength(1);
    const leader = a.elector.isLeader() ? 'replica-a' : 'replica-b';
    const lease = srv.get({ group: 'coordination.k8s.io', resource: 'leases', namespace: 'aiops-system', name: 'aiopsd-leader' }) as { spec: Record<string, unknown> };
    expect(lease.spec).toMatchObject({ holderIdentity: leader, leaseDurationSeconds: 2 });
    expect(String(lease.spec.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('when the leader stops renewing, it steps down before the other takes over (within the lease duration), and nothing is decided twice', async () => {
    const a = replica('replica-a');
    await a.elector.start();
    await until('a leads', () => a.elector.isLeader(), 5000);
    const b = replica('replica-b');
    await b.elector.start();
    runDecisionLoop();
    await new Promise((r) => setTimeout(r, 600));
    expect(b.elector.isLeader()).toBe(false);

    const cutAt = performance.now();
    a.api.cut = true; // a is "killed": no more renewals reach the API server
    const tookMs = await until('b leads', () => b.elector.isLeader(), LEASE_MS * 3);
    expect(a.elector.isLeader()).toBe(false);
    // generous bound: leaseDuration plus a couple of retry periods and scheduling slack
    expect(tookMs).toBeLessThan(LEASE_MS + 4 * RETRY_MS + 1000);
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(loop);

    const aStop = a.intervals[0]!.to!;
    const bStart = b.intervals[0]!.from;
    expect(aStop).toBeDefined();
    expect(aStop).toBeLessThan(bStart); // never two leaders at once
    expect(aStop - cutAt).toBeLessThan(RENEW_MS + RETRY_MS + 500); // stepped down at its renew deadline
    // decisions: each tick decided by exactly one replica, and replica a's all precede replica b's
    const lastA = Math.max(...decisions.filter((d) => d.replica === 0).map((d) => d.t));
    const firstB = Math.min(...decisions.filter((d) => d.replica === 1).map((d) => d.t));
    expect(lastA).toBeLessThan(firstB);
    expect(new Set(decisions.map((d) => d.seq)).size).toBe(decisions.length);
  });

  it('a graceful stop releases the lease so the successor need not wait the full duration', async () => {
    const a = replica('replica-a');
    await a.elector.start();
    await until('a leads', () => a.elector.isLeader(), 5000);
    const b = replica('replica-b');
    await b.elector.start();
    await a.elector.stop();
    const took = await until('b leads', () => b.elector.isLeader(), LEASE_MS * 3);
    expect(took).toBeLessThan(LEASE_MS);
  });

  it('rejects renewDeadline >= leaseDuration; no-Kubernetes mode is always leader', () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(srv.kubeconfigYaml());
    expect(() => new LeaderElector({ kube: new KubernetesClient(kc), namespace: 'n', name: 'l', identity: 'x', leaseDurationMs: 1000, renewDeadlineMs: 1000, retryPeriodMs: 100 })).toThrow(/renewDeadline/);
    expect(new AlwaysLeader().isLeader()).toBe(true);
  });
});
