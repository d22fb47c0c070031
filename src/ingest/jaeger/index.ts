export { JaegerSource, DEFAULT_JAEGER_OPTIONS } from './source.js';
export type { JaegerSourceOptions, JaegerApi } from './source.js';
export { legacyTracesToOtlp } from './legacy.js';
