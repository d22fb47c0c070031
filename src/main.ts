import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { loadConfig, redactConfig, type LoadConfigOptions } from './config/load.js';
import type { Config } from './config/schema.js';
import { isAppError, errorMessage } from './lib/errors.js';
import { createLogger } from './telemetry/logger.js';
import { startTracing } from './telemetry/tracing.js';
import { startDaemon } from './daemon.js';
import { VERSION } from './version.js';
import { openDatabase } from './store/db.js';
import { migrate } from './store/migrate.js';
import { allMigrations } from './wiring/migrations.js';
import { runApproveCommand } from './api/client.js';
import { SqlAuditStore } from './audit/sql-audit-store.js';
import { runAuditVerify } from './audit/verify-command.js';
import { loadPolicyFile } from './policy/rules.js';
import { registerBenchNab } from './cli/bench-nab.js';
import { registerTrain } from './cli/train.js';
import { registerReplay } from './cli/replay.js';
import { createDetector } from './detect/registry.js';
import { runDemo } from './demo/run.js';
import { systemClock } from './lib/clock.js';
import { PolicyEngine } from './policy/engine.js';
import { actionKinds } from './actions/registry.js';

interface CommonFlags {
  config?: string;
  port?: number;
  dataDir?: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535');
  return n;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function configOptions(flags: CommonFlags): LoadConfigOptions {
  const overrides: Array<{ path: string[]; value: unknown }> = [];
  if (flags.port !== undefined) overrides.push({ path: ['server', 'port'], value: flags.port });
  if (flags.dataDir !== undefined) overrides.push({ path: ['dataDir'], value: flags.dataDir });
  return { ...(flags.config ? { file: flags.config } : {}), overrides };
}

/** The demo's status lines are the show: logs default to warn unless the user chose a level (env or config file). */
function demoConfigOptions(flags: CommonFlags): LoadConfigOptions {
  const options = configOptions(flags);
  if (flags.config || process.env.AIOPSD_LOG_LEVEL) return options;
  return { ...options, overrides: [...(options.overrides ?? []), { path: ['log', 'level'], value: 'warn' }] };
}

function addServeFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML config file (see docs/CONFIG.md)', process.env.AIOPSD_CONFIG)
    .addOption(new Option('-p, --port <port>', 'HTTP port (env AIOPSD_PORT; default 8080)').argParser(parsePort))
    .addOption(new Option('-d, --data-dir <dir>', 'directory for embedded state (env AIOPSD_DATA_DIR; default ./data)'));
}

/** Start the daemon and keep it until SIGTERM/SIGINT, then drain within the deadline and exit 0. */
async function serve(config: Config, extra: { demo?: boolean; durationS?: number; speed?: number } = {}): Promise<void> {
  const logger = createLogger(config.log);
  const tracing = startTracing(process.env, VERSION);
  const stoppers: Array<() => Promise<void>> = [];
  if (extra.demo) {
    const demo = await runDemo({ config, logger, ...(extra.durationS !== undefined ? { durationS: extra.durationS } : {}), ...(extra.speed !== undefined ? { speed: extra.speed } : {}) });
    stoppers.push(() => demo.stop());
  } else {
    const daemon = await startDaemon({ config, logger });
    stoppers.push(() => daemon.stop());
  }
  if (tracing) stoppers.push(() => tracing.shutdown());
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal, deadlineMs: config.shutdownDeadlineMs }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.error({ deadlineMs: config.shutdownDeadlineMs }, 'shutdown deadline passed; exiting');
        process.exit(1);
      }, config.shutdownDeadlineMs);
      deadline.unref();
      (async () => {
        for (const s of stoppers) await s();
      })()
        .catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'error during shutdown'))
        .finally(() => {
          logger.info('stopped');
          resolve();
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    if (extra.durationS !== undefined) setTimeout(() => stop('duration elapsed'), extra.durationS * 1000).unref();
  });
  // Every component is closed; leftover handles (e.g. the log transport) must not keep us alive.
  logger.flush();
  setTimeout(() => process.exit(0), 200);
}

