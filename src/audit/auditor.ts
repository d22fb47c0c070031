import type { Metrics } from '../telemetry/metrics.js';
import type { AuditActor, AuditEntry, AuditRecord, AuditStore } from './types.js';

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: 'aiopsd' };

const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|private[-_]?key|cookie/i;

/**
 * The one way stages write audit records: counts them, and strips values of secret-looking keys
 * so a record never carries a credential even when a caller passes one by mistake.
 */
export class Auditor {
  constructor(
    private readonly store: AuditStore,
    private readonly metrics: Metrics,
  ) {}

  async record(entry: AuditEntry): Promise<AuditRecord> {
    try {
      const record = await this.store.append({ ...entry, body: redactSecrets(entry.body) as Record<string, unknown> });
      this.metrics.auditRecords.inc({ kind: entry.kind });
      return record;
    } catch (err) {
      this.metrics.auditErrors.inc();
      throw err;
    }
  }
}

/**
 * Strips secret-looking keys' values, and replaces NUL characters (which PostgreSQL text cannot hold)
 * with U+FFFD, so evidence that carries odd telemetry never makes an audit append fail.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '<redacted>' : redactSecrets(v, depth + 1);
  return out;
}
