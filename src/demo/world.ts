import type { K8sObject, K8sStore } from '../sandbox/k8s-api-server.js';
import type { TimeSeriesV1Input } from '../ingest/remote-write/encode.js';
import { SPAN_KIND_SERVER, STATUS_ERROR, STATUS_UNSET, type OtlpSpan, type OtlpTraces } from '../ingest/otlp/types.js';
import { DEMO_NAMESPACE as NS } from './rules.js';
import { DEMO_SERVICES, REGIONS, type DemoService } from './sandbox-seed.js';
import { mulberry32 } from '../lib/random.js';

/** Faults currently injected (set by the schedule in faults.ts). */
export interface FaultState {
  /** checkout's load is 3×: more than its replicas can serve. */
  saturation: boolean;
  /** This payments pod answers half its requests with 500s. */
  erroringPod: string | undefined;
  /** The catalog canary is 12× slower than stable. */
  canaryRegression: boolean;
  /** This region fails 80% of requests. */
  outageRegion: string | undefined;
}

/** What the sandbox says right now: the levers the remediations pull. */
export interface Levers {
  checkoutReplicas: number;
  paymentsServing: string[];
  paymentsPods: string[];
  canaryWeight: number;
  regionWeights: Record<string, number>;
}

/** Spans per service and second (a sample of the requests; the metrics carry the full rates). */
const SPANS_PER_TICK = 24;
const CHECKOUT_CAPACITY_PER_REPLICA = 40;

/**
 * The simulated services. Each tick reads the levers from the sandbox (so a remediation changes what the
 * services do), applies the injected faults, and returns one tick of metrics (remote_write) and spans (OTLP):
 * - checkout: latency grows with load per replica (saturation → scale-hpa lowers it);
 * - payments: per-pod requests and errors per second; an ejected pod gets no traffic (→ eject-endpoints);
 * - catalog: a quarter of requests go to the canary; rollback sends them all to stable (→ rollback-canary);
 * - frontend: traffic per region follows the Gslb weights; draining a failing region removes its errors.
 */
export class DemoWorld {
  readonly faults: FaultState = { saturation: false, erroringPod: undefined, canaryRegression: false, outageRegion: undefined };
  private readonly rng: () => number;
  private spanWindow: [number, number] | undefined;

  constructor(
    private readonly store: K8sStore,
    seed = 42,
  ) {
    this.rng = mulberry32(seed);
  }

