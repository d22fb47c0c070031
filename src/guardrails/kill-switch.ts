import type { Sql } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import type { AuditActor } from '../audit/types.js';

export interface KillSwitchState {
  readonly on: boolean;
  /** True when config `killSwitch: true` holds it on (it cannot be turned off at runtime then). */
  readonly forced: boolean;
  readonly actor: AuditActor | undefined;
  readonly reason: string;
  readonly updatedAtMs: number | undefined;
}

export interface KillSwitchOptions {
  /** Config `guardrails.killSwitch: true`: on regardless of the stored state. */
  readonly forcedOn?: boolean;
  /** Called after every successful set() (the caller audits it and pauses/resumes the queue). */
  readonly onChange?: (state: KillSwitchState) => void | Promise<void>;
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
    const stored = r
      ? { on: r.is_on, actor: (typeof r.actor === 'string' ? JSON.parse(r.actor) : r.actor) as AuditActor, reason: r.reason, updatedAtMs: Number(r.updated_at_ms) }
      : { on: false, actor: undefined, reason: '', updatedAtMs: undefined };
    if (this.forcedOn) return { ...stored, on: true, forced: true, reason: stored.on ? stored.reason : 'forced on by config (guardrails.killSwitch: true)' };
    return { ...stored, forced: false };
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

  async set(on: boolean, actor: AuditActor, reason: string): Promise<KillSwitchState> {
    if (!on && this.forcedOn) {
      throw new AppError('kill_switch_forced', 'the kill switch is forced on by configuration (guardrails.killSwitch: true); change the config to turn it off', { httpStatus: 409 });
    }
    if (reason.trim() === '') throw new AppError('invalid_reason', 'a reason is required to flip the kill switch', { httpStatus: 400 });
    await this.sql.query(
      `insert into kill_switch (id, is_on, actor, reason, updated_at_ms) values (1, $1, $2::jsonb, $3, $4)
       on conflict (id) do update set is_on = excluded.is_on, actor = excluded.actor, reason = excluded.reason, updated_at_ms = excluded.updated_at_ms`,
      [on, JSON.stringify(actor), reason, this.clock.nowMs()],
    );
    const state = await this.get();
    await this.options.onChange?.(state);
    return state;
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
