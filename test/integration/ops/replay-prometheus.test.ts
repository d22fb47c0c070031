import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../../src/cli/replay.js';
import { encodeWriteRequestV1 } from '../../../src/ingest/remote-write/encode.js';
import { compressBlock } from '../../../src/ingest/remote-write/snappy.js';
import { tempDir } from '../../support/env.js';
import { REPLAY_POLICY, recording } from './replay-fixtures.js';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from './prometheus.js';

const tmp = tempDir('aiopsd-ops-replay-');
let prom: RunningPrometheus | undefined;
afterAll(async () => {
  await prom?.stop();
  tmp.cleanup();
});

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) }), text: () => text };
}

describe.skipIf(!prometheusAvailable)('aiopsd replay from a real Prometheus 2.42 (fed by remote_write)', () => {
  it('query_range over the recorded range finds the same decision as the file replay', async () => {
    prom = await startPrometheus('global:\n  scrape_interval: 15s\n');
    // 200 points 15 s apart ending a minute ago (inside the TSDB head's window), pushed in time order.
    const start = Math.floor((Date.now() - 199 * 15_000 - 60_000) / 1000) * 1000;
    const rows = recording(start);
    const bySeries = new Map<string, { labels: Array<{ name: string; value: string }>; samples: Array<{ value: number; timestamp: number }> }>();
    for (const r of rows) {
      const k = JSON.stringify(r.labels);
      if (!bySeries.has(k)) bySeries.set(k, { labels: Object.entries(r.labels).sort().map(([name, value]) => ({ name, value })), samples: [] });
      bySeries.get(k)!.samples.push({ value: r.value, timestamp: r.timestamp });
    }
    const res = await fetch(`${prom.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      body: compressBlock(encodeWriteRequestV1({ timeseries: [...bySeries.values()] })),
    });
    expect(res.status, await res.text()).toBe(204);

    const policy = path.join(tmp.dir, 'policy.yaml');
    writeFileSync(policy, REPLAY_POLICY);
    const out = sink();
    const err = sink();
    const s = await runReplay(
      { from: prom.url, range: `${start / 1000}..${start / 1000 + 199 * 15}`, step: '15s', policy, query: ['{job="demo"}'], detector: 'robust' },
      { stdout: out.stream, stderr: err.stream as Writable & { isTTY?: boolean } },
    );
    expect(s.series).toBe(2);
    expect(s.samples).toBe(400);
    const run = s.decisions.filter((d) => d.outcome === 'would_run');
    expect(run).toHaveLength(1);
    expect(run[0]).toMatchObject({ rule: 'scale-out-checkout', atMs: start + 150 * 15_000 });
    expect(out.text()).toContain('would_run');
    expect(err.text()).toContain('query_range');
  }, 90_000);
});
