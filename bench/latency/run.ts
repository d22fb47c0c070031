/**
 * Detection latency: aiopsd vs Prometheus alert rules + Alertmanager, on the same metrics.
 *
 *   npx tsx bench/latency/run.ts [--faults 20] [--scrape 15] [--quick] [--out FILE] [--seed N] [--detect-interval-ms 1000] [--keep]
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
import { quantile } from './stats.js';
import { ENSEMBLE_REVISION } from '../../src/detect/ensemble.js';
import { readForecasterMeta } from '../../src/detect/model.js';
import { defaultModelDir } from '../../src/detect/registry.js';

/**
 * The daemon's detector version as its anomalies carry it (`ensemble-8/mlp32-h32-s42-e6-n60000`): the
 * revision alone would pool runs of different forecaster weights in summarize.ts.
 */
async function shippedDetectorVersion(): Promise<string> {
  return `${ENSEMBLE_REVISION}/${(await readForecasterMeta(defaultModelDir())).version}`;
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

async function main(): Promise<void> {
  const args = parseLatencyArgs(process.argv.slice(2));
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
  const [promPort, amPort, hookPort, aiopsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  log(`work dir ${dir}; fleet ${fleet.url}; scrape ${scrape}s; faults ${args.faults}`);

  // --- the baseline's webhook receiver ---
  const baseline: Signal[] = [];
  const hook: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { alerts: Array<{ status: string; labels: Record<string, string> }> };
        for (const a of body.alerts) if (a.status === 'firing') baseline.push({ service: a.labels.service ?? '?', atMs: at, what: a.labels.alertname ?? '?' });
      } catch {
        /* ignore */
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(hookPort, '127.0.0.1', r));

  // --- aiopsd ---
  const policy = {
    dryRun: true,
    rules: [
      { name: 'error-ratio', when: { metric: 'svc:error_ratio:rate1m', 'score>=': 0.95 }, action: { type: 'scale-hpa', target: { namespace: 'fleet', name: '${service}' }, params: { minReplicas: 6 } }, shadow: true },
      { name: 'latency-p99', when: { metric: 'svc:latency_p99:rate1m', 'score>=': 0.95 }, action: { type: 'scale-hpa', target: { namespace: 'fleet', name: '${service}' }, params: { minReplicas: 6 } }, shadow: true },
      { name: 'traffic-drop', when: { metric: 'svc:request_rate:rate1m', 'score>=': 0.95 }, action: { type: 'scale-hpa', target: { namespace: 'fleet', name: '${service}' }, params: { minReplicas: 6 } }, shadow: true },
    ],
  };
  writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(policy));
  const aiopsConfig = {
    dataDir: path.join(dir, 'aiopsd-data'),
    server: { host: '127.0.0.1', port: aiopsPort },
    redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    queue: { name: `latency-${randomBytes(4).toString('hex')}` },
    detect: { intervalMs: args.detectIntervalMs },
    policy: { file: path.join(dir, 'policy.json') },
    log: { level: 'warn', pretty: 'false' },
  };
  writeFileSync(path.join(dir, 'aiopsd.json'), JSON.stringify(aiopsConfig));
  const aiopsEnv = { ...process.env };
  delete aiopsEnv.DATABASE_URL;
  for (const k of Object.keys(aiopsEnv)) if (k.startsWith('AIOPSD_')) delete aiopsEnv[k];
  const aiopsd = startProcess('aiopsd', process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'serve', '--config', path.join(dir, 'aiopsd.json')], dir, aiopsEnv);
  const aiopsUrl = `http://127.0.0.1:${aiopsPort}`;

  // --- Prometheus + Alertmanager ---
  const rules = `groups:
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
  writeFileSync(path.join(dir, 'rules.yml'), rules);
  const prom = `global:
  scrape_interval: ${scrape}s
  evaluation_interval: ${scrape}s
rule_files: [${JSON.stringify(path.join(dir, 'rules.yml'))}]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]
scrape_configs:
  - job_name: fleet
    static_configs: [{ targets: ['${new URL(fleet.url).host}'] }]
remote_write:
  - url: ${aiopsUrl}/api/v1/write
    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 2s }
    write_relabel_configs:
      - source_labels: [__name__]
        regex: 'svc:.*'
        action: keep
