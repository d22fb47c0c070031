/**
 * A small fake of the Route 53 REST XML API, enough for weighted records: ListResourceRecordSets and
 * ChangeResourceRecordSets (CREATE / DELETE / UPSERT, applied all-or-nothing; a DELETE must match the
 * current record exactly, or the batch fails with InvalidChangeBatch like the real service). For tests
 * and the demo; @aws-sdk/client-route-53 talks to it with `endpoint` set and fake static credentials
 * (signatures are not checked). Loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { baseUrl, listen } from '../lib/http-server.js';

export interface FakeRecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  TTL?: number;
  HealthCheckId?: string;
  ResourceRecords?: { Value: string }[];
}

export interface Route53FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly operation: 'list' | 'change' | 'unknown';
  readonly status: number;
}

export interface Route53Fake {
  readonly url: string;
  readonly requests: readonly Route53FakeRequest[];
  /** Create a hosted zone ("Z123…") with records (not counted as writes). */
  seed(zoneId: string, records: readonly FakeRecordSet[]): void;
  records(zoneId: string): FakeRecordSet[];
  /** Change records as someone else would (not counted). */
  mutate(zoneId: string, change: (records: FakeRecordSet[]) => void): void;
  /** Successful ChangeResourceRecordSets batches per zone (all zones when omitted). */
  writes(zoneId?: string): number;
  /** The next `times` ChangeResourceRecordSets fail with this error code and HTTP status. */
  failNextChange(code: string, status: number, times?: number): void;
  close(): Promise<void>;
}

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

/** A minimal XML reader for the request bodies the SDK sends (no attributes needed, entities decoded). */
export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const re = /<\?[^>]*\?>|<!--[\s\S]*?-->|<\/([^\s>]+)\s*>|<([^\s/>]+)([^>]*?)(\/?)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml)) !== null) {
    const top = stack[stack.length - 1]!;
    if (m[1] !== undefined) {
      if (stack.length > 1) stack.pop();
    } else if (m[2] !== undefined) {
      const node: XmlNode = { name: m[2].replace(/^.*:/, ''), children: [], text: '' };
      top.children.push(node);
      if (m[4] !== '/') stack.push(node);
    } else if (m[5] !== undefined) {
      top.text += decode(m[5]);
    }
  }
  return root;
}

function decode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_all, e: string) => {
    const map: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return map[e] ?? '';
  });
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

function text(node: XmlNode, name: string): string | undefined {
  const c = child(node, name);
  return c === undefined ? undefined : c.text.trim();
}

function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function recordFromXml(node: XmlNode): FakeRecordSet {
  const rr: FakeRecordSet = { Name: fqdn(text(node, 'Name') ?? ''), Type: text(node, 'Type') ?? '' };
  const id = text(node, 'SetIdentifier');
  if (id !== undefined) rr.SetIdentifier = id;
  const weight = text(node, 'Weight');
  if (weight !== undefined) rr.Weight = Number(weight);
  const ttl = text(node, 'TTL');
  if (ttl !== undefined) rr.TTL = Number(ttl);
  const hc = text(node, 'HealthCheckId');
  if (hc !== undefined) rr.HealthCheckId = hc;
  const values = child(node, 'ResourceRecords');
  if (values !== undefined) rr.ResourceRecords = values.children.map((r) => ({ Value: text(r, 'Value') ?? '' }));
  return rr;
}

function recordToXml(rr: FakeRecordSet): string {
  return [
    '<ResourceRecordSet>',
    `<Name>${esc(rr.Name)}</Name><Type>${esc(rr.Type)}</Type>`,
    rr.SetIdentifier === undefined ? '' : `<SetIdentifier>${esc(rr.SetIdentifier)}</SetIdentifier>`,
    rr.Weight === undefined ? '' : `<Weight>${rr.Weight}</Weight>`,
    rr.TTL === undefined ? '' : `<TTL>${rr.TTL}</TTL>`,
    rr.HealthCheckId === undefined ? '' : `<HealthCheckId>${esc(rr.HealthCheckId)}</HealthCheckId>`,
    rr.ResourceRecords === undefined ? '' : `<ResourceRecords>${rr.ResourceRecords.map((r) => `<ResourceRecord><Value>${esc(r.Value)}</Value></ResourceRecord>`).join('')}</ResourceRecords>`,
    '</ResourceRecordSet>',
  ].join('');
}

