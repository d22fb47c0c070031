/**
 * bench/latency helpers: argument validation (any integer seed, nothing silently NaN) and the
 * summary of several result files into medians per contender.
 */
import { describe, expect, it } from 'vitest';
import { parseLatencyArgs } from '../../../bench/latency/args.js';
import { pairLatencies } from '../../../bench/latency/stats.js';
import { median, summarizeLatency, summarizePairs, type ContenderFigures, type LatencyResultFile } from '../../../bench/latency/summarize.js';
import { Fleet } from '../../../bench/latency/fleet.js';

describe('parseLatencyArgs', () => {
  it('takes any integer seed with --faults 20', () => {
    for (const seed of ['0', '1', '42', '-7', '4294967297', String(Number.MAX_SAFE_INTEGER)]) {
      expect(parseLatencyArgs(['--faults', '20', '--seed', seed])).toMatchObject({ faults: 20, seed: Number(seed), scrapeS: 15 });
    }
  });

  it('refuses a seed or fault count that is not an integer, and unknown flags', () => {
    expect(() => parseLatencyArgs(['--seed', 'abc'])).toThrow(/--seed/);
    expect(() => parseLatencyArgs(['--seed', '1.5'])).toThrow(/--seed/);
    expect(() => parseLatencyArgs(['--seed'])).toThrow(/--seed/);
    expect(() => parseLatencyArgs(['--faults', '0'])).toThrow(/--faults/);
    expect(() => parseLatencyArgs(['--fault', '3'])).toThrow(/unknown argument/);
  });

  it('--compare-model needs a directory', () => {
    expect(parseLatencyArgs(['--compare-model', '/tmp/m'])).toMatchObject({ compareModel: '/tmp/m' });
    expect(parseLatencyArgs([])).toMatchObject({ compareModel: undefined });
    expect(() => parseLatencyArgs(['--compare-model'])).toThrow(/--compare-model needs a model directory/);
    expect(() => parseLatencyArgs(['--compare-model', '--seed', '3'])).toThrow(/--compare-model needs a model directory/);
  });

  it('--quick changes only the values not given', () => {
    expect(parseLatencyArgs(['--quick'])).toMatchObject({ faults: 6, scrapeS: 5 });
    expect(parseLatencyArgs(['--quick', '--faults', '9'])).toMatchObject({ faults: 9, scrapeS: 5 });
  });

  it('the fleet produces finite metrics for any seed', () => {
    for (const seed of [0, -7, 4294967297, Number.MAX_SAFE_INTEGER]) {
      const fleet = new Fleet(['svc-a', 'ctl-a'], seed);
      for (let s = 0; s < 5; s++) fleet.tick();
      const values = fleet.exposition().split('\n').filter((l) => l && !l.startsWith('#')).map((l) => Number(l.split(' ').pop()));
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.some((v) => v > 0)).toBe(true);
    }
  });
});

describe('pairLatencies', () => {
  it('gives compared − shipped per fault, a second or more counting as later or earlier', () => {
    const p = pairLatencies(
      [{ latencyS: 10 }, { latencyS: 12 }, { latencyS: 20 }, { latencyS: null }, { latencyS: 5 }],
      [{ latencyS: 25.5 }, { latencyS: 12.4 }, { latencyS: 5 }, { latencyS: 9 }, { latencyS: null }],
    );
    expect(p.deltasS).toEqual([15.5, 0.4, -15, null, null]);
    expect(p).toMatchObject({ comparedLater: 1, comparedEarlier: 1, same: 1, unpaired: 2, medianDeltaS: 0.4 });
  });

  it('refuses fault lists of different lengths', () => {
    expect(() => pairLatencies([{ latencyS: 1 }], [])).toThrow(/1 faults vs 0/);
  });
});

