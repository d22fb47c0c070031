import type { Sql } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import type { AuditActor, AuditEntry } from '../audit/types.js';

export interface KillSwitchState {
  readonly on: boolean;
  /** True when config `killSwitch: true` holds it on (it cannot be turned off at runtime then). */
  readonly forced: boolean;
  readonly actor: AuditActor | undefined;
  readonly reason: string;
  readonly updatedAtMs: number | undefined;
  /** Same as actor.id / updatedAtMs, in the shape the API's KillSwitchPort reads. */
  readonly by?: string;
  readonly atMs?: number;
}

export interface KillSwitchOptions {
  /** Config `guardrails.killSwitch: true`: on regardless of the stored state. */
  readonly forcedOn?: boolean;
  /** Called after every successful set() (the caller audits it and pauses/resumes the queue). */
  readonly onChange?: (state: KillSwitchState) => void | Promise<void>;
  /** When given, set() writes the 'killswitch' audit record (actor, reason, before/after). */
  readonly auditor?: { record(entry: AuditEntry): Promise<unknown> };
}

interface Row {
  is_on: boolean;
  actor: AuditActor | string;
  reason: string;
  updated_at_ms: string | number;
}

/**
 * The kill switch, persisted in SQL so every replica and a restarted one sees it. isOn() reads the
 * row every time (one primary-key lookup): it is the executor's right-before-write check, so it must
 * never answer from a stale cache. A database error reads as ON (fail closed).
 */
export class KillSwitch {
  private readonly forcedOn: boolean;
  private lastKnown: { on: boolean; atMs: number } | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly clock: Clock,
    private readonly options: KillSwitchOptions = {},
  ) {
    this.forcedOn = options.forcedOn ?? false;
  }

  async get(): Promise<KillSwitchState> {
    const { rows } = await this.sql.query<Row>('select is_on, actor, reason, updated_at_ms from kill_switch where id = 1');
    const r = rows[0];
    this.lastKnown = { on: this.forcedOn || (r?.is_on ?? false), atMs: Date.now() };
    const stored = r
      ? { on: r.is_on, actor: (typeof r.actor === 'string' ? JSON.parse(r.actor) : r.actor) as AuditActor, reason: r.reason, updatedAtMs: Number(r.updated_at_ms) }
      : { on: false, actor: undefined, reason: '', updatedAtMs: undefined };
    const extra = { ...(stored.actor && { by: stored.actor.id }), ...(stored.updatedAtMs !== undefined && { atMs: stored.updatedAtMs }) };
    if (this.forcedOn) return { ...stored, ...extra, on: true, forced: true, reason: stored.on ? stored.reason : 'forced on by config (guardrails.killSwitch: true)' };
    return { ...stored, ...extra, forced: false };
  }

  /** Fail closed: when the state cannot be read, nothing may run. */
  async isOn(): Promise<boolean> {
    if (this.forcedOn) return true;
    try {
      return (await this.get()).on;
    } catch {
      return true;
    }
  }

  /**
   * Synchronous view for callers that cannot await (ActionExecutor's writesAllowed): the state from the
   * last read, which a KillSwitchQueuePauser refreshes every interval. Fails closed: ON when never
   * read, or when the last read is older than `maxAgeMs`. Prefer `await isOn()` right before a write.
   */
  isOnCached(maxAgeMs = 5000): boolean {
    if (this.forcedOn) return true;
    if (!this.lastKnown || Date.now() - this.lastKnown.atMs > maxAgeMs) return true;
    return this.lastKnown.on;
  }

  async set(on: boolean, actor: AuditActor, reason: string): Promise<void> {
    if (!on && this.forcedOn) {
      throw new AppError('kill_switch_forced', 'the kill switch is forced on by configuration (guardrails.killSwitch: true); change the config to turn it off', { httpStatus: 409 });
    }
    if (reason.trim() === '') throw new AppError('invalid_reason', 'a reason is required to flip the kill switch', { httpStatus: 400 });
    const before = await this.get().catch(() => undefined);
    await this.sql.query(
      `insert into kill_switch (id, is_on, actor, reason, updated_at_ms) values (1, $1, $2::jsonb, $3, $4)
       on conflict (id) do update set is_on = excluded.is_on, actor = excluded.actor, reason = excluded.reason, updated_at_ms = excluded.updated_at_ms`,
      [on, JSON.stringify(actor), reason, this.clock.nowMs()],
    );
    const state = await this.get();
    await this.options.auditor?.record({ kind: 'killswitch', actor, body: { reason, before: { on: before?.on ?? null }, after: { on: state.on }, forced: state.forced } });
    await this.options.onChange?.(state);
  }
}

/** Something that can be paused: RemediationQueue (BullMQ global pause). */
export interface Pausable {
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/**
 * Keeps the BullMQ queue paused while the kill switch is on, on every replica (a switch flipped
 * through another replica's API is seen within `intervalMs`).
 */
export class KillSwitchQueuePauser {
  private timer: NodeJS.Timeout | undefined;
  private paused: boolean | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly killSwitch: KillSwitch,
    private readonly queue: Pausable,
    private readonly intervalMs = 2000,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  start(): void {
    void this.sync();
    this.timer = setInterval(() => void this.sync(), this.intervalMs);
    this.timer.unref();
  }

  /** Apply the current state now (also call it right after set()). */
  async sync(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const on = await this.killSwitch.isOn();
        if (on && this.paused !== true) {
          await this.queue.pause();
          this.paused = true;
        } else if (!on && this.paused !== false) {
          await this.queue.resume();
          this.paused = false;
        }
      } catch (err) {
        this.onError(err);
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
