/**
 * Config section `detect` (detectors, the ensemble and its forecaster, fine-tuning, per metric family
 * settings), kept beside the detectors it configures; src/config/schema.ts adds it as
 * `detect: detectConfig`. Every field has a default or is optional, and a description.
 */
import { z } from 'zod';

const robust = z
  .object({
    baselinePoints: z.number().int().min(4).default(120).describe('Points before the newest one that form the median/MAD baseline.'),
    minPoints: z.number().int().min(4).default(20).describe('Series shorter than this are "insufficient data".'),
    zHalf: z.number().positive().default(4).describe('Robust z-score at which the anomaly probability is 0.5.'),
  })
  .strict()
  .prefault({});

const noveltyHorizonMs = z
  .number()
  .int()
  .min(0)
  .refine((v) => v === 0 || v >= 3_600_000, 'must be 0 (never forget) or at least 3600000 (1 h): the novelty summaries keep when each level was last seen in hours');

const seasonWeight = z.number().min(0).max(10);

const contextualRepeats = z.boolean();

const ensemble = z
  .object({
    modelDir: z.string().min(1).optional().describe('Directory of the TF.js forecaster (model.json + weights.bin); default: the shipped models/default.'),
    backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto').describe('TF.js backend: auto = tfjs-node when installed, else WASM (SIMD), else cpu.'),
    windowPoints: z.number().int().min(16).max(100_000).default(240).describe('Points per window handed to the ensemble\'s batched half (forecaster input, robust baseline, the seasonal component); capped by series.windowPoints in the daemon, and equal to its default so bench nab scores what the daemon runs. The novelty and the time-of-day profile are streaming per-series state and need no window.'),
    noveltyPoints: z.number().int().min(2).max(64).default(4).describe('Ignored since ensemble-2 (the novelty is streaming); accepted so older configs still load.'),
    robustPoints: z.number().int().min(4).default(120).describe('Points forming the robust component\'s median/MAD baseline.'),
    seasonPoints: z.number().int().min(0).default(288).describe('Points per day assumed when points come without timestamps, and the season length of the optional `seasonal` component; 0 turns the model component\'s time-of-day profile off.'),
    seasonWeight: seasonWeight.default(0.5).describe('Weight of the seasonal-difference novelty (x minus the nearest of the same hour\'s mean on the last three days, from a per-series time-of-day profile; scaled by the series\' seasonality strength s, while the forecast-residual novelty is scaled by 1 − s) in the model component\'s raw score (0 = off, and then the residual counts in full).'),
    noveltyHorizonMs: noveltyHorizonMs
      .default(0)
      .describe('Forget levels, forecast misses and seasonal differences a series has not shown again within this long, so a failure that comes back after that is new again (0 = never forget: the second outage of the same depth scores as a repeat). Off by default because NAB rewards a long memory (models/MODEL_CARD.md, "Forgetting"); if used, keep it beyond the longest cycle of your series (a week: 8 days), or each weekend low is news again.'),
    contextualRepeats: contextualRepeats
      .default(true)
      .describe('A value inside the band (min to max, widened by a fifth of its width either side) its hour of the day spanned on one of the last three days is no news: its value and forecast-residual novelty count 0, so a daily job\'s spike or the nightly batch\'s load does not fire (the time-of-day difference still counts). Part of the model component\'s time-of-day profile: no effect with seasonWeight 0, seasonPoints 0, or on a family without the model component. NAB subset +2.0 standard / +1.5 low FP over 12 forecaster seeds (models/MODEL_CARD.md, ensemble-10); false turns it off, e.g. for a family whose every value counts whatever the hour.'),
    historyPoints: z.number().int().min(2).max(100_000).default(15).describe('Calibration: rows of raw-score history a new raw score must exceed.'),
    tau: z.number().positive().default(1).describe('Calibration: raw-score units (series standard deviations) per e-fold of 1 − probability.'),
    workers: z.number().int().min(0).max(64).default(2).describe('Scoring worker threads (0 = score on the main thread).'),
    batchTimeoutMs: z.number().int().min(100).default(10_000).describe('A worker batch taking longer than this is abandoned, the worker replaced and the batch retried once.'),
  })
  .strict()
  .prefault({});

