import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runReplay } from '../../src/cli/replay.js';
import { parseRange } from '../../src/cli/replay/input.js';
import { tempDir } from '../support/env.js';
import { runCli } from '../support/cli.js';
import { REPLAY_POLICY, recording } from '../integration/ops/replay-fixtures.js';

const tmp = tempDir('aiopsd-replay-');
afterAll(() => tmp.cleanup());

function sink(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
  return { stream, text: () => text };
}

describe('aiopsd replay', () => {
  const start = Date.parse('2026-01-05T10:00:00Z');
  const jsonl = path.join(tmp.dir, 'rec.jsonl');
  const policy = path.join(tmp.dir, 'policy.yaml');
  writeFileSync(jsonl, recording(start).map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(policy, REPLAY_POLICY);

  it('parses ranges: RFC 3339, unix seconds, now-relative, open ends', () => {
    expect(parseRange('2026-01-05T10:00:00Z..1767610800', 0)).toEqual({ startMs: start, endMs: 1767610800_000 });
    expect(parseRange('now-1h..now', 7_200_000)).toEqual({ startMs: 3_600_000, endMs: 7_200_000 });
    expect(parseRange('..', 0)).toEqual({ startMs: undefined, endMs: undefined });
    expect(() => parseRange('now..now-1h', 7_200_000)).toThrow(/END must be after START/);
  });

  it('a JSONL recording: reports when the spike would have scaled checkout, then cooldown; shadow only', async () => {
    const out = sink();
    const err = sink();
    const s = await runReplay({ from: jsonl, step: '15s', policy, detector: 'robust', json: true }, { stdout: out.stream, stderr: err.stream });
    expect(s.samples).toBe(400);
    expect(s.series).toBe(2);
    const run = s.decisions.filter((d) => d.outcome === 'would_run');
    expect(run).toHaveLength(1);
    expect(run[0]).toMatchObject({ rule: 'scale-out-checkout', action: 'scale-hpa', target: 'shop/checkout', atMs: start + 150 * 15_000, params: { minReplicas: 6 } });
    expect(s.decisions.filter((d) => d.outcome === 'suppressed').every((d) => d.reason?.startsWith('cooldown'))).toBe(true);
    expect(s.decisions.some((d) => d.rule === 'drain-region')).toBe(false);
    expect(JSON.parse(out.text())).toMatchObject({ samples: 400 });
    expect(err.text()).toMatch(/replay \[.*\] 100% \| 200\/200 steps/);
  });

  it('the CLI prints the human table, and a saved query_range JSON replays the same as JSONL', async () => {
    const matrix = path.join(tmp.dir, 'range.json');
    const bySeries = new Map<string, { metric: Record<string, string>; values: Array<[number, string]> }>();
    for (const r of recording(start)) {
      const k = JSON.stringify(r.labels);
      if (!bySeries.has(k)) bySeries.set(k, { metric: r.labels, values: [] });
      bySeries.get(k)!.values.push([r.timestamp / 1000, String(r.value)]);
    }
    writeFileSync(matrix, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [...bySeries.values()] } }));
    const out = path.join(tmp.dir, 'summary.json');
    const r = await runCli(['replay', '--from', matrix, '--range', `${start / 1000}..${start / 1000 + 199 * 15}`, '--policy', policy, '--detector', 'robust', '--out', out], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would_run/);
    expect(r.stdout).toMatch(/scale-out-checkout +scale-hpa shop\/checkout/);
    expect(r.stdout).toContain('2026-01-05T10:37:30.000Z');
    expect(r.stderr).toMatch(/100%/);
    const bad = await runCli(['replay', '--from', 'http://127.0.0.1:9', '--policy', policy]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--range START..END is required with a Prometheus URL');
  });
});
