/**
 * eject-endpoints, the pure part: parameters, plan state and the patches it writes (see eject-endpoints.ts).
 */
import type { ActionPlan, Anomaly } from '../domain/types.js';
import { badRequest } from '../lib/errors.js';
import { type KubeObject } from '../clients/kubernetes.js';
import { annotationsOf, invalidPlan, isRecord, labelsOf, numberParam, paramsObject, pointer, recordOf, rvOf, stringParam } from './common.js';


export const QUARANTINE_LABEL = 'aiopsd.io/quarantine';
export const QUARANTINE_ORIGINAL = 'aiopsd.io/quarantine-original';
export const QUARANTINE_SERVICE = 'aiopsd.io/quarantine-service';
export const TYPE = 'eject-endpoints';
export const PARAMS = ['pods', 'maxEjectShare', 'selectorLabel', 'destinationRule', 'outlierDetection'] as const;
export const OUTLIER_KEYS = ['consecutive5xxErrors', 'consecutiveGatewayErrors', 'interval', 'baseEjectionTime', 'maxEjectionPercent'] as const;
export const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;

export interface OutlierDetection {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
}

export interface EjectEndpointsParams {
  /** Pods to eject; default: the `pod` labels of the decision's evidence, highest score first. */
  readonly pods?: readonly string[];
  /** Share of the Service's endpoints that may be quarantined at once; never above the global cap. */
  readonly maxEjectShare?: number;
  /** The Service selector key to remove from quarantined pods (default: first selector key, sorted). */
  readonly selectorLabel?: string;
  /** A DestinationRule (same namespace) whose trafficPolicy.outlierDetection to tighten. */
  readonly destinationRule?: string;
  readonly outlierDetection?: OutlierDetection;
}

export interface EjectEndpointsCaps {
  /** Global cap on the share of a Service's endpoints quarantined at once (default 0.34). */
  readonly maxEjectShare?: number;
  readonly bakeTimeMs?: number;
}

export interface PodState {
  readonly name: string;
  readonly label: string;
  readonly value: string;
  readonly quarantined: boolean;
}

export interface DrState {
  readonly name: string;
  readonly outlierDetection: Record<string, unknown> | null;
}

export const DEFAULT_OUTLIER: OutlierDetection = { consecutive5xxErrors: 3, interval: '10s', baseEjectionTime: '60s' };

export function parseEjectEndpointsParams(params: unknown): EjectEndpointsParams {
  const p = paramsObject(TYPE, params ?? {}, PARAMS, '{"maxEjectShare": 0.25, "destinationRule": "web"}');
  const out: { -readonly [K in keyof EjectEndpointsParams]: EjectEndpointsParams[K] } = {};
  if (p.pods !== undefined) {
    if (!Array.isArray(p.pods)) throw badRequest('invalid_params', `${TYPE}: pods must be a list of pod names`, { field: 'pods' });
    out.pods = p.pods.map((x) => stringParam(TYPE, x, 'pods'));
  }
  if (p.maxEjectShare !== undefined) out.maxEjectShare = numberParam(TYPE, p.maxEjectShare, 'maxEjectShare', 0, 1);
  if (p.selectorLabel !== undefined) out.selectorLabel = stringParam(TYPE, p.selectorLabel, 'selectorLabel');
  if (p.destinationRule !== undefined) out.destinationRule = stringParam(TYPE, p.destinationRule, 'destinationRule');
  if (p.outlierDetection !== undefined) {
    const o = paramsObject(TYPE, p.outlierDetection, OUTLIER_KEYS, '{"consecutive5xxErrors": 3}');
    const od: { -readonly [K in keyof OutlierDetection]: OutlierDetection[K] } = {};
    if (o.consecutive5xxErrors !== undefined) od.consecutive5xxErrors = numberParam(TYPE, o.consecutive5xxErrors, 'consecutive5xxErrors', 1, 1000, true);
    if (o.consecutiveGatewayErrors !== undefined) od.consecutiveGatewayErrors = numberParam(TYPE, o.consecutiveGatewayErrors, 'consecutiveGatewayErrors', 1, 1000, true);
    for (const key of ['interval', 'baseEjectionTime'] as const) {
      const v = o[key];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !DURATION.test(v)) throw badRequest('invalid_params', `${TYPE}: ${key} must be a duration like "10s"`, { field: key });
      od[key] = v;
    }
    if (o.maxEjectionPercent !== undefined) od.maxEjectionPercent = numberParam(TYPE, o.maxEjectionPercent, 'maxEjectionPercent', 0, 100, true);
    if (out.destinationRule === undefined) throw badRequest('invalid_params', `${TYPE}: outlierDetection needs destinationRule`, { field: 'outlierDetection' });
    out.outlierDetection = od;
  }
  return out;
}

export function isReady(pod: KubeObject): boolean {
  if (pod.metadata?.deletionTimestamp !== undefined) return false;
  const conditions = recordOf(pod.status).conditions;
  if (!Array.isArray(conditions)) return false;
  return conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
}

