import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { Anomaly, Decision, Incident, TargetRef } from '../domain/types.js';
import { labelMatches, parseLabelMatcher, anchored, ruleRequiresApproval, type LabelMatcher, type PolicyRule } from './rules.js';
import { MemoryCooldownStage, type GuardrailCheck, type PolicyStage, type StageContext, type StageResult, type SuppressedDecision } from './stages.js';

/** What the policy needs to know about each action type (from the action registry). */
export interface ActionKindInfo {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  /** Validates rule parameters at load time; throws an AppError naming the bad field. */
  parse(params: unknown): unknown;
}

export interface PolicyEngineOptions {
  readonly rules: readonly PolicyRule[];
  readonly dryRun: boolean;
  /** Default cooldown; used by the CooldownStage the caller builds (kept here for `policy check`). */
  readonly cooldownMs: number;
  readonly actionKinds: ReadonlyMap<string, ActionKindInfo>;
  /**
   * Guardrail stages in order (see createGuardrailStages). Order matters: stages that only read
   * (kill switch, dedup, circuit breaker, max concurrent) before those that reserve a budget
   * (cooldown, rate limit); a reservation is released when a later stage drops the decision.
   */
  readonly stages?: readonly PolicyStage[];
}

export interface PolicyOutcome {
  readonly proposed: Decision[];
  readonly suppressed: SuppressedDecision[];
  /** Decisions of shadow rules: decided and audited, never enqueued. */
  readonly shadow: Decision[];
  /** Each guardrail's verdict per decision (observed value and limit), for the audit record. */
  readonly checks: GuardrailCheck[];
}

const DNS1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

interface CompiledRule {
  readonly rule: PolicyRule;
  readonly metricRe: RegExp | undefined;
  readonly labels: ReadonlyArray<readonly [string, LabelMatcher]>;
}

/**
 * Rules → candidate decisions → a pipeline of small guardrail stages. A stage that drops a
 * decision says why; the caller audits every suppressed decision with that reason. Shadow
 * decisions do not pass through the stages (they never run, so they use no budget).
 */
export class PolicyEngine {
  private readonly stages: readonly PolicyStage[];
  private readonly compiled: readonly CompiledRule[];

  constructor(
    private readonly options: PolicyEngineOptions,
    private readonly clock: Clock,
  ) {
    this.validateRules();
    this.compiled = options.rules.map(compile);
    // Without shared state (unit tests, `policy check`): an in-process cooldown only.
    this.stages = options.stages ?? [new MemoryCooldownStage(options.cooldownMs, clock)];
  }

  get rules(): readonly PolicyRule[] {
    return this.options.rules;
  }

  get stageNames(): string[] {
    return this.stages.map((s) => s.name);
  }

  /** Unknown action types and bad parameters are startup errors, never silent fallbacks. */
  private validateRules(): void {
    const known = [...this.options.actionKinds.keys()].join(', ');
    for (const [i, rule] of this.options.rules.entries()) {
      const kind = this.options.actionKinds.get(rule.action.type);
      if (!kind) throw new Error(`policy rule ${i} (${rule.name}): unknown action type "${rule.action.type}"; known: ${known}`);
      try {
        kind.parse(rule.action.params);
      } catch (err) {
        throw new Error(`policy rule ${i} (${rule.name}): action.params: ${(err as Error).message}`);
      }
    }
  }

  /** The rules an anomaly of this incident matches (no side effects; for previews and tests). */
  matchingRules(incident: Incident, anomaly: Anomaly): PolicyRule[] {
    return this.compiled.filter((c) => matches(c, incident, anomaly)).map((c) => c.rule);
  }

