/** Route 53 weighted records through the real @aws-sdk/client-route-53 against src/sandbox/route53-fake.ts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRoute53Client, Route53WeightedRecords } from '../../../src/clients/route53.js';
import { isAppError } from '../../../src/lib/errors.js';
import { parseXml, startRoute53Fake, type Route53Fake } from '../../../src/sandbox/route53-fake.js';

const ZONE = 'Z0FAKE123';
let fake: Route53Fake;
let provider: Route53WeightedRecords;

function seed(): void {
  fake.seed(ZONE, [
    { Name: 'web.example.com', Type: 'A', SetIdentifier: 'eu', Weight: 50, TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] },
    { Name: 'web.example.com', Type: 'A', SetIdentifier: 'us', Weight: 50, TTL: 60, ResourceRecords: [{ Value: '10.0.1.1' }] },
    { Name: 'api.example.com', Type: 'A', SetIdentifier: 'eu', Weight: 10, TTL: 60, ResourceRecords: [{ Value: '10.0.2.1' }] },
    { Name: 'web.example.com', Type: 'AAAA', SetIdentifier: 'eu', Weight: 1, TTL: 60, ResourceRecords: [{ Value: '::1' }] },
  ]);
}

beforeEach(async () => {
  fake = await startRoute53Fake();
  seed();
  const client = createRoute53Client({ endpoint: fake.url, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  provider = new Route53WeightedRecords(client, { hostedZoneId: ZONE, recordName: 'web.example.com', recordType: 'A' });
});

afterEach(async () => {
  await fake.close();
});

async function errorOf(p: Promise<unknown>): Promise<{ code: string; retryable: boolean }> {
  try {
    await p;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, retryable: err.retryable };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('Route 53 weighted records', () => {
  it('reads only the weighted records of the name and type', async () => {
    const { weights, version } = await provider.getWeights();
    expect(weights).toEqual({ eu: 50, us: 50 });
    expect(version).toMatch(/^[0-9a-f]{32}$/);
  });

  it('writes with a compare-and-swap batch; a stale precondition is a conflict and writes nothing', async () => {
    const { version } = await provider.getWeights();
    const done = await provider.setWeights({ eu: 25, us: 75 }, version, { dryRun: false });
    expect(done.weights).toEqual({ eu: 25, us: 75 });
    expect(fake.writes(ZONE)).toBe(1);
    expect(fake.records(ZONE).find((r) => r.SetIdentifier === 'us' && r.Type === 'A')).toMatchObject({ Weight: 75, TTL: 60, ResourceRecords: [{ Value: '10.0.1.1' }] });
    expect(await errorOf(provider.setWeights({ eu: 0, us: 100 }, version, { dryRun: false }))).toEqual({ code: 'conflict', retryable: true });
    expect(fake.writes(ZONE)).toBe(1);
  });

  it('a record changed between read and write fails the DELETE in the batch (InvalidChangeBatch → conflict)', async () => {
    const { version } = await provider.getWeights();
    // the read inside setWeights sees the same records; the fake changes them after the read via a fault-free mutate racing in
    fake.failNextChange('InvalidChangeBatch', 400);
    expect(await errorOf(provider.setWeights({ eu: 0, us: 100 }, version, { dryRun: false }))).toEqual({ code: 'conflict', retryable: true });
    expect(fake.writes(ZONE)).toBe(0);
  });

  it('dry run validates without writing; AccessDenied is forbidden, NoSuchHostedZone not_found', async () => {
    const { version } = await provider.getWeights();
    await provider.setWeights({ eu: 0, us: 100 }, version, { dryRun: true });
    expect(fake.writes()).toBe(0);
    expect(await errorOf(provider.setWeights({ eu: 300, us: 100 }, version, { dryRun: true }))).toMatchObject({ code: 'invalid' });
    fake.failNextChange('AccessDenied', 403);
    expect(await errorOf(provider.setWeights({ eu: 0, us: 100 }, version, { dryRun: false }))).toEqual({ code: 'forbidden', retryable: false });
    const missing = new Route53WeightedRecords(createRoute53Client({ endpoint: fake.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }), { hostedZoneId: 'ZNOPE', recordName: 'web.example.com.', recordType: 'A' });
    expect(await errorOf(missing.getWeights())).toMatchObject({ code: 'not_found' });
  });

  it('the fake applies a batch all-or-nothing and DELETE must match exactly', async () => {
    const res = await fetch(`${fake.url}/2013-04-01/hostedzone/${ZONE}/rrset/`, {
      method: 'POST',
      body: '<ChangeResourceRecordSetsRequest><ChangeBatch><Changes>'
        + '<Change><Action>UPSERT</Action><ResourceRecordSet><Name>web.example.com.</Name><Type>A</Type><SetIdentifier>eu</SetIdentifier><Weight>1</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>10.0.0.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>'
        + '<Change><Action>DELETE</Action><ResourceRecordSet><Name>web.example.com.</Name><Type>A</Type><SetIdentifier>us</SetIdentifier><Weight>49</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>10.0.1.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>'
        + '</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('InvalidChangeBatch');
    expect((await provider.getWeights()).weights).toEqual({ eu: 50, us: 50 });
    expect(parseXml('<a><b>x &amp; y</b><c/></a>').children[0]?.children.map((c) => c.name)).toEqual(['b', 'c']);
  });
});