export function podsOf(plan: ActionPlan, field: 'before' | 'after'): PodState[] {
  const pods = plan[field].pods;
  if (!Array.isArray(pods)) throw invalidPlan(TYPE, `plan.${field}.pods must be a list`, 'pods');
  return pods.map((p) => {
    if (!isRecord(p) || typeof p.name !== 'string' || typeof p.label !== 'string' || typeof p.value !== 'string' || typeof p.quarantined !== 'boolean') {
      throw invalidPlan(TYPE, `plan.${field}.pods entries need name, label, value, quarantined`, 'pods');
    }
    return { name: p.name, label: p.label, value: p.value, quarantined: p.quarantined };
  });
}

export function drOf(plan: ActionPlan, field: 'before' | 'after'): DrState | undefined {
  const dr = plan[field].destinationRule;
  if (dr === undefined) return undefined;
  if (!isRecord(dr) || typeof dr.name !== 'string' || !(dr.outlierDetection === null || isRecord(dr.outlierDetection))) {
    throw invalidPlan(TYPE, `plan.${field}.destinationRule needs name and outlierDetection`, 'destinationRule');
  }
  return { name: dr.name, outlierDetection: dr.outlierDetection };
}

/** The pod as the plan sees it: quarantined (by aiopsd, for this service) or serving. */
export function podState(pod: KubeObject, service: string, label: string): PodState | undefined {
  const labels = labelsOf(pod);
  const annotations = annotationsOf(pod);
  const name = pod.metadata?.name ?? '';
  if (labels[QUARANTINE_LABEL] === 'true' && annotations[QUARANTINE_SERVICE] === service) {
    let original: Record<string, unknown> = {};
    try {
      original = recordOf(JSON.parse(annotations[QUARANTINE_ORIGINAL] ?? '{}'));
    } catch {
      // a damaged annotation: treat as unknown
    }
    const value = original[label];
    return typeof value === 'string' ? { name, label, value, quarantined: true } : undefined;
  }
  const value = labels[label];
  return value === undefined ? undefined : { name, label, value, quarantined: false };
}

export function evidencePods(evidence: readonly Anomaly[]): string[] {
  const sorted = [...evidence].sort((a, b) => b.score - a.score);
  const out: string[] = [];
  for (const a of sorted) {
    const pod = a.labels.pod;
    if (pod !== undefined && pod !== '' && !out.includes(pod)) out.push(pod);
  }
  return out;
}


export function outlierOf(dr: KubeObject): Record<string, unknown> | null {
  const od = recordOf(recordOf(dr.spec).trafficPolicy).outlierDetection;
  return isRecord(od) ? od : null;
}

export function rvField(obj: KubeObject): { resourceVersion?: string } {
  const rv = rvOf(obj);
  return rv === undefined ? {} : { resourceVersion: rv };
}

export function requirePlanRv(plan: ActionPlan): string {
  if (plan.resourceVersion === undefined || plan.resourceVersion === '') {
    throw invalidPlan(TYPE, 'the plan has no resourceVersion for the DestinationRule; every write needs a precondition', 'resourceVersion');
  }
  return plan.resourceVersion;
}

/** JSON merge patch from `from` to `to` on outlierDetection (keys only in `from` become null), with the precondition. */
export function drPatch(resourceVersion: string, from: Record<string, unknown> | null, to: Record<string, unknown> | null): Record<string, unknown> {
  let od: Record<string, unknown> | null = null;
  if (to !== null) {
    od = { ...to };
    for (const k of Object.keys(from ?? {})) if (!Object.hasOwn(to, k)) od[k] = null;
  }
  return { metadata: { resourceVersion }, spec: { trafficPolicy: { outlierDetection: od } } };
}

/** Remove the selector label (test first: the precondition), add the quarantine label and the forensics annotations. */
export function quarantinePatch(current: KubeObject, pod: PodState, service: string): unknown[] {
  const ops: unknown[] = [
    { op: 'test', path: `/metadata/labels/${pointer(pod.label)}`, value: pod.value },
    { op: 'remove', path: `/metadata/labels/${pointer(pod.label)}` },
    { op: 'add', path: `/metadata/labels/${pointer(QUARANTINE_LABEL)}`, value: 'true' },
  ];
  if (current.metadata?.annotations === undefined) {
    const rv = rvOf(current);
    if (rv !== undefined) ops.push({ op: 'test', path: '/metadata/resourceVersion', value: rv });
    ops.push({ op: 'add', path: '/metadata/annotations', value: {} });
  }
  ops.push(
    { op: 'add', path: `/metadata/annotations/${pointer(QUARANTINE_SERVICE)}`, value: service },
    { op: 'add', path: `/metadata/annotations/${pointer(QUARANTINE_ORIGINAL)}`, value: JSON.stringify({ [pod.label]: pod.value }) },
  );
  return ops;
}

/** Put the selector label back and drop the quarantine marks (test first: still quarantined by us). */
export function restorePatch(current: KubeObject, pod: PodState): unknown[] {
  const annotations = annotationsOf(current);
  const ops: unknown[] = [
    { op: 'test', path: `/metadata/labels/${pointer(QUARANTINE_LABEL)}`, value: 'true' },
    { op: 'add', path: `/metadata/labels/${pointer(pod.label)}`, value: pod.value },
    { op: 'remove', path: `/metadata/labels/${pointer(QUARANTINE_LABEL)}` },
  ];
  for (const key of [QUARANTINE_SERVICE, QUARANTINE_ORIGINAL]) {
    if (Object.hasOwn(annotations, key)) ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(key)}` });
  }
  return ops;
}
