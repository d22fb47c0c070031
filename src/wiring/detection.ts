import type { Config } from '../config/schema.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { Detector } from '../detect/detector.js';
import { EnsembleDetector } from '../detect/ensemble.js';
import { FineTuner } from '../detect/finetune.js';
import { createDetectorAsync, defaultModelDir, ensembleOptions } from '../detect/registry.js';
import { ScoringPool } from '../detect/pool.js';
import type { SeriesStore } from '../series/store.js';
import type { Stack } from './stack.js';

/**
 * The detector from config, its TF.js backend, and (for the ensemble) the worker pool that keeps scoring
 * off the event loop. With `store` and detect.fineTune.enabled, also the periodic fine-tuning of the
 * forecaster (which swaps weights in the pool).
 */
export async function buildDetection(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  stack: Stack,
  store: Pick<SeriesStore, 'all' | 'window'>,
): Promise<{ detector: Detector; pool: ScoringPool | undefined; fineTuner: FineTuner | undefined }> {
  const { detector, backend } = await createDetectorAsync(config.detect);
  if (backend) metrics.detectBackend.set({ backend }, 1);
  // the weights in use, from start-up: not only once a fine-tuner adopts new ones
  if (detector instanceof EnsembleDetector && detector.forecaster) metrics.detectModelInfo.set({ version: detector.forecaster.meta.version }, 1);
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
  const fineTuner = startFineTuning(config, detector, pool, store, { logger, metrics, stack });
  return { detector, pool, fineTuner };
}

/** The fine-tuner when enabled and possible; an enabled one that cannot run is logged, not fatal. */
function startFineTuning(
  config: Config,
  detector: Detector,
  pool: ScoringPool | undefined,
  store: Pick<SeriesStore, 'all' | 'window'>,
  deps: { logger: Logger; metrics: Metrics; stack: Stack },
): FineTuner | undefined {
  const settings = config.detect.fineTune;
  if (!settings.enabled) return undefined;
  const forecaster = detector instanceof EnsembleDetector ? detector.forecaster : null;
  if (!pool || !forecaster) {
    const why = !forecaster ? 'detect.detector is not ensemble (no forecaster)' : 'detect.ensemble.workers is 0 (no scoring pool)';
    deps.logger.warn({ why }, 'detect.fineTune.enabled is set but fine-tuning cannot run; scoring goes on with the loaded weights');
    return undefined;
  }
  const e = config.detect.ensemble;
  const fineTuner = new FineTuner(settings, {
    store,
    pool,
    modelDir: e.modelDir ?? defaultModelDir(),
    backend: e.backend,
    inputPoints: forecaster.inputPoints,
    baseVersion: forecaster.meta.version,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  fineTuner.start();
  deps.stack.push({ name: 'fine-tuning', stop: () => fineTuner.stop() });
  deps.logger.info({ intervalMs: settings.intervalMs, maxSeries: settings.maxSeries, maxWindows: settings.maxWindows }, 'forecaster fine-tuning on');
  return fineTuner;
}
