/**
 * Detection latency: aiopsd vs Prometheus alert rules + Alertmanager, on the same metrics.
 *
 *   npx tsx bench/latency/run.ts [--faults 20] [--scrape 15] [--quick] [--out FILE] [--seed N] [--detect-interval-ms 1000] [--keep]
 *                                [--compare-model DIR]
 *   npx tsx bench/latency/summarize.ts [FILE…]      # medians over several result files (default: bench/latency/results/*.json)
 *
 * A simulated fleet (bench/latency/fleet.ts) is scraped by a real Prometheus every --scrape seconds
 * (default 15; evaluation_interval is the same). Recording rules turn the counters/histograms into
 * per-service request rate, error ratio and p99 latency over [1m]. The baseline is the same Prometheus
 * with typical alert rules (`for: 1m`) and a real Alertmanager (group_wait 10s) posting to a local
 * webhook that timestamps arrivals. aiopsd (a separate `aiopsd serve` process) receives the recorded
 * series by remote_write (queue_config.batch_send_deadline: 1s) and runs one shadow policy rule per
 * fault kind; its action-ready signal is the decision.proposed audit record (its timestamp).
 *
 * --compare-model DIR runs a second daemon with that forecaster beside the shipped one, fed by the same
 * Prometheus (a second remote_write): both score the very same samples at the same scrape and evaluation
 * phases, so the result's `compared.paired` gives per-fault latency differences free of the fleet's and
 * the phases' noise, which two separate runs cannot.
 *
 * Prints one JSON document and writes it to --out (default: bench/latency/results/<date>-scrape<S>s-seed<N>.json).
 * Loopback only; every process it starts is stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Fleet, FAULT_KINDS, type FaultKind } from './fleet.js';
import { parseLatencyArgs } from './args.js';
import { pairLatencies, quantile } from './stats.js';
import { ENSEMBLE_REVISION } from '../../src/detect/ensemble.js';
import { readForecasterMeta } from '../../src/detect/model.js';
import { defaultModelDir } from '../../src/detect/registry.js';

/**
 * A detector version as the daemon's anomalies carry it (`ensemble-10/mlp32-h32-s42-e6-n60000`): the
 * revision alone would pool runs of different forecaster weights in summarize.ts.
 */
async function detectorVersion(modelDir: string): Promise<string> {
  return `${ENSEMBLE_REVISION}/${(await readForecasterMeta(modelDir)).version}`;
}

const REPO = path.resolve(import.meta.dirname, '../..');

/** Without --out a run lands in bench/latency/results/, named by date, scrape interval and seed, where summarize.ts finds it. */
function defaultOutFile(scrapeS: number, seed: number): string {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return path.join(REPO, 'bench/latency/results', `${stamp}-scrape${scrapeS}s-seed${seed}.json`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => void process.stderr.write(`[latency ${new Date().toISOString()}] ${msg}\n`);

async function freePort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await sleep(250);
  }
}

