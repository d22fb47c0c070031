import type { Sample } from '../../domain/types.js';
import type { SeriesBatch } from '../../series/store.js';
import { batchSamples } from './samples.js';

/** Which remote_write message a request carries. */
export type RemoteWriteVersion = 'v1' | 'v2';

/** A decoded remote_write request: the float samples plus counts of what else it carried. */
export interface DecodedWriteRequest {
  readonly version: RemoteWriteVersion;
  /** The float samples grouped by series (key and labels once per series); what the handler stores. */
  readonly batch: SeriesBatch;
  /** The same samples one object each (built on first access). */
  readonly samples: Sample[];
  /** Time series messages in the request. */
  readonly series: number;
  /** Native histogram samples seen (1.0 skips them; 2.0 rejects requests that carry any). */
  readonly histograms: number;
  /** Exemplars seen (aiopsd does not store exemplars). */
  readonly exemplars: number;
}

export function decodedRequest(version: RemoteWriteVersion, batch: SeriesBatch, series: number, histograms: number, exemplars: number): DecodedWriteRequest {
  let samples: Sample[] | undefined;
  return {
    version,
    batch,
    get samples() {
      samples ??= batchSamples(batch);
      return samples;
    },
    series,
    histograms,
    exemplars,
  };
}