export function buildProgram(): Command {
  const program = new Command();
  program.name('aiopsd').description('AIOps remediation daemon: anomaly detection on metrics and traces, guarded remediation, tamper-evident audit.').version(VERSION, '-V, --version');
  program.showHelpAfterError('(run with --help for usage)');

  addServeFlags(program.command('serve').description('run the daemon: receivers, detection, policy, queue worker, API'))
    .action(async (flags: CommonFlags) => serve(loadConfig(configOptions(flags))));

  addServeFlags(program.command('demo').description('run aiopsd with a simulated service and a sandbox Kubernetes API, so the pipeline visibly acts'))
    .addOption(new Option('--duration <seconds>', 'stop by itself after this many seconds').argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
      return n;
    }))
    .addOption(new Option('--speed <factor>', 'divide the time between faults by this (env AIOPSD_DEMO_SPEED; default 1: a fault every 30 s after a 30 s warm-up)').argParser(positiveNumber).default(process.env.AIOPSD_DEMO_SPEED ? positiveNumber(process.env.AIOPSD_DEMO_SPEED) : undefined))
    .action(async (flags: CommonFlags & { duration?: number; speed?: number }) =>
      serve(loadConfig(demoConfigOptions(flags)), { demo: true, ...(flags.duration !== undefined ? { durationS: flags.duration } : {}), ...(flags.speed !== undefined ? { speed: flags.speed } : {}) }),
    );

  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .argument('<file>', 'YAML config file')
    .description('validate a config file (with AIOPSD_* env applied) and print the effective config')
    .action((file: string) => {
      const effective = loadConfig({ file });
      process.stdout.write(`# ${file}: valid\n` + toYaml(redactConfig(effective)));
    });

  const policy = program.command('policy').description('policy tools');
  policy
    .command('check')
    .argument('<file>', 'policy YAML file')
    .description('validate a policy file; errors name the line')
    .action((file: string) => {
      const parsed = loadPolicyFile(file);
      new PolicyEngine({ rules: parsed.rules, dryRun: parsed.dryRun ?? true, cooldownMs: parsed.cooldownMs ?? 0, actionKinds }, systemClock);
      process.stdout.write(`${file}: valid, ${parsed.rules.length} rule(s): ${parsed.rules.map((r) => r.name).join(', ')}\n`);
    });

  const audit = program.command('audit').description('audit log tools');
  addServeFlags(audit.command('verify').description('check the audit hash chain; names the first bad record'))
    .action(async (flags: CommonFlags) => {
      const cfg = loadConfig(configOptions(flags));
      const sql = await openDatabase({ databaseUrl: cfg.database.url, dataDir: cfg.dataDir, schema: cfg.database.schema, connectTimeoutMs: cfg.database.connectTimeoutMs });
      try {
        await migrate(sql, allMigrations());
        const store = new SqlAuditStore(sql, systemClock, cfg.audit.checkpointKey ? { checkpointKey: cfg.audit.checkpointKey } : {});
        const result = await runAuditVerify(store);
        process.stdout.write(result.text + '\n');
        process.exitCode = result.exitCode;
      } finally {
        await sql.close();
      }
    });

  program
    .command('approve')
    .argument('<decision-id>')
    .description("approve (or --reject) a pending decision through a running daemon's API")
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--reject', 'reject instead of approve')
    .option('--token <token>', 'API token (prefer env AIOPSD_TOKEN: flags show up in ps)')
    .option('--url <url>', 'daemon URL (env AIOPSD_URL; default http://127.0.0.1:8080)')
    .action(async (id: string, f: { reason: string; reject?: boolean; token?: string; url?: string }) => {
      const r = await runApproveCommand({ url: f.url ?? process.env.AIOPSD_URL ?? 'http://127.0.0.1:8080', decisionId: id, reject: f.reject === true, reason: f.reason, token: f.token ?? process.env.AIOPSD_TOKEN ?? '' });
      (r.exitCode === 0 ? process.stdout : process.stderr).write(r.text + '\n');
      process.exitCode = r.exitCode;
    });

  registerBenchNab(program, () => createDetector(loadConfig({ env: {} }).detect));
  registerTrain(program);
  registerReplay(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const message = isAppError(err) ? err.message : errorMessage(err);
    process.stderr.write(`aiopsd: ${message}\n`);
    process.exitCode = 2;
  }
}

await main(process.argv);
