import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Dedup, Grouper, HttpWebhookNotifier, RetryingNotifier, WebhookChannel, signWebhook, verifyWebhook, type GroupMessage, type Notifier, type NotifyResult } from '../../../src/notify/webhook.js';
import { renderTemplate, validateTemplate } from '../../../src/notify/template.js';
import { eventFromAudit, type NotifyEvent } from '../../../src/notify/events.js';

const ev = (id: string, type: NotifyEvent['type'] = 'incident.opened', service = 'checkout'): NotifyEvent => ({ id, type, atMs: 0, service, actor: 'aiopsd', summary: `${type} ${service}`, data: {} });
const grouping = { groupBy: ['service'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3600_000 };

describe('webhook signing', () => {
  it('signs timestamp.body with HMAC-SHA256 and verifies in constant time within a window', () => {
    const sig = signWebhook('s3cret', 1700000000, '{"a":1}');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook('s3cret', '1700000000', sig, '{"a":1}', 1700000000_000)).toBe(true);
    expect(verifyWebhook('s3cret', '1700000000', sig, '{"a":2}', 1700000000_000)).toBe(false);
    expect(verifyWebhook('other', '1700000000', sig, '{"a":1}', 1700000000_000)).toBe(false);
    expect(verifyWebhook('s3cret', '1700000000', sig, '{"a":1}', 1700000400_000)).toBe(false);
  });

  it('the HTTP notifier sends the signature and timestamp headers; 5xx/429/network are retryable, 4xx not', async () => {
    const seen: Array<{ headers: Record<string, unknown>; body: string }> = [];
    let status = 200;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const clock = new ManualClock(1700000000_000);
    const n = new HttpWebhookNotifier({ url, secret: 'k', clock });
    const msg: GroupMessage = { version: '1', groupKey: 'g', groupLabels: {}, repeat: false, events: [ev('e1')] };
    expect(await n.notify(msg)).toEqual({ ok: true });
    const h = seen[0]!.headers;
    expect(h['x-aiopsd-timestamp']).toBe('1700000000');
    expect(verifyWebhook('k', h['x-aiopsd-timestamp'] as string, h['x-aiopsd-signature'] as string, seen[0]!.body, clock.nowMs())).toBe(true);
    status = 503;
    expect(await n.notify(msg)).toMatchObject({ ok: false, retryable: true });
    status = 429;
    expect(await n.notify(msg)).toMatchObject({ ok: false, retryable: true });
    status = 400;
    expect(await n.notify(msg)).toMatchObject({ ok: false, retryable: false });
    await new Promise<void>((r) => server.close(() => r()));
    expect(await n.notify(msg)).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('network') });
  });
});

describe('retry', () => {
  const scripted = (results: NotifyResult[]): Notifier<string> & { calls: number } => {
    const n = { calls: 0, notify: async () => results[Math.min(n.calls++, results.length - 1)]! };
    return n;
  };
  it('retries retryable failures with exponential backoff, then succeeds', async () => {
    const clock = new ManualClock(0);
    const inner = scripted([{ ok: false, retryable: true, error: 'HTTP 503' }, { ok: false, retryable: true, error: 'network' }, { ok: true }]);
    const r = new RetryingNotifier(inner, { maxAttempts: 5, baseMs: 1000, maxMs: 60_000, random: () => 1, sleep: async (ms) => clock.advance(ms) });
    expect(await r.notify('m')).toEqual({ ok: true });
    expect(inner.calls).toBe(3);
    expect(r.waits).toEqual([1000, 2000]);
    expect(clock.nowMs()).toBe(3000);
  });
  it('does not retry a non-retryable failure and stops after maxAttempts', async () => {
    const once = scripted([{ ok: false, retryable: false, error: 'HTTP 400' }]);
    await new RetryingNotifier(once, { maxAttempts: 5, baseMs: 1, maxMs: 1, sleep: async () => undefined }).notify('m');
    expect(once.calls).toBe(1);
    const always = scripted([{ ok: false, retryable: true, error: 'HTTP 500' }]);
    const r = new RetryingNotifier(always, { maxAttempts: 3, baseMs: 1000, maxMs: 1500, random: () => 1, sleep: async () => undefined });
    expect(await r.notify('m')).toMatchObject({ ok: false });
    expect(always.calls).toBe(3);
    expect(r.waits).toEqual([1000, 1500]);
  });
  it('honours Retry-After when longer than the backoff', async () => {
    const inner = scripted([{ ok: false, retryable: true, error: '429', retryAfterMs: 7000 }, { ok: true }]);
    const r = new RetryingNotifier(inner, { maxAttempts: 3, baseMs: 100, maxMs: 1000, random: () => 0, sleep: async () => undefined });
    await r.notify('m');
    expect(r.waits).toEqual([7000]);
  });
});

