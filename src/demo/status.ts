import type { Daemon } from '../daemon.js';
import type { Decision } from '../domain/types.js';
import { errorMessage } from '../lib/errors.js';
import type { ScheduledFault } from './faults.js';

/** Decisions dropped as repeats of one already running (dedup, cooldown) are counted, not printed. */
const QUIET_REASONS = /^(dedup|cooldown)\b/;

export interface RemediationRecord {
  readonly kind: string;
  readonly decisionId: string;
  readonly status: string;
  /** Seconds from the demo's start. */
  readonly atS: number;
}

/**
 * One line per incident or decision whenever its state changes, one per injected fault, and a line
 * for each remediation kind once it is verified (with the time from its fault).
 */
export class StatusPrinter {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, string>();
  private quiet = 0;
  /** Seconds from start when all four remediation kinds were verified. */
  done: number | undefined;
  private polling: Promise<void> = Promise.resolve();
  readonly verified = new Map<string, RemediationRecord>();
  private readonly faultAt = new Map<string, number>();

  constructor(
    private readonly daemon: Daemon,
    private readonly startedAtMs: number,
    private readonly out: (line: string) => void,
    private readonly approveHint: (d: Decision) => string,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.polling = this.poll().catch((err: unknown) => this.out(`status: ${errorMessage(err)}`));
    }, 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  fault(f: ScheduledFault): void {
    this.faultAt.set(f.remediation, Date.now());
    this.line(`FAULT ${f.name}: ${f.description} (expect ${f.remediation})`);
  }

  private async poll(): Promise<void> {
    for (const inc of this.daemon.pipeline.incidents()) {
      const top = inc.anomalies[inc.anomalies.length - 1];
      const what = top ? ` latest ${top.metric}${labelText(top.labels)}` : '';
      this.emit(inc.id, `incident ${inc.id.slice(0, 12)} ${inc.groupKey}: ${inc.status}${what}`, `${inc.status}`);
    }
    for (const d of (await this.daemon.decisions.list({ limit: 100 })).reverse()) {
      if (d.status === 'suppressed' && QUIET_REASONS.test(d.reason ?? '')) {
        if (!this.seen.has(d.id)) this.quiet++;
        this.seen.set(d.id, 'quiet');
        continue;
      }
      const plan = d.result?.plan ? ` ${JSON.stringify(compact(d.result.plan.before))} -> ${JSON.stringify(compact(d.result.plan.after))}` : '';
      const hint = d.status === 'pending_approval' ? `  ${this.approveHint(d)}` : '';
      const reason = d.reason && d.status !== 'verified' ? ` (${d.reason.slice(0, 120)})` : '';
      const changed = this.emit(d.id, `decision ${d.id.slice(0, 12)} [${d.rule}] ${d.action.type} ${d.action.target.namespace}/${d.action.target.name}: ${d.status}${reason}${d.status === 'executing' || d.status === 'verified' ? plan : ''}${hint}`, d.status);
      if (changed && d.status === 'verified' && !this.verified.has(d.action.type)) {
        const atS = (Date.now() - this.startedAtMs) / 1000;
        this.verified.set(d.action.type, { kind: d.action.type, decisionId: d.id, status: d.status, atS });
        const from = this.faultAt.get(d.action.type);
        this.line(`VERIFIED ${d.action.type} at ${atS.toFixed(0)} s${from ? ` (${((Date.now() - from) / 1000).toFixed(0)} s after its fault)` : ''}; ${this.verified.size}/4 remediation kinds done${this.quiet ? `; ${this.quiet} repeat decisions suppressed by dedup/cooldown` : ''}`);
        if (this.verified.size === 4) {
          this.done = atS;
          this.line(`ALL four remediation kinds verified within ${atS.toFixed(0)} s. The audit chain: ${this.daemon.url}/api/v1/audit; Ctrl-C stops.`);
        }
      }
    }
  }

  /** Print when the state (not the wording) changed; true when printed. */
  private emit(key: string, line: string, state: string): boolean {
    if (this.seen.get(key) === state) return false;
    this.seen.set(key, state);
    this.line(line);
    return true;
  }

  private line(text: string): void {
    if (text.length > 400) text = `${text.slice(0, 397)}...`;
    this.out(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
  }
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const keep = Object.entries(labels).filter(([k]) => !['__name__', 'job', 'namespace', 'service'].includes(k));
  return keep.length ? `{${keep.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
}

/** Plans can be large (eject lists every pod): keep the interesting top-level fields. */
function compact(x: Readonly<Record<string, unknown>>): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k === 'service' || k === 'selectorLabel' || k === 'lever') continue;
    out[k] = Array.isArray(v) && v.length > 3 ? `[${v.length} items]` : v;
  }
  return out;
}
