import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** prom-client default gauges whose `_total` names `promtool check metrics` rejects; removed below. */
const NON_CONFORMING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Every metric aiopsd exports, created on a registry passed in (never prom-client's global one), so
 * tests and several daemons in one process do not collide. Names follow Prometheus conventions:
 * `aiopsd_` prefix, base units, `_total` for counters. Dashboards and alert rules reference these
 * names and a test checks that every name they use exists here.
 */
export function createMetrics(registry: Registry, opts: { processMetrics?: boolean } = {}) {
  if (opts.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // prom-client exports these three as gauges named *_total, which `promtool check metrics` rejects
    // ("non-counter metrics should not have _total suffix"); the same counts stay available, by type,
    // as nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
    for (const name of NON_CONFORMING_DEFAULTS) registry.removeSingleMetric(name);
  }
  const r = [registry];
  return {
    registry,
    buildInfo: new Gauge({ name: 'aiopsd_build_info', help: 'Build information; value is always 1.', labelNames: ['version', 'node'], registers: r }),
    // ingest
    ingestRequests: new Counter({ name: 'aiopsd_ingest_requests_total', help: 'Requests received by ingest receivers, by source and HTTP status code.', labelNames: ['source', 'code'], registers: r }),
    ingestSamples: new Counter({ name: 'aiopsd_ingest_samples_total', help: 'Samples accepted into the series store, by source.', labelNames: ['source'], registers: r }),
    ingestDropped: new Counter({ name: 'aiopsd_ingest_dropped_samples_total', help: 'Samples not stored, by source and reason (series_limit, duplicate, out_of_order, invalid).', labelNames: ['source', 'reason'], registers: r }),
    ingestBytes: new Counter({ name: 'aiopsd_ingest_bytes_total', help: 'Compressed request bytes received by ingest receivers.', labelNames: ['source'], registers: r }),
    // series
    seriesActive: new Gauge({ name: 'aiopsd_series_active', help: 'Series currently held in the in-memory store.', registers: r }),
    seriesRefused: new Counter({ name: 'aiopsd_series_refused_total', help: 'New series refused because the active-series cap was reached.', registers: r }),
    // detection
    windowsScored: new Counter({ name: 'aiopsd_detect_windows_scored_total', help: 'Series windows scored, by detector.', labelNames: ['detector'], registers: r }),
    scoringDuration: new Histogram({ name: 'aiopsd_detect_batch_duration_seconds', help: 'Time to score one batch of windows.', labelNames: ['detector'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: r }),
    seriesStates: new Gauge({ name: 'aiopsd_detect_series_states', help: 'Series the detector keeps online state for (about 2.4 KB each with the default ensemble, models/MODEL_CARD.md); states are dropped when the series store forgets the series.', registers: r }),
    insufficientData: new Gauge({ name: 'aiopsd_detect_insufficient_data_series', help: 'Series too short or too stale to score (insufficient evidence, neither healthy nor anomalous).', registers: r }),
    detectBackend: new Gauge({ name: 'aiopsd_detect_backend_info', help: 'TensorFlow.js backend used for scoring (tensorflow, wasm or cpu); value is always 1.', labelNames: ['backend'], registers: r }),
    fineTuneRounds: new Counter({ name: 'aiopsd_detect_finetune_rounds_total', help: 'Online fine-tuning rounds of the forecaster, by outcome (adopted, rejected, failed) and reason (improved, no_improvement, insufficient_data, nan_loss, worker_error, worker_crash, timeout, swap_failed).', labelNames: ['outcome', 'reason'], registers: r }),
    fineTuneDuration: new Histogram({ name: 'aiopsd_detect_finetune_duration_seconds', help: 'Time of one online fine-tuning round (sampling, training in a worker thread, evaluation, swap).', buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600], registers: r }),
    fineTuneHoldoutError: new Gauge({ name: 'aiopsd_detect_finetune_holdout_error', help: 'Holdout forecast error (Huber loss on normalised values) in the last fine-tuning round, of the current weights and of the fine-tuned candidate.', labelNames: ['model'], registers: r }),
    detectModelInfo: new Gauge({ name: 'aiopsd_detect_model_info', help: 'Forecaster version scoring now (changes when fine-tuning adopts new weights); value is always 1.', labelNames: ['version'], registers: r }),
    detectModelAdoptedTime: new Gauge({ name: 'aiopsd_detect_model_adopted_timestamp_seconds', help: 'Unix time at which fine-tuning last adopted new forecaster weights (0: never).', registers: r }),
    anomalies: new Counter({ name: 'aiopsd_anomalies_total', help: 'Anomalous points found, by detector.', labelNames: ['detector'], registers: r }),
    anomalyScore: new Gauge({ name: 'aiopsd_anomaly_score', help: 'Latest calibrated anomaly score (0..1) per service (max over its series).', labelNames: ['service'], registers: r }),
    // incidents
    incidentsOpen: new Gauge({ name: 'aiopsd_incidents_open', help: 'Incidents currently open.', registers: r }),
    incidents: new Counter({ name: 'aiopsd_incidents_total', help: 'Incident state changes, by event (opened, resolved).', labelNames: ['event'], registers: r }),
    // policy
    decisions: new Counter({ name: 'aiopsd_decisions_total', help: 'Decisions made by the policy, by action type and outcome (proposed, suppressed, queued, shadow).', labelNames: ['action', 'outcome'], registers: r }),
    // queue / actions
    jobs: new Counter({ name: 'aiopsd_jobs_total', help: 'Remediation jobs finished, by action type and outcome (planned, executed, noop, failed).', labelNames: ['action', 'outcome'], registers: r }),
    jobDuration: new Histogram({ name: 'aiopsd_job_duration_seconds', help: 'Time from job start to finish.', labelNames: ['action'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers: r }),
    timeToRemediate: new Histogram({ name: 'aiopsd_remediation_seconds', help: 'Time from the first anomaly of a live decision\'s evidence to its verdict (verified, reverted, held, failed).', labelNames: ['action', 'outcome'], buckets: [5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600], registers: r }),
    queueDepth: new Gauge({ name: 'aiopsd_queue_jobs', help: 'Jobs in the remediation queue, by state.', labelNames: ['state'], registers: r }),
    // audit
    auditRecords: new Counter({ name: 'aiopsd_audit_records_total', help: 'Audit records appended, by kind.', labelNames: ['kind'], registers: r }),
    auditErrors: new Counter({ name: 'aiopsd_audit_append_errors_total', help: 'Audit appends that failed.', registers: r }),
    // safety
    leader: new Gauge({ name: 'aiopsd_leader', help: '1 while this replica holds the leader Lease (decides), else 0. sum over replicas == 0 means nobody decides.', registers: r }),
    circuitBreakerOpen: new Gauge({ name: 'aiopsd_circuit_breaker_open', help: '1 while the circuit breaker is open (every decision needs a person), else 0.', registers: r }),
    killSwitchOn: new Gauge({ name: 'aiopsd_kill_switch_on', help: '1 while the kill switch is on (no writes, queue paused), else 0.', registers: r }),
    auditChainValid: new Gauge({ name: 'aiopsd_audit_chain_valid', help: '1 when the last periodic audit verification passed, 0 when it found a broken chain.', registers: r }),
    auditVerifiedRecords: new Gauge({ name: 'aiopsd_audit_verified_records', help: 'Records covered by the last periodic audit verification.', registers: r }),
    // dependencies
    dependencyUp: new Gauge({ name: 'aiopsd_dependency_up', help: '1 when a dependency (redis, audit_store) answered its last check.', labelNames: ['dependency'], registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A fresh registry with all metrics, for tests. */
export function createTestMetrics(): Metrics {
  return createMetrics(new Registry(), { processMetrics: false });
}
