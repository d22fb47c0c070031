import type { Sql } from '../store/db.js';

export interface TokenBucketOptions {
  /** Bucket size: the largest burst. */
  readonly capacity: number;
  /** Tokens added per minute (continuous refill). */
  readonly refillPerMinute: number;
  /** Row name, so several buckets can share the table (default "global"). */
  readonly name?: string;
}

export type TakeResult = { readonly ok: true; readonly tokensLeft: number } | { readonly ok: false; readonly tokens: number; readonly retryAfterMs: number };

/**
 * A token bucket kept in one SQL row and updated under a row lock, so every replica draws from the
 * same bucket. The refill is computed from the stored timestamp; a clock that goes backwards refills
 * nothing.
 */
export class SqlTokenBucket {
  readonly name: string;

  constructor(
    private readonly sql: Sql,
    readonly options: TokenBucketOptions,
  ) {
    this.name = options.name ?? 'global';
  }

  async take(nowMs: number, n = 1): Promise<TakeResult> {
    const { capacity, refillPerMinute } = this.options;
    return this.sql.transaction(async (tx) => {
      await tx.query('insert into rate_limit_buckets (name, tokens, updated_ms) values ($1, $2, $3) on conflict (name) do nothing', [this.name, capacity, nowMs]);
      const { rows } = await tx.query<{ tokens: number | string; updated_ms: number | string }>('select tokens, updated_ms from rate_limit_buckets where name = $1 for update', [this.name]);
      const row = rows[0]!;
      const elapsed = Math.max(0, nowMs - Number(row.updated_ms));
      const tokens = Math.min(capacity, Number(row.tokens) + (elapsed * refillPerMinute) / 60_000);
      const at = Math.max(nowMs, Number(row.updated_ms));
      if (tokens + 1e-9 < n) {
        await tx.query('update rate_limit_buckets set tokens = $2, updated_ms = $3 where name = $1', [this.name, tokens, at]);
        const retryAfterMs = refillPerMinute > 0 ? Math.ceil(((n - tokens) * 60_000) / refillPerMinute) : Number.POSITIVE_INFINITY;
        return { ok: false, tokens, retryAfterMs } as const;
      }
      await tx.query('update rate_limit_buckets set tokens = $2, updated_ms = $3 where name = $1', [this.name, tokens - n, at]);
      return { ok: true, tokensLeft: tokens - n } as const;
    });
  }

  /** Give a token back (its decision was dropped by a later stage). */
  async refund(n = 1): Promise<void> {
    await this.sql.query('update rate_limit_buckets set tokens = least($2::double precision, tokens + $3) where name = $1', [this.name, this.options.capacity, n]);
  }
}
