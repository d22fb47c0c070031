/**
 * eject-endpoints: take the anomalous pods of a Service out of its endpoints, keep them running for
 * forensics, and optionally tighten an Istio DestinationRule's outlierDetection.
 *
 * How a pod leaves the Service: a Service selector is a plain equality map — it cannot say
 * `aiopsd.io/quarantine notin (true)` — so aiopsd removes ONE of the labels the Service selects on
 * (`selectorLabel`, default: the first selector key in sorted order) with a JSON patch whose first op is a
 * `test` of that label's current value (the precondition), adds `aiopsd.io/quarantine: "true"`, and records
 * the original label in the annotations `aiopsd.io/quarantine-original` (JSON) and
 * `aiopsd.io/quarantine-service`. The plan records the same, and revert() puts the label back.
 * If the label is also in the owning ReplicaSet's selector (usual for `app`), the ReplicaSet releases the pod
 * and starts a replacement: capacity is kept, and the quarantined pod stays for inspection. After revert the
 * ReplicaSet adopts the pod again and scales back to its replica count.
 *
 * Cap: at most floor(maxEjectShare × endpoints) pods of one Service are quarantined at any time, counting
 * pods aiopsd already quarantined for it (endpoints = ready pods matching the selector + quarantined ones).
 *
 * Plan shape: before/after = { service, selectorLabel, endpoints: {ready, quarantined, cap},
 * pods: [{name, label, value, quarantined}], destinationRule?: {name, outlierDetection} };
 * plan.resourceVersion is the DestinationRule's (pod writes are conditioned by the JSON-patch test).
 */
import type { ActionPlan, Anomaly, TargetRef } from '../domain/types.js';
import { AppError, badRequest } from '../lib/errors.js';
import { describeTarget, type KubeObject, type KubernetesApi } from '../clients/kubernetes.js';
import type { Action, Ownership, PlanContext, VerifyOutcome, VerifySignal } from './action.js';
import {
  annotationsOf, diverged, gitopsOf, invalidPlan, isRecord, jsonEqual, labelsOf, numberParam, optedOut, paramsObject, pointer,
  recordOf, requireTarget, rvOf, stringParam, verifySignal,
} from './common.js';

export const QUARANTINE_LABEL = 'aiopsd.io/quarantine';
export const QUARANTINE_ORIGINAL = 'aiopsd.io/quarantine-original';
export const QUARANTINE_SERVICE = 'aiopsd.io/quarantine-service';
const TYPE = 'eject-endpoints';
const PARAMS = ['pods', 'maxEjectShare', 'selectorLabel', 'destinationRule', 'outlierDetection'] as const;
const OUTLIER_KEYS = ['consecutive5xxErrors', 'consecutiveGatewayErrors', 'interval', 'baseEjectionTime', 'maxEjectionPercent'] as const;
const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;

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

interface PodState {
  readonly name: string;
  readonly label: string;
  readonly value: string;
  readonly quarantined: boolean;
}

interface DrState {
  readonly name: string;
  readonly outlierDetection: Record<string, unknown> | null;
}

const DEFAULT_OUTLIER: OutlierDetection = { consecutive5xxErrors: 3, interval: '10s', baseEjectionTime: '60s' };

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

function isReady(pod: KubeObject): boolean {
  if (pod.metadata?.deletionTimestamp !== undefined) return false;
  const conditions = recordOf(pod.status).conditions;
  if (!Array.isArray(conditions)) return false;
  return conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
}

function podsOf(plan: ActionPlan, field: 'before' | 'after'): PodState[] {
  const pods = plan[field].pods;
  if (!Array.isArray(pods)) throw invalidPlan(TYPE, `plan.${field}.pods must be a list`, 'pods');
  return pods.map((p) => {
    if (!isRecord(p) || typeof p.name !== 'string' || typeof p.label !== 'string' || typeof p.value !== 'string' || typeof p.quarantined !== 'boolean') {
      throw invalidPlan(TYPE, `plan.${field}.pods entries need name, label, value, quarantined`, 'pods');
    }
    return { name: p.name, label: p.label, value: p.value, quarantined: p.quarantined };
  });
}

