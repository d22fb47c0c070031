import type { Sample } from '../../domain/types.js';

/** Which remote_write message a request carries. */
export type RemoteWriteVersion = 'v1' | 'v2';

/** A decoded remote_write request: the float samples plus counts of what else it carried. */
export interface DecodedWriteRequest {
  readonly version: RemoteWriteVersion;
  readonly samples: Sample[];
  /** Time series messages in the request. */
  readonly series: number;
  /** Native histogram samples seen (1.0 skips them; 2.0 rejects requests that carry any). */
  readonly histograms: number;
  /** Exemplars seen (aiopsd does not store exemplars). */
  readonly exemplars: number;
}
