/**
 * Kubernetes Status error bodies, worded as the real apiserver words them, so that code written against
 * the sandbox meets the same codes, reasons and messages as against a cluster.
 */
import { K8sHttpError, type StatusBody } from './types.js';

/** "horizontalpodautoscalers.autoscaling", or "pods" for the core group. */
export function qualifiedResource(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: StatusBody['details'],
): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) body.details = details;
  return body;
}

function fail(code: number, reason: string, message: string, details?: StatusBody['details']): K8sHttpError {
  return new K8sHttpError(statusBody(code, reason, message, details));
}

export function notFound(group: string, resource: string, name: string): K8sHttpError {
  return fail(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });
}

/** The answer for a path the server has no route for. */
export function noSuchResource(): K8sHttpError {
  return fail(404, 'NotFound', 'the server could not find the requested resource');
}

export function alreadyExists(group: string, resource: string, name: string): K8sHttpError {
  return fail(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });
}

export function conflict(group: string, resource: string, name: string): K8sHttpError {
  return fail(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": the object has been ` +
      'modified; please apply your changes to the latest version and try again',
    { name, group, kind: resource },
  );
}

export function forbidden(
  user: string,
  verb: string,
  group: string,
  resource: string,
  namespace: string,
  name: string | undefined,
): K8sHttpError {
  const subject = name === undefined ? qualifiedResource(group, resource.split('/')[0] ?? resource) :
    `${qualifiedResource(group, resource.split('/')[0] ?? resource)} "${name}"`;
  const scope = namespace === '' ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  return fail(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
    { ...(name === undefined ? {} : { name }), group, kind: resource },
  );
}

export function unauthorized(): K8sHttpError {
  return fail(401, 'Unauthorized', 'Unauthorized');
}

export function badRequest(message: string): K8sHttpError {
  return fail(400, 'BadRequest', message);
}

/** 422 Invalid with one cause per field error, as validation failures are reported. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: { field: string; message: string }[],
): K8sHttpError {
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return fail(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

/**
 * What the apiserver answers when a JSON patch cannot be applied, a failed `test` operation included:
 * patch.go wraps the json-patch library error in NewGenericServerResponse(422), i.e. reason Invalid, a
 * generic message, and the library's message ("testing value /x failed: test failed") as the only cause.
 */
export function jsonPatchFailed(libraryMessage: string): K8sHttpError {
  return fail(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: libraryMessage }],
  });
}

export function unsupportedMediaType(contentType: string | undefined, accepted: readonly string[]): K8sHttpError {
  return fail(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format${contentType === undefined ? '' : ` (${contentType})`}` +
      ` - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function methodNotAllowed(method: string): K8sHttpError {
  return fail(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
}

export function tooLarge(limit: number): K8sHttpError {
  return fail(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** Reason the apiserver uses for a bare status code (fault injection). */
export function reasonForCode(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return 'Unknown';
  }
}
