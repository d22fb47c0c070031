import express from 'express';
import { AppError } from '../../lib/errors.js';
import type { AppDeps } from '../app.js';
import type { RouteDef } from '../route-table.js';

export function slackRoutes(deps: AppDeps): RouteDef[] {
  return [
    {
      method: 'post', path: '/hooks/slack/interactions', access: 'slack', tag: 'slack',
      summary: 'Slack interactivity (button clicks). Authenticated by the v0 request signature over the raw body; answers at once, records afterwards.',
      response: { status: 200, description: 'acknowledged' },
      handlers: [
        express.raw({ type: () => true, limit: '64kb' }),
        async (req, res) => {
          if (!deps.slack) throw new AppError('not_found', 'Slack is not configured', { httpStatus: 404 });
          await deps.slack.handleHttp(req, res);
        },
      ],
    },
  ];
}
