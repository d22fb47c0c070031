import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { TOKENS, startHarness, type Harness } from '../api/harness.js';
import { ApprovalGate } from '../../../src/approvals/gate.js';
import { runApproveCommand } from '../../../src/api/client.js';
import { silentLogger } from '../../../src/telemetry/logger.js';

const bearer = (name: keyof typeof TOKENS): string => `Bearer ${TOKENS[name]!.token}`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ approvals: { ttlMs: 10 * 60_000 } });
});
afterAll(async () => h?.close());

const approve = (id: string, who: keyof typeof TOKENS, reason = 'looks right') => request(h.app).post(`/api/v1/decisions/${id}/approve`).set('Authorization', bearer(who)).send({ reason });
const reject = (id: string, who: keyof typeof TOKENS, reason = 'no') => request(h.app).post(`/api/v1/decisions/${id}/reject`).set('Authorization', bearer(who)).send({ reason });

describe('approval gate', () => {
  it('parks a decision that requires approval and passes others through', async () => {
    const parked = await h.propose({ requiresApproval: true });
    expect((await h.decisions.get(parked.id))!.status).toBe('pending_approval');
    const a = (await h.gate.get(parked.id))!;
    expect(a).toMatchObject({ state: 'pending', required: 1, risk: 'low', proposer: 'aiopsd', targetVersion: '100' });
    expect(a.actionHash).toMatch(/^[0-9a-f]{64}$/);
    const direct = await h.propose({ requiresApproval: false });
    expect(h.queued.map((d) => d.id)).toContain(direct.id);
    expect(h.queued.map((d) => d.id)).not.toContain(parked.id);
    const requested = await h.audit.list({ decisionId: parked.id, kind: 'approval.requested' });
    expect(requested).toHaveLength(1);
  });

  it('low risk: one approver queues it; the audit record names actor, channel and reason', async () => {
    const d = await h.propose({ risk: 'low' });
    const res = await approve(d.id, 'alice', 'latency is real');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'approved', submitted: true });
    expect(h.queued.some((q) => q.id === d.id)).toBe(true);
    const [rec] = await h.audit.list({ decisionId: d.id, kind: 'approval.granted' });
    expect(rec!.actor).toEqual({ type: 'person', id: 'alice', authMethod: 'token' });
    expect(rec!.body).toMatchObject({ channel: 'api', reason: 'latency is real', count: 1, required: 1, after: 'approved' });
    expect((await approve(d.id, 'bob')).body.code).toBe('not_pending');
  });

  it('high risk needs two distinct people; the same person twice does not count', async () => {
    const d = await h.propose({ risk: 'high' });
    expect((await approve(d.id, 'alice')).body).toMatchObject({ state: 'pending', submitted: false });
    const again = await approve(d.id, 'alice');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_voted');
    expect(h.queued.some((q) => q.id === d.id)).toBe(false);
    const second = await approve(d.id, 'root');
    expect(second.body).toMatchObject({ state: 'approved', submitted: true });
    expect(h.queued.filter((q) => q.id === d.id)).toHaveLength(1);
  });

  it('the proposer never approves (but a second person can)', async () => {
    const d = await h.propose({ risk: 'low', proposer: { type: 'person', id: 'alice', authMethod: 'token' } });
    const res = await approve(d.id, 'alice');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('proposer_cannot_approve');
    expect((await approve(d.id, 'bob')).status).toBe(200);
  });

  it('a role below the one for the risk is refused with 403', async () => {
    const d = await h.propose({ risk: 'high' });
    expect((await approve(d.id, 'otto')).status).toBe(403);
    expect((await approve(d.id, 'vera')).status).toBe(403);
  });

  it('reject with a reason refuses the decision and is audited', async () => {
    const d = await h.propose({ risk: 'high' });
    const res = await reject(d.id, 'bob', 'wrong service');
    expect(res.body.state).toBe('rejected');
    expect((await h.decisions.get(d.id))!.status).toBe('rejected');
    const [rec] = await h.audit.list({ decisionId: d.id, kind: 'approval.refused' });
    expect(rec!.body).toMatchObject({ channel: 'api', reason: 'wrong service', after: 'rejected' });
    expect((await request(h.app).post(`/api/v1/decisions/${d.id}/reject`).set('Authorization', bearer('alice')).send({})).status).toBe(400);
  });

  it('an approval is void when the target changed since the decision', async () => {
    h.versions.set('payments', '7');
    const d = await h.propose({ risk: 'high', name: 'payments' });
    expect((await approve(d.id, 'alice')).status).toBe(200);
    h.versions.set('payments', '8'); // someone scaled it by hand
    const res = await approve(d.id, 'bob');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('target_changed');
    expect(res.body.message).toContain('7');
    expect((await h.gate.get(d.id))!.state).toBe('void');
    expect((await h.decisions.get(d.id))!.status).toBe('rejected');
    expect(h.queued.some((q) => q.id === d.id)).toBe(false);
    const [rec] = await h.audit.list({ decisionId: d.id, kind: 'approval.refused' });
    expect(rec!.body).toMatchObject({ void: true, cause: 'target_changed', resourceVersionAtDecision: '7', resourceVersionNow: '8' });
  });

  it('an approval is bound to the action hash the approver saw', async () => {
    const d = await h.propose();
    const res = await request(h.app).post(`/api/v1/decisions/${d.id}/approve`).set('Authorization', bearer('alice')).send({ reason: 'x', action_hash: 'a'.repeat(64) });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('action_changed');
    const a = (await h.gate.get(d.id))!;
    expect((await request(h.app).post(`/api/v1/decisions/${d.id}/approve`).set('Authorization', bearer('alice')).send({ reason: 'x', action_hash: a.actionHash })).status).toBe(200);
  });

  it('with the kill switch on, approvals cannot execute', async () => {
    const d = await h.propose();
    h.killSwitch.state = { on: true };
    const res = await approve(d.id, 'alice');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('killswitch_on');
    h.killSwitch.state = { on: false };
    expect((await approve(d.id, 'alice')).status).toBe(200);
  });

  it('expiry: the sweeper marks it expired, audits once, and a late approval is refused', async () => {
    const d = await h.propose();
    h.clock.advance(10 * 60_000 + 1);
    expect(await h.gate.sweep()).toBeGreaterThanOrEqual(1);
    expect(await h.gate.sweep()).toBe(0);
    expect((await h.decisions.get(d.id))!.status).toBe('expired');
    expect(await h.audit.list({ decisionId: d.id, kind: 'approval.expired' })).toHaveLength(1);
    const res = await approve(d.id, 'alice');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('expired');
  });

  it('survives a restart: a new gate on the same database sees the pending approval and counts earlier votes', async () => {
    const d = await h.propose({ risk: 'high' });
    expect((await approve(d.id, 'alice')).status).toBe(200);
    const queued: string[] = [];
    const fresh = new ApprovalGate({ sql: h.sql, decisions: h.decisions, auditor: h.auditor, clock: h.clock, logger: silentLogger(), next: { submit: async (x) => void queued.push(x.id) }, targetVersion: async () => '100' });
    const r = await fresh.decide({ decisionId: d.id, verdict: 'approve', principal: { subject: 'bob', role: 'approver', method: 'token', kind: 'person' }, channel: 'api', reason: 'after restart' });
    expect(r.submitted).toBe(true);
    expect(queued).toEqual([d.id]);
  });

  it('recover() queues decisions approved but not queued before a crash', async () => {
    const d = await h.propose();
    await h.sql.query(`update approvals set state = 'approved' where decision_id = $1`, [d.id]);
    await h.decisions.setStatus(d.id, 'approved', h.clock.nowMs());
    const before = h.queued.length;
    expect(await h.gate.recover()).toBeGreaterThanOrEqual(1);
    expect(h.queued.slice(before).map((x) => x.id)).toContain(d.id);
    expect(await h.gate.recover()).toBe(0); // queued now: nothing left to recover
  });

  it('aiopsd approve (CLI client) approves and rejects over the API with a token', async () => {
    const d = await h.propose({ risk: 'high' });
    const one = await runApproveCommand({ url: h.url, decisionId: d.id, reason: 'cli check', token: TOKENS.alice!.token });
    expect(one).toMatchObject({ exitCode: 0 });
    expect(one.text).toContain('waiting for another approver');
    const bad = await runApproveCommand({ url: h.url, decisionId: d.id, reason: 'x', token: 'nope' });
    expect(bad.exitCode).toBe(1);
    expect(bad.text).toContain('401');
    const two = await runApproveCommand({ url: h.url, decisionId: d.id, reason: 'cli check 2', token: TOKENS.bob!.token });
    expect(two.text).toContain('approved (2/2) and queued');
    const [rec] = await h.audit.list({ decisionId: d.id, kind: 'approval.granted' });
    expect(rec!.body.channel).toBe('cli');
    const d2 = await h.propose();
    expect((await runApproveCommand({ url: h.url, decisionId: d2.id, reject: true, reason: 'nah', token: TOKENS.bob!.token })).text).toContain('rejected');
  });
});

describe('expiry with onExpiry=hold', () => {
  let held: Harness;
  beforeAll(async () => {
    held = await startHarness({ approvals: { ttlMs: 1000, onExpiry: 'hold' } });
  });
  afterAll(async () => held?.close());
  it('holds instead of refusing', async () => {
    const d = await held.propose();
    held.clock.advance(1000);
    expect(await held.gate.sweep()).toBe(1);
    expect((await held.decisions.get(d.id))!.status).toBe('held');
    const [rec] = await held.audit.list({ decisionId: d.id, kind: 'approval.expired' });
    expect(rec!.body).toMatchObject({ after: 'held', outcome: 'held' });
  });
});