function drOf(plan: ActionPlan, field: 'before' | 'after'): DrState | undefined {
  const dr = plan[field].destinationRule;
  if (dr === undefined) return undefined;
  if (!isRecord(dr) || typeof dr.name !== 'string' || !(dr.outlierDetection === null || isRecord(dr.outlierDetection))) {
    throw invalidPlan(TYPE, `plan.${field}.destinationRule needs name and outlierDetection`, 'destinationRule');
  }
  return { name: dr.name, outlierDetection: dr.outlierDetection };
}

/** The pod as the plan sees it: quarantined (by aiopsd, for this service) or serving. */
function podState(pod: KubeObject, service: string, label: string): PodState | undefined {
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

function evidencePods(evidence: readonly Anomaly[]): string[] {
  const sorted = [...evidence].sort((a, b) => b.score - a.score);
  const out: string[] = [];
  for (const a of sorted) {
    const pod = a.labels.pod;
    if (pod !== undefined && pod !== '' && !out.includes(pod)) out.push(pod);
  }
  return out;
}

export class EjectEndpointsAction implements Action<EjectEndpointsParams> {
  readonly type = TYPE;
  readonly bakeTimeMs: number;
  private readonly maxEjectShare: number;

  constructor(
    private readonly kube: KubernetesApi,
    caps: EjectEndpointsCaps = {},
  ) {
    this.maxEjectShare = caps.maxEjectShare ?? 0.34;
    if (!(this.maxEjectShare >= 0 && this.maxEjectShare <= 1)) throw new Error(`${TYPE}: caps.maxEjectShare must be in 0..1, got ${this.maxEjectShare}`);
    this.bakeTimeMs = caps.bakeTimeMs ?? 60_000;
  }

  parse(params: unknown): EjectEndpointsParams {
    return parseEjectEndpointsParams(params);
  }

  async ownership(target: TargetRef, params: EjectEndpointsParams): Promise<Ownership> {
    requireTarget(TYPE, target, [{ group: '', resource: 'services' }]);
    const svc = await this.kube.getObject(target);
    let gitops = gitopsOf(svc, 'pod labels');
    if (params.destinationRule !== undefined) {
      const dr = await this.kube.getObject(this.drRef(target, params.destinationRule));
      gitops = gitopsOf(dr, 'spec.trafficPolicy.outlierDetection') ?? gitops;
    }
    return { owner: 'none', lever: `pod label ${QUARANTINE_LABEL}${params.destinationRule === undefined ? '' : ' + destinationrules outlierDetection'}`, ...(gitops ? { gitops } : {}) };
  }

  async plan(target: TargetRef, params: EjectEndpointsParams, context?: PlanContext): Promise<ActionPlan> {
    requireTarget(TYPE, target, [{ group: '', resource: 'services' }]);
    const svc = await this.kube.getObject(target);
    const selector = recordOf(recordOf(svc.spec).selector) as Record<string, string>;
    const keys = Object.keys(selector).sort();
    if (keys.length === 0) throw new AppError('invalid_target', `${TYPE}: ${describeTarget(target)} has no selector; its endpoints are not pods aiopsd can quarantine`, { httpStatus: 422 });
    const label = params.selectorLabel ?? keys[0]!;
    if (!Object.hasOwn(selector, label)) throw badRequest('invalid_params', `${TYPE}: selectorLabel ${label} is not in the Service selector (${keys.join(', ')})`, { field: 'selectorLabel' });

    const podsRef = { group: '', version: 'v1', resource: 'pods', namespace: target.namespace };
    const serving = await this.kube.listObjects(podsRef, { labelSelector: keys.map((k) => `${k}=${selector[k]}`).join(',') });
    const quarantinedPods = (await this.kube.listObjects(podsRef, { labelSelector: `${QUARANTINE_LABEL}=true` }))
      .filter((p) => p.metadata?.annotations?.[QUARANTINE_SERVICE] === target.name);
    const ready = serving.filter(isReady).length;
    const total = ready + quarantinedPods.length;
    const share = Math.min(this.maxEjectShare, params.maxEjectShare ?? this.maxEjectShare);
    const cap = Math.floor(share * total + 1e-9);
    let budget = Math.max(0, cap - quarantinedPods.length);

    const byName = new Map<string, KubeObject>();
    for (const p of [...serving, ...quarantinedPods]) byName.set(p.metadata?.name ?? '', p);
    const wanted = params.pods ?? evidencePods(context?.evidence ?? []);
    const before: PodState[] = [];
    const after: PodState[] = [];
    for (const name of wanted) {
      const pod = byName.get(name);
      if (pod === undefined || optedOut(pod)) continue;
      const state = podState(pod, target.name, label);
      if (state === undefined) continue;
      if (state.quarantined) {
        // quarantined earlier (a re-delivered or re-planned decision): already counted in the cap
        before.push({ ...state, quarantined: false });
        after.push(state);
        continue;
      }
      if (budget <= 0 || !isReady(pod)) continue;
      budget -= 1;
      before.push(state);
      after.push({ ...state, quarantined: true });
    }

    const endpoints = { ready, quarantined: quarantinedPods.length, cap };
    const common = { service: target.name, selectorLabel: label, endpoints };
    let resourceVersion = rvOf(svc);
    let drBefore: DrState | undefined;
    let drAfter: DrState | undefined;
    if (params.destinationRule !== undefined) {
      const dr = await this.kube.getObject(this.drRef(target, params.destinationRule));
      const current = recordOf(recordOf(dr.spec).trafficPolicy).outlierDetection;
      const od = isRecord(current) ? current : null;
      const maxPercent = Math.floor(share * 100);
      const desired = { ...DEFAULT_OUTLIER, ...params.outlierDetection };
      drBefore = { name: params.destinationRule, outlierDetection: od };
      drAfter = { name: params.destinationRule, outlierDetection: { ...(od ?? {}), ...desired, maxEjectionPercent: Math.min(desired.maxEjectionPercent ?? maxPercent, maxPercent) } };
      resourceVersion = rvOf(dr);
    }
    return {
      before: { ...common, pods: before, ...(drBefore ? { destinationRule: drBefore } : {}) },
      after: { ...common, pods: after, ...(drAfter ? { destinationRule: drAfter } : {}) },
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    };
  }

  async preflight(target: TargetRef, plan: ActionPlan): Promise<void> {
    const service = this.service(target, plan);
    const before = podsOf(plan, 'before');
    for (const [i, pod] of podsOf(plan, 'after').entries()) {
      if (!pod.quarantined || before[i]?.quarantined === true) continue;
      const current = await this.kube.getObject(this.podRef(target, pod.name));
      if (podState(current, service, pod.label)?.quarantined === true) continue;
      await this.kube.patchObject(this.podRef(target, pod.name), quarantinePatch(current, pod, service), { type: 'json', dryRun: true });
    }
    const drBefore = drOf(plan, 'before');
    const drAfter = drOf(plan, 'after');
    if (drAfter !== undefined && !jsonEqual(drBefore?.outlierDetection, drAfter.outlierDetection)) {
      await this.kube.patchObject(this.drRef(target, drAfter.name), drPatch(requirePlanRv(plan), drBefore?.outlierDetection ?? null, drAfter.outlierDetection), { type: 'merge', dryRun: true });
    }
  }

  async execute(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const service = this.service(target, plan);
    for (const pod of podsOf(plan, 'after')) {
      if (!pod.quarantined) continue;
      const ref = this.podRef(target, pod.name);
      const current = await this.kube.getObject(ref);
      if (podState(current, service, pod.label)?.quarantined === true) continue; // already done
      await this.kube.patchObject(ref, quarantinePatch(current, pod, service), { type: 'json', dryRun: false });
    }
    const drBefore = drOf(plan, 'before');
    const drAfter = drOf(plan, 'after');
    if (drAfter === undefined) return plan;
    const ref = this.drRef(target, drAfter.name);
    const current = await this.kube.getObject(ref);
    if (jsonEqual(outlierOf(current), drAfter.outlierDetection)) return { ...plan, ...rvField(current) };
    const written = await this.kube.patchObject(ref, drPatch(requirePlanRv(plan), drBefore?.outlierDetection ?? null, drAfter.outlierDetection), { type: 'merge', dryRun: false });
    return { ...plan, ...rvField(written) };
  }

  async verify(target: TargetRef, plan: ActionPlan, signal: VerifySignal): Promise<VerifyOutcome> {
    const service = this.service(target, plan);
    for (const pod of podsOf(plan, 'after')) {
      const current = await this.kube.getObject(this.podRef(target, pod.name)).catch(() => undefined);
      if (current === undefined) continue; // the pod is gone: nothing left to check
      if (podState(current, service, pod.label)?.quarantined !== pod.quarantined) return 'inconclusive';
    }
    const drAfter = drOf(plan, 'after');
    if (drAfter !== undefined) {
      const current = await this.kube.getObject(this.drRef(target, drAfter.name));
      if (!jsonEqual(outlierOf(current), drAfter.outlierDetection)) return 'inconclusive';
    }
    return verifySignal(signal);
  }

  async revert(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const service = this.service(target, plan);
    const drBefore = drOf(plan, 'before');
    const drAfter = drOf(plan, 'after');
    let drRef: TargetRef | undefined;
    let drCurrent: KubeObject | undefined;
    if (drAfter !== undefined) {
      drRef = this.drRef(target, drAfter.name);
      drCurrent = await this.kube.getObject(drRef);
      const now = outlierOf(drCurrent);
      if (!jsonEqual(now, drBefore?.outlierDetection ?? null) && !jsonEqual(now, drAfter.outlierDetection)) {
        throw diverged(TYPE, describeTarget(drRef), 'outlierDetection');
      }
    }
    for (const pod of podsOf(plan, 'after')) {
      if (!pod.quarantined) continue;
      const ref = this.podRef(target, pod.name);
      let current: KubeObject;
      try {
        current = await this.kube.getObject(ref);
      } catch (err) {
        if (err instanceof AppError && err.code === 'not_found') continue; // deleted meanwhile: nothing to restore
        throw err;
      }
      const state = podState(current, service, pod.label);
      if (state?.quarantined !== true) continue; // already serving again
      await this.kube.patchObject(ref, restorePatch(current, pod), { type: 'json', dryRun: false });
    }
    if (drRef !== undefined && drCurrent !== undefined && drAfter !== undefined) {
      const before = drBefore?.outlierDetection ?? null;
      if (!jsonEqual(outlierOf(drCurrent), before)) {
        const rv = rvOf(drCurrent);
        if (rv === undefined) throw invalidPlan(TYPE, 'the DestinationRule has no resourceVersion', 'resourceVersion');
        const written = await this.kube.patchObject(drRef, drPatch(rv, drAfter.outlierDetection, before), { type: 'merge', dryRun: false });
        return { ...plan, ...rvField(written) };
      }
    }
    return plan;
  }

  private service(target: TargetRef, plan: ActionPlan): string {
    requireTarget(TYPE, target, [{ group: '', resource: 'services' }]);
    if (plan.after.service !== target.name) throw invalidPlan(TYPE, `the plan is for service ${String(plan.after.service)}, not ${target.name}`, 'service');
    return target.name;
  }

  private podRef(target: TargetRef, name: string): TargetRef {
    return { ...target, group: '', version: 'v1', resource: 'pods', name };
  }

  private drRef(target: TargetRef, name: string): TargetRef {
    return { ...target, group: 'networking.istio.io', version: 'v1beta1', resource: 'destinationrules', name };
  }
}

function outlierOf(dr: KubeObject): Record<string, unknown> | null {
  const od = recordOf(recordOf(dr.spec).trafficPolicy).outlierDetection;
  return isRecord(od) ? od : null;
}

function rvField(obj: KubeObject): { resourceVersion?: string } {
  const rv = rvOf(obj);
  return rv === undefined ? {} : { resourceVersion: rv };
}

function requirePlanRv(plan: ActionPlan): string {
  if (plan.resourceVersion === undefined || plan.resourceVersion === '') {
    throw invalidPlan(TYPE, 'the plan has no resourceVersion for the DestinationRule; every write needs a precondition', 'resourceVersion');
  }
  return plan.resourceVersion;
}

/** JSON merge patch from `from` to `to` on outlierDetection (keys only in `from` become null), with the precondition. */
function drPatch(resourceVersion: string, from: Record<string, unknown> | null, to: Record<string, unknown> | null): Record<string, unknown> {
  let od: Record<string, unknown> | null = null;
  if (to !== null) {
    od = { ...to };
    for (const k of Object.keys(from ?? {})) if (!Object.hasOwn(to, k)) od[k] = null;
  }
  return { metadata: { resourceVersion }, spec: { trafficPolicy: { outlierDetection: od } } };
}

/** Remove the selector label (test first: the precondition), add the quarantine label and the forensics annotations. */
function quarantinePatch(current: KubeObject, pod: PodState, service: string): unknown[] {
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
function restorePatch(current: KubeObject, pod: PodState): unknown[] {
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