function startProcess(name: string, cmd: string, args: string[], dir: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const logFile = createWriteStream(path.join(dir, `${name}.log`));
  const child = spawn(cmd, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(logFile);
  child.stderr!.pipe(logFile);
  child.on('exit', (code, sig) => log(`${name} exited (${code ?? sig})`));
  return child;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

interface Signal {
  service: string;
  atMs: number;
  what: string;
}

interface FaultRec {
  service: string;
  kind: FaultKind;
  startMs: number;
  endMs: number;
}

/** One `aiopsd serve` under test. */
interface Daemon {
  readonly name: string;
  readonly url: string;
  /** `ensemble-10/<forecaster version>`, as its anomalies carry it. */
  readonly detector: string;
  readonly child: ChildProcess;
}

/** Shadow rules, one per fault kind, at the daemon's own threshold: the decision.proposed record is the signal. */
const POLICY = {
  dryRun: true,
  rules: [
    { name: 'error-ratio', when: { metric: 'svc:error_ratio:rate1m', 'score>=': 0.95 }, action: { type: 'scale-hpa', target: { namespace: 'fleet', name: '${service}' }, params: { minReplicas: 6 } }, shadow: true },
    { name: 'latency-p99', when: { metric: 'svc:latency_p99:rate1m', 'score>=': 0.95 }, action: { type: 'scale-hpa', target: { namespace: 'fleet', name: '${service}' }, params: { minReplicas: 6 } }, shadow: true },
    { name: 'traffic-drop', when: { metric: 'svc:request_rate:rate1m', 'score>=': 0.95 }, action: { type: 'scale-hpa', target: { namespace: 'fleet', name: '${service}' }, params: { minReplicas: 6 } }, shadow: true },
  ],
};

/**
 * Starts `aiopsd serve` on defaults (PGlite, a fresh queue) with the shadow policy in `policyFile`;
 * `modelDir` undefined = the shipped model.
 */
async function startDaemon(dir: string, name: string, policyFile: string, detectIntervalMs: number, modelDir: string | undefined): Promise<Daemon> {
  const port = await freePort();
  const config = {
    dataDir: path.join(dir, `${name}-data`),
    server: { host: '127.0.0.1', port },
    redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    queue: { name: `latency-${randomBytes(4).toString('hex')}` },
    detect: { intervalMs: detectIntervalMs, ...(modelDir === undefined ? {} : { ensemble: { modelDir: path.resolve(modelDir) } }) },
    policy: { file: policyFile },
    log: { level: 'warn', pretty: 'false' },
  };
  const configFile = path.join(dir, `${name}.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const env = { ...process.env };
  delete env.DATABASE_URL;
  for (const k of Object.keys(env)) if (k.startsWith('AIOPSD_')) delete env[k];
  const detector = await detectorVersion(modelDir ?? defaultModelDir());
  const child = startProcess(name, process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'serve', '--config', configFile], dir, env);
  return { name, url: `http://127.0.0.1:${port}`, detector, child };
}

/** Collects a daemon's decision.proposed audit records every 2 s; their own timestamps are the signal times. */
class DecisionPoller {
  readonly signals: Signal[] = [];
  private polling = true;
  private afterSeq = 0;
  private readonly loop: Promise<void>;

  constructor(private readonly url: string) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.polling) {
      try {
        await this.drain();
      } catch {
        /* keep polling: the daemon may be busy or restarting */
      }
      await sleep(2000);
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      const r = await fetch(`${this.url}/api/v1/audit?kind=decision.proposed&after_seq=${this.afterSeq}&limit=1000`, { signal: AbortSignal.timeout(5000) });
      if (!r.ok) return;
      const body = (await r.json()) as { records: Array<{ seq: number; ts: string; target?: { name?: string }; body?: { rule?: string } }> };
      for (const rec of body.records) {
        this.afterSeq = Math.max(this.afterSeq, rec.seq);
        this.signals.push({ service: rec.target?.name ?? '?', atMs: Date.parse(rec.ts), what: rec.body?.rule ?? '?' });
      }
      if (body.records.length < 1000) return;
    }
  }

  async stop(): Promise<void> {
    this.polling = false;
    await this.loop;
  }
}

/** What the measured phase was: the faults and the time marks that decide caught, missed and false. */
interface Schedule {
  readonly faults: readonly FaultRec[];
  readonly controlServices: readonly string[];
  readonly t0: number;
  readonly measureStart: number;
  readonly controlEnd: number;
  readonly measureEnd: number;
  readonly recoveryMs: number;
  readonly catchAfterEndMs: number;
}

/** One contender's figures: per fault the first signal for that service in [start, end + catch window], and the false triggers. */
function evaluateSignals(signals: readonly Signal[], sch: Schedule) {
  const latencies: number[] = [];
  const perFault = sch.faults.map((f) => {
    const first = signals.filter((s) => s.service === f.service && s.atMs >= f.startMs && s.atMs <= f.endMs + sch.catchAfterEndMs).sort((a, b) => a.atMs - b.atMs)[0];
    const latencyS = first ? +((first.atMs - f.startMs) / 1000).toFixed(2) : null;
    if (latencyS !== null) latencies.push(latencyS);
    return { service: f.service, kind: f.kind, latencyS, signal: first?.what ?? null };
  });
  // false triggers: after warm-up, outside [fault start, fault end + recovery] of that service
  const falses = signals.filter((s) => {
    if (s.atMs < sch.measureStart || s.atMs > sch.measureEnd) return false;
    return !sch.faults.some((f) => f.service === s.service && s.atMs >= f.startMs && s.atMs <= f.endMs + sch.recoveryMs);
  });
  // episodes: signals for one service closer than 5 min count once
  const episodes: Signal[] = [];
  for (const s of [...falses].sort((a, b) => a.atMs - b.atMs)) {
    if (!episodes.some((e) => e.service === s.service && s.atMs - e.atMs < 300_000)) episodes.push(s);
  }
  const byKind = Object.fromEntries(FAULT_KINDS.map((k) => {
    const ls = perFault.filter((p) => p.kind === k && p.latencyS !== null).map((p) => p.latencyS!);
    return [k, { faults: perFault.filter((p) => p.kind === k).length, caught: ls.length, p50S: quantile(ls, 0.5), p95S: quantile(ls, 0.95) }];
  }));
  return {
    faults: sch.faults.length,
    caught: latencies.length,
    missed: sch.faults.length - latencies.length,
    p50S: quantile(latencies, 0.5),
    p95S: quantile(latencies, 0.95),
    maxS: latencies.length ? Math.max(...latencies) : null,
    falseTriggers: falses.length,
    falseTriggerEpisodes: episodes.length,
    falseTriggersInControlPeriod: falses.filter((s) => s.atMs < sch.controlEnd).length,
    falseTriggersOnControlServices: falses.filter((s) => sch.controlServices.includes(s.service)).length,
    falseTriggerSamples: episodes.slice(0, 10).map((e) => ({ service: e.service, what: e.what, atS: +((e.atMs - sch.t0) / 1000).toFixed(1) })),
    byKind,
    perFault,
  };
}

function prometheusConfig(scrape: number, dir: string, amPort: number, fleetUrl: string, writeUrls: readonly string[]): string {
  const remoteWrites = writeUrls.map((u) => `  - url: ${u}/api/v1/write
    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 2s }
    write_relabel_configs:
      - source_labels: [__name__]
        regex: 'svc:.*'
        action: keep
`).join('');
  return `global:
  scrape_interval: ${scrape}s
  evaluation_interval: ${scrape}s
rule_files: [${JSON.stringify(path.join(dir, 'rules.yml'))}]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]
scrape_configs:
  - job_name: fleet
    static_configs: [{ targets: ['${new URL(fleetUrl).host}'] }]
remote_write:
${remoteWrites}`;
}

const RULES = `groups:
  - name: fleet-recording
    rules:
      - record: svc:request_rate:rate1m
        expr: sum by (service) (rate(fleet_http_requests_total[1m]))
      - record: svc:error_ratio:rate1m
        expr: sum by (service) (rate(fleet_http_errors_total[1m])) / sum by (service) (rate(fleet_http_requests_total[1m]))
      - record: svc:latency_p99:rate1m
        expr: histogram_quantile(0.99, sum by (service, le) (rate(fleet_http_request_duration_seconds_bucket[1m])))
  - name: fleet-alerts
    rules:
      - alert: HighErrorRatio
        expr: svc:error_ratio:rate1m > 0.05
        for: 1m
        labels: { severity: page }
      - alert: HighLatencyP99
        expr: svc:latency_p99:rate1m > 0.5
        for: 1m
        labels: { severity: page }
      - alert: TrafficDrop
        expr: svc:request_rate:rate1m < 0.5 * (svc:request_rate:rate1m offset 5m)
        for: 1m
        labels: { severity: page }
`;

function alertmanagerConfig(hookPort: number): string {
  return `route:
  receiver: hook
  group_by: [alertname, service]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{ url: 'http://127.0.0.1:${hookPort}/hook', send_resolved: true }]
`;
}

/** The baseline's webhook receiver: every firing alert Alertmanager posts, timestamped on arrival. */
async function startAlertHook(port: number, into: Signal[]): Promise<Server> {
  const hook: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { alerts: Array<{ status: string; labels: Record<string, string> }> };
        for (const a of body.alerts) if (a.status === 'firing') into.push({ service: a.labels.service ?? '?', atMs: at, what: a.labels.alertname ?? '?' });
      } catch {
        /* not an Alertmanager body: nothing to count */
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(port, '127.0.0.1', r));
  return hook;
}

