/**
 * Validation run on every create and update, dry runs included (a server-side dry run goes through the
 * same validation as the real write). Only the checks that matter to aiopsd are modelled: object
 * metadata, and the numeric fields of the kinds it changes.
 */
import type { ResourceInfo } from './resources.js';
import { invalid } from './status.js';
import { isRecord, type K8sObject } from './types.js';

interface FieldError {
  field: string;
  message: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
}

function invalidValue(field: string, value: unknown, why: string): FieldError {
  return { field, message: `Invalid value: ${show(value)}: ${why}` };
}

function required(field: string): FieldError {
  return { field, message: 'Required value' };
}

function checkMetadata(obj: K8sObject, errors: FieldError[]): void {
  const meta = obj.metadata;
  const name = meta?.name;
  if (typeof name !== 'string' || name === '') {
    errors.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    errors.push(invalidValue('metadata.name', name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"));
  }
  for (const [field, map] of [['metadata.labels', meta?.labels], ['metadata.annotations', meta?.annotations]] as const) {
    if (map === undefined || map === null) continue;
    if (!isRecord(map)) {
      errors.push(invalidValue(field, map, 'must be a map of strings'));
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') errors.push(invalidValue(`${field}[${k}]`, v, 'must be a string'));
      else if (field === 'metadata.labels' && (v.length > 63 || !LABEL_VALUE.test(v))) {
        errors.push(invalidValue(`${field}`, v, 'a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\''));
      }
    }
  }
}

function intField(spec: Record<string, unknown>, name: string, min: number, errors: FieldError[], isRequired = false): number | undefined {
  const field = `spec.${name}`;
  const value = spec[name];
  if (value === undefined || value === null) {
    if (isRequired) errors.push(required(field));
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.push(invalidValue(field, value, 'must be an integer'));
    return undefined;
  }
  if (value < min) {
    errors.push(invalidValue(field, value, `must be greater than or equal to ${min}`));
    return undefined;
  }
  return value;
}

function specOf(obj: K8sObject, errors: FieldError[], isRequired: boolean): Record<string, unknown> {
  if (isRecord(obj.spec)) return obj.spec;
  if (obj.spec !== undefined || isRequired) errors.push(obj.spec === undefined ? required('spec') : invalidValue('spec', obj.spec, 'must be an object'));
  return {};
}

function checkKind(kind: string, obj: K8sObject, errors: FieldError[]): void {
  switch (kind) {
    case 'HorizontalPodAutoscaler': {
      const spec = specOf(obj, errors, true);
      const min = intField(spec, 'minReplicas', 1, errors);
      const max = intField(spec, 'maxReplicas', 1, errors, true);
      if (min !== undefined && max !== undefined && max < min) {
        errors.push(invalidValue('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
      }
      const ref = spec.scaleTargetRef;
      if (!isRecord(ref) || typeof ref.kind !== 'string' || typeof ref.name !== 'string') {
        errors.push(required('spec.scaleTargetRef'));
      }
      break;
    }
    case 'Deployment':
    case 'Rollout':
    case 'Scale':
      intField(specOf(obj, errors, false), 'replicas', 0, errors);
      break;
    case 'Lease': {
      const spec = specOf(obj, errors, false);
      intField(spec, 'leaseDurationSeconds', 1, errors);
      if (spec.holderIdentity !== undefined && spec.holderIdentity !== null && typeof spec.holderIdentity !== 'string') {
        errors.push(invalidValue('spec.holderIdentity', spec.holderIdentity, 'must be a string'));
      }
      break;
    }
    default:
      break;
  }
}

/** Throws a 422 Invalid Status naming every bad field. */
export function validateObject(info: ResourceInfo, obj: K8sObject, kind = info.kind): void {
  const errors: FieldError[] = [];
  checkMetadata(obj, errors);
  checkKind(kind, obj, errors);
  if (errors.length > 0) {
    throw invalid(kind, kind === 'Scale' ? 'autoscaling' : info.group, obj.metadata?.name ?? '', errors);
  }
}