describe('dedup and grouping (ManualClock)', () => {
  it('dedup drops an event id seen within the window', () => {
    const clock = new ManualClock(0);
    const d = new Dedup(clock, 1000);
    expect(d.accept('a')).toBe(true);
    expect(d.accept('a')).toBe(false);
    clock.advance(1001);
    expect(d.accept('b')).toBe(true);
    expect(d.accept('a')).toBe(true);
  });

  it('group_wait, group_interval and repeat_interval like Alertmanager', () => {
    const clock = new ManualClock(0);
    const g = new Grouper(grouping, clock);
    g.add(ev('1'));
    clock.advance(10_000);
    g.add(ev('2'));
    g.add(ev('3', 'incident.opened', 'payments'));
    clock.advance(19_999);
    expect(g.due()).toEqual([]); // checkout waits 30 s from its first event
    clock.advance(1);
    const first = g.due();
    expect(first).toHaveLength(1);
    expect(first[0]!.events.map((e) => e.id)).toEqual(['1', '2']);
    clock.advance(10_000);
    expect(g.due().map((m) => m.groupLabels.service)).toEqual(['payments']);
    g.add(ev('4')); // new event in a group already sent: waits for group_interval after the last send
    clock.advance(250_000);
    expect(g.due().filter((m) => m.groupLabels.service === 'checkout')).toEqual([]);
    clock.advance(40_000); // last checkout send at 30 s + 300 s group_interval = 330 s
    const second = g.due().filter((m) => m.groupLabels.service === 'checkout');
    expect(second.map((m) => m.events.map((e) => e.id))).toEqual([['4']]);
    clock.advance(4 * 3600_000);
    const repeats = g.due();
    expect(repeats.every((m) => m.repeat)).toBe(true);
    expect(repeats.map((m) => m.groupLabels.service).sort()).toEqual(['checkout', 'payments']);
  });

  it('a group whose latest event is terminal is not repeated', () => {
    const clock = new ManualClock(0);
    const g = new Grouper({ ...grouping, groupWaitMs: 0 }, clock);
    g.add(ev('1'));
    g.add(ev('2', 'incident.resolved'));
    expect(g.due()).toHaveLength(1);
    expect(g.size).toBe(0);
    clock.advance(5 * 3600_000);
    expect(g.due()).toEqual([]);
  });

  it('a channel filters by type, dedups, groups, renders the template and retries', async () => {
    const clock = new ManualClock(0);
    const sent: GroupMessage[] = [];
    let fail = 1;
    const notifier: Notifier<GroupMessage> = { notify: async (m) => (fail-- > 0 ? { ok: false, retryable: true, error: 'HTTP 502' } : (sent.push(m), { ok: true })) };
    const ch = new WebhookChannel({ name: 'ops', url: 'http://unused', ...grouping, groupWaitMs: 1000, events: ['incident.opened'], template: '{{events.0.summary}} ({{groupLabels.service}}) {{nope.x}}', maxAttempts: 3, backoffMs: 10, maxBackoffMs: 100 }, clock, silentLogger(), { notifier, sleep: async (ms) => clock.advance(ms) });
    ch.publish(ev('1'));
    ch.publish(ev('1'));
    ch.publish(ev('2', 'decision.proposed'));
    clock.advance(1000);
    await ch.tick();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.events.map((e) => e.id)).toEqual(['1']);
    expect(sent[0]!.text).toBe('incident.opened checkout (checkout) ');
  });
});

describe('templates and event mapping', () => {
  it('substitutes paths only; anything else is refused at validation', () => {
    expect(renderTemplate('{{a.b}}-{{ a.c }}-{{x}}', { a: { b: 1, c: { d: 2 } } })).toBe('1-{"d":2}-');
    expect(renderTemplate('{{constructor.name}}{{__proto__}}', {})).toBe('');
    expect(validateTemplate('{{a.b}} ok')).toBeUndefined();
    expect(validateTemplate('{{a + b}}')).toBeDefined();
    expect(validateTemplate('{{#each x}}')).toBeDefined();
  });
  it('maps audit records to events', () => {
    const base = { seq: 1, id: 'aud_1', ts: '2026-01-01T00:00:00.000000Z', actor: { type: 'system' as const, id: 'aiopsd' }, prevHash: '', hash: '' };
    expect(eventFromAudit({ ...base, kind: 'incident.opened', incidentId: 'inc_1', body: { incident: { groupKey: 'checkout', service: 'checkout' } } })).toMatchObject({ type: 'incident.opened', service: 'checkout', id: 'aud_1' });
    expect(eventFromAudit({ ...base, kind: 'approval.granted', body: { after: 'pending_approval' } })).toBeUndefined();
    expect(eventFromAudit({ ...base, kind: 'approval.granted', body: { after: 'approved' } })).toMatchObject({ type: 'decision.approved' });
    expect(eventFromAudit({ ...base, kind: 'action.reverted', body: {} })).toMatchObject({ type: 'decision.reverted' });
    expect(eventFromAudit({ ...base, kind: 'anomaly', body: {} })).toBeUndefined();
  });
});