`;
  writeFileSync(path.join(dir, 'prometheus.yml'), prom);
  const am = `route:
  receiver: hook
  group_by: [alertname, service]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{ url: 'http://127.0.0.1:${hookPort}/hook', send_resolved: true }]
`;
  writeFileSync(path.join(dir, 'alertmanager.yml'), am);
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
    await Promise.all([stopProcess(prometheus), stopProcess(alertmanager), stopProcess(aiopsd)]);
    await fleet.stop();
    await new Promise<void>((r) => hook.close(() => r()));
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));

  try {
    await waitHttp(`${aiopsUrl}/readyz`, 90_000);
    await waitHttp(`http://127.0.0.1:${amPort}/-/ready`, 30_000);
    await waitHttp(`http://127.0.0.1:${promPort}/-/ready`, 30_000);
    const t0 = Date.now();
    log(`all up; warm-up ${warmupMs / 1000}s`);

    // aiopsd's signals: poll decision.proposed records (their own timestamps are the signal time)
    const aiops: Signal[] = [];
    let afterSeq = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          for (;;) {
            const r = await fetch(`${aiopsUrl}/api/v1/audit?kind=decision.proposed&after_seq=${afterSeq}&limit=1000`, { signal: AbortSignal.timeout(5000) });
            if (!r.ok) break;
            const body = (await r.json()) as { records: Array<{ seq: number; ts: string; target?: { name?: string }; body?: { rule?: string } }> };
            for (const rec of body.records) {
              afterSeq = Math.max(afterSeq, rec.seq);
              aiops.push({ service: rec.target?.name ?? '?', atMs: Date.parse(rec.ts), what: rec.body?.rule ?? '?' });
            }
            if (body.records.length < 1000) break;
          }
        } catch {
          /* keep polling */
        }
        await sleep(2000);
      }
    })();

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
      const rec: FaultRec = { service, kind, startMs, endMs: startMs + faultMs };
      faults.push(rec);
      log(`fault ${i + 1}/${args.faults}: ${kind} on ${service}`);
      setTimeout(() => fleet.setFault(service, undefined), faultMs);
      if (i < args.faults - 1) await sleep(spacingMs);
    }
    await sleep(faultMs + catchAfterEndMs);
    const measureEnd = Date.now();
    await sleep(4000); // last audit poll
    polling = false;
    await poller;

    const evaluate = (signals: Signal[]) => {
      const latencies: number[] = [];
      const perFault = faults.map((f) => {
        const first = signals.filter((s) => s.service === f.service && s.atMs >= f.startMs && s.atMs <= f.endMs + catchAfterEndMs).sort((a, b) => a.atMs - b.atMs)[0];
        const latencyS = first ? +((first.atMs - f.startMs) / 1000).toFixed(2) : null;
        if (latencyS !== null) latencies.push(latencyS);
        return { service: f.service, kind: f.kind, latencyS, signal: first?.what ?? null };
      });
      // false triggers: after warm-up, outside [fault start, fault end + recovery] of that service
      const falses = signals.filter((s) => {
        if (s.atMs < measureStart || s.atMs > measureEnd) return false;
        return !faults.some((f) => f.service === s.service && s.atMs >= f.startMs && s.atMs <= f.endMs + recoveryMs);
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
        faults: faults.length,
        caught: latencies.length,
        missed: faults.length - latencies.length,
        p50S: quantile(latencies, 0.5),
        p95S: quantile(latencies, 0.95),
        maxS: latencies.length ? Math.max(...latencies) : null,
        falseTriggers: falses.length,
        falseTriggerEpisodes: episodes.length,
        falseTriggersInControlPeriod: falses.filter((s) => s.atMs < controlEnd).length,
        falseTriggersOnControlServices: falses.filter((s) => controlServices.includes(s.service)).length,
        falseTriggerSamples: episodes.slice(0, 10).map((e) => ({ service: e.service, what: e.what, atS: +((e.atMs - t0) / 1000).toFixed(1) })),
        byKind,
        perFault,
      };
    };
    const a = evaluate(aiops);
    const b = evaluate(baseline);
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
        detector: await shippedDetectorVersion(),
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
      totalSignals: { aiopsd: aiops.length, baseline: baseline.length },
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
