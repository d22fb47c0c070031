import { AppError } from '../../lib/errors.js';
import type { RemoteWriteVersion } from './types.js';

const MEDIA_TYPE = 'application/x-protobuf';
const PROTO_V1 = 'prometheus.WriteRequest';
const PROTO_V2 = 'io.prometheus.write.v2.Request';
const ACCEPTED =
  `${MEDIA_TYPE} (remote_write 1.0), ${MEDIA_TYPE};proto=${PROTO_V1} (1.0) or ${MEDIA_TYPE};proto=${PROTO_V2} (2.0)`;

function unsupported(message: string): AppError {
  return new AppError('unsupported_media_type', message, { httpStatus: 415 });
}

/** Shortens a header value for an error message. */
function show(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

/**
 * Picks the remote_write schema from Content-Type: `application/x-protobuf` without a `proto`
 * parameter or with `proto=prometheus.WriteRequest` → 1.0; `proto=io.prometheus.write.v2.Request` → 2.0.
 * Anything else is a 415 naming what is accepted. Other parameters (e.g. charset) are ignored.
 */
export function remoteWriteVersionOf(contentType: string | undefined): RemoteWriteVersion {
  if (contentType === undefined || contentType.trim() === '') {
    throw unsupported(`missing Content-Type; accepted: ${ACCEPTED}`);
  }
  const parts = contentType.split(';');
  const media = (parts[0] as string).trim().toLowerCase();
  if (media !== MEDIA_TYPE) throw unsupported(`unsupported Content-Type ${show(contentType)}; accepted: ${ACCEPTED}`);
  let proto: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() !== 'proto') continue;
    proto = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  if (proto === undefined || proto === PROTO_V1) return 'v1';
  if (proto === PROTO_V2) return 'v2';
  throw unsupported(`unsupported remote_write message ${show(proto)} in Content-Type; accepted: ${ACCEPTED}`);
}

/** Content-Encoding must be snappy; an absent header is treated as snappy (Prometheus always sends it). */
export function checkContentEncoding(contentEncoding: string | undefined): void {
  if (contentEncoding === undefined) return;
  if (contentEncoding.trim().toLowerCase() === 'snappy') return;
  throw unsupported(`unsupported Content-Encoding ${show(contentEncoding)}; remote_write bodies must be snappy block-compressed`);
}

/** The Content-Type a sender uses for each version (tests, benchmarks). */
export function contentTypeFor(version: RemoteWriteVersion): string {
  return `${MEDIA_TYPE};proto=${version === 'v1' ? PROTO_V1 : PROTO_V2}`;
}