function sameRecordKey(a: FakeRecordSet, b: FakeRecordSet): boolean {
  return fqdn(a.Name) === fqdn(b.Name) && a.Type === b.Type && (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '');
}

function sameRecord(a: FakeRecordSet, b: FakeRecordSet): boolean {
  const values = (r: FakeRecordSet): string => JSON.stringify((r.ResourceRecords ?? []).map((x) => x.Value));
  return sameRecordKey(a, b) && a.Weight === b.Weight && a.TTL === b.TTL && (a.HealthCheckId ?? '') === (b.HealthCheckId ?? '') && values(a) === values(b);
}

function sortKey(r: FakeRecordSet): string {
  return `${fqdn(r.Name)}\u0000${r.Type}\u0000${r.SetIdentifier ?? ''}`;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>fake-${Date.now()}</RequestId></ErrorResponse>`;
}

class ChangeError extends Error {}

export async function startRoute53Fake(opts: { host?: string; port?: number } = {}): Promise<Route53Fake> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the Route 53 fake binds loopback only, not ${host}`);
  const zones = new Map<string, FakeRecordSet[]>();
  const writeCounts = new Map<string, number>();
  const log: Route53FakeRequest[] = [];
  const faults: { code: string; status: number; remaining: number }[] = [];
  let changeSeq = 0;

  const zoneOf = (id: string): FakeRecordSet[] | undefined => zones.get(id.replace(/^\/?hostedzone\//, ''));

  const list = (zoneId: string, query: URLSearchParams): { status: number; body: string } => {
    const records = zoneOf(zoneId);
    if (records === undefined) return { status: 404, body: errorXml('NoSuchHostedZone', `No hosted zone found with ID: ${zoneId}`) };
    const name = query.get('name');
    const type = query.get('type');
    const identifier = query.get('identifier');
    const max = Math.max(1, Math.min(300, Number(query.get('maxitems') ?? '300') || 300));
    const sorted = [...records].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    const start = name === null ? '' : `${fqdn(name)}\u0000${type ?? ''}\u0000${identifier ?? ''}`;
    const from = sorted.filter((r) => sortKey(r) >= start);
    const page = from.slice(0, max);
    const next = from[max];
    const body = [
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListResourceRecordSetsResponse xmlns="${NS}">`,
      `<ResourceRecordSets>${page.map(recordToXml).join('')}</ResourceRecordSets>`,
      `<IsTruncated>${next === undefined ? 'false' : 'true'}</IsTruncated>`,
      next === undefined ? '' : `<NextRecordName>${esc(next.Name)}</NextRecordName><NextRecordType>${esc(next.Type)}</NextRecordType>${next.SetIdentifier === undefined ? '' : `<NextRecordIdentifier>${esc(next.SetIdentifier)}</NextRecordIdentifier>`}`,
      `<MaxItems>${max}</MaxItems>`,
      '</ListResourceRecordSetsResponse>',
    ].join('');
    return { status: 200, body };
  };

  const change = (zoneId: string, xml: string): { status: number; body: string } => {
    const id = zoneId.replace(/^\/?hostedzone\//, '');
    const records = zones.get(id);
    if (records === undefined) return { status: 404, body: errorXml('NoSuchHostedZone', `No hosted zone found with ID: ${zoneId}`) };
    const fault = faults.find((f) => f.remaining > 0);
    if (fault !== undefined) {
      fault.remaining -= 1;
      return { status: fault.status, body: errorXml(fault.code, `injected fault: ${fault.code}`) };
    }
    const root = parseXml(xml);
    const request = child(root, 'ChangeResourceRecordSetsRequest');
    const changes = request === undefined ? undefined : child(child(request, 'ChangeBatch') ?? request, 'Changes');
    if (changes === undefined || changes.children.length === 0) return { status: 400, body: errorXml('InvalidInput', 'ChangeBatch.Changes is required') };
    const next = records.map((r) => structuredClone(r));
    try {
      for (const c of changes.children) {
        const action = text(c, 'Action');
        const rrNode = child(c, 'ResourceRecordSet');
        if (rrNode === undefined) throw new ChangeError('ResourceRecordSet is required');
        const rr = recordFromXml(rrNode);
        const describe = `[name='${rr.Name}', type='${rr.Type}'${rr.SetIdentifier === undefined ? '' : `, set-identifier='${rr.SetIdentifier}'`}]`;
        const at = next.findIndex((x) => sameRecordKey(x, rr));
        if (action === 'DELETE') {
          if (at < 0) throw new ChangeError(`Tried to delete resource record set ${describe} but it was not found`);
          if (!sameRecord(next[at]!, rr)) throw new ChangeError(`Tried to delete resource record set ${describe} but the values provided do not match the current values`);
          next.splice(at, 1);
        } else if (action === 'CREATE') {
          if (at >= 0) throw new ChangeError(`Tried to create resource record set ${describe} but it already exists`);
          next.push(rr);
        } else if (action === 'UPSERT') {
          if (at >= 0) next[at] = rr;
          else next.push(rr);
        } else {
          throw new ChangeError(`unknown Action ${String(action)}`);
        }
      }
    } catch (err) {
      if (err instanceof ChangeError) return { status: 400, body: errorXml('InvalidChangeBatch', err.message) };
      throw err;
    }
    zones.set(id, next);
    writeCounts.set(id, (writeCounts.get(id) ?? 0) + 1);
    changeSeq += 1;
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/C${String(changeSeq).padStart(8, '0')}</Id><Status>PENDING</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`;
    return { status: 200, body };
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://route53.invalid');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(url.pathname);
    let result: { status: number; body: string };
    let operation: Route53FakeRequest['operation'] = 'unknown';
    if (m !== null && req.method === 'GET') {
      operation = 'list';
      result = list(decodeURIComponent(m[1] ?? ''), url.searchParams);
    } else if (m !== null && req.method === 'POST') {
      operation = 'change';
      result = change(decodeURIComponent(m[1] ?? ''), body);
    } else {
      result = { status: 404, body: errorXml('UnknownOperation', `${req.method ?? ''} ${url.pathname} is not served by the fake`) };
    }
    log.push({ method: req.method ?? '', path: url.pathname, operation, status: result.status });
    res.writeHead(result.status, { 'content-type': 'text/xml', 'x-amzn-requestid': `fake-${log.length}` });
    res.end(result.body);
  };

  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/xml' });
      res.end(errorXml('InternalFailure', err instanceof Error ? err.message : String(err)));
    });
  });
  server.keepAliveTimeout = 2_000;
  await listen(server, opts.port ?? 0, host);
  const url = baseUrl(server);

  return {
    url,
    get requests(): readonly Route53FakeRequest[] {
      return log;
    },
    seed: (zoneId, records) => {
      zones.set(zoneId, records.map((r) => ({ ...structuredClone(r), Name: fqdn(r.Name) })));
    },
    records: (zoneId) => structuredClone(zones.get(zoneId) ?? []),
    mutate: (zoneId, fn) => {
      const records = structuredClone(zones.get(zoneId) ?? []);
      fn(records);
      zones.set(zoneId, records);
    },
    writes: (zoneId) => (zoneId === undefined ? [...writeCounts.values()].reduce((s, x) => s + x, 0) : (writeCounts.get(zoneId) ?? 0)),
    failNextChange: (code, status, times = 1) => {
      faults.push({ code, status, remaining: times });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
