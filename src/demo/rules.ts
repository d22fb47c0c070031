import type { PolicyRule } from '../policy/rules.js';

/** The sandbox namespace every demo object lives in. */
export const DEMO_NAMESPACE = 'demo';

/** One rule per remediation kind; each matches exactly one of the demo's faults (src/demo/faults.ts). */
export const DEMO_RULES: PolicyRule[] = [
  {
    // Saturation: checkout's trace-derived p95/p99 latency climbs as load per replica passes capacity.
    name: 'scale-out-checkout-on-latency',
    when: { service: 'checkout', metric: 'aiopsd_trace_latency_seconds', labels: { quantile: '=~0.95|0.99' }, 'score>=': 0.99 },
    action: { type: 'scale-hpa', target: { namespace: DEMO_NAMESPACE, name: 'checkout' }, params: { minReplicas: 6, maxReplicas: 12 } },
    cooldownMs: 600_000,
    shadow: false,
  },
  {
    // Error burst on one pod: that pod's errors per second (remote_write, label pod) jump.
    name: 'eject-erroring-payments-pod',
    when: { service: 'payments', metric: 'demo_http_errors_per_second', labels: { pod: '=~.+' }, 'score>=': 0.99 },
    action: { type: 'eject-endpoints', target: { namespace: DEMO_NAMESPACE, name: 'payments' }, params: { destinationRule: 'payments' } },
    cooldownMs: 600_000,
    shadow: false,
  },
  {
    // Latency regression in the catalog canary: catalog's p95/p99 (a quarter of requests hit the canary) climbs.
    name: 'rollback-catalog-canary',
    when: { service: 'catalog', metric: 'aiopsd_trace_latency_seconds', labels: { quantile: '=~0.95|0.99' }, 'score>=': 0.99 },
    action: { type: 'rollback-canary', target: { namespace: DEMO_NAMESPACE, name: 'catalog' }, params: { canarySubset: 'canary' } },
    cooldownMs: 600_000,
    shadow: false,
  },
  {
    // Regional outage: errors per second served from one region; draining it needs a person's approval.
    name: 'drain-failing-region',
    when: { service: 'frontend', metric: 'demo_gslb_errors_per_second', labels: { region: '=~.+' }, 'score>=': 0.99 },
    action: {
      type: 'shift-gslb-weights',
      target: { namespace: DEMO_NAMESPACE, name: 'frontend' },
      params: { provider: 'k8gb', mode: 'drain', maxWeightStepPercent: 50, minWeight: 0 },
    },
    approval: { required: true },
    cooldownMs: 600_000,
    shadow: false,
  },
];

/** Which rule remediates which demo fault (for status lines and the test). */
export const REMEDIATION_KINDS = ['scale-hpa', 'eject-endpoints', 'rollback-canary', 'shift-gslb-weights'] as const;
