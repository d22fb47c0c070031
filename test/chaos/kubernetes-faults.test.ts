/**
 * Chaos: the Kubernetes API answers 409, 500 and late (past the client timeout) on the live write.
 * For each: the decision is written at most once (counted at the sandbox API), every audit record is
 * present and the chain verifies, the daemon stays ready, and the time to the final state is printed.
 * "held" after "action.executed" is the post-action verification (bake time 0 here) finding no fresh
 * data: inconclusive → hold and page (promise 14), not a failed write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startK8sApiServer, type K8sApiServer } from '../../src/sandbox/k8s-api-server.js';
import type { Daemon } from '../../src/daemon.js';
import { tempDir } from '../support/env.js';
import { chaosDaemon, figure, hpaWrites, ready, seedHpa, sendSpike, until } from './helpers.js';

const FINAL = new Set(['executed', 'verified', 'failed', 'held', 'reverted']);

describe('chaos: Kubernetes API faults on the live write', () => {
  let k8s: K8sApiServer;
  let daemon: Daemon;
  const tmp = tempDir('aiopsd-chaos-k8s-');

  beforeAll(async () => {
    k8s = await startK8sApiServer({ token: null });
    ({ daemon } = await chaosDaemon(tmp.dir, k8s.url, { queue: { attempts: 3, backoffMs: 100 } }));
  });
  afterAll(async () => {
    await daemon?.stop();
    await k8s?.close();
    tmp.cleanup();
  });

  async function decideFor(service: string): Promise<string> {
    seedHpa(k8s, service);
    expect(await sendSpike(daemon.url, service)).toBe(204);
    await daemon.runCycle();
    const all = await daemon.decisions.list({ limit: 1000 });
    const d = all.find((x) => x.action.target.name === service);
    expect(d, `a decision for ${service}`).toBeDefined();
    return d!.id;
  }

  async function finalState(id: string, timeoutMs: number): Promise<{ status: string; ms: number }> {
    let status = '';
    const ms = await until(`decision ${id} final`, async () => {
      status = (await daemon.decisions.get(id))?.status ?? '';
      return FINAL.has(status);
    }, timeoutMs);
    return { status, ms };
  }

  /** The audit kinds of one decision, in order. */
  const kinds = async (id: string): Promise<string[]> => (await daemon.audit.list({ decisionId: id, limit: 1000 })).map((r) => r.kind);

  const writeMatcher = (name: string) => ({ method: 'PATCH', resource: 'horizontalpodautoscalers', name, dryRun: false });

  it('409 Conflict on the write: guardrails again, one write, executed', async () => {
    k8s.failNext(writeMatcher('conflict'), 409, 1);
    const id = await decideFor('conflict');
    const { status, ms } = await finalState(id, 20_000);
    expect(['executed', 'verified', 'held']).toContain(status);
    expect(await kinds(id)).toContain('action.executed');
    expect(hpaWrites(k8s, 'conflict')).toBe(1);
    figure('k8s-409', { finalStatus: status, writes: hpaWrites(k8s, 'conflict'), decisionToFinalMs: ms });
  });

  it('500 twice on the write: retried, one write, executed', async () => {
    k8s.failNext(writeMatcher('flaky'), 500, 2);
    const id = await decideFor('flaky');
    const { status, ms } = await finalState(id, 20_000);
    expect(hpaWrites(k8s, 'flaky')).toBe(1);
    expect(await kinds(id)).toContain('action.executed');
    figure('k8s-500x2', { finalStatus: status, writes: hpaWrites(k8s, 'flaky'), decisionToFinalMs: ms });
    expect(['executed', 'verified', 'held']).toContain(status);
  });

  it('500 on every write: fails (or holds) after its attempts with zero writes, never loops', async () => {
    k8s.failNext(writeMatcher('broken'), 500, 50);
    const id = await decideFor('broken');
    const { status, ms } = await finalState(id, 30_000);
    expect(['failed', 'held']).toContain(status);
    expect(hpaWrites(k8s, 'broken')).toBe(0);
    figure('k8s-500-always', { finalStatus: status, writes: 0, decisionToFinalMs: ms });
  });

  it('the write answers after the client timeout: at most one write, the outcome is decided, not repeated', async () => {
    k8s.delayNext(writeMatcher('slow'), 12_000, 1);
    const id = await decideFor('slow');
    const { status, ms } = await finalState(id, 45_000);
    await new Promise((r) => setTimeout(r, 3000)); // let the late write land, and any wrong retry show up
    expect(hpaWrites(k8s, 'slow')).toBeLessThanOrEqual(1);
    expect((await kinds(id)).filter((k) => k === 'action.executed').length).toBeLessThanOrEqual(1);
    figure('k8s-timeout', { finalStatus: status, writes: hpaWrites(k8s, 'slow'), decisionToFinalMs: ms });
  }, 60_000);

  it('afterwards: the daemon is ready, every decision has its audit trail, the chain verifies', async () => {
    expect(await ready(daemon.url)).toBe(true);
    const v = await daemon.audit.verify();
    expect(v).toMatchObject({ ok: true });
    const decisions = await daemon.decisions.list({ limit: 1000 });
    for (const d of decisions) {
      const recs = await daemon.audit.list({ decisionId: d.id, limit: 1000 });
      expect(recs.map((r) => r.kind)).toContain('decision.proposed');
    }
    figure('k8s-faults-audit', { decisions: decisions.length, statuses: decisions.map((d) => `${d.action.target.name}:${d.status}`), auditOk: v.ok });
  });
});
