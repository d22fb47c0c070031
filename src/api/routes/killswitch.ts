import { AppError } from '../../lib/errors.js';
import { actorOf } from '../../auth/roles.js';
import type { AuditActor } from '../../audit/types.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-middleware.js';
import type { RouteDef } from '../route-table.js';

export interface KillSwitchState {
  readonly on: boolean;
  readonly by?: string;
  readonly reason?: string;
  readonly atMs?: number;
}

/** Built by the policy side (KillSwitch); set() is expected to write the 'killswitch' audit record. */
export interface KillSwitchPort {
  get(): Promise<KillSwitchState>;
  set(on: boolean, actor: AuditActor, reason: string): Promise<void>;
}

export function killSwitchRoutes(deps: AppDeps): RouteDef[] {
  const need = (): KillSwitchPort => {
    if (!deps.killSwitch) throw new AppError('not_configured', 'the kill switch is not wired', { httpStatus: 503 });
    return deps.killSwitch;
  };
  const state = { type: 'object', properties: { on: { type: 'boolean' }, by: { type: 'string' }, reason: { type: 'string' }, atMs: { type: 'integer' } } };
  return [
    {
      method: 'get', path: '/api/v1/killswitch', access: 'viewer', tag: 'safety', rateLimited: true, summary: 'Kill switch state.',
      response: { schema: state },
      handlers: [async (_req, res) => void res.json(await need().get())],
    },
    {
      method: 'put', path: '/api/v1/killswitch', access: 'operator', tag: 'safety', rateLimited: true, json: true,
      summary: 'Turn the kill switch on or off (on: zero writes, queue paused, approvals cannot execute).',
      body: { type: 'object', required: ['on', 'reason'], additionalProperties: false, properties: { on: { type: 'boolean' }, reason: { type: 'string', minLength: 1, maxLength: 1000 } } },
      response: { schema: state },
      handlers: [async (req, res) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (typeof body.on !== 'boolean') throw new AppError('bad_request', 'body.on must be a boolean', { httpStatus: 400 });
        if (typeof body.reason !== 'string' || body.reason.trim() === '' || body.reason.length > 1000) throw new AppError('reason_required', 'body.reason must be a non-empty string', { httpStatus: 400 });
        const extra = Object.keys(body).filter((k) => k !== 'on' && k !== 'reason');
        if (extra.length) throw new AppError('bad_request', `unknown field(s): ${extra.join(', ')}`, { httpStatus: 400 });
        const ks = need();
        await ks.set(body.on, actorOf(principalOf(res)), body.reason.trim());
        res.json(await ks.get());
      }],
    },
  ];
}
