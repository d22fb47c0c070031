/**
 * Fault injection for tests: make the next N matching requests fail with a given status, or answer late.
 * Faults are checked after authentication and before authorization, as a failing apiserver or an
 * overloaded etcd would look to a client.
 */
import { reasonForCode, statusBody } from './status.js';
import type { RequestInfo, StatusBody, Verb } from './types.js';

export type FaultMatcher =
  | {
      readonly method?: string;
      readonly verb?: Verb;
      readonly group?: string;
      readonly resource?: string;
      /** Use '' to match only requests to the object itself (no subresource). */
      readonly subresource?: string;
      readonly namespace?: string;
      readonly name?: string;
      readonly dryRun?: boolean;
    }
  | ((info: RequestInfo) => boolean);

interface Fault {
  readonly matcher: FaultMatcher;
  remaining: number;
  readonly status?: StatusBody;
  readonly delayMs: number;
}

export function faultMatches(matcher: FaultMatcher, info: RequestInfo): boolean {
  if (typeof matcher === 'function') return matcher(info);
  return (
    (matcher.method === undefined || matcher.method.toUpperCase() === info.method) &&
    (matcher.verb === undefined || matcher.verb === info.verb) &&
    (matcher.group === undefined || matcher.group === info.group) &&
    (matcher.resource === undefined || matcher.resource === info.resource) &&
    (matcher.subresource === undefined || matcher.subresource === (info.subresource ?? '')) &&
    (matcher.namespace === undefined || matcher.namespace === info.namespace) &&
    (matcher.name === undefined || matcher.name === info.name) &&
    (matcher.dryRun === undefined || matcher.dryRun === info.dryRun)
  );
}

export class Faults {
  private faults: Fault[] = [];
  private everyRequestDelayMs = 0;

  /** The next `times` matching requests fail with `status` (a Kubernetes Status body), after `delayMs`. */
  failNext(matcher: FaultMatcher, status: number, times = 1, options: { message?: string; delayMs?: number } = {}): void {
    const message = options.message ?? `injected fault: ${reasonForCode(status)}`;
    this.faults.push({ matcher, remaining: times, status: statusBody(status, reasonForCode(status), message), delayMs: options.delayMs ?? 0 });
  }

  /** The next `times` matching requests are answered normally, but only after `ms`. */
  delayNext(matcher: FaultMatcher, ms: number, times = 1): void {
    this.faults.push({ matcher, remaining: times, delayMs: ms });
  }

  /** Delay every request by `ms` (0 turns it off). */
  setDelay(ms: number): void {
    this.everyRequestDelayMs = Math.max(0, ms);
  }

  clear(): void {
    this.faults = [];
    this.everyRequestDelayMs = 0;
  }

  /** Consume the faults that apply to this request: total delay, and the failure to answer with if any. */
  take(info: RequestInfo): { delayMs: number; failure: StatusBody | undefined } {
    let delayMs = this.everyRequestDelayMs;
    let failure: StatusBody | undefined;
    for (const fault of this.faults) {
      if (fault.remaining <= 0 || !faultMatches(fault.matcher, info)) continue;
      if (fault.status !== undefined) {
        if (failure !== undefined) continue;
        failure = fault.status;
      }
      fault.remaining -= 1;
      delayMs += fault.delayMs;
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return { delayMs, failure };
  }
}
