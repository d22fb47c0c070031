export { createOtlpTracesHandler } from './handler.js';
export type { OtlpHandlerDeps } from './handler.js';
export { decodeTracesProto } from './decode-proto.js';
export { decodeTracesJson, tracesFromJson } from './decode-json.js';
export { encodeTracesProto, encodeTracesJson, tracesToJson, encodeExportResponseProto, exportResponseJson } from './encode.js';
export * from './types.js';
