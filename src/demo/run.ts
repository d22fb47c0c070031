import type { Config } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import { startDaemon, type Daemon } from '../daemon.js';
import { startK8sApiServer, type K8sApiServer } from '../sandbox/k8s-api-server.js';
import { errorMessage } from '../lib/errors.js';
import { DEMO_RULES } from './rules.js';
import { demoObjects } from './sandbox-seed.js';
import { DemoWorld } from './world.js';
import { DemoEmitter } from './simulated-service.js';
import { FaultInjector, faultSchedule, type ScheduleOptions } from './faults.js';
import { StatusPrinter, type RemediationRecord } from './status.js';
import { DEMO_APPROVER, demoConfig, newDemoToken, type DemoTuning } from './config.js';

export { DEMO_RULES } from './rules.js';

export interface DemoOptions extends ScheduleOptions, DemoTuning {
  readonly config: Config;
  readonly logger: Logger;
  readonly durationS?: number;
  /** Where status lines go (default stdout). */
  readonly out?: (line: string) => void;
  /** Seed of the simulated noise (default 42). */
  readonly seed?: number;
}

export interface RunningDemo {
  readonly daemon: Daemon;
  readonly k8s: K8sApiServer;
  readonly k8sUrl: string;
  /** The approver token (its sha256 is in the daemon's api.auth.tokens). */
  readonly token: string;
  readonly world: DemoWorld;
  readonly faults: FaultInjector;
  /** Remediation kinds verified so far, first decision each. */
  verified(): ReadonlyMap<string, RemediationRecord>;
  stop(): Promise<void>;
}

/**
 * aiopsd plus a demo environment: a sandbox Kubernetes API holding four services (Deployments, HPAs,
 * Services, Pods, an Istio canary for catalog, a k8gb Gslb for frontend over eu and us), the simulated
 * services sending metrics by remote_write and spans by OTLP through aiopsd's own receivers every
 * second, and a schedule of four faults, each answered by one remediation kind. Real writes go to the
 * sandbox only, so dry run is off here.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const token = options.token ?? newDemoToken();
  const k8s = await startK8sApiServer({ token: null, seed: demoObjects() });
  const config = demoConfig(options.config, k8s.url, token, options);
  let daemon: Daemon;
  try {
    daemon = await startDaemon({ config, logger: options.logger, rules: DEMO_RULES });
  } catch (err) {
    await k8s.close();
    throw err;
  }
  const startedAtMs = Date.now();
  const world = new DemoWorld(k8s.store, options.seed ?? 42);
  const emitter = new DemoEmitter({ baseUrl: daemon.url, logger: options.logger });
  let inFlight: Promise<void> = Promise.resolve();
  const ticker = setInterval(() => {
    // One tick at a time: a slow daemon delays the simulation rather than piling up requests.
    inFlight = inFlight.then(() => {
      try {
        const { series, traces } = world.tick(Date.now());
        return emitter.send(series, traces);
      } catch (err) {
        options.logger.warn({ err: errorMessage(err) }, 'demo: simulation tick failed');
        return undefined;
      }
    });
  }, 1000);
  const page = `${daemon.url}/`;
  const status = new StatusPrinter(daemon, startedAtMs, out, (d) => `-> approve on ${page} (log in with the demo token), or: AIOPSD_TOKEN=<token> npx aiopsd approve ${d.id} --url ${daemon.url} --reason "demo"`);
  const faults = new FaultInjector(world, faultSchedule(options), (f) => status.fault(f));
  faults.start();
  status.start();
  out(`aiopsd demo: web page ${page}   API ${daemon.url}/api/v1   metrics ${daemon.url}/metrics`);
  out(`approver token (user ${DEMO_APPROVER}): ${token}`);
  out(`sandbox Kubernetes API ${k8s.url} (namespace demo): frontend, checkout, payments, catalog (+ catalog canary), Gslb frontend over eu/us`);
  out(`faults: ${faults.schedule.map((f) => `${f.name} at ${f.atS} s -> ${f.remediation}`).join('; ')}. Ctrl-C stops.`);

  let stopped = false;
  return {
    daemon,
    k8s,
    k8sUrl: k8s.url,
    token,
    world,
    faults,
    verified: () => status.verified,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      faults.stop();
      clearInterval(ticker);
      await status.stop();
      await inFlight;
      await daemon.stop();
      await k8s.close();
    },
  };
}
