/** Small helpers shared by the actions: reading objects, preconditions, GitOps notes, verification. */
import type { TargetRef } from '../domain/types.js';
import { AppError, badRequest } from '../lib/errors.js';
import type { KubeObject } from '../clients/kubernetes.js';
import type { GitOpsNote, VerifyOutcome, VerifySignal } from './action.js';

export const OPT_OUT_ANNOTATION = 'aiopsd.io/opt-out';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function recordOf(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function rvOf(obj: KubeObject): string | undefined {
  const rv = obj.metadata?.resourceVersion;
  return rv === undefined || rv === '' ? undefined : rv;
}

export function requireRv(obj: KubeObject, what: string): string {
  const rv = rvOf(obj);
  if (rv === undefined) throw new AppError('invalid_target', `${what} has no resourceVersion; cannot write with a precondition`, { httpStatus: 422 });
  return rv;
}

export function withRv<T extends object>(plan: T, obj: KubeObject): T & { resourceVersion?: string } {
  const rv = rvOf(obj);
  return rv === undefined ? plan : { ...plan, resourceVersion: rv };
}

export function labelsOf(obj: KubeObject): Record<string, string> {
  return { ...(obj.metadata?.labels ?? {}) };
}

export function annotationsOf(obj: KubeObject): Record<string, string> {
  return { ...(obj.metadata?.annotations ?? {}) };
}

/** True when an object carries aiopsd.io/opt-out: "true" (promise 10). */
export function optedOut(obj: KubeObject | undefined): boolean {
  return obj?.metadata?.annotations?.[OPT_OUT_ANNOTATION] === 'true';
}

/** Argo CD / Flux markers on an object: their controllers revert drift unless told to ignore the field. */
export function gitopsOf(obj: KubeObject, fields: string): GitOpsNote | undefined {
  const labels = labelsOf(obj);
  const annotations = annotationsOf(obj);
  const argo = labels['argocd.argoproj.io/instance'] ?? annotations['argocd.argoproj.io/instance']
    ?? annotations['argocd.argoproj.io/tracking-id']?.split(':')[0];
  if (argo !== undefined && argo !== '') {
    return { tool: 'argocd', app: argo, note: `managed by Argo CD application ${argo}: add ${fields} to its ignoreDifferences, or self-heal will undo the change` };
  }
  const flux = labels['kustomize.toolkit.fluxcd.io/name'] ?? labels['helm.toolkit.fluxcd.io/name']
    ?? annotations['kustomize.toolkit.fluxcd.io/name'] ?? annotations['helm.toolkit.fluxcd.io/name'];
  if (flux !== undefined && flux !== '') {
    return { tool: 'flux', app: flux, note: `managed by Flux ${flux}: the next reconcile reverts ${fields} unless the field is excluded (e.g. kustomize.toolkit.fluxcd.io/ssa: IfNotPresent or a patch in the source)` };
  }
  return undefined;
}

export function requireTarget(type: string, target: TargetRef, allowed: readonly { group: string; resource: string }[]): void {
  if (!allowed.some((a) => a.group === target.group && a.resource === target.resource)) {
    const names = allowed.map((a) => `${a.resource}.${a.group || 'core'}`).join(' or ');
    throw badRequest('invalid_target', `${type} acts on ${names}, not ${target.resource}.${target.group || 'core'}`, { field: 'target' });
  }
  if (target.namespace === '' || target.name === '') {
    throw badRequest('invalid_target', `${type}: target namespace and name are required`, { field: 'target' });
  }
}

export function paramsObject(type: string, params: unknown, allowed: readonly string[], example: string): Record<string, unknown> {
  if (!isRecord(params)) {
    throw badRequest('invalid_params', `${type}: params must be an object like ${example}`, { field: 'params' });
  }
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) {
      throw badRequest('invalid_params', `${type}: unknown parameter ${key} (allowed: ${allowed.join(', ')})`, { field: key });
    }
  }
  return params;
}

export function numberParam(type: string, value: unknown, field: string, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw badRequest('invalid_params', `${type}: ${field} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(value) ?? 'undefined'}`, { field });
  }
  if (value < min || value > max) {
    throw badRequest('invalid_params', `${type}: ${field} must be between ${min} and ${max}, got ${value}`, { field });
  }
  return value;
}

export function stringParam(type: string, value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw badRequest('invalid_params', `${type}: ${field} must be a non-empty string, got ${JSON.stringify(value) ?? 'undefined'}`, { field });
  }
  return value;
}

export function invalidPlan(type: string, message: string, field: string): AppError {
  return badRequest('invalid_plan', `${type}: ${message}`, { field });
}

/** The object moved on since execute in the fields we changed: revert would overwrite someone else's change. */
export function diverged(type: string, what: string, detail: string): AppError {
  return new AppError('revert_diverged', `${type}: ${what} changed since aiopsd wrote it (${detail}); not reverting over someone else's change`, {
    httpStatus: 409, retryable: false, details: { target: what },
  });
}

/**
 * The signal half of verification: healthy → ok, anomalous → failed, no data (or a probe error) →
 * inconclusive. Never treats missing data as healthy (promise 15).
 */
export async function verifySignal(signal: VerifySignal): Promise<VerifyOutcome> {
  let reading;
  try {
    reading = await signal.probe.read(signal.evidence);
  } catch {
    return 'inconclusive';
  }
  if (reading.healthy === undefined || reading.value === undefined || !Number.isFinite(reading.value)) return 'inconclusive';
  return reading.healthy ? 'ok' : 'failed';
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) if (value[k] !== undefined) out[k] = canonical(value[k]);
    return out;
  }
  return value;
}

/** RFC 6901 escaping of one JSON-pointer segment (label keys contain '/'). */
export function pointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
