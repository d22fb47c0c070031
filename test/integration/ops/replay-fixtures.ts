/** Shared by test/e2e/replay.test.ts and the real-Prometheus replay test. */
export const REPLAY_POLICY = `
cooldownMs: 600000
rules:
  - name: scale-out-checkout
    when: { service: checkout, metric: demo_latency_seconds, score>=: 0.9 }
    action: { type: scale-hpa, target: { namespace: shop, name: "\${service}" }, params: { minReplicas: 6 } }
  - name: drain-region
    when: { metric: demo_region_errors, labels: { region: "=~.+" } }
    action: { type: shift-gslb-weights, target: { namespace: edge, name: shop }, params: { mode: drain } }
    approval: { required: true }
`;

/** 200 points 15 s apart: checkout latency with a 10× spike at points 150..155; a steady region series. */
export function recording(startMs: number): Array<{ labels: Record<string, string>; timestamp: number; value: number }> {
  const rows = [];
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 200; i++) {
    const t = startMs + i * 15_000;
    rows.push({ labels: { __name__: 'demo_latency_seconds', service: 'checkout', job: 'demo' }, timestamp: t, value: (i >= 150 && i <= 155 ? 1.2 : 0.12) * (1 + (rnd() - 0.5) * 0.1) });
    rows.push({ labels: { __name__: 'demo_region_errors', service: 'frontend', region: 'eu', job: 'demo' }, timestamp: t, value: 0.5 * (1 + (rnd() - 0.5) * 0.2) });
  }
  return rows;
}

