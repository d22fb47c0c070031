/**
 * Outgoing webhooks, as a pipeline of small stages, each testable alone with a Clock:
 *
 *   publish(event) → Dedup (same event id within a window: dropped)
 *                  → Grouper (Alertmanager-like: group_wait, group_interval, repeat_interval per group key)
 *                  → RetryingNotifier (network errors, 5xx and 429 are retried with exponential backoff)
 *                  → HttpWebhookNotifier (JSON; HMAC-SHA256 over `timestamp.body`, timestamp header)
 *
 * Delivery is at-least-once per flush while the process lives; groups are in memory (a restart
 * forgets unsent groups — the audit log stays the record of truth).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { NotifyEvent, NotifyEventType } from './events.js';
import { renderTemplate } from './template.js';

export type NotifyResult = { ok: true } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number };

export interface Notifier<T> {
  notify(message: T): Promise<NotifyResult>;
}

/** What one webhook POST carries. */
export interface GroupMessage {
  readonly version: '1';
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  /** true when this is a repeat of an unchanged group (repeat_interval). */
  readonly repeat: boolean;
  readonly events: readonly NotifyEvent[];
  /** The rendered template (when configured). */
  text?: string;
}

// ---------------------------------------------------------------- signing

export const SIGNATURE_HEADER = 'X-Aiopsd-Signature';
export const TIMESTAMP_HEADER = 'X-Aiopsd-Timestamp';

/** `sha256=` + hex HMAC-SHA256(secret, `${timestamp}.${body}`), timestamp in unix seconds. */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): constant-time check plus a freshness window. */
export function verifyWebhook(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, nowMs: number, toleranceSec = 300): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSec) return false;
  const want = Buffer.from(signWebhook(secret, Number(timestamp), body));
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

// ---------------------------------------------------------------- HTTP

export interface HttpWebhookOptions {
  readonly url: string;
  readonly secret?: string;
  readonly clock: Clock;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
}

export class HttpWebhookNotifier implements Notifier<GroupMessage> {
  constructor(private readonly opts: HttpWebhookOptions) {}

  async notify(message: GroupMessage): Promise<NotifyResult> {
    const body = JSON.stringify(message);
    const ts = Math.floor(this.opts.clock.nowMs() / 1000);
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'aiopsd-webhook', ...this.opts.headers, [TIMESTAMP_HEADER]: String(ts) };
    if (this.opts.secret) headers[SIGNATURE_HEADER] = signWebhook(this.opts.secret, ts, body);
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(this.opts.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000), redirect: 'error' });
    } catch (err) {
      return { ok: false, retryable: true, error: `network: ${errorMessage(err)}` };
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true };
    const retryable = res.status === 429 || res.status >= 500;
    const ra = Number(res.headers.get('retry-after'));
    return { ok: false, retryable, error: `HTTP ${res.status}`, ...(retryable && Number.isFinite(ra) && ra > 0 ? { retryAfterMs: Math.min(ra * 1000, 300_000) } : {}) };
  }
}

// ---------------------------------------------------------------- retry

export interface RetryOptions {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Waits; tests pass one that advances a ManualClock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** 0..1; default Math.random (full jitter on top of half the backoff). */
  readonly random?: () => number;
}

export class RetryingNotifier<T> implements Notifier<T> {
  /** Delays actually waited, for tests and logs. */
  readonly waits: number[] = [];
  constructor(
    private readonly inner: Notifier<T>,
    private readonly opts: RetryOptions,
  ) {}

  backoffMs(attempt: number): number {
    const exp = Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** (attempt - 1));
    const r = (this.opts.random ?? Math.random)();
    return Math.round(exp / 2 + (exp / 2) * r);
  }

  async notify(message: T): Promise<NotifyResult> {
    let last: NotifyResult = { ok: false, retryable: false, error: 'not attempted' };
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      last = await this.inner.notify(message);
      if (last.ok || !last.retryable || attempt === this.opts.maxAttempts) return last;
      const wait = Math.max(this.backoffMs(attempt), last.retryAfterMs ?? 0);
      this.waits.push(wait);
      await (this.opts.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms).unref())))(wait);
    }
    return last;
  }
}

// ---------------------------------------------------------------- dedup

export class Dedup {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 3_600_000,
    private readonly max = 10_000,
  ) {}

  /** True the first time an id is seen within the window. */
  accept(id: string): boolean {
    const now = this.clock.nowMs();
    for (const [k, at] of this.seen) {
      if (now - at <= this.windowMs && this.seen.size <= this.max) break;
      this.seen.delete(k); // oldest first (insertion order)
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }
}

// ---------------------------------------------------------------- grouping

export interface GroupingOptions {
  /** Event fields forming the group key (type, service, incidentId, decisionId, target). */
  readonly groupBy: readonly string[];
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  /** 0 = never repeat. */
  readonly repeatIntervalMs: number;
  /** Events kept per group (newest). */
  readonly maxEvents?: number;
}

interface Group {
  key: string;
  labels: Record<string, string>;
  pending: NotifyEvent[];
  last: NotifyEvent[];
  createdAtMs: number;
  lastFlushMs: number | undefined;
}

const TERMINAL: ReadonlySet<NotifyEventType> = new Set(['incident.resolved', 'decision.executed', 'decision.reverted']);

