/**
 * Flagger rollback through its own lever: aiopsd is registered as a `rollback` webhook in the Canary
 * (spec.analysis.webhooks: {name: aiopsd, type: rollback, url: http://aiopsd.NS/hooks/flagger/rollback}).
 * Flagger calls it during analysis; a 2xx answer makes Flagger roll the canary back itself. aiopsd never
 * edits the weights under Flagger (promise 9): rollback-canary only marks the canary judged-bad here.
 *
 * A judgement is bound to the canary revision: the first webhook call after marking records Flagger's
 * `checksum`, and a call for a different checksum (a new revision) is not rolled back. Judgements expire
 * (ttlMs, default 1 h). The registry is per process: with several replicas, the Service in front of
 * /hooks/flagger/rollback must reach the replica that executed (or the lead backs it with SQL).
 */
import type { Clock } from '../lib/clock.js';

export interface FlaggerJudgement {
  readonly namespace: string;
  readonly name: string;
  readonly reason: string;
  readonly markedAtMs: number;
  readonly expiresAtMs: number;
  /** The canary revision (Flagger's checksum) the judgement applies to, once Flagger has asked. */
  checksum?: string;
  /** How many rollback webhook calls were answered 200 for it. */
  answered: number;
}

export class FlaggerRollbackRegistry {
  private readonly judgements = new Map<string, FlaggerJudgement>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 3_600_000,
  ) {}

  markBad(namespace: string, name: string, reason: string): FlaggerJudgement {
    const now = this.clock.nowMs();
    const existing = this.get(namespace, name);
    if (existing !== undefined) return existing;
    const j: FlaggerJudgement = { namespace, name, reason, markedAtMs: now, expiresAtMs: now + this.ttlMs, answered: 0 };
    this.judgements.set(key(namespace, name), j);
    return j;
  }

  /** Withdraw a judgement (revert). Returns whether there was one. */
  clear(namespace: string, name: string): boolean {
    return this.judgements.delete(key(namespace, name));
  }

  /** The live judgement for a canary, if any (expired ones are dropped). */
  get(namespace: string, name: string): FlaggerJudgement | undefined {
    const j = this.judgements.get(key(namespace, name));
    if (j === undefined) return undefined;
    if (this.clock.nowMs() >= j.expiresAtMs) {
      this.judgements.delete(key(namespace, name));
      return undefined;
    }
    return j;
  }

  isBad(namespace: string, name: string): boolean {
    return this.get(namespace, name) !== undefined;
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Flagger's webhook payload (CanaryWebhookPayload). */
export interface FlaggerWebhookPayload {
  readonly name: string;
  readonly namespace: string;
  readonly phase: string;
  readonly checksum?: string;
  readonly metadata?: Record<string, string>;
}

export interface FlaggerWebhookResponse {
  readonly status: 200 | 400 | 404;
  readonly body: Record<string, unknown>;
}

/**
 * POST /hooks/flagger/rollback: 200 = roll back (aiopsd judged this canary revision bad), 404 = no
 * judgement (Flagger carries on), 400 = not a Flagger payload. The route wires this in.
 */
export function handleFlaggerRollbackWebhook(registry: FlaggerRollbackRegistry, body: unknown): FlaggerWebhookResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { status: 400, body: { error: 'invalid_payload', message: 'expected a JSON object {name, namespace, phase, checksum, metadata}' } };
  }
  const p = body as Record<string, unknown>;
  if (typeof p.name !== 'string' || p.name === '' || typeof p.namespace !== 'string' || p.namespace === '') {
    return { status: 400, body: { error: 'invalid_payload', message: 'name and namespace are required strings' } };
  }
  if (p.phase !== undefined && typeof p.phase !== 'string') {
    return { status: 400, body: { error: 'invalid_payload', message: 'phase must be a string' } };
  }
  const checksum = typeof p.checksum === 'string' && p.checksum !== '' ? p.checksum : undefined;
  const j = registry.get(p.namespace, p.name);
  if (j === undefined) return { status: 404, body: { rollback: false, canary: `${p.namespace}/${p.name}` } };
  if (j.checksum !== undefined && checksum !== undefined && j.checksum !== checksum) {
    return { status: 404, body: { rollback: false, canary: `${p.namespace}/${p.name}`, note: 'the judgement was for another revision' } };
  }
  if (j.checksum === undefined && checksum !== undefined) j.checksum = checksum;
  j.answered += 1;
  return { status: 200, body: { rollback: true, canary: `${p.namespace}/${p.name}`, reason: j.reason } };
}
