import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { initBackend, type BackendName } from './backend.js';
import type { Detector } from './detector.js';
import { EnsembleDetector } from './ensemble.js';
import type { ComponentName } from './features.js';
import { loadForecaster } from './model.js';
import { RobustDetector } from './robust.js';

/**
 * Detector factories by config name. Adding a detector is one file and one line here; the config
 * schema's enum lists the same names, so an unknown name fails at startup.
 */
const DETECTORS: Record<Config['detect']['detector'], (config: Config['detect']) => Detector> = {
  robust: (c) => new RobustDetector(c.robust),
  ensemble: (c) => new PendingEnsemble(c),
};

/** The shipped default model directory (models/default at the package root, from src/ or dist/src/). */
export function defaultModelDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = resolve(here, up, 'models', 'default');
    if (existsSync(resolve(dir, 'model.json'))) return dir;
  }
  return resolve(here, '../..', 'models', 'default');
}

/** Ensemble whose TF.js model is loaded by {@link initDetector} (model loading and backends are async). */
export class PendingEnsemble extends EnsembleDetector {
  constructor(readonly config: Config['detect']) {
    super(null, ensembleOptions(config));
  }
}

export function ensembleOptions(c: Config['detect']): ConstructorParameters<typeof EnsembleDetector>[1] {
  const e = c.ensemble;
  return {
    windowPoints: e.windowPoints,
    noveltyPoints: e.noveltyPoints,
    robustPoints: e.robustPoints,
    seasonPoints: e.seasonPoints,
    seasonWeight: e.seasonWeight,
    noveltyHorizonMs: e.noveltyHorizonMs,
    contextualRepeats: e.contextualRepeats,
    calibration: { historyPoints: e.historyPoints, tau: e.tau },
    components: c.components,
    computeComponents: computedComponents(c),
  };
}

/** Components some series can use (detect.components and every family's): only their features are computed. */
export function computedComponents(c: Config['detect']): ComponentName[] {
  const all = new Set<ComponentName>(c.components);
  for (const f of c.families) for (const comp of f.components) all.add(comp);
  return [...all];
}

export function createDetector(config: Config['detect']): Detector {
  const factory = DETECTORS[config.detector];
  if (!factory) throw new Error(`unknown detector "${String(config.detector)}"; known: ${Object.keys(DETECTORS).join(', ')}`);
  return factory(config);
}

/**
 * Finish building a detector: for the ensemble, initialise the TF.js backend and load the model
 * (a bad model file is an error naming the file). Returns the detector to use and the backend
 * (null for detectors without a model). Call once at startup, before scoring.
 */
export async function initDetector(detector: Detector): Promise<{ detector: Detector; backend: BackendName | null }> {
  if (!(detector instanceof PendingEnsemble)) return { detector, backend: null };
  const c = detector.config;
  const backend = await initBackend(c.ensemble.backend);
  const forecaster = await loadForecaster(c.ensemble.modelDir ?? defaultModelDir());
  return { detector: new EnsembleDetector(forecaster, ensembleOptions(c)), backend };
}

/** createDetector + initDetector in one call. */
export async function createDetectorAsync(config: Config['detect']): Promise<{ detector: Detector; backend: BackendName | null }> {
  return initDetector(createDetector(config));
}