describe('summarizePairs', () => {
  const figs = (p50S: number, p95S: number): ContenderFigures => ({ faults: 3, caught: 3, missed: 0, p50S, p95S, falseTriggers: 0 });
  const paired = (file: string, seed: number, detector: string, deltasS: Array<number | null>): LatencyResultFile => ({
    file,
    setup: { scrapeIntervalS: 15, seed, detector: 'ensemble-8/new' },
    aiopsd: figs(15, 25),
    baseline: figs(100, 120),
    compared: { ...figs(16, 26), detector, paired: { deltasS } },
  });

  it('pools the per-fault differences of every run of the same pair, and leaves runs without a comparison out', () => {
    const [p] = summarizePairs([
      paired('a.json', 7, 'ensemble-8/old', [0.2, 15.5, null]),
      paired('b.json', 13, 'ensemble-8/old', [-15, 0.4, 0.1]),
      { file: 'c.json', setup: { scrapeIntervalS: 15, seed: 7, detector: 'ensemble-8/new' }, aiopsd: figs(1, 2), baseline: figs(3, 4) },
    ]);
    expect(p).toMatchObject({ pair: 'scrape 15s: ensemble-8/old − ensemble-8/new', runs: 2, seeds: [7, 13], pairedFaults: 5, comparedLater: 1, comparedEarlier: 1, same: 3, medianDeltaS: 0.2 });
  });

  it('keeps different compared detectors apart', () => {
    expect(summarizePairs([paired('a.json', 7, 'ensemble-8/old', [1]), paired('b.json', 7, 'ensemble-8/other', [1])])).toHaveLength(2);
  });
});

describe('summarizeLatency', () => {
  const figs = (p50S: number | null, p95S: number | null, falseTriggers: number, caught = 20): ContenderFigures => ({ faults: 20, caught, missed: 20 - caught, p50S, p95S, falseTriggers, falseTriggerEpisodes: falseTriggers });
  const run = (file: string, seed: number, scrapeIntervalS: number, aiopsd: ContenderFigures, baseline: ContenderFigures): LatencyResultFile => ({ file, setup: { scrapeIntervalS, seed }, aiopsd, baseline });

  it('median of an even count is the mean of the middle two', () => {
    expect(median([3, 1])).toBe(2);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([])).toBeNull();
  });

  it('gives medians per contender, grouped by set-up, with every run listed', () => {
    const s = summarizeLatency([
      run('a.json', 7, 15, figs(21.2, 31.4, 1), figs(100.7, 123.2, 0)),
      run('b.json', 8, 15, figs(15.1, 24.0, 1), figs(95.3, 115.2, 0)),
      run('c.json', 9, 15, figs(18.0, 26.0, 3), figs(90.0, 110.0, 2)),
      run('quick.json', 11, 5, figs(5.7, 7.1, 2, 4), figs(84.8, 112.3, 0)),
    ]) as { groups: Array<Record<string, unknown>> };
    expect(s.groups).toHaveLength(2);
    const g15 = s.groups[0]!;
    expect(g15).toMatchObject({
      setup: 'scrape 15s, 20 faults, unrecorded',
      runs: 3,
      seeds: [7, 8, 9],
      aiopsd: { p50SMedian: 18, p95SMedian: 26, falseTriggersMedian: 1, missedTotal: 0 },
      baseline: { p50SMedian: 95.3, p95SMedian: 115.2, falseTriggersMedian: 0 },
      speedupOfMedians: { p50: 5.29, p95: 4.43 },
    });
    expect((g15.aiopsd as { perRun: unknown[] }).perRun).toHaveLength(3);
    expect(s.groups[1]).toMatchObject({ setup: 'scrape 5s, 20 faults, unrecorded', runs: 1, aiopsd: { missedTotal: 16 } });
  });

  it('never pools runs of different detectors: setup.detector, else the ensemble<N> of the file name', () => {
    const withDetector = (r: LatencyResultFile, detector: string): LatencyResultFile => ({ ...r, setup: { ...r.setup, detector } });
    const s = summarizeLatency([
      run('x-seed7-ensemble6.json', 7, 15, figs(25.5, 33.7, 1), figs(109, 132, 0)),
      withDetector(run('y.json', 7, 15, figs(12.5, 21.1, 0), figs(97, 124, 0)), 'ensemble-7'),
      run('z-seed13-ensemble7.json', 13, 15, figs(22.4, 30.2, 0), figs(106, 128, 0)),
    ]) as { groups: Array<{ setup: string; runs: number }> };
    expect(s.groups.map((g) => [g.setup, g.runs])).toEqual([
      ['scrape 15s, 20 faults, ensemble-6', 1],
      ['scrape 15s, 20 faults, ensemble-7', 2],
    ]);
  });

  it('leaves a run without catches out of the latency medians and counts it', () => {
    const s = summarizeLatency([run('a.json', 1, 15, figs(null, null, 0, 0), figs(90, 100, 0)), run('b.json', 2, 15, figs(20, 30, 0), figs(92, 104, 0))]) as { groups: Array<{ aiopsd: Record<string, unknown> }> };
    expect(s.groups[0]!.aiopsd).toMatchObject({ p50SMedian: 20, runsWithoutCatches: 1, missedTotal: 20 });
  });
});
