import type { Config } from '../config/schema.js';
import type { Detector } from './detector.js';
import { RobustDetector } from './robust.js';

/**
 * Detector factories by config name. Adding a detector is one file and one line here; the config
 * schema's enum lists the same names, so an unknown name fails at startup.
 */
const DETECTORS: Record<Config['detect']['detector'], (config: Config['detect']) => Detector> = {
  robust: (c) => new RobustDetector(c.robust),
};

export function createDetector(config: Config['detect']): Detector {
  const factory = DETECTORS[config.detector];
  if (!factory) throw new Error(`unknown detector "${String(config.detector)}"; known: ${Object.keys(DETECTORS).join(', ')}`);
  return factory(config);
}
