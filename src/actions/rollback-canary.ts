/**
 * rollback-canary: send all traffic back to the stable version, through whichever controller owns the
 * canary (ownership()):
 * - nobody (plain Istio): the VirtualService's http[].route weights → canary 0, stable 100. A JSON merge
 *   patch replaces whole lists, so the whole spec.http list is read, modified and written back with the
 *   resourceVersion (never strategic merge: custom resources refuse it).
 * - an Argo Rollout whose canary trafficRouting names the VirtualService: abort it with the merge patch
 *   {"status":{"abort":true}} on rollouts/status (resourceVersion inside); Argo shifts the weights itself.
 * - a Flagger Canary (ownerReference on the VirtualService, or spec.service.name/targetRef.name = its
 *   name): no write at all; the canary is marked judged-bad in the FlaggerRollbackRegistry, and Flagger's
 *   rollback webhook (POST /hooks/flagger/rollback) answers 200 so Flagger rolls back.
 *
 * Plan shapes: VirtualService {lever: "virtualservice", routes: [[{host, subset?, weight}]]};
 * Argo {lever: "argo-rollouts", rollout, abort}; Flagger {lever: "flagger", canary, judgedBad}.
 */
import type { ActionPlan, TargetRef } from '../domain/types.js';
import { AppError, badRequest } from '../lib/errors.js';
import { describeTarget, type KubeObject, type KubernetesApi } from '../clients/kubernetes.js';
import type { Action, Ownership, PlanContext, VerifyOutcome, VerifySignal } from './action.js';
import { diverged, gitopsOf, invalidPlan, isRecord, jsonEqual, paramsObject, recordOf, requireTarget, rvOf, stringParam, verifySignal } from './common.js';
import type { FlaggerRollbackRegistry } from './flagger-rollback.js';

const TYPE = 'rollback-canary';
const VS = { group: 'networking.istio.io', version: 'v1beta1', resource: 'virtualservices' } as const;
const ROLLOUT = { group: 'argoproj.io', version: 'v1alpha1', resource: 'rollouts' } as const;
const CANARY = { group: 'flagger.app', version: 'v1beta1', resource: 'canaries' } as const;

export interface RollbackCanaryParams {
  /** The destination subset that is the canary (default "canary"). */
  readonly canarySubset: string;
  /** Or: the destination host that is the canary (e.g. "web-canary"); hosts ending in "-canary" count too. */
  readonly canaryHost?: string;
}

interface Dest {
  readonly host: string;
  readonly subset?: string;
  readonly weight: number;
}

export function parseRollbackCanaryParams(params: unknown): RollbackCanaryParams {
  const p = paramsObject(TYPE, params ?? {}, ['canarySubset', 'canaryHost'], '{"canarySubset": "canary"}');
  return {
    canarySubset: p.canarySubset === undefined ? 'canary' : stringParam(TYPE, p.canarySubset, 'canarySubset'),
    ...(p.canaryHost === undefined ? {} : { canaryHost: stringParam(TYPE, p.canaryHost, 'canaryHost') }),
  };
}

function routesOf(vs: KubeObject): Dest[][] {
  const http = recordOf(vs.spec).http;
  if (!Array.isArray(http)) return [];
  return http.map((h) => {
    const route = recordOf(h).route;
    if (!Array.isArray(route)) return [];
    return route.map((r) => {
      const d = recordOf(recordOf(r).destination);
      const w = recordOf(r).weight;
      return {
        host: typeof d.host === 'string' ? d.host : '',
        ...(typeof d.subset === 'string' ? { subset: d.subset } : {}),
        // Istio: a single destination without weight gets 100; several without weights split evenly (treat as 0 here)
        weight: typeof w === 'number' ? w : route.length === 1 ? 100 : 0,
      };
    });
  });
}

function planRoutes(plan: ActionPlan, field: 'before' | 'after'): Dest[][] {
  const routes = plan[field].routes;
  if (!Array.isArray(routes) || !routes.every((r) => Array.isArray(r) && r.every((d) => isRecord(d) && typeof d.host === 'string' && typeof d.weight === 'number'))) {
    throw invalidPlan(TYPE, `plan.${field}.routes must be lists of {host, subset?, weight}`, 'routes');
  }
  return routes as Dest[][];
}

