import type { Config } from '../config/schema.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { Detector } from '../detect/detector.js';
import { createDetectorAsync, defaultModelDir, ensembleOptions } from '../detect/registry.js';
import { ScoringPool } from '../detect/pool.js';
import type { Stack } from './stack.js';

/** The detector from config, its TF.js backend, and (for the ensemble) the worker pool that keeps scoring off the event loop. */
export async function buildDetection(config: Config, logger: Logger, metrics: Metrics, stack: Stack): Promise<{ detector: Detector; pool: ScoringPool | undefined }> {
  const { detector, backend } = await createDetectorAsync(config.detect);
  if (backend) metrics.detectBackend.set({ backend }, 1);
  const e = config.detect.ensemble;
  const options = ensembleOptions(config.detect);
  const pool =
    detector.name === 'ensemble' && e.workers > 0 && options
      ? new ScoringPool({ modelDir: e.modelDir ?? defaultModelDir(), backend: e.backend, workers: e.workers, timeoutMs: e.batchTimeoutMs, options })
      : undefined;
  if (pool) {
    await pool.ready();
    stack.push({ name: 'scoring-pool', stop: () => pool.close() });
  }
  logger.info({ detector: detector.name, version: detector.version, backend, workers: pool ? e.workers : 0 }, 'detector ready');
  return { detector, pool };
}
