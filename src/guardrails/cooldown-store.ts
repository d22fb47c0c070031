import type { Sql } from '../store/db.js';

export type CooldownClaim =
  | { readonly ok: true; readonly previousMs: number | undefined }
  | { readonly ok: false; readonly lastMs: number; readonly lastDecisionId: string | undefined };

/**
 * Last decision time per (target, action) key, in SQL so all replicas share it. `claim` is one
 * conditional upsert: of two replicas racing for the same key within the cooldown, exactly one wins.
 */
export class SqlCooldownStore {
  constructor(private readonly sql: Sql) {}

  async claim(key: string, nowMs: number, cooldownMs: number, decisionId: string): Promise<CooldownClaim> {
    return this.sql.transaction(async (tx) => {
      const prev = await tx.query<{ last_ms: string | number; decision_id: string | null }>('select last_ms, decision_id from policy_cooldowns where key = $1 for update', [key]);
      const p = prev.rows[0];
      if (p !== undefined && nowMs - Number(p.last_ms) < cooldownMs) {
        return { ok: false, lastMs: Number(p.last_ms), lastDecisionId: p.decision_id ?? undefined } as const;
      }
      const { rows } = await tx.query<{ key: string }>(
        `insert into policy_cooldowns (key, last_ms, decision_id) values ($1, $2, $3)
         on conflict (key) do update set last_ms = excluded.last_ms, decision_id = excluded.decision_id
         where policy_cooldowns.last_ms <= $2 - $4
         returning key`,
        [key, nowMs, decisionId, cooldownMs],
      );
      if (rows.length === 0) {
        // A concurrent first insert won between our read and our write.
        const again = await tx.query<{ last_ms: string | number; decision_id: string | null }>('select last_ms, decision_id from policy_cooldowns where key = $1', [key]);
        const a = again.rows[0]!;
        return { ok: false, lastMs: Number(a.last_ms), lastDecisionId: a.decision_id ?? undefined } as const;
      }
      return { ok: true, previousMs: p === undefined ? undefined : Number(p.last_ms) } as const;
    });
  }

  /** Undo a claim whose decision a later stage dropped (only if nobody claimed the key since). */
  async release(key: string, decisionId: string, previousMs: number | undefined): Promise<void> {
    if (previousMs === undefined) {
      await this.sql.query('delete from policy_cooldowns where key = $1 and decision_id = $2', [key, decisionId]);
    } else {
      await this.sql.query('update policy_cooldowns set last_ms = $3, decision_id = null where key = $1 and decision_id = $2', [key, decisionId, previousMs]);
    }
  }
}