export class RollbackCanaryAction implements Action<RollbackCanaryParams> {
  readonly type = TYPE;
  readonly bakeTimeMs: number;

  constructor(
    private readonly kube: KubernetesApi,
    private readonly flagger: FlaggerRollbackRegistry | undefined,
    caps: { bakeTimeMs?: number } = {},
  ) {
    this.bakeTimeMs = caps.bakeTimeMs ?? 120_000;
  }

  parse(params: unknown): RollbackCanaryParams {
    return parseRollbackCanaryParams(params);
  }

  async ownership(target: TargetRef): Promise<Ownership> {
    requireTarget(TYPE, target, [VS]);
    const vs = await this.kube.getObject({ ...target, version: VS.version });
    const gitops = gitopsOf(vs, 'spec.http[].route[].weight');
    const extra = gitops ? { gitops } : {};
    const owners = vs.metadata?.ownerReferences;
    if (Array.isArray(owners)) {
      const canary = owners.find((o) => isRecord(o) && o.kind === 'Canary' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('flagger.app/'));
      if (isRecord(canary) && typeof canary.name === 'string') {
        return { owner: 'flagger', ownerRef: { ...target, ...CANARY, name: canary.name }, lever: 'flagger rollback webhook', ...extra };
      }
    }
    const ns = { ...target, namespace: target.namespace };
    const rollouts = await this.kube.listObjects({ ...ROLLOUT, namespace: ns.namespace });
    const rollout = rollouts.find((r) => {
      const istio = recordOf(recordOf(recordOf(recordOf(r.spec).strategy).canary).trafficRouting).istio;
      const single = recordOf(recordOf(istio).virtualService).name;
      const many = recordOf(istio).virtualServices;
      return single === target.name || (Array.isArray(many) && many.some((v) => recordOf(v).name === target.name));
    });
    if (rollout !== undefined) {
      return { owner: 'argo-rollouts', ownerRef: { ...target, ...ROLLOUT, name: rollout.metadata?.name ?? '' }, lever: 'rollouts/status abort', ...extra };
    }
    const canaries = await this.kube.listObjects({ ...CANARY, namespace: target.namespace }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'not_found') return [];
      throw err;
    });
    const canary = canaries.find((c) => {
      const spec = recordOf(c.spec);
      const svcName = recordOf(spec.service).name ?? recordOf(spec.targetRef).name;
      return svcName === target.name;
    });
    if (canary !== undefined) {
      return { owner: 'flagger', ownerRef: { ...target, ...CANARY, name: canary.metadata?.name ?? '' }, lever: 'flagger rollback webhook', ...extra };
    }
    return { owner: 'none', lever: 'virtualservices spec.http[].route[].weight', ...extra };
  }

  async plan(target: TargetRef, params: RollbackCanaryParams, context?: PlanContext): Promise<ActionPlan> {
    requireTarget(TYPE, target, [VS]);
    const ownership = context?.ownership ?? (await this.ownership(target));
    if (ownership.owner === 'argo-rollouts' && ownership.ownerRef !== undefined) {
      const rollout = await this.kube.getObject(ownership.ownerRef);
      const abort = recordOf(rollout.status).abort === true;
      const rv = rvOf(rollout);
      return {
        before: { lever: 'argo-rollouts', rollout: ownership.ownerRef.name, abort },
        after: { lever: 'argo-rollouts', rollout: ownership.ownerRef.name, abort: true },
        ...(rv === undefined ? {} : { resourceVersion: rv }),
      };
    }
    if (ownership.owner === 'flagger' && ownership.ownerRef !== undefined) {
      const canary = await this.kube.getObject(ownership.ownerRef);
      const judgedBad = this.requireFlagger().isBad(target.namespace, ownership.ownerRef.name);
      const rv = rvOf(canary);
      return {
        before: { lever: 'flagger', canary: ownership.ownerRef.name, judgedBad },
        after: { lever: 'flagger', canary: ownership.ownerRef.name, judgedBad: true },
        ...(rv === undefined ? {} : { resourceVersion: rv }),
      };
    }
    const vs = await this.kube.getObject(this.vsRef(target));
    const before = routesOf(vs);
    const after = before.map((route) => this.rollback(route, params));
    const rv = rvOf(vs);
    return {
      before: { lever: 'virtualservice', routes: before },
      after: { lever: 'virtualservice', routes: after },
      ...(rv === undefined ? {} : { resourceVersion: rv }),
    };
  }

  async preflight(target: TargetRef, plan: ActionPlan): Promise<void> {
    const lever = plan.after.lever;
    if (lever === 'flagger') {
      this.requireFlagger();
      await this.kube.getObject(this.canaryRef(target, plan)); // nothing to dry-run: the write is aiopsd's own webhook answer
      return;
    }
    if (lever === 'argo-rollouts') {
      await this.kube.patchObject(this.rolloutRef(target, plan), this.abortBody(this.rv(plan.resourceVersion), true), { type: 'merge', dryRun: true, subresource: 'status' });
      return;
    }
    const vs = await this.kube.getObject(this.vsRef(target));
    await this.kube.patchObject(this.vsRef(target), this.routesBody(vs, this.rv(plan.resourceVersion), planRoutes(plan, 'after')), { type: 'merge', dryRun: true });
  }

  async execute(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const lever = plan.after.lever;
    if (lever === 'flagger') {
      const name = this.canaryRef(target, plan).name;
      this.requireFlagger().markBad(target.namespace, name, `aiopsd ${TYPE} on ${describeTarget(target)}`);
      return plan;
    }
    if (lever === 'argo-rollouts') {
      const ref = this.rolloutRef(target, plan);
      const current = await this.kube.getObject(ref);
      if (recordOf(current.status).abort === true) return { ...plan, ...rvField(current) };
      const written = await this.kube.patchObject(ref, this.abortBody(this.rv(plan.resourceVersion), true), { type: 'merge', dryRun: false, subresource: 'status' });
      return { ...plan, ...rvField(written) };
    }
    const ref = this.vsRef(target);
    const after = planRoutes(plan, 'after');
    const current = await this.kube.getObject(ref);
    if (jsonEqual(routesOf(current), after)) return { ...plan, ...rvField(current) };
    const written = await this.kube.patchObject(ref, this.routesBody(current, this.rv(plan.resourceVersion), after), { type: 'merge', dryRun: false });
    return { ...plan, ...rvField(written) };
  }

  async verify(target: TargetRef, plan: ActionPlan, signal: VerifySignal): Promise<VerifyOutcome> {
    const lever = plan.after.lever;
    if (lever === 'flagger') {
      if (!this.requireFlagger().isBad(target.namespace, this.canaryRef(target, plan).name)) return 'inconclusive';
    } else if (lever === 'argo-rollouts') {
      if (recordOf((await this.kube.getObject(this.rolloutRef(target, plan))).status).abort !== true) return 'inconclusive';
    } else if (!jsonEqual(routesOf(await this.kube.getObject(this.vsRef(target))), planRoutes(plan, 'after'))) {
      return 'inconclusive';
    }
    return verifySignal(signal);
  }

  async revert(target: TargetRef, plan: ActionPlan): Promise<ActionPlan> {
    const lever = plan.after.lever;
    if (lever === 'flagger') {
      if (plan.before.judgedBad !== true) this.requireFlagger().clear(target.namespace, this.canaryRef(target, plan).name);
      return plan;
    }
    if (lever === 'argo-rollouts') {
      const ref = this.rolloutRef(target, plan);
      const before = plan.before.abort === true;
      const current = await this.kube.getObject(ref);
      const now = recordOf(current.status).abort === true;
      if (now === before) return { ...plan, ...rvField(current) };
      const written = await this.kube.patchObject(ref, this.abortBody(this.rv(rvOf(current)), before), { type: 'merge', dryRun: false, subresource: 'status' });
      return { ...plan, ...rvField(written) };
    }
    const ref = this.vsRef(target);
    const before = planRoutes(plan, 'before');
    const current = await this.kube.getObject(ref);
    const now = routesOf(current);
    if (jsonEqual(now, before)) return { ...plan, ...rvField(current) };
    if (!jsonEqual(now, planRoutes(plan, 'after'))) throw diverged(TYPE, describeTarget(ref), 'route weights');
    const written = await this.kube.patchObject(ref, this.routesBody(current, this.rv(rvOf(current)), before), { type: 'merge', dryRun: false });
    return { ...plan, ...rvField(written) };
  }

  /** Canary destinations → 0; stable ones share 100 in proportion to their weights (largest remainder). */
  private rollback(route: Dest[], params: RollbackCanaryParams): Dest[] {
    const isCanary = (d: Dest): boolean =>
      d.subset === params.canarySubset || (params.canaryHost !== undefined && d.host === params.canaryHost) || d.host.endsWith('-canary');
    const stable = route.filter((d) => !isCanary(d));
    if (stable.length === 0 || stable.length === route.length) return route; // nothing to roll back in this route
    const base = stable.reduce((s, d) => s + d.weight, 0);
    const shares = stable.map((d) => (base > 0 ? (d.weight * 100) / base : 100 / stable.length));
    const ints = shares.map(Math.floor);
    let left = 100 - ints.reduce((s, x) => s + x, 0);
    const order = shares.map((s, i) => ({ i, f: s - Math.floor(s) })).sort((a, b) => b.f - a.f || a.i - b.i);
    for (const { i } of order) {
      if (left <= 0) break;
      ints[i] = (ints[i] ?? 0) + 1;
      left -= 1;
    }
    let k = 0;
    return route.map((d) => (isCanary(d) ? { ...d, weight: 0 } : { ...d, weight: ints[k++] ?? 0 }));
  }

  /** The whole spec.http list from the current object, with the planned weights (a merge patch replaces lists). */
  private routesBody(current: KubeObject, resourceVersion: string, routes: Dest[][]): Record<string, unknown> {
    const http = recordOf(current.spec).http;
    if (!Array.isArray(http) || http.length !== routes.length) throw new AppError('conflict', `${TYPE}: the VirtualService's http routes changed shape since the plan`, { httpStatus: 409, retryable: true });
    const next = http.map((h, i) => {
      const route = recordOf(h).route;
      const want = routes[i] ?? [];
      if (!Array.isArray(route) || route.length !== want.length) throw new AppError('conflict', `${TYPE}: http[${i}].route changed shape since the plan`, { httpStatus: 409, retryable: true });
      return { ...recordOf(h), route: route.map((r, j) => ({ ...recordOf(r), weight: want[j]?.weight ?? 0 })) };
    });
    return { metadata: { resourceVersion }, spec: { http: next } };
  }

  private abortBody(resourceVersion: string, abort: boolean): Record<string, unknown> {
    return { metadata: { resourceVersion }, status: { abort } };
  }

  private rv(resourceVersion: string | undefined): string {
    if (resourceVersion === undefined || resourceVersion === '') throw invalidPlan(TYPE, 'the plan has no resourceVersion; every write needs a precondition', 'resourceVersion');
    return resourceVersion;
  }

  private requireFlagger(): FlaggerRollbackRegistry {
    if (this.flagger === undefined) throw new AppError('flagger_unavailable', `${TYPE}: the canary is owned by Flagger but no FlaggerRollbackRegistry is wired`, { httpStatus: 422 });
    return this.flagger;
  }

  private vsRef(target: TargetRef): TargetRef {
    requireTarget(TYPE, target, [VS]);
    return { ...target, version: VS.version };
  }

  private rolloutRef(target: TargetRef, plan: ActionPlan): TargetRef {
    const name = plan.after.rollout;
    if (typeof name !== 'string' || name === '') throw invalidPlan(TYPE, 'plan.after.rollout is missing', 'rollout');
    return { ...target, ...ROLLOUT, name };
  }

  private canaryRef(target: TargetRef, plan: ActionPlan): TargetRef {
    const name = plan.after.canary;
    if (typeof name !== 'string' || name === '') throw badRequest('invalid_plan', `${TYPE}: plan.after.canary is missing`, { field: 'canary' });
    return { ...target, ...CANARY, name };
  }
}

function rvField(obj: KubeObject): { resourceVersion?: string } {
  const rv = rvOf(obj);
  return rv === undefined ? {} : { resourceVersion: rv };
}