/**
 * Alertmanager's timing: a new group waits group_wait before its first message; new events in a
 * group already sent wait until group_interval after the last message; a group with nothing new
 * is re-sent every repeat_interval while it is still open (its latest event is not terminal).
 */
export class Grouper {
  private readonly groups = new Map<string, Group>();
  constructor(
    private readonly opts: GroupingOptions,
    private readonly clock: Clock,
  ) {}

  add(event: NotifyEvent): void {
    const labels: Record<string, string> = {};
    for (const f of this.opts.groupBy) labels[f] = groupValue(event, f);
    const key = JSON.stringify(labels);
    let g = this.groups.get(key);
    if (!g) {
      g = { key, labels, pending: [], last: [], createdAtMs: this.clock.nowMs(), lastFlushMs: undefined };
      this.groups.set(key, g);
    }
    g.pending.push(event);
    const max = this.opts.maxEvents ?? 50;
    if (g.pending.length > max) g.pending.splice(0, g.pending.length - max);
  }

  /** Messages due now; call regularly (a timer) or after moving a ManualClock. */
  due(): GroupMessage[] {
    const now = this.clock.nowMs();
    const out: GroupMessage[] = [];
    for (const g of this.groups.values()) {
      if (g.pending.length > 0) {
        const ready = g.lastFlushMs === undefined ? now >= g.createdAtMs + this.opts.groupWaitMs : now >= g.lastFlushMs + this.opts.groupIntervalMs;
        if (!ready) continue;
        out.push({ version: '1', groupKey: g.key, groupLabels: g.labels, repeat: false, events: g.pending });
        g.last = g.pending;
        g.pending = [];
        g.lastFlushMs = now;
      } else if (this.opts.repeatIntervalMs > 0 && g.lastFlushMs !== undefined && now >= g.lastFlushMs + this.opts.repeatIntervalMs) {
        out.push({ version: '1', groupKey: g.key, groupLabels: g.labels, repeat: true, events: g.last });
        g.lastFlushMs = now;
      }
    }
    // A group whose latest event closes it is forgotten once sent (no repeats for resolved things).
    for (const [k, g] of this.groups) {
      const latest = g.last[g.last.length - 1];
      if (g.pending.length === 0 && latest && TERMINAL.has(latest.type)) this.groups.delete(k);
      else if (g.pending.length === 0 && this.opts.repeatIntervalMs === 0 && g.lastFlushMs !== undefined) this.groups.delete(k);
    }
    return out;
  }

  get size(): number {
    return this.groups.size;
  }
}

function groupValue(e: NotifyEvent, field: string): string {
  switch (field) {
    case 'type':
      return e.type;
    case 'service':
      return e.service ?? '';
    case 'incidentId':
      return e.incidentId ?? '';
    case 'decisionId':
      return e.decisionId ?? '';
    case 'target':
      return e.target ? `${e.target.namespace}/${e.target.name}` : '';
    default:
      return '';
  }
}

// ---------------------------------------------------------------- one configured webhook

export interface WebhookConfig extends GroupingOptions {
  readonly name: string;
  readonly url: string;
  readonly secret?: string;
  /** Event types sent to this webhook (default all). */
  readonly events?: readonly NotifyEventType[];
  /** `{{field.path}}` template rendered into message.text (context: the GroupMessage). */
  readonly template?: string;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs?: number;
}

export class WebhookChannel {
  private readonly dedup: Dedup;
  private readonly grouper: Grouper;
  private readonly sender: Notifier<GroupMessage>;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    readonly config: WebhookConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
    opts: { notifier?: Notifier<GroupMessage>; sleep?: (ms: number) => Promise<void>; random?: () => number } = {},
  ) {
    this.dedup = new Dedup(clock);
    this.grouper = new Grouper(config, clock);
    const http = opts.notifier ?? new HttpWebhookNotifier({ url: config.url, clock, ...(config.secret ? { secret: config.secret } : {}), ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) });
    this.sender = new RetryingNotifier(http, { maxAttempts: config.maxAttempts, baseMs: config.backoffMs, maxMs: config.maxBackoffMs, ...(opts.sleep ? { sleep: opts.sleep } : {}), ...(opts.random ? { random: opts.random } : {}) });
  }

  publish(event: NotifyEvent): void {
    if (this.config.events && !this.config.events.includes(event.type)) return;
    if (!this.dedup.accept(event.id)) return;
    this.grouper.add(event);
  }

  /** Sends every due group (one at a time, in order). */
  tick(): Promise<void> {
    const due = this.grouper.due();
    if (due.length === 0) return this.sending;
    this.sending = this.sending.then(async () => {
      for (const m of due) {
        if (this.config.template) m.text = renderTemplate(this.config.template, m);
        const r = await this.sender.notify(m);
        if (!r.ok) this.logger.warn({ webhook: this.config.name, group: m.groupKey, error: r.error }, 'webhook delivery failed; giving up on this message');
      }
    });
    return this.sending;
  }
}

/** All configured webhooks, driven by one timer. */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  constructor(readonly channels: readonly WebhookChannel[]) {}

  publish(event: NotifyEvent): void {
    for (const c of this.channels) c.publish(event);
  }

  tick(): Promise<void> {
    return Promise.all(this.channels.map((c) => c.tick())).then(() => undefined);
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.tick();
  }
}
