export { PrometheusQuerySource, DEFAULT_PROM_OPTIONS, MAX_POINTS_PER_SERIES, matrixToSamples, parsePromValue } from './source.js';
export type { PromQueryConfig, PromSourceOptions } from './source.js';