async function main(): Promise<void> {
  const args = parseLatencyArgs(process.argv.slice(2));
  // a bad --compare-model fails now, not after the 8-minute warm-up
  if (args.compareModel !== undefined) await readForecasterMeta(path.resolve(args.compareModel));
  const scrape = args.scrapeS;
  // durations: warm-up long enough for the detector's minimum points and calibration history (≥ 32 scrapes)
  const warmupMs = Math.max(180_000, 32 * scrape * 1000);
  const controlMs = scrape >= 15 ? 90_000 : 60_000;
  const faultMs = 150_000; // long enough for `for: 1m` + group_wait to fire in the baseline
  const spacingMs = 33_000;
  const recoveryMs = 120_000; // after a fault ends, signals are the recovery, neither caught nor false
  const catchAfterEndMs = 60_000;

  // enough services that one is never faulted again before its last fault and recovery are over
  const faultedServices = Array.from({ length: Math.min(10, Math.max(Math.ceil((faultMs + recoveryMs) / spacingMs), Math.ceil(args.faults / 2))) }, (_, i) => `svc-${String.fromCharCode(97 + i)}`);
  const controlServices = ['ctl-a', 'ctl-b'];
  const fleet = new Fleet([...faultedServices, ...controlServices], args.seed);
  await fleet.start();

  const dir = mkdtempSync(path.join(tmpdir(), 'aiopsd-latency-'));
  const [promPort, amPort, hookPort] = [await freePort(), await freePort(), await freePort()];
  log(`work dir ${dir}; fleet ${fleet.url}; scrape ${scrape}s; faults ${args.faults}${args.compareModel === undefined ? '' : `; comparing with ${args.compareModel}`}`);

  const baseline: Signal[] = [];
  const hook = await startAlertHook(hookPort, baseline);
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(POLICY));
  const daemons = [await startDaemon(dir, 'aiopsd', policyFile, args.detectIntervalMs, undefined)];
  if (args.compareModel !== undefined) daemons.push(await startDaemon(dir, 'aiopsd-compare', policyFile, args.detectIntervalMs, args.compareModel));

  writeFileSync(path.join(dir, 'rules.yml'), RULES);
  writeFileSync(path.join(dir, 'prometheus.yml'), prometheusConfig(scrape, dir, amPort, fleet.url, daemons.map((d) => d.url)));
  writeFileSync(path.join(dir, 'alertmanager.yml'), alertmanagerConfig(hookPort));
  const alertmanager = startProcess('alertmanager', '/usr/bin/prometheus-alertmanager', [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`,
    `--storage.path=${path.join(dir, 'am-data')}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    '--cluster.listen-address=',
  ], dir);
  const prometheus = startProcess('prometheus', '/usr/bin/prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'prom-data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ], dir);

  const stopAll = async (): Promise<void> => {
    await Promise.all([stopProcess(prometheus), stopProcess(alertmanager), ...daemons.map((d) => stopProcess(d.child))]);
    await fleet.stop();
    await new Promise<void>((r) => hook.close(() => r()));
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));

  try {
    for (const d of daemons) await waitHttp(`${d.url}/readyz`, 90_000);
    await waitHttp(`http://127.0.0.1:${amPort}/-/ready`, 30_000);
    await waitHttp(`http://127.0.0.1:${promPort}/-/ready`, 30_000);
    const t0 = Date.now();
    log(`all up; warm-up ${warmupMs / 1000}s`);
    const pollers = daemons.map((d) => new DecisionPoller(d.url));

    await sleep(warmupMs);
    const measureStart = Date.now();
    log('control period (no faults)');
    await sleep(controlMs);
    const controlEnd = Date.now();

    const faults: FaultRec[] = [];
    for (let i = 0; i < args.faults; i++) {
      const service = faultedServices[i % faultedServices.length]!;
      const kind = FAULT_KINDS[(i + Math.floor(i / faultedServices.length)) % FAULT_KINDS.length]!;
      const startMs = Date.now();
      fleet.setFault(service, kind);
      faults.push({ service, kind, startMs, endMs: startMs + faultMs });
      log(`fault ${i + 1}/${args.faults}: ${kind} on ${service}`);
      setTimeout(() => fleet.setFault(service, undefined), faultMs);
      if (i < args.faults - 1) await sleep(spacingMs);
    }
    await sleep(faultMs + catchAfterEndMs);
    const measureEnd = Date.now();
    await sleep(4000); // last audit poll
    await Promise.all(pollers.map((p) => p.stop()));

    const schedule: Schedule = { faults, controlServices, t0, measureStart, controlEnd, measureEnd, recoveryMs, catchAfterEndMs };
    const a = evaluateSignals(pollers[0]!.signals, schedule);
    const b = evaluateSignals(baseline, schedule);
    const compared = pollers[1] === undefined ? undefined : evaluateSignals(pollers[1].signals, schedule);
    const result = {
      bench: 'latency',
      date: new Date().toISOString(),
      command: `npx tsx bench/latency/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
      setup: {
        scrapeIntervalS: scrape,
        evaluationIntervalS: scrape,
        remoteWrite: 'recorded svc:* series only; queue_config.batch_send_deadline 1s',
        recordingRules: 'rate/ratio/histogram_quantile over [1m]',
        alertRules: 'error ratio > 0.05, p99 > 0.5 s, rate < 0.5 × 5 min ago; all for: 1m',
        alertmanager: 'group_wait 10s, group_by [alertname, service]',
        detector: daemons[0]!.detector,
        aiopsd: `default detector (ensemble), detect.intervalMs ${args.detectIntervalMs}, 3 shadow rules (score>=0.95, = detect.threshold), PGlite`,
        services: { faulted: faultedServices.length, control: controlServices.length },
        warmupS: warmupMs / 1000,
        controlPeriodS: controlMs / 1000,
        faultDurationS: faultMs / 1000,
        faultSpacingS: spacingMs / 1000,
        measuredS: Math.round((measureEnd - measureStart) / 1000),
        seed: args.seed,
      },
      aiopsd: a,
      baseline: b,
      speedup: {
        p50: a.p50S && b.p50S ? +(b.p50S / a.p50S).toFixed(2) : null,
        p95: a.p95S && b.p95S ? +(b.p95S / a.p95S).toFixed(2) : null,
      },
      ...(compared === undefined
        ? {}
        : { compared: { detector: daemons[1]!.detector, modelDir: args.compareModel, ...compared, paired: pairLatencies(a.perFault, compared.perFault) } }),
      totalSignals: { aiopsd: pollers[0]!.signals.length, baseline: baseline.length, ...(pollers[1] ? { compared: pollers[1].signals.length } : {}) },
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(json + '\n');
    const out = args.out ?? defaultOutFile(args.scrapeS, args.seed);
    writeFileSync(out, json + '\n');
    log(`wrote ${out} (summarise several with: npx tsx bench/latency/summarize.ts)`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`latency bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
