/**
 * GSLB providers: where regional traffic weights live. shift-gslb-weights talks only to this interface;
 * k8gb (a Gslb custom resource) is here, Route 53 weighted records are in src/clients/route53.ts.
 * Add another (NS1, Cloudflare, F5…) by implementing GslbProvider and a branch in shift-gslb-weights.
 */
import type { TargetRef } from '../domain/types.js';
import { AppError } from '../lib/errors.js';
import { describeTarget, type KubernetesApi } from '../clients/kubernetes.js';
import type { GitOpsNote } from './action.js';
import { gitopsOf, isRecord, recordOf, rvOf } from './common.js';

export type Weights = Readonly<Record<string, number>>;

export interface GslbWeights {
  readonly weights: Weights;
  /** Opaque precondition token: a resourceVersion, or a hash of the exact records. */
  readonly version: string;
}

export interface GslbProvider {
  /** e.g. "k8gb gslbs.k8gb.absa.oss prod/web" or "route53 Z123/web.example.com./A". */
  readonly id: string;
  getWeights(): Promise<GslbWeights>;
  /**
   * Set absolute weights for the regions given, only if the provider is still at `precondition`
   * (AppError `conflict` otherwise). dryRun: validate (server-side where the provider can) without writing.
   */
  setWeights(weights: Weights, precondition: string, options: { dryRun: boolean }): Promise<GslbWeights>;
  /** A GitOps controller managing the weights, if the provider can tell. */
  gitops?(): Promise<GitOpsNote | undefined>;
}

/** k8gb: spec.strategy.weight is a map region → weight on the Gslb (k8gb.absa.oss/v1beta1); JSON merge patch with resourceVersion. */
export class K8gbProvider implements GslbProvider {
  readonly id: string;
  private readonly ref: TargetRef;

  constructor(
    private readonly kube: KubernetesApi,
    target: TargetRef,
  ) {
    this.ref = { ...target, group: 'k8gb.absa.oss', version: 'v1beta1', resource: 'gslbs' };
    this.id = `k8gb ${describeTarget(this.ref)}`;
  }

  async getWeights(): Promise<GslbWeights> {
    const gslb = await this.kube.getObject(this.ref);
    const weight = recordOf(recordOf(recordOf(gslb.spec).strategy).weight);
    const weights: Record<string, number> = {};
    for (const [region, w] of Object.entries(weight)) {
      const n = typeof w === 'string' ? Number(w) : w;
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        throw new AppError('invalid_target', `${this.id}: spec.strategy.weight.${region} is not a number`, { httpStatus: 422 });
      }
      weights[region] = n;
    }
    const version = rvOf(gslb);
    if (version === undefined) throw new AppError('invalid_target', `${this.id} has no resourceVersion`, { httpStatus: 422 });
    return { weights, version };
  }

  async setWeights(weights: Weights, precondition: string, options: { dryRun: boolean }): Promise<GslbWeights> {
    const current = await this.kube.getObject(this.ref);
    const existing = recordOf(recordOf(recordOf(current.spec).strategy).weight);
    const weight: Record<string, number | null> = { ...weights };
    for (const region of Object.keys(existing)) if (!Object.hasOwn(weights, region)) weight[region] = null;
    const written = await this.kube.patchObject(
      this.ref,
      { metadata: { resourceVersion: precondition }, spec: { strategy: { weight } } },
      { type: 'merge', dryRun: options.dryRun },
    );
    return { weights: { ...weights }, version: options.dryRun ? precondition : (rvOf(written) ?? precondition) };
  }

  async gitops(): Promise<GitOpsNote | undefined> {
    return gitopsOf(await this.kube.getObject(this.ref), 'spec.strategy.weight');
  }
}

export function weightsEqual(a: Weights, b: Weights): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export function sumOf(w: Weights): number {
  return Object.values(w).reduce((s, x) => s + x, 0);
}

/** The most any one region's weight may change in one step: floor(pct% of the current total). */
export function stepLimit(current: Weights, maxStepPercent: number): number {
  return Math.floor((sumOf(current) * maxStepPercent) / 100 + 1e-9);
}

/**
 * Drain one step: `from` loses min(step, weight - floor); the others gain it in proportion to their
 * weights (equally when all are 0), rounded by largest remainder so the total is unchanged. Integers in,
 * integers out; no region changes by more than the step.
 */
export function drainStep(current: Weights, from: string, maxStepPercent: number, floor = 0): Record<string, number> {
  const out: Record<string, number> = { ...current };
  const have = current[from];
  if (have === undefined) throw new AppError('invalid_params', `region ${from} is not among ${Object.keys(current).join(', ')}`, { httpStatus: 400, details: { field: 'from' } });
  const others = Object.keys(current).filter((r) => r !== from).sort();
  if (others.length === 0) return out;
  const move = Math.max(0, Math.min(stepLimit(current, maxStepPercent), have - floor));
  if (move === 0) return out;
  const base = others.reduce((s, r) => s + (current[r] ?? 0), 0);
  const shares = others.map((r) => (base > 0 ? ((current[r] ?? 0) * move) / base : move / others.length));
  const ints = shares.map((s) => Math.floor(s));
  let left = move - ints.reduce((s, x) => s + x, 0);
  const order = shares.map((s, i) => ({ i, frac: s - Math.floor(s) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    ints[i] = (ints[i] ?? 0) + 1;
    left -= 1;
  }
  out[from] = have - move;
  others.forEach((r, i) => {
    out[r] = (current[r] ?? 0) + (ints[i] ?? 0);
  });
  return out;
}

/** Restore one step: every region moves toward `target` by at most the step. */
export function restoreStep(current: Weights, target: Weights, maxStepPercent: number): Record<string, number> {
  const step = stepLimit(current, maxStepPercent);
  const out: Record<string, number> = { ...current };
  for (const region of Object.keys(current)) {
    const want = target[region];
    if (want === undefined) continue;
    const have = current[region] ?? 0;
    out[region] = have + Math.max(-step, Math.min(step, want - have));
  }
  return out;
}

export function isWeights(value: unknown): value is Weights {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);
}