  async evaluate(incident: Incident, anomaly: Anomaly): Promise<PolicyOutcome> {
    const candidates: Decision[] = [];
    const suppressed: SuppressedDecision[] = [];
    const shadow: Decision[] = [];
    const ctx: StageContext = { incident, anomaly, ruleByName: this.ruleByName };
    for (const c of this.compiled) {
      if (!matches(c, incident, anomaly)) continue;
      const rule = c.rule;
      const target = this.resolveTarget(rule, anomaly);
      const decision = this.decisionFor(rule, incident, anomaly, target ?? placeholderTarget(rule));
      if (!target) {
        suppressed.push({ decision, reason: 'invalid_target', detail: 'the target template did not resolve to a valid Kubernetes name' });
        continue;
      }
      (rule.shadow ? shadow : candidates).push(decision);
    }
    for (const stage of this.stages) {
      if (stage.observe) await stage.observe(ctx).catch(() => undefined);
    }
    let current: StageResult = { kept: candidates, dropped: [] };
    const checks: GuardrailCheck[] = [];
    const passedBy = new Map<string, PolicyStage[]>();
    for (const stage of this.stages) {
      if (current.kept.length === 0) break;
      let next: StageResult;
      try {
        next = await stage.apply(current.kept, ctx);
      } catch (err) {
        // A guardrail that cannot decide fails closed: nothing passes it.
        next = { kept: [], dropped: current.kept.map((d) => ({ decision: d, reason: 'guardrail_error', detail: `${stage.name}: ${errorMessage(err)}` })) };
      }
      for (const s of next.dropped) {
        for (const earlier of passedBy.get(s.decision.id) ?? []) await earlier.release?.(s.decision).catch(() => undefined);
      }
      for (const d of next.kept) passedBy.set(d.id, [...(passedBy.get(d.id) ?? []), stage]);
      checks.push(...(next.checks ?? []));
      current = { kept: next.kept, dropped: [...current.dropped, ...next.dropped] };
    }
    for (const stage of this.stages) (stage as { settle?: (ids: string[]) => void }).settle?.(current.kept.map((d) => d.id));
    return { proposed: current.kept, suppressed: [...suppressed, ...current.dropped], shadow, checks };
  }

  private readonly ruleByName = (name: string): PolicyRule | undefined => this.options.rules.find((r) => r.name === name);

  private decisionFor(rule: PolicyRule, incident: Incident, anomaly: Anomaly, target: TargetRef): Decision {
    const kind = this.options.actionKinds.get(rule.action.type)!;
    return {
      id: newId('dec'),
      incidentId: incident.id,
      rule: rule.name,
      action: { type: rule.action.type, target, params: kind.parse(rule.action.params) as Record<string, unknown> },
      // A rule can ask for dry run; it can never undo the global dry run.
      dryRun: this.options.dryRun || (rule.dryRun ?? false),
      createdAtMs: this.clock.nowMs(),
      risk: rule.risk ?? 'low',
      requiresApproval: ruleRequiresApproval(rule),
      status: rule.shadow ? 'shadow' : 'proposed',
      evidence: [anomaly],
    };
  }

  private resolveTarget(rule: PolicyRule, anomaly: Anomaly): TargetRef | undefined {
    const kind = this.options.actionKinds.get(rule.action.type)!;
    const namespace = substitute(rule.action.target.namespace, anomaly);
    const name = substitute(rule.action.target.name, anomaly);
    if (!namespace || !name || !DNS1123.test(namespace) || !DNS1123.test(name)) return undefined;
    return { group: kind.group, version: kind.version, resource: kind.resource, namespace, name };
  }
}

function compile(rule: PolicyRule): CompiledRule {
  return {
    rule,
    metricRe: rule.when.metric_re === undefined ? undefined : anchored(rule.when.metric_re),
    labels: Object.entries(rule.when.labels).map(([k, v]) => [k, parseLabelMatcher(v)!] as const),
  };
}

function matches(c: CompiledRule, incident: Incident, anomaly: Anomaly): boolean {
  const when = c.rule.when;
  if (anomaly.score < when['score>=']) return false;
  if (when.service !== undefined && when.service !== (anomaly.service ?? incident.service)) return false;
  if (when.metric !== undefined && when.metric !== anomaly.metric) return false;
  if (c.metricRe !== undefined && !c.metricRe.test(anomaly.metric)) return false;
  for (const [k, m] of c.labels) if (!labelMatches(m, anomaly.labels[k])) return false;
  if (when.forMs !== undefined && when.forMs > 0 && incidentAgeMs(incident, anomaly) < when.forMs) return false;
  return true;
}

/** How long the incident has been anomalous, in sample time (first anomaly → this one). */
export function incidentAgeMs(incident: Incident, anomaly: Anomaly): number {
  return Math.max(anomaly.timestampMs, incident.lastAnomalyAtMs) - incident.openedAtMs;
}

/** `${service}` or `${label}` from the anomaly; values are checked as DNS-1123 names afterwards. */
function substitute(template: string, anomaly: Anomaly): string | undefined {
  let missing = false;
  const out = template.replace(/\$\{([a-z_.]+)\}/g, (_m, key: string) => {
    const value = key === 'service' ? anomaly.service : anomaly.labels[key.replace(/^labels\./, '')];
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}

function placeholderTarget(rule: PolicyRule): TargetRef {
  return { group: '', version: '', resource: '', namespace: rule.action.target.namespace, name: rule.action.target.name };
}
