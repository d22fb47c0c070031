/**
 * A simulated service fleet: one loopback HTTP /metrics target exposing, per service, request and
 * error counters and a latency histogram, driven by a 1 s tick. Faults change a service's request
 * rate, error probability or latency multiplier from a given instant.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '../../src/lib/random.js';

export type FaultKind = 'error-burst' | 'latency-regression' | 'traffic-drop';
export const FAULT_KINDS: readonly FaultKind[] = ['error-burst', 'latency-regression', 'traffic-drop'];

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5];

interface ServiceState {
  readonly name: string;
  readonly baseRps: number;
  readonly baseErrorP: number;
  readonly medianS: number;
  requests: number;
  errors: number;
  buckets: number[];
  sum: number;
  fault?: FaultKind;
}

/** Deterministic PRNG so runs are comparable. */
export const prng = mulberry32;

export class Fleet {
  private readonly services = new Map<string, ServiceState>();
  private readonly rand: () => number;
  private timer: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  url = '';

  constructor(names: readonly string[], seed = 42) {
    this.rand = prng(seed);
    names.forEach((name, i) => {
      this.services.set(name, {
        name,
        baseRps: 40 + (i % 4) * 15,
        baseErrorP: 0.005 + (i % 3) * 0.003,
        medianS: 0.03 + (i % 5) * 0.01,
        requests: 0,
        errors: 0,
        buckets: BUCKETS.map(() => 0),
        sum: 0,
      });
    });
  }

  setFault(service: string, kind: FaultKind | undefined): void {
    const s = this.services.get(service);
    if (!s) throw new Error(`unknown service ${service}`);
    if (kind) s.fault = kind;
    else delete s.fault;
  }

  private poisson(mean: number): number {
    // normal approximation is fine for means of tens of requests per second
    const u = Math.max(1e-12, this.rand());
    const v = this.rand();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }

  private gauss(): number {
    const u = Math.max(1e-12, this.rand());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rand());
  }

  /** One second of traffic for every service. */
  tick(): void {
    for (const s of this.services.values()) {
      const rps = s.fault === 'traffic-drop' ? s.baseRps * 0.2 : s.baseRps;
      const errP = s.fault === 'error-burst' ? 0.25 : s.baseErrorP;
      const latMul = s.fault === 'latency-regression' ? 6 : 1;
      const n = this.poisson(rps);
      for (let i = 0; i < n; i++) {
        if (this.rand() < errP) s.errors++;
        const lat = s.medianS * latMul * Math.exp(0.45 * this.gauss());
        s.sum += lat;
        for (let b = 0; b < BUCKETS.length; b++) if (lat <= BUCKETS[b]!) s.buckets[b]!++;
      }
      s.requests += n;
    }
  }

  exposition(): string {
    const out: string[] = [];
    out.push('# HELP fleet_http_requests_total Requests served.', '# TYPE fleet_http_requests_total counter');
    for (const s of this.services.values()) out.push(`fleet_http_requests_total{service="${s.name}"} ${s.requests}`);
    out.push('# HELP fleet_http_errors_total Requests answered 5xx.', '# TYPE fleet_http_errors_total counter');
    for (const s of this.services.values()) out.push(`fleet_http_errors_total{service="${s.name}"} ${s.errors}`);
    out.push('# HELP fleet_http_request_duration_seconds Request latency.', '# TYPE fleet_http_request_duration_seconds histogram');
    for (const s of this.services.values()) {
      BUCKETS.forEach((le, b) => out.push(`fleet_http_request_duration_seconds_bucket{service="${s.name}",le="${le}"} ${s.buckets[b]}`));
      out.push(`fleet_http_request_duration_seconds_bucket{service="${s.name}",le="+Inf"} ${s.requests}`);
      out.push(`fleet_http_request_duration_seconds_sum{service="${s.name}"} ${s.sum.toFixed(6)}`);
      out.push(`fleet_http_request_duration_seconds_count{service="${s.name}"} ${s.requests}`);
    }
    return out.join('\n') + '\n';
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith('/metrics')) {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(this.exposition());
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.timer = setInterval(() => this.tick(), 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
