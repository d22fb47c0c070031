/**
 * AWS Route 53 weighted records as a GSLB provider (shift-gslb-weights), over @aws-sdk/client-route-53.
 *
 * One "GSLB" = the weighted record sets sharing a name and type in a hosted zone; the region is the
 * record's SetIdentifier. Route 53 has no resourceVersion, so the precondition is the exact current
 * records: getWeights() returns a hash of them as the version, and setWeights() sends one atomic change
 * batch of DELETE (the exact current record) + CREATE (the same record with the new weight) per changed
 * region. Route 53 applies a batch all-or-nothing and rejects a DELETE whose values do not match the
 * current record (InvalidChangeBatch) — a compare-and-swap, which a plain UPSERT is not. Route 53 has no
 * server-side dry run: dryRun re-reads, checks the precondition and validates the weights without writing.
 *
 * The endpoint is configurable so tests and the demo point it at src/sandbox/route53-fake.ts.
 */
import { createHash } from 'node:crypto';
import {
  ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client, type Change, type ResourceRecordSet, type RRType,
} from '@aws-sdk/client-route-53';
import { AppError } from '../lib/errors.js';
import type { GslbProvider, GslbWeights, Weights } from '../actions/gslb-provider.js';

export interface Route53Config {
  /** e.g. http://127.0.0.1:PORT for the fake; default: the AWS endpoint. */
  readonly endpoint?: string;
  /** Route 53 is global; the SDK still wants a signing region (default us-east-1). */
  readonly region?: string;
  /** Static credentials (tests: fake ones); default: the SDK's provider chain (IRSA, env, …). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly maxAttempts?: number;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
}

export interface WeightedRecordRef {
  readonly hostedZoneId: string;
  /** Fully qualified; a trailing dot is added when missing. */
  readonly recordName: string;
  readonly recordType: string;
}

export function createRoute53Client(config: Route53Config = {}): Route53Client {
  return new Route53Client({
    region: config.region ?? 'us-east-1',
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }),
    maxAttempts: config.maxAttempts ?? 2,
    requestHandler: { requestTimeout: config.timeoutMs ?? 10_000 },
  });
}

function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function mapError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = `${what}: ${name}: ${e.message ?? String(err)}`;
  if (name === 'InvalidChangeBatch') return new AppError('conflict', message, { httpStatus: 409, retryable: true, cause: err });
  if (name === 'NoSuchHostedZone') return new AppError('not_found', message, { httpStatus: 404, retryable: false, cause: err });
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || status === 403) return new AppError('forbidden', message, { httpStatus: 502, retryable: false, cause: err });
  if (name === 'InvalidInput' || status === 400) return new AppError('invalid', message, { httpStatus: 422, retryable: false, cause: err });
  return new AppError('provider_unavailable', message, { httpStatus: 503, retryable: true, cause: err });
}

export class Route53WeightedRecords implements GslbProvider {
  readonly id: string;
  private readonly name: string;

  constructor(
    private readonly client: Route53Client,
    private readonly ref: WeightedRecordRef,
  ) {
    this.name = fqdn(ref.recordName);
    this.id = `route53 ${ref.hostedZoneId}/${this.name}/${ref.recordType}`;
  }

  /** The weighted record sets of this name and type, sorted by SetIdentifier. */
  async records(): Promise<ResourceRecordSet[]> {
    const out: ResourceRecordSet[] = [];
    let startName: string | undefined = this.name;
    let startType: RRType | undefined = this.ref.recordType as RRType;
    let startId: string | undefined;
    for (let page = 0; page < 20 && startName !== undefined; page++) {
      let res;
      try {
        res = await this.client.send(new ListResourceRecordSetsCommand({
          HostedZoneId: this.ref.hostedZoneId, StartRecordName: startName, StartRecordType: startType, StartRecordIdentifier: startId, MaxItems: 100,
        }));
      } catch (err) {
        throw mapError(err, `list ${this.id}`);
      }
      let past = false;
      for (const rr of res.ResourceRecordSets ?? []) {
        if (fqdn(rr.Name ?? '') !== this.name || rr.Type !== this.ref.recordType) {
          past = true;
          break;
        }
        if (rr.SetIdentifier !== undefined && rr.Weight !== undefined) out.push(rr);
      }
      if (past || res.IsTruncated !== true || fqdn(res.NextRecordName ?? '') !== this.name || res.NextRecordType !== this.ref.recordType) break;
      startName = res.NextRecordName;
      startType = res.NextRecordType;
      startId = res.NextRecordIdentifier;
    }
    return out.sort((a, b) => (a.SetIdentifier ?? '').localeCompare(b.SetIdentifier ?? ''));
  }

  async getWeights(): Promise<GslbWeights> {
    const records = await this.records();
    if (records.length === 0) throw new AppError('not_found', `${this.id}: no weighted records`, { httpStatus: 404 });
    return { weights: weightsOf(records), version: versionOf(records) };
  }

  async setWeights(weights: Weights, precondition: string, options: { dryRun: boolean }): Promise<GslbWeights> {
    for (const [region, w] of Object.entries(weights)) {
      if (!Number.isInteger(w) || w < 0 || w > 255) throw new AppError('invalid', `${this.id}: weight for ${region} must be an integer 0..255, got ${w}`, { httpStatus: 422 });
    }
    const records = await this.records();
    const current = versionOf(records);
    if (current !== precondition) {
      throw new AppError('conflict', `${this.id}: the weighted records changed since they were read`, { httpStatus: 409, retryable: true });
    }
    const changes: Change[] = [];
    for (const rr of records) {
      const region = rr.SetIdentifier ?? '';
      const w = weights[region];
      if (w === undefined || w === rr.Weight) continue;
      changes.push({ Action: 'DELETE', ResourceRecordSet: rr }, { Action: 'CREATE', ResourceRecordSet: { ...rr, Weight: w } });
    }
    const unknown = Object.keys(weights).filter((r) => !records.some((rr) => rr.SetIdentifier === r));
    if (unknown.length > 0) throw new AppError('invalid', `${this.id}: no weighted record for ${unknown.join(', ')}`, { httpStatus: 422 });
    if (options.dryRun || changes.length === 0) return { weights: { ...weightsOf(records), ...weights }, version: current };
    try {
      await this.client.send(new ChangeResourceRecordSetsCommand({
        HostedZoneId: this.ref.hostedZoneId,
        ChangeBatch: { Comment: 'aiopsd shift-gslb-weights', Changes: changes },
      }));
    } catch (err) {
      throw mapError(err, `change ${this.id}`);
    }
    return this.getWeights();
  }
}

function weightsOf(records: readonly ResourceRecordSet[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const rr of records) out[rr.SetIdentifier ?? ''] = rr.Weight ?? 0;
  return out;
}

/** A hash of the exact records (names, values, TTLs, weights, health checks): the compare-and-swap token. */
function versionOf(records: readonly ResourceRecordSet[]): string {
  const canonical = records.map((rr) => ({
    n: rr.Name, t: rr.Type, id: rr.SetIdentifier, w: rr.Weight, ttl: rr.TTL, hc: rr.HealthCheckId,
    v: (rr.ResourceRecords ?? []).map((r) => r.Value), a: rr.AliasTarget,
  }));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}
