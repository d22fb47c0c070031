import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';

export interface DemoTuning {
  /** Detector for the demo (default robust: predictable on the simulated series; ensemble also works but needs longer warm-up). */
  readonly detector?: 'robust' | 'ensemble';
  /** Bake time before verification (default 15 s; the GSLB drain bakes 35 s, as DNS TTLs make it slower). */
  readonly bakeS?: number;
  /** The approver token (default: random, printed at start). */
  readonly token?: string;
}

export const DEMO_APPROVER = 'demo-approver';

export function newDemoToken(): string {
  return `aiopsd-demo-${randomBytes(16).toString('hex')}`;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/**
 * The daemon config for the demo, on top of the user's (embedded Redis and PGlite unless they set URLs):
 * the sandbox Kubernetes API, writes on (they go to the sandbox only), 1 s detection and RED steps,
 * short bake times, a 60-point window (so verification after a slow approval still sees mostly fresh
 * points), and one approver token with anonymous viewers, so the page shows everything and approving
 * needs the token.
 */
export function demoConfig(base: Config, k8sUrl: string, token: string, tuning: DemoTuning = {}): Config {
  const bakeMs = Math.round((tuning.bakeS ?? 15) * 1000);
  return {
    ...base,
    kubernetes: { ...base.kubernetes, mode: 'url', url: k8sUrl },
    policy: { ...base.policy, dryRun: false, file: undefined },
    detect: { ...base.detect, detector: tuning.detector ?? 'robust', intervalMs: Math.min(base.detect.intervalMs, 1000) },
    series: { ...base.series, windowPoints: 60, minPoints: 20 },
    ingest: { ...base.ingest, red: { ...base.ingest.red, stepMs: 1000, graceMs: 1000 } },
    actions: {
      ...base.actions,
      maxWeightStepPercent: 50,
      bakeTimeMs: {
        'scale-hpa': bakeMs,
        'eject-endpoints': bakeMs,
        'rollback-canary': bakeMs,
        'shift-gslb-weights': Math.max(bakeMs, 35_000),
        ...base.actions.bakeTimeMs,
      },
    },
    api: {
      ...base.api,
      auth: { ...base.api.auth, anonymous: 'viewer', tokens: [...base.api.auth.tokens, { name: DEMO_APPROVER, role: 'approver', kind: 'person', sha256: sha256Hex(token) }] },
    },
  };
}
