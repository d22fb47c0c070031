import type { Clock } from '../lib/clock.js';
import type { Decision } from '../domain/types.js';
import type { PolicyRule } from './rules.js';

export interface SuppressedDecision {
  readonly decision: Decision;
  /** Stable reason code (audited), e.g. cooldown, invalid_target. */
  readonly reason: string;
  readonly detail: string;
}

export interface StageResult {
  readonly kept: Decision[];
  readonly dropped: SuppressedDecision[];
}

/** One guardrail: keeps or drops each decision, and says why it dropped one. */
export interface PolicyStage {
  readonly name: string;
  apply(decisions: readonly Decision[], ruleByName: (name: string) => PolicyRule | undefined): StageResult;
}

export function targetActionKey(d: Decision): string {
  const t = d.action.target;
  return `${d.action.type}|${t.group}/${t.resource}|${t.namespace}/${t.name}`;
}

/** At most one decision per (target, action) within the cooldown (per rule, else the default). */
export class CooldownStage implements PolicyStage {
  readonly name = 'cooldown';
  private readonly lastAtMs = new Map<string, number>();

  constructor(
    private readonly defaultCooldownMs: number,
    private readonly clock: Clock,
  ) {}

  apply(decisions: readonly Decision[], ruleByName: (name: string) => PolicyRule | undefined): StageResult {
    const kept: Decision[] = [];
    const dropped: SuppressedDecision[] = [];
    const nowMs = this.clock.nowMs();
    for (const decision of decisions) {
      const key = targetActionKey(decision);
      const cooldownMs = ruleByName(decision.rule)?.cooldownMs ?? this.defaultCooldownMs;
      const last = this.lastAtMs.get(key);
      if (last !== undefined && nowMs - last < cooldownMs) {
        const leftS = Math.ceil((cooldownMs - (nowMs - last)) / 1000);
        dropped.push({ decision, reason: 'cooldown', detail: `last decision for ${key} was ${Math.round((nowMs - last) / 1000)}s ago; cooldown ${cooldownMs / 1000}s (${leftS}s left)` });
        continue;
      }
      this.lastAtMs.set(key, nowMs);
      kept.push(decision);
    }
    return { kept, dropped };
  }
}
