/**
 * Plain values that flow between stages (see docs/ARCHITECTURE.md). No I/O and no behaviour here:
 * a stage receives one of these, never a reference back into an earlier stage.
 */

/** Prometheus label set; `__name__` holds the metric name. Keys are sorted when a key is built. */
export type Labels = Readonly<Record<string, string>>;

/** The NaN bit pattern Prometheus uses for "this series ended" (0x7ff0000000000002). */
export const STALE_NAN_BITS_HI = 0x7ff00000;
export const STALE_NAN_BITS_LO = 0x00000002;

/** One sample as it arrives from any source. */
export interface Sample {
  readonly labels: Labels;
  readonly timestampMs: number;
  readonly value: number;
  /** True when the value is Prometheus's stale marker, which is distinct from an ordinary NaN. */
  readonly stale?: boolean;
}

/** Something that accepts decoded samples; ingest sources write into one of these. */
export interface SampleSink {
  /** Returns how many samples were accepted (the rest were refused, e.g. by the series cap). */
  append(samples: readonly Sample[]): AppendResult;
}

export interface AppendResult {
  accepted: number;
  refused: number;
  /** Samples already present (same series and timestamp): a re-sent request changes nothing. */
  duplicate: number;
}

/** Evidence of one anomalous point. */
export interface Anomaly {
  readonly id: string;
  readonly seriesKey: string;
  readonly labels: Labels;
  readonly metric: string;
  /** The service the series belongs to (label `service`, `job` or `app`), if any. */
  readonly service: string | undefined;
  readonly timestampMs: number;
  readonly observed: number;
  readonly expected: number;
  /** Calibrated anomaly probability in 0..1. */
  readonly score: number;
  readonly detector: string;
  readonly modelVersion: string;
}

/** One Alertmanager alert (webhook payload v4), kept as evidence on the incident of its service. */
export interface AlertEvidence {
  readonly receiver: string;
  readonly groupKey: string;
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  readonly alertname: string;
  /** `service`, `service_name`, `job` or `app` label, when present. */
  readonly service: string | undefined;
  readonly severity: string | undefined;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAtMs: number;
  /** Undefined for a firing alert without an end (Alertmanager sends 0001-01-01T00:00:00Z). */
  readonly endsAtMs: number | undefined;
  readonly generatorURL: string;
  readonly externalURL: string;
  /** When aiopsd received it. */
  readonly receivedAtMs: number;
}

export type IncidentStatus = 'open' | 'resolved';

export interface Incident {
  readonly id: string;
  /** What the incident is about: the service, or the series key when there is no service label. */
  readonly groupKey: string;
  readonly service: string | undefined;
  readonly status: IncidentStatus;
  readonly openedAtMs: number;
  readonly lastAnomalyAtMs: number;
  readonly resolvedAtMs: number | undefined;
  /** Highest score seen in the incident. */
  readonly score: number;
  /** The most recent anomalies, newest last (bounded). */
  readonly anomalies: readonly Anomaly[];
  /** Alertmanager alerts about the same service, newest last (bounded). */
  readonly alerts?: readonly AlertEvidence[];
}

/** A Kubernetes object an action changes. */
export interface TargetRef {
  readonly cluster?: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

export interface ActionSpec {
  readonly type: string;
  readonly target: TargetRef;
  /** Absolute parameters (e.g. minReplicas: 6), never deltas: a re-run changes nothing. */
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * Lifecycle: proposed → (pending_approval → approved | rejected | expired) → queued → executing →
 * executed → verified | reverted | held; or suppressed / shadow / failed. Terminal: suppressed, shadow,
 * rejected, expired, verified, reverted, held, failed (and executed when there is nothing to verify).
 */
export type DecisionStatus =
  | 'proposed'
  | 'suppressed'
  | 'shadow'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'queued'
  | 'executing'
  | 'executed'
  | 'verified'
  | 'reverted'
  | 'held'
  | 'failed';

export type Risk = 'low' | 'high';

export interface Decision {
  readonly id: string;
  readonly incidentId: string;
  readonly rule: string;
  readonly action: ActionSpec;
  readonly dryRun: boolean;
  readonly createdAtMs: number;
  /** From the rule; high risk needs two approvers. Default low. */
  readonly risk?: Risk;
  /** From the rule: a person must approve before it is queued. */
  readonly requiresApproval?: boolean;
  status: DecisionStatus;
  /** Why a decision was suppressed or failed. */
  reason?: string;
  /** What the executor planned and did. */
  result?: ActionResult;
  readonly evidence: readonly Anomaly[];
}

/** Absolute before/after of the fields an action changes. */
export interface ActionPlan {
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>>;
  readonly resourceVersion?: string;
}

export interface ActionResult {
  readonly outcome: 'planned' | 'executed' | 'noop' | 'verified' | 'reverted' | 'held' | 'failed';
  readonly dryRun: boolean;
  readonly plan?: ActionPlan;
  readonly error?: { code: string; message: string; retryable: boolean };
}
