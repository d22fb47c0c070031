import type { DemoWorld } from './world.js';
import { podNames } from './sandbox-seed.js';

export type RemediationKind = 'scale-hpa' | 'eject-endpoints' | 'rollback-canary' | 'shift-gslb-weights';

export interface ScheduledFault {
  readonly name: string;
  readonly description: string;
  /** The remediation the demo policy answers it with. */
  readonly remediation: RemediationKind;
  /** Seconds after the demo started. */
  readonly atS: number;
  inject(world: DemoWorld): void;
}

export interface ScheduleOptions {
  /** Seconds of normal traffic before the first fault, so every series has a baseline (default 30). */
  readonly warmupS?: number;
  /** Seconds between faults at speed 1 (default 30). */
  readonly gapS?: number;
  /** Divides the gap between faults (default 1). The warm-up and bake times are not scaled: detection needs them. */
  readonly speed?: number;
}

/** The erroring payments pod: the second of three. */
export const ERRORING_POD = podNames('payments', 3)[1]!;
export const OUTAGE_REGION = 'eu';

/**
 * The demo's fault schedule, one fault per remediation kind. A fault stays injected until the demo
 * ends: the remediation, not the fault going away, is what brings the signal back to normal.
 */
export function faultSchedule(options: ScheduleOptions = {}): ScheduledFault[] {
  const warmup = options.warmupS ?? 30;
  const gap = (options.gapS ?? 30) / Math.max(0.1, options.speed ?? 1);
  const at = (i: number): number => Math.round((warmup + i * gap) * 10) / 10;
  return [
    {
      name: 'saturation',
      description: 'checkout load triples: more than 2 replicas can serve, latency climbs',
      remediation: 'scale-hpa',
      atS: at(0),
      inject: (w) => void (w.faults.saturation = true),
    },
    {
      name: 'pod-error-burst',
      description: `payments pod ${ERRORING_POD} starts failing half its requests`,
      remediation: 'eject-endpoints',
      atS: at(1),
      inject: (w) => void (w.faults.erroringPod = ERRORING_POD),
    },
    {
      name: 'canary-latency-regression',
      description: 'the catalog canary (25% of traffic) becomes 12x slower',
      remediation: 'rollback-canary',
      atS: at(2),
      inject: (w) => void (w.faults.canaryRegression = true),
    },
    {
      name: 'regional-outage',
      description: `region ${OUTAGE_REGION} fails 80% of frontend requests (draining it needs your approval)`,
      remediation: 'shift-gslb-weights',
      atS: at(3),
      inject: (w) => void (w.faults.outageRegion = OUTAGE_REGION),
    },
  ];
}

/** Runs a schedule against the world on timers; stop() cancels what has not fired. */
export class FaultInjector {
  private readonly timers: NodeJS.Timeout[] = [];
  readonly injected: Array<{ fault: ScheduledFault; atMs: number }> = [];

  constructor(
    private readonly world: DemoWorld,
    readonly schedule: readonly ScheduledFault[],
    private readonly onInject: (fault: ScheduledFault) => void,
  ) {}

  start(): void {
    for (const fault of this.schedule) {
      this.timers.push(
        setTimeout(() => {
          fault.inject(this.world);
          this.injected.push({ fault, atMs: Date.now() });
          this.onInject(fault);
        }, fault.atS * 1000),
      );
    }
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }
}
