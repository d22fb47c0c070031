import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { TOKENS, startHarness, type Harness } from '../api/harness.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.js';
import { SlackApi } from '../../../src/notify/slack-api.js';
import { SlackInteractions, signSlackRequest } from '../../../src/notify/slack-interactions.js';
import { SlackMessenger } from '../../../src/notify/slack-messenger.js';
import { SlackSocketMode } from '../../../src/notify/slack-socket.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../../../src/notify/slack-blocks.js';
import { silentLogger } from '../../../src/telemetry/logger.js';

const SECRET = 'slack-signing-secret-for-tests';
const TEAM = 'T0TEAM';
const APP = 'A0APP';
let h: Harness;
let slack: FakeSlack;
let interactions: SlackInteractions;
let messenger: SlackMessenger;

beforeAll(async () => {
  slack = await startFakeSlack();
  const api = new SlackApi({ baseUrl: slack.apiUrl, botToken: 'xoxb-test', appToken: 'xapp-test' });
  h = await startHarness({
    extraDeps: (p) => {
      interactions = new SlackInteractions({ signingSecret: SECRET, teamId: TEAM, appId: APP, users: { U_ALICE: { name: 'alice', role: 'approver' }, U_BOB: { name: 'bob', role: 'approver' }, U_VERA: { name: 'vera', role: 'viewer' } }, approvals: p.gate, clock: p.clock, logger: silentLogger(), api });
      messenger = new SlackMessenger({ api, sql: p.sql, channel: 'C_OPS', pageUrl: 'http://aiopsd.example', clock: p.clock, logger: silentLogger(), decisions: p.decisions, approvals: p.gate });
      messenger.attach();
      return { slack: interactions };
    },
  });
});
afterAll(async () => {
  await h?.close();
  await slack?.close();
});

