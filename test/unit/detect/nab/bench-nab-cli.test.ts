import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerBenchNab, type BenchNabOutput } from '../../../../src/cli/bench-nab.js';
import { RobustDetector } from '../../../../src/detect/robust.js';
import { csvText, put, syntheticSeries, tempDir, timestamps } from './helpers.js';

function capture(isTTY = false): { io: Parameters<typeof registerBenchNab>[2] & object; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s), isTTY } },
    out,
    err,
  };
}

describe('bench nab CLI', () => {
  it('adds nab under an existing bench command and prints JSON results; progress lines when not a TTY', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await put(dir, 'data/cat/a.csv', csvText(syntheticSeries(400, 2)));
      await put(dir, 'data/README.txt', 'ignored');
      const ts = timestamps(400);
      const labels = await put(dir, 'labels.json', JSON.stringify({ 'cat/a.csv': [[ts[200], ts[220]]] }));
      const program = new Command('aiopsd').exitOverride();
      const bench = program.command('bench').description('existing');
      bench.command('other').action(() => undefined);
      const { io, out, err } = capture(false);
      registerBenchNab(program, () => new RobustDetector(), io);
      expect(program.commands.filter((c) => c.name() === 'bench')).toHaveLength(1);
      expect(bench.commands.map((c) => c.name())).toEqual(['other', 'nab']);
      const scoresOut = join(dir, 'scores.json');
      await program.parseAsync(
        ['bench', 'nab', '--data', join(dir, 'data'), '--labels', labels, '--scores-out', scoresOut, '--window', '200'],
        { from: 'user' },
      );
      const result = JSON.parse(out.join('')) as BenchNabOutput;
      expect(result).toMatchObject({ detector: 'robust', version: 'robust-mad-1', files: 1, rows: 400, window: 200 });
      expect(typeof result.seconds).toBe('number');
      expect(Object.keys(result.scores!)).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
      expect(typeof result.scores!.standard).toBe('number');
      expect(result.details!.standard.windows).toBe(1);
      expect(err.length).toBeGreaterThanOrEqual(1); // one batch of 512 covers this file: 0% → 100%
      expect(err.length).toBeLessThanOrEqual(11);
      expect(err[err.length - 1]).toMatch(/100% \(400\/400 rows\)/);
    } finally {
      await cleanup();
    }
  });

  it('creates bench when absent; scores are null without labels; rejects a bad --window', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await put(dir, 'data/cat/a.csv', csvText(syntheticSeries(50, 2)));
      const program = new Command('aiopsd').exitOverride();
      program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
      const { io, out } = capture(false);
      registerBenchNab(program, () => new RobustDetector(), io);
      const bench = program.commands.find((c) => c.name() === 'bench')!;
      bench.exitOverride().configureOutput({ writeErr: () => undefined });
      bench.commands[0]!.exitOverride().configureOutput({ writeErr: () => undefined });
      await program.parseAsync(['bench', 'nab', '--data', join(dir, 'data')], { from: 'user' });
      const result = JSON.parse(out.join('')) as BenchNabOutput;
      expect(result).toMatchObject({ files: 1, rows: 50, window: 512, scores: null, details: null });
      await expect(program.parseAsync(['bench', 'nab', '--data', dir, '--window', '0'], { from: 'user' })).rejects.toThrow(
        /positive integer/,
      );
    } finally {
      await cleanup();
    }
  });

  it('uses a cli-progress bar on a TTY', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await put(dir, 'data/cat/a.csv', csvText(syntheticSeries(100, 2)));
      const program = new Command('aiopsd').exitOverride();
      const { io, out, err } = capture(true);
      registerBenchNab(program, () => new RobustDetector(), io);
      await program.parseAsync(['bench', 'nab', '--data', join(dir, 'data')], { from: 'user' });
      expect(JSON.parse(out.join('')).rows).toBe(100);
      expect(err.join('')).toMatch(/bench nab \[.*\] 100%/);
    } finally {
      await cleanup();
    }
  });
});
