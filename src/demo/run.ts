import type { Config } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import { startDaemon, type Daemon } from '../daemon.js';
import type { PolicyRule } from '../policy/rules.js';
import { startK8sApiServer } from '../sandbox/k8s-api-server.js';
import { SimulatedService } from './simulated-service.js';
import { StatusPrinter } from './status.js';

export interface DemoOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly durationS?: number;
  /** Where status lines go (default stdout). */
  readonly out?: (line: string) => void;
}

export interface RunningDemo {
  readonly daemon: Daemon;
  readonly k8sUrl: string;
  stop(): Promise<void>;
}

const NAMESPACE = 'demo';
const SERVICE = 'checkout';

/** The demo's one rule: when checkout's latency is anomalous, raise its HPA floor. */
export const DEMO_RULES: PolicyRule[] = [
  {
    name: 'scale-out-checkout-on-latency',
    when: { metric: 'demo_http_request_duration_seconds', labels: { service: SERVICE }, 'score>=': 0.9 },
    action: { type: 'scale-hpa', target: { namespace: NAMESPACE, name: SERVICE }, params: { minReplicas: 6, maxReplicas: 12 } },
    cooldownMs: 60_000,
    shadow: false,
  },
];

/**
 * aiopsd plus a sandbox: an in-memory Kubernetes API holding the demo service's Deployment and HPA,
 * and a simulated service whose latency spikes now and then, sent through the real remote_write
 * receiver. Real writes go to the sandbox only, so dry-run is off here.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const k8s = await startK8sApiServer({ token: null });
  seedSandbox(k8s.seed);
  const config: Config = {
    ...options.config,
    kubernetes: { mode: 'url', url: k8s.url },
    policy: { ...options.config.policy, dryRun: false },
    detect: { ...options.config.detect, intervalMs: Math.min(options.config.detect.intervalMs, 1000) },
  };
  let daemon: Daemon;
  try {
    daemon = await startDaemon({ config, logger: options.logger, rules: DEMO_RULES });
  } catch (err) {
    await k8s.close();
    throw err;
  }
  const service = new SimulatedService({ writeUrl: `${daemon.url}/api/v1/write`, service: SERVICE, namespace: NAMESPACE, logger: options.logger });
  service.start();
  const status = new StatusPrinter(daemon, k8s, { namespace: NAMESPACE, name: SERVICE }, out);
  status.start();
  out(`aiopsd demo: API and web page at ${daemon.url}  (anomalies: ${daemon.url}/api/v1/anomalies, decisions: ${daemon.url}/api/v1/decisions, audit: ${daemon.url}/api/v1/audit)`);
  out(`sandbox Kubernetes API at ${k8s.url}; simulated service "${SERVICE}" spikes its latency about every ${service.spikeEveryS} s. Ctrl-C stops.`);
  return {
    daemon,
    k8sUrl: k8s.url,
    stop: async () => {
      status.stop();
      await service.stop();
      await daemon.stop();
      await k8s.close();
    },
  };
}

function seedSandbox(seed: (obj: Record<string, unknown>) => void): void {
  seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  seed({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: SERVICE, namespace: NAMESPACE, labels: { app: SERVICE } },
    spec: { replicas: 2, selector: { matchLabels: { app: SERVICE } }, template: { metadata: { labels: { app: SERVICE } }, spec: { containers: [{ name: SERVICE, image: 'demo/checkout:1.0' }] } } },
  });
  seed({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: SERVICE, namespace: NAMESPACE },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: SERVICE }, minReplicas: 2, maxReplicas: 10, metrics: [] },
  });
}