function click(decisionId: string, opts: { user?: string; team?: string; app?: string; actionTs?: string; action?: string } = {}): string {
  const payload = {
    type: 'block_actions',
    team: { id: opts.team ?? TEAM },
    api_app_id: opts.app ?? APP,
    user: { id: opts.user ?? 'U_ALICE' },
    channel: { id: 'C_OPS' },
    actions: [{ action_id: opts.action ?? APPROVE_ACTION, value: decisionId, action_ts: opts.actionTs ?? `${Date.now() / 1000}` }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

function post(body: string, opts: { ts?: number; sig?: string } = {}) {
  const ts = opts.ts ?? Math.floor(h.clock.nowMs() / 1000);
  return request(h.app)
    .post('/hooks/slack/interactions')
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .set('X-Slack-Request-Timestamp', String(ts))
    .set('X-Slack-Signature', opts.sig ?? signSlackRequest(SECRET, ts, body))
    .send(body);
}

describe('Slack interactions', () => {
  it('posts a Block Kit message for a pending decision: buttons carry only the decision id', async () => {
    const d = await h.propose({ risk: 'high' });
    await messenger.idle();
    const msg = slack.calls.find((c) => c.method === 'chat.postMessage' && JSON.stringify(c.body).includes(d.id))!;
    expect(msg.token).toBe('xoxb-test');
    const actions = (msg.body.blocks as Array<{ type: string; elements?: Array<Record<string, unknown>> }>).find((b) => b.type === 'actions')!;
    const approve = actions.elements!.find((e) => e.action_id === APPROVE_ACTION)!;
    expect(approve.value).toBe(d.id);
    expect(approve.style).toBe('danger');
    expect(approve.confirm).toBeDefined();
    expect(actions.elements!.find((e) => e.action_id === REJECT_ACTION)!.value).toBe(d.id);
  });

  it('rejects a bad signature, a missing one, stale timestamps (past and future) and the wrong team/app', async () => {
    const d = await h.propose();
    const body = click(d.id);
    expect((await post(body, { sig: 'v0=' + '0'.repeat(64) })).status).toBe(401);
    expect((await post(body, { sig: 'v0=short' })).status).toBe(401);
    expect((await request(h.app).post('/hooks/slack/interactions').send(body)).status).toBe(401);
    const now = Math.floor(h.clock.nowMs() / 1000);
    expect((await post(body, { ts: now - 301 })).status).toBe(401);
    expect((await post(body, { ts: now + 301 })).status).toBe(401);
    expect((await post(click(d.id, { team: 'T_EVIL' }))).status).toBe(403);
    expect((await post(click(d.id, { app: 'A_EVIL' }))).status).toBe(403);
    // a body changed after signing
    const ts = now;
    expect((await post(click(d.id, { user: 'U_BOB' }), { ts, sig: signSlackRequest(SECRET, ts, body) })).status).toBe(401);
    await interactions.idle();
    expect((await h.gate.get(d.id))!.approvals).toHaveLength(0);
  });

  it('a good click approves once; a replay records nothing new; the message is updated in place', async () => {
    const d = await h.propose({ risk: 'low' });
    await messenger.idle();
    const body = click(d.id, { actionTs: '1700000000.123456' });
    const res = await post(body);
    expect(res.status).toBe(200);
    await interactions.idle();
    expect((await post(body)).status).toBe(200); // replay of the same signed request
    await interactions.idle();
    const a = (await h.gate.get(d.id))!;
    expect(a.state).toBe('approved');
    expect(a.approvals).toHaveLength(1);
    expect(a.approvals[0]).toMatchObject({ by: 'alice', channel: 'slack', method: 'slack' });
    expect(await h.audit.list({ decisionId: d.id, kind: 'approval.granted' })).toHaveLength(1);
    expect(h.queued.filter((q) => q.id === d.id)).toHaveLength(1);
    await messenger.idle();
    const update = slack.calls.filter((c) => c.method === 'chat.update' && JSON.stringify(c.body).includes(d.id));
    expect(update.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(update[update.length - 1]!.body.blocks)).not.toContain(APPROVE_ACTION); // no buttons once approved
  });

  it('four eyes across channels: approve in Slack, second approval by API; the same person in both counts once', async () => {
    const d = await h.propose({ risk: 'high' });
    expect((await post(click(d.id, { user: 'U_ALICE' }))).status).toBe(200);
    await interactions.idle();
    const sameAlice = await request(h.app).post(`/api/v1/decisions/${d.id}/approve`).set('Authorization', `Bearer ${TOKENS.alice!.token}`).send({ reason: 'me again' });
    expect(sameAlice.status).toBe(409);
    expect(sameAlice.body.code).toBe('already_voted');
    const bob = await request(h.app).post(`/api/v1/decisions/${d.id}/approve`).set('Authorization', `Bearer ${TOKENS.bob!.token}`).send({ reason: 'second pair of eyes' });
    expect(bob.body).toMatchObject({ state: 'approved', submitted: true });
    const recs = await h.audit.list({ decisionId: d.id, kind: 'approval.granted' });
    expect(recs.map((r) => [r.actor.id, r.body.channel])).toEqual([['alice', 'slack'], ['bob', 'api']]);
  });

  it('unknown Slack users and too-low roles cannot approve; a reject click rejects', async () => {
    const d = await h.propose();
    await post(click(d.id, { user: 'U_STRANGER' }));
    await post(click(d.id, { user: 'U_VERA' }));
    await interactions.idle();
    expect((await h.gate.get(d.id))!.approvals).toHaveLength(0);
    expect(slack.calls.filter((c) => c.method === 'chat.postEphemeral').length).toBeGreaterThanOrEqual(2);
    await post(click(d.id, { user: 'U_BOB', action: REJECT_ACTION }));
    await interactions.idle();
    expect((await h.gate.get(d.id))!.state).toBe('rejected');
  });

  it('Socket Mode: envelopes are acknowledged and clicks become approvals (no public URL)', async () => {
    const socket = new SlackSocketMode({ api: new SlackApi({ baseUrl: slack.apiUrl, appToken: 'xapp-test' }), logger: silentLogger(), onInteractive: (p) => interactions.handleSocketPayload(p) });
    socket.start();
    await socket.connected;
    await slack.waitForSocket();
    expect(slack.calls.some((c) => c.method === 'apps.connections.open' && c.token === 'xapp-test')).toBe(true);
    const d = await h.propose();
    const payload = JSON.parse(decodeURIComponent(click(d.id, { user: 'U_BOB' }).slice('payload='.length)));
    slack.sendEnvelope({ envelope_id: 'env-1', type: 'interactive', payload, accepts_response_payload: false });
    for (let i = 0; i < 100 && (await h.gate.get(d.id))!.state === 'pending'; i++) await new Promise((r) => setTimeout(r, 20));
    await socket.idle();
    for (let i = 0; i < 50 && !slack.acks.includes('env-1'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(slack.acks).toContain('env-1');
    expect((await h.gate.get(d.id))!.approvals[0]).toMatchObject({ by: 'bob', channel: 'slack' });
    // wrong team over the socket: acknowledged, not counted
    const d2 = await h.propose();
    slack.sendEnvelope({ envelope_id: 'env-2', type: 'interactive', payload: { ...payload, team: { id: 'T_EVIL' }, actions: [{ ...payload.actions[0], value: d2.id }] } });
    for (let i = 0; i < 50 && !slack.acks.includes('env-2'); i++) await new Promise((r) => setTimeout(r, 20));
    await socket.idle();
    expect((await h.gate.get(d2.id))!.approvals).toHaveLength(0);
    await socket.stop();
  });
});