const fineTune = z
  .object({
    enabled: z.boolean().default(false).describe('Periodically fine-tune the ensemble\'s TF.js forecaster on recent series in a worker thread and adopt the new weights only when they forecast a held-out, newer part better (needs detect.ensemble.workers > 0). Off by default: the shipped weights are the ones the NAB scores were measured with.'),
    intervalMs: z.number().int().min(1000).default(3_600_000).describe('Time between fine-tuning rounds (rounds never overlap).'),
    maxSeries: z.number().int().min(1).max(100_000).default(200).describe('Series sampled per round (seeded, uniformly among those longer than the forecaster\'s input).'),
    maxWindows: z.number().int().min(16).max(1_000_000).default(20_000).describe('Training + holdout windows sampled per round from the sampled series.'),
    minWindows: z.number().int().min(1).default(2000).describe('A round with fewer distinct windows available than this fails as insufficient_data (the model is not touched).'),
    epochs: z.number().int().min(1).max(100).default(2).describe('Training epochs per round.'),
    learningRate: z.number().positive().max(1).default(1e-4).describe('Adam learning rate of fine-tuning (aiopsd train uses 1e-3; smaller keeps the copy close to the current weights).'),
    holdoutFraction: z.number().gt(0).lt(1).default(0.2).describe('Newest share of each sampled series used only to compare the current and the fine-tuned weights.'),
    minImprovementRatio: z.number().min(0).max(1).default(0.02).describe('Adopt only when the holdout error falls by at least this fraction of the current weights\' error (0.02 = 2 %).'),
    seed: z.number().int().min(0).default(42).describe('Seeds the series and window sampling of every round (round n uses seed + n): the same data gives the same weights.'),
    timeoutMs: z.number().int().min(1000).default(600_000).describe('A round whose training worker has not answered after this long is abandoned (outcome failed, reason timeout).'),
  })
  .strict()
  .prefault({});

const detectComponent = z.enum(['model', 'robust', 'seasonal']);

export const detectConfig = z
  .object({
    detector: z.enum(['robust', 'ensemble']).default('ensemble').describe('Detector used for every series: ensemble (streaming value novelty + TF.js forecast-residual novelty, statistical components, calibrated) or robust (median/MAD only).'),
    intervalMs: z.number().int().min(100).default(5000).describe('How often updated series are scored.'),
    threshold: z.number().min(0).max(1).default(0.95).describe('Calibrated score at or above which a point is an anomaly.'),
    robust,
    ensemble,
    fineTune,
    components: z.array(detectComponent).min(1).default(['model']).describe('Ensemble components used for series matching no family; the score is the maximum of their calibrated probabilities.'),
    families: z
      .array(
        z
          .object({
            match: z.string().min(1).refine((r) => { try { new RegExp(r); return true; } catch { return false; } }, 'must be a valid regular expression').describe('Regular expression on the metric name.'),
            components: z.array(detectComponent).min(1).describe('Ensemble components for matching series.'),
            noveltyHorizonMs: noveltyHorizonMs.optional().describe('detect.ensemble.noveltyHorizonMs for matching series (default: that setting), e.g. 691200000 (8 days) on request rates so an outage that comes back is caught again.'),
            contextualRepeats: contextualRepeats.optional().describe('detect.ensemble.contextualRepeats for matching series (default: that setting).'),
            seasonWeight: seasonWeight.optional().describe('detect.ensemble.seasonWeight for matching series (default: that setting); higher catches more values that are usual in size but wrong for the time of day (bench/restart.ts --season-weight: 1 → 12, 2 → 18 of 30 such dips against 10 at 0.5, no false points).'),
          })
          .strict(),
      )
      .default([])
      .describe('Per metric family settings, first match wins: match (a regular expression on the metric name), components, and optionally noveltyHorizonMs, seasonWeight and contextualRepeats (default: the detect.ensemble values), e.g. [{match: "_seconds", components: [model, seasonal]}, {match: "request_rate", components: [model], noveltyHorizonMs: 691200000, seasonWeight: 1}].'),
  })
  .strict()
  .prefault({});
