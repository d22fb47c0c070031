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
import type { ActionPlan, TargetRef } from '../domain/types.js';
import { AppError, badRequest } from '../lib/errors.js';
import { describeTarget, type KubeObject, type KubernetesApi } from '../clients/kubernetes.js';
import type { Action, Ownership, PlanContext, VerifyOutcome, VerifySignal } from './action.js';
import { diverged, gitopsOf, invalidPlan, isRecord, jsonEqual, optedOut, recordOf, requireTarget, rvOf, verifySignal } from './common.js';

import { QUARANTINE_LABEL, QUARANTINE_SERVICE, TYPE, EjectEndpointsParams, EjectEndpointsCaps, PodState, DrState, DEFAULT_OUTLIER, parseEjectEndpointsParams, isReady, podsOf, drOf, podState, evidencePods, outlierOf, rvField, requirePlanRv, drPatch, quarantinePatch, restorePatch } from './eject-endpoints-plan.js';

export { QUARANTINE_LABEL, QUARANTINE_ORIGINAL, QUARANTINE_SERVICE, parseEjectEndpointsParams } from './eject-endpoints-plan.js';
export type { EjectEndpointsCaps, EjectEndpointsParams, OutlierDetection } from './eject-endpoints-plan.js';

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

