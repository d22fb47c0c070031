/**
 * Run the chaos tests several times and summarise their figures (the `CHAOS {json}` lines they print):
 *
 *   npx tsx bench/chaos/collect.ts [--runs 3] [--out FILE]
 *
 * For every scenario and every numeric figure: each run's value and the median; plus pass/fail per run.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1] ?? 3) || 3;
const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;

const perScenario = new Map<string, Array<Record<string, unknown>>>();
const outcomes: Array<{ run: number; passed: number; failed: number; seconds: number }> = [];
for (let run = 1; run <= runs; run++) {
  const t0 = Date.now();
  const res = spawnSync('npx', ['vitest', 'run', 'test/chaos', '--reporter=verbose'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 10 * 60_000 });
  const text = `${res.stdout}\n${res.stderr}`;
  for (const line of text.split('\n')) {
    const m = /^CHAOS (\{.*\})\s*$/.exec(line.trim());
    if (!m) continue;
    const rec = JSON.parse(m[1]!) as Record<string, unknown>;
    const list = perScenario.get(String(rec.scenario)) ?? [];
    list.push(rec);
    perScenario.set(String(rec.scenario), list);
  }
  const passed = Number(/Tests\s+.*?(\d+) passed/.exec(text)?.[1] ?? 0);
  const failed = Number(/Tests\s+(\d+) failed/.exec(text)?.[1] ?? 0);
  outcomes.push({ run, passed, failed, seconds: Math.round((Date.now() - t0) / 1000) });
  process.stderr.write(`[chaos] run ${run}/${runs}: ${passed} passed, ${failed} failed in ${outcomes.at(-1)!.seconds}s\n`);
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const scenarios = Object.fromEntries(
  [...perScenario].map(([name, recs]) => {
    const keys = [...new Set(recs.flatMap((r) => Object.keys(r)))].filter((k) => recs.every((r) => typeof r[k] === 'number'));
    const nonNumeric = [...new Set(recs.flatMap((r) => Object.keys(r)))].filter((k) => !keys.includes(k) && k !== 'scenario' && k !== 'date');
    return [name, {
      runs: recs.length,
      median: Object.fromEntries(keys.map((k) => [k, median(recs.map((r) => r[k] as number))])),
      values: Object.fromEntries(keys.map((k) => [k, recs.map((r) => r[k])])),
      other: Object.fromEntries(nonNumeric.map((k) => [k, [...new Set(recs.map((r) => JSON.stringify(r[k])))].map((s) => JSON.parse(s) as unknown)])),
    }];
  }),
);
const result = { bench: 'chaos', date: new Date().toISOString(), command: `npx tsx bench/chaos/collect.ts ${argv.join(' ')}`.trim(), outcomes, scenarios };
const json = JSON.stringify(result, null, 2);
process.stdout.write(json + '\n');
if (out) writeFileSync(out, json + '\n');
