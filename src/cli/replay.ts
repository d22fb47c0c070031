import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createDetectorAsync } from '../detect/registry.js';
import { AppError } from '../lib/errors.js';
import { loadPolicyFile, type PolicyRule } from '../policy/rules.js';
import { fetchPrometheus, parseDuration, parseRange, readSampleFile } from './replay/input.js';
import { formatSummary, replay, type ReplaySummary } from './replay/engine.js';

export interface ReplayFlags {
  from: string;
  range?: string;
  step: string;
  policy?: string;
  config?: string;
  query?: string[];
  detector?: 'robust' | 'ensemble';
  json?: boolean;
  out?: string;
}

export interface ReplayIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const DEFAULT_QUERY = '{__name__=~".+"}';

/**
 * `aiopsd replay --from FILE|PROMETHEUS_URL --range START..END [--step 15s] [--policy FILE]`: recorded data
 * through detection and policy in shadow mode (docs/DEMO.md#replay). Prints a table (or --json) of what
 * aiopsd would have done and when; a progress bar goes to stderr.
 */
export async function runReplay(flags: ReplayFlags, io: ReplayIo, nowMs = Date.now()): Promise<ReplaySummary> {
  const config: Config = loadConfig({ ...(flags.config ? { file: flags.config } : {}), overrides: [] });
  const stepMs = parseDuration(flags.step);
  if (stepMs < 1) throw new AppError('bad_duration', '--step must be at least 1ms', { httpStatus: 400 });
  const range = parseRange(flags.range ?? '..', nowMs);
  const policyPath = flags.policy ?? config.policy.file;
  const policy = policyPath ? loadPolicyFile(policyPath) : { rules: [] as PolicyRule[], dryRun: undefined, cooldownMs: undefined };
  if (!policyPath) io.stderr.write('replay: no --policy (and no policy.file in the config): anomalies and incidents only, no decisions\n');

  const remote = /^https?:\/\//.test(flags.from);
  if (remote && (range.startMs === undefined || range.endMs === undefined)) throw new AppError('bad_range', '--range START..END is required with a Prometheus URL', { httpStatus: 400 });
  io.stderr.write(remote ? `replay: query_range ${flags.from} (${(flags.query ?? [DEFAULT_QUERY]).join(', ')}) step ${flags.step}\n` : `replay: reading ${flags.from}\n`);
  const samples = remote
    ? await fetchPrometheus(flags.from, flags.query && flags.query.length > 0 ? flags.query : [DEFAULT_QUERY], { startMs: range.startMs!, endMs: range.endMs! }, stepMs)
    : readSampleFile(flags.from);

  const { detector } = await createDetectorAsync({ ...config.detect, ...(flags.detector ? { detector: flags.detector } : {}) });
  const bar = new cliProgress.SingleBar(
    { stream: io.stderr, format: 'replay [{bar}] {percentage}% | {value}/{total} steps | ETA {eta_formatted}', hideCursor: io.stderr.isTTY === true, noTTYOutput: true, notTTYSchedule: 1000 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let summary: ReplaySummary;
  try {
    summary = await replay({
      samples,
      rules: policy.rules,
      config,
      detector,
      stepMs,
      ...(range.startMs !== undefined ? { startMs: range.startMs } : {}),
      ...(range.endMs !== undefined ? { endMs: range.endMs } : {}),
      dryRun: false,
      cooldownMs: policy.cooldownMs ?? config.policy.cooldownMs,
      onProgress: (done, total) => {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else bar.update(done);
      },
    });
  } finally {
    if (started) bar.stop();
  }
  if (flags.out) writeFileSync(flags.out, JSON.stringify(summary, null, 2) + '\n');
  io.stdout.write(flags.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
  return summary;
}

export function registerReplay(program: Command, io: ReplayIo = { stdout: process.stdout, stderr: process.stderr }): void {
  program
    .command('replay')
    .description('run recorded data (JSONL samples, a saved query_range JSON, or a live Prometheus) through detection and policy in shadow mode; report what aiopsd would have done and when')
    .requiredOption('--from <file|url>', 'JSONL file ({"labels":{…},"timestamp":ms,"value":n} per line), a saved /api/v1/query_range JSON, or a Prometheus base URL')
    .option('--range <start..end>', 'time range: RFC 3339, unix seconds, now, now-1h (required with a Prometheus URL; files default to all of it)')
    .option('--step <duration>', 'step between detection cycles (and query_range resolution)', '15s')
    .option('--policy <file>', 'policy YAML (default: policy.file from the config)')
    .option('-c, --config <file>', 'YAML config for detector, series and incident settings', process.env.AIOPSD_CONFIG)
    .option('--query <promql...>', `PromQL for query_range, repeatable (default ${DEFAULT_QUERY})`)
    .addOption(new Option('--detector <name>', 'override detect.detector').choices(['robust', 'ensemble']))
    .option('--json', 'print the JSON summary instead of the table')
    .option('--out <file>', 'also write the JSON summary to this file')
    .action(async (flags: ReplayFlags) => {
      await runReplay(flags, io);
    });
}
