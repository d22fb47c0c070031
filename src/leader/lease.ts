/**
 * Leader election over a coordination.k8s.io/v1 Lease (client-node has no helper; this follows
 * client-go's leaderelection semantics).
 *
 *  - acquire: create the Lease, or take it over (replaceObject with its resourceVersion, so of two
 *    candidates racing for an expired lease exactly one wins; the other gets 409) when the holder has
 *    not renewed for leaseDuration, as measured on OUR clock from when we last saw the record change
 *    (no comparison of clocks across machines).
 *  - renew: every retryPeriod, replace with the resourceVersion we last saw.
 *  - step down: if no renew succeeded within renewDeadline (< leaseDuration), stop leading — before
 *    any other candidate can consider the lease expired. isLeader() also checks that deadline itself,
 *    so a stuck timer cannot keep a stale "true".
 *  - stop(): release the lease (holderIdentity cleared) so a successor need not wait.
 */
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import { isAppError } from '../lib/errors.js';
import type { KubeObject, KubernetesApi } from '../clients/kubernetes.js';
import type { TargetRef } from '../domain/types.js';

/** What the rest of the daemon needs: the pipeline checks isLeader() before evaluating policy. */
export interface LeaderGate {
  isLeader(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LeaderCallbacks {
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  readonly onNewLeader?: (identity: string) => void;
  readonly onError?: (err: unknown) => void;
}

export interface LeaderElectorOptions extends LeaderCallbacks {
  readonly kube: KubernetesApi;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (pod name + random suffix). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  /** Must be < leaseDurationMs: a leader that could not renew for this long stops leading. */
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly clock?: Clock;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export const LEASE_RESOURCE = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' } as const;

export class LeaderElector implements LeaderGate {
  private readonly clock: Clock;
  private readonly ref: TargetRef;
  private leading = false;
  private lastRenewMs = 0;
  /** The record as we last saw it, and when (our clock) it last changed. */
  private observed: { holder: string; renewTime: string; resourceVersion: string; durationMs: number } | undefined;
  private observedAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private inFlight: Promise<void> | undefined;
  private lastLeader: string | undefined;
  /** Why we last stopped leading (for logs). */
  stepDownReason: string | undefined;

  constructor(private readonly o: LeaderElectorOptions) {
    if (!(o.renewDeadlineMs < o.leaseDurationMs)) throw new Error(`leader election: renewDeadline (${o.renewDeadlineMs} ms) must be shorter than leaseDuration (${o.leaseDurationMs} ms)`);
    if (!(o.retryPeriodMs < o.renewDeadlineMs)) throw new Error(`leader election: retryPeriod (${o.retryPeriodMs} ms) must be shorter than renewDeadline (${o.renewDeadlineMs} ms)`);
    if (o.identity === '') throw new Error('leader election: identity must not be empty');
    this.clock = o.clock ?? systemClock;
    this.ref = { ...LEASE_RESOURCE, namespace: o.namespace, name: o.name };
  }

  get identity(): string {
    return this.o.identity;
  }

  /** True only while a renew succeeded within renewDeadline (checked on every call). */
  isLeader(): boolean {
    if (!this.leading) return false;
    if (this.clock.nowMs() - this.lastRenewMs >= this.o.renewDeadlineMs) {
      this.stepDown('renew deadline passed');
      return false;
    }
    return true;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.tick();
  }

  /** Stop campaigning; release the lease if we hold it (unless `release: false`, e.g. to simulate a crash). */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight?.catch(() => undefined);
    const wasLeading = this.leading;
    this.stepDown('stopped');
    if (wasLeading && (options.release ?? true)) await this.release().catch((err: unknown) => this.o.onError?.(err));
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    // The renew counts from when we SENT it: the write happened after this instant, so our deadline
    // (start + renewDeadline) ends before anyone's view of the lease (write + leaseDuration) expires.
    const startedAt = this.clock.nowMs();
    this.inFlight = this.tryAcquireOrRenew()
      .then((ok) => {
        if (ok) {
          this.lastRenewMs = startedAt;
          if (this.clock.nowMs() - startedAt >= this.o.renewDeadlineMs) {
            this.isLeader();
            return;
          }
          if (!this.leading && !this.stopped) {
            this.leading = true;
            this.o.onStartedLeading?.();
          }
        } else {
          this.isLeader(); // steps down once the renew deadline has passed
        }
      })
      .catch((err: unknown) => {
        this.o.onError?.(err);
        this.isLeader();
      })
      .finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
    await this.inFlight;
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.stepDownReason = why;
    this.o.onStoppedLeading?.();
  }

  /** One round: true when we hold the lease after it (created, renewed or taken over). */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.nowMs();
    const nowIso = microTime(now);
    const durationS = Math.max(1, Math.ceil(this.o.leaseDurationMs / 1000));
    let current: KubeObject;
    try {
      current = await this.o.kube.getObject(this.ref);
    } catch (err) {
      if (!(isAppError(err) && err.code === 'not_found')) throw err;
      const spec: LeaseSpec = { holderIdentity: this.o.identity, leaseDurationSeconds: durationS, acquireTime: nowIso, renewTime: nowIso, leaseTransitions: 0 };
      try {
        const created = await this.o.kube.createObject(
          { ...LEASE_RESOURCE, namespace: this.o.namespace },
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec },
        );
        this.observe(created);
        return true;
      } catch (createErr) {
        if (isAppError(createErr) && (createErr.code === 'conflict' || createErr.httpStatus === 409)) return false; // someone else created it first
        throw createErr;
      }
    }
    this.observe(current);
    const spec = (current.spec ?? {}) as LeaseSpec;
    const holder = spec.holderIdentity ?? '';
    const mine = holder === this.o.identity;
    if (!mine && holder !== '' && this.observedAtMs + this.observed!.durationMs > now) {
      if (this.lastLeader !== holder) {
        this.lastLeader = holder;
        this.o.onNewLeader?.(holder);
      }
      return false; // held by someone else and not expired
    }
    const next: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: durationS,
      acquireTime: mine ? (spec.acquireTime ?? nowIso) : nowIso,
      renewTime: nowIso,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      const updated = await this.o.kube.replaceObject(this.ref, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.name, namespace: this.o.namespace, resourceVersion: current.metadata?.resourceVersion },
        spec: next,
      });
      this.observe(updated);
      if (!mine && this.lastLeader !== this.o.identity) {
        this.lastLeader = this.o.identity;
        this.o.onNewLeader?.(this.o.identity);
      }
      return true;
    } catch (err) {
      if (isAppError(err) && err.code === 'conflict') return false; // someone else wrote first
      throw err;
    }
  }

  private observe(obj: KubeObject): void {
    const spec = (obj.spec ?? {}) as LeaseSpec;
    const rec = {
      holder: spec.holderIdentity ?? '',
      renewTime: spec.renewTime ?? '',
      resourceVersion: obj.metadata?.resourceVersion ?? '',
      durationMs: (spec.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000,
    };
    if (!this.observed || this.observed.holder !== rec.holder || this.observed.renewTime !== rec.renewTime || this.observed.resourceVersion !== rec.resourceVersion) {
      this.observedAtMs = this.clock.nowMs();
    }
    this.observed = rec;
  }

  private async release(): Promise<void> {
    const current = await this.o.kube.getObject(this.ref);
    const spec = (current.spec ?? {}) as LeaseSpec;
    if (spec.holderIdentity !== this.o.identity) return;
    await this.o.kube.replaceObject(this.ref, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace, resourceVersion: current.metadata?.resourceVersion },
      spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.clock.nowMs()) },
    });
  }
}

/** Single replica without Kubernetes: always the leader. */
export class AlwaysLeader implements LeaderGate {
  isLeader(): boolean {
    return true;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** Lease MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