  /**
   * A request's latency around `base`: log-normal (σ 0.35), so p95/p99 of a second's spans have a real
   * spread and a sparse second (a delayed tick) does not look like an anomaly.
   */
  private latency(base: number): number {
    const u = Math.max(1e-9, this.rng());
    const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rng());
    return base * Math.exp(0.35 * gauss);
  }

  /** Uniform noise in [1 - spread, 1 + spread]: a robust baseline always has a non-zero spread. */
  private jitter(spread: number): number {
    return 1 + (this.rng() * 2 - 1) * spread;
  }

  levers(): Levers {
    const get = (group: string, resource: string, name: string): K8sObject | undefined => this.store.get({ group, resource, namespace: NS, name });
    const spec = (o: K8sObject | undefined): Record<string, unknown> => (o?.spec ?? {}) as Record<string, unknown>;
    const hpaMin = Number(spec(get('autoscaling', 'horizontalpodautoscalers', 'checkout')).minReplicas ?? 1);
    const depReplicas = Number(spec(get('apps', 'deployments', 'checkout')).replicas ?? 1);
    const pods = this.store.list('', 'pods', NS).filter((p) => p.metadata?.name?.startsWith('payments-'));
    const serving = pods.filter((p) => p.metadata?.labels?.app === 'payments').map((p) => p.metadata!.name!);
    const http = (spec(get('networking.istio.io', 'virtualservices', 'catalog')).http ?? []) as Array<{ route?: Array<{ destination?: { subset?: string }; weight?: number }> }>;
    const canaryWeight = http[0]?.route?.find((r) => r.destination?.subset === 'canary')?.weight ?? 0;
    const strategy = (spec(get('k8gb.absa.oss', 'gslbs', 'frontend')).strategy ?? {}) as { weight?: Record<string, number> };
    return {
      checkoutReplicas: Math.max(hpaMin, depReplicas),
      paymentsServing: serving,
      paymentsPods: pods.map((p) => p.metadata!.name!),
      canaryWeight,
      regionWeights: { ...Object.fromEntries(REGIONS.map((r) => [r, 0])), ...(strategy.weight ?? {}) },
    };
  }

  /** A tiny HPA controller: the checkout Deployment follows its HPA's floor, as kube-controller-manager would. */
  reconcile(): void {
    const hpa = this.store.get({ group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: NS, name: 'checkout' });
    const min = Number((hpa?.spec as { minReplicas?: number } | undefined)?.minReplicas ?? 1);
    const key = { group: 'apps', resource: 'deployments', namespace: NS, name: 'checkout' };
    const dep = this.store.get(key);
    const replicas = Number((dep?.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    if (dep && replicas < min) this.store.mutate(key, (o) => void ((o.spec as { replicas: number }).replicas = min));
  }

  private lastTickMs: number | undefined;

  /**
   * One tick: metrics stamped nowMs, spans ending evenly over the time since the previous tick, so each
   * 1 s RED step gets the same number of spans however the timer drifts.
   */
  tick(nowMs: number): { series: TimeSeriesV1Input[]; traces: OtlpTraces } {
    const fromMs = Math.max(nowMs - 5000, Math.min(nowMs - 1, this.lastTickMs ?? nowMs - 1000));
    this.lastTickMs = nowMs;
    this.spanWindow = [fromMs, nowMs];
    this.reconcile();
    const lv = this.levers();
    const series: TimeSeriesV1Input[] = [];
    const gauge = (name: string, labels: Record<string, string>, value: number): void => {
      const all = { __name__: name, job: 'demo', namespace: NS, ...labels };
      series.push({ labels: Object.entries(all).map(([n, v]) => ({ name: n, value: v })), samples: [{ value, timestamp: nowMs }] });
    };
    const spans: Record<DemoService, OtlpSpan[]> = { frontend: [], checkout: [], payments: [], catalog: [] };

    // checkout: latency from utilisation.
    const load = 50 * (this.faults.saturation ? 3 : 1) * this.jitter(0.05);
    const util = load / (lv.checkoutReplicas * CHECKOUT_CAPACITY_PER_REPLICA);
    const slow = util <= 0.8 ? 1 : 1 + (util - 0.8) * 10;
    gauge('demo_http_requests_per_second', { service: 'checkout' }, load);
    gauge('demo_service_replicas', { service: 'checkout' }, lv.checkoutReplicas);
    for (let i = 0; i < SPANS_PER_TICK; i++) spans.checkout.push(this.span(nowMs, 'POST /checkout', this.latency(0.08 * slow), false));

    // payments: 90 rps spread over the serving pods; the erroring pod fails half its requests.
    for (const pod of lv.paymentsPods) {
      const serving = lv.paymentsServing.includes(pod);
      const rps = serving ? (90 / Math.max(1, lv.paymentsServing.length)) * this.jitter(0.05) : 0;
      const ratio = pod === this.faults.erroringPod ? 0.5 : 0.003 * this.jitter(0.5);
      gauge('demo_http_requests_per_second', { service: 'payments', pod }, rps);
      gauge('demo_http_errors_per_second', { service: 'payments', pod }, rps * ratio);
      const n = serving ? Math.round(SPANS_PER_TICK / Math.max(1, lv.paymentsServing.length)) : 0;
      for (let i = 0; i < n; i++) spans.payments.push(this.span(nowMs, 'POST /charge', this.latency(0.12), pod === this.faults.erroringPod && this.rng() < ratio, { 'k8s.pod.name': pod }));
    }

    // catalog: the canary's share follows the VirtualService weight.
    const share = lv.canaryWeight / 100;
    gauge('demo_http_requests_per_second', { service: 'catalog', version: 'stable' }, 120 * (1 - share) * this.jitter(0.05));
    gauge('demo_http_requests_per_second', { service: 'catalog', version: 'canary' }, 120 * share * this.jitter(0.05));
    for (let i = 0; i < SPANS_PER_TICK; i++) {
      const canary = this.rng() < share;
      const base = canary && this.faults.canaryRegression ? 0.6 : 0.05;
      spans.catalog.push(this.span(nowMs, 'GET /products', this.latency(base), false));
    }

    // frontend: 200 rps split by the Gslb weights; the failing region errs on 80% of its requests.
    const total = Object.values(lv.regionWeights).reduce((a, b) => a + b, 0) || 1;
    for (const region of REGIONS) {
      const rps = (200 * (lv.regionWeights[region] ?? 0)) / total;
      const ratio = region === this.faults.outageRegion ? 0.8 : 0.002 * this.jitter(0.5);
      gauge('demo_gslb_requests_per_second', { service: 'frontend', region }, rps * this.jitter(0.05));
      gauge('demo_gslb_errors_per_second', { service: 'frontend', region }, rps * ratio);
      const n = Math.round((SPANS_PER_TICK * rps) / 200);
      for (let i = 0; i < n; i++) spans.frontend.push(this.span(nowMs, 'GET /', this.latency(0.03), region === this.faults.outageRegion && this.rng() < ratio, { 'cloud.region': region }));
    }

    const traces: OtlpTraces = {
      resourceSpans: DEMO_SERVICES.map((service) => ({
        resource: [
          { key: 'service.name', value: service },
          { key: 'service.namespace', value: NS },
        ],
        scopeSpans: [{ scope: { name: 'aiopsd-demo', version: '1' }, spans: spans[service] }],
      })),
    };
    return { series, traces };
  }

  private span(nowMs: number, name: string, durationS: number, error: boolean, attrs: Record<string, string> = {}): OtlpSpan {
    const [from, to] = this.spanWindow ?? [nowMs - 1000, nowMs];
    const end = BigInt(Math.floor(from + this.rng() * (to - from))) * 1_000_000n;
    const start = end - BigInt(Math.max(1, Math.round(durationS * 1e9)));
    return {
      traceId: this.hex(32),
      spanId: this.hex(16),
      parentSpanId: '',
      name,
      kind: SPAN_KIND_SERVER,
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      attributes: [{ key: 'http.response.status_code', value: error ? 500n : 200n }, ...Object.entries(attrs).map(([key, value]) => ({ key, value }))],
      statusCode: error ? STATUS_ERROR : STATUS_UNSET,
      statusMessage: '',
    };
  }

  private hex(n: number): string {
    let s = '';
    while (s.length < n) s += Math.floor(this.rng() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, n).replace(/^0/, '1');
  }
}
