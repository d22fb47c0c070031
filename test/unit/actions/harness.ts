/** Shared test support for the actions: sandbox apiserver, real client, in-memory audit, fake probe and sleep. */
import { Auditor } from '../../../src/audit/auditor.js';
import type { AuditEntry, AuditQuery, AuditRecord, AuditStore, AuditVerifyResult } from '../../../src/audit/types.js';
import type { SignalProbe, SignalReading } from '../../../src/actions/action.js';
import { ActionExecutor, type ActionExecutorOptions, type PageEvent } from '../../../src/actions/executor.js';
import type { Action } from '../../../src/actions/action.js';
import { KubernetesClient } from '../../../src/clients/kubernetes.js';
import type { Anomaly, Decision, TargetRef } from '../../../src/domain/types.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { startK8sApiServer, type K8sApiServer, type K8sObject } from '../../../src/sandbox/k8s-api-server.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';

export class MemoryAuditStore implements AuditStore {
  readonly records: AuditRecord[] = [];
  append(entry: AuditEntry): Promise<AuditRecord> {
    const seq = this.records.length + 1;
    const record: AuditRecord = { ...structuredClone(entry), seq, id: `aud-${seq}`, ts: new Date(0).toISOString(), prevHash: '', hash: String(seq) };
    this.records.push(record);
    return Promise.resolve(record);
  }
  list(query: AuditQuery): Promise<AuditRecord[]> {
    return Promise.resolve(this.records.filter((r) => (query.kind === undefined || r.kind === query.kind) && (query.decisionId === undefined || r.decisionId === query.decisionId)));
  }
  verify(): Promise<AuditVerifyResult> {
    return Promise.resolve({ ok: true, records: this.records.length, headHash: '' });
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A probe answering from a script: each read takes the next reading (the last one repeats). */
export class FakeProbe implements SignalProbe {
  reads = 0;
  constructor(private readonly script: SignalReading[]) {}
  read(): Promise<SignalReading> {
    const r = this.script[Math.min(this.reads, this.script.length - 1)] ?? { value: undefined, healthy: undefined };
    this.reads += 1;
    return Promise.resolve(r);
  }
}

export const HEALTHY: SignalReading = { value: 0.01, healthy: true };
export const ANOMALOUS: SignalReading = { value: 0.4, healthy: false };
export const NO_DATA: SignalReading = { value: undefined, healthy: undefined };

export function anomaly(labels: Record<string, string>, score = 0.99): Anomaly {
  return { id: `an-${Math.random().toString(36).slice(2)}`, seriesKey: JSON.stringify(labels), labels, metric: 'http_errors', service: labels.service, timestampMs: 0, observed: 1, expected: 0, score, detector: 'robust', modelVersion: '1' };
}

let seq = 0;
export function decision(type: string, target: TargetRef, params: Record<string, unknown>, evidence: Anomaly[] = [], dryRun = false): Decision {
  seq += 1;
  return { id: `dec-${seq}`, incidentId: 'inc-1', rule: 'r', action: { type, target, params }, dryRun, createdAtMs: 0, status: 'executing', evidence };
}

export interface Harness {
  srv: K8sApiServer;
  kube: KubernetesClient;
  store: MemoryAuditStore;
  auditor: Auditor;
  clock: ManualClock;
  sleeps: number[];
  pages: PageEvent[];
  killSwitch: { on: boolean };
  rechecks: Decision[];
  executor(actions: Action[], probe: SignalProbe | undefined, extra?: Partial<ActionExecutorOptions>): ActionExecutor;
  kinds(): string[];
  close(): Promise<void>;
}

export async function harness(seed: K8sObject[] = []): Promise<Harness> {
  const srv = await startK8sApiServer({ seed });
  const kube = KubernetesClient.from({ kind: 'yaml', yaml: srv.kubeconfigYaml() }, { timeoutMs: 3_000 });
  const store = new MemoryAuditStore();
  const auditor = new Auditor(store, createTestMetrics());
  const clock = new ManualClock(1_700_000_000_000);
  const h: Harness = {
    srv, kube, store, auditor, clock,
    sleeps: [],
    pages: [],
    killSwitch: { on: false },
    rechecks: [],
    executor(actions, probe, extra = {}) {
      return new ActionExecutor(new Map(actions.map((a) => [a.type, a])), auditor, clock, {
        kube,
        ...(probe === undefined ? {} : { probe }),
        writesAllowed: () => !h.killSwitch.on,
        recheck: (d) => {
          h.rechecks.push(d);
          return Promise.resolve(true);
        },
        page: (e) => {
          h.pages.push(e);
        },
        sleep: (ms) => {
          h.sleeps.push(ms);
          clock.advance(ms);
          return Promise.resolve();
        },
        ...extra,
      });
    },
    kinds: () => store.records.map((r) => r.kind),
    close: () => srv.close(),
  };
  return h;
}

export function readyPod(name: string, labels: Record<string, string>, namespace = 'prod', extra: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels, ...extra },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
