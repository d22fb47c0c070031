import { VERSION } from '../version.js';
import { openApiPath, pathParams, type RouteDef } from './route-table.js';

const ERROR = { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } } };

/** OpenAPI 3.1 from the route table, so the document lists exactly the routes the app registers. */
export function openApiDocument(routes: readonly RouteDef[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = (paths[openApiPath(r.path)] ??= {});
    const parameters = [
      ...pathParams(r.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.query ?? []).map((q) => ({
        name: q.name,
        in: 'query',
        required: q.required ?? false,
        description: q.description,
        schema: q.enum ? { type: 'string', enum: [...q.enum] } : { type: q.type ?? 'string' },
      })),
    ];
    const status = String(r.response?.status ?? 200);
    const okContent = r.response?.status === 204 ? undefined : { [r.response?.contentType ?? 'application/json']: { schema: r.response?.schema ?? { type: 'string' } } };
    const responses: Record<string, unknown> = {
      [status]: { description: r.response?.description ?? 'OK', ...(okContent ? { content: okContent } : {}) },
      '400': { description: 'invalid input', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    };
    if (r.access !== 'public') responses['401'] = { description: 'missing or invalid credentials', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    if (r.access !== 'public' && r.access !== 'remote_write' && r.access !== 'slack') responses['403'] = { description: 'role too low', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    if (r.rateLimited) responses['429'] = { description: 'rate limited', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    if (r.path.includes('/approve')) responses['409'] = { description: 'not pending, already voted, expired, kill switch on, action changed, or target_changed (the approval is void)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    const security =
      r.access === 'public' || r.access === 'slack' ? [] : r.access === 'remote_write' ? [{}, { remoteWriteToken: [] }] : [{ bearer: [] }, { oidc: [] }];
    p[r.method] = {
      operationId: `${r.method}${openApiPath(r.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [r.tag],
      'x-aiopsd-access': r.access,
      security,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'aiopsd API', version: VERSION, description: 'Roles: viewer < operator < approver < admin. Each operation names its minimum role in x-aiopsd-access.' },
    paths,
    components: {
      schemas: { Error: ERROR },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'static API token (only its sha256 is in the config)' },
        oidc: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'OIDC ID/access token (issuer, audience, algorithm and expiry checked)' },
        remoteWriteToken: { type: 'http', scheme: 'bearer', description: 'optional token for remote_write' },
      },
    },
  };
}
