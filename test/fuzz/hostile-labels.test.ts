/**
 * Hostile label values through remote_write (NUL bytes, invalid surrogates, huge values): the receiver
 * answers 2xx or 4xx, and the detection cycle that audits an anomaly carrying them neither fails nor
 * stops the next anomaly from being decided. Found by fuzzing: PostgreSQL text/jsonb cannot hold NUL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startK8sApiServer, type K8sApiServer } from '../../src/sandbox/k8s-api-server.js';
import { tempDir } from '../support/env.js';
import { remoteWriteBody, REMOTE_WRITE_HEADERS, spikeSeries } from '../support/remote-write.js';
import { chaosDaemon, seedHpa, sendSpike } from '../chaos/helpers.js';

describe('hostile label values through remote_write', () => {
  let k8s: K8sApiServer;
  let daemon: Daemon;
  const tmp = tempDir('aiopsd-fuzz-labels-');
  beforeAll(async () => {
    k8s = await startK8sApiServer({ token: null });
    ({ daemon } = await chaosDaemon(tmp.dir, k8s.url));
  });
  afterAll(async () => {
    await daemon?.stop();
    await k8s?.close();
    tmp.cleanup();
  });

  // Was a bug (docs/EVIDENCE.md, finding 3): a NUL label value was accepted, then its anomaly's audit append
  // failed the whole cycle. remote_write now refuses it with 400, and the auditor replaces NUL in evidence.
  it('NUL in a label value: 2xx/4xx, and the cycle survives', async () => check('a\u0000b', 'after-nul'));
  it('a lone surrogate: 2xx/4xx, and the cycle survives', async () => check('x\ud800y', 'after-surrogate'));
  it('a 10 000-character value: 2xx/4xx, and the cycle survives', async () => check('v'.repeat(10_000), 'after-long'));

  async function check(value: string, next: string): Promise<void> {
    const samples = spikeSeries({ points: 60, spikeAt: 59, startMs: Date.now() - 60_000, stepMs: 1000, base: 0.12, spike: 1.5 });
    const labels = { __name__: 'http_request_duration_seconds', service: 'hostile', namespace: 'shop', zone: value };
    const res = await fetch(`${daemon.url}/api/v1/write`, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body: remoteWriteBody([{ labels, samples }]) });
    expect(res.status).toBeLessThan(500);
    const cycle = await daemon.runCycle().then(() => 'ok', (e: unknown) => String(e));
    expect(cycle).toBe('ok');
    seedHpa(k8s, next);
    expect(await sendSpike(daemon.url, next)).toBe(204);
    await daemon.runCycle();
    expect((await daemon.decisions.list({ limit: 1000 })).some((d) => d.action.target.name === next)).toBe(true);
    expect((await daemon.audit.verify()).ok).toBe(true);
  }
});
