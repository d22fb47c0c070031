import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Anomaly, Decision, Incident, TargetRef } from '../domain/types.js';
import type { PolicyRule } from './rules.js';
import { CooldownStage, type PolicyStage, type StageResult, type SuppressedDecision } from './stages.js';

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
  readonly cooldownMs: number;
  readonly actionKinds: ReadonlyMap<string, ActionKindInfo>;
}

export interface PolicyOutcome {
  readonly proposed: Decision[];
  readonly suppressed: SuppressedDecision[];
  /** Decisions of shadow rules: decided and audited, never enqueued. */
  readonly shadow: Decision[];
}

const DNS1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Rules → candidate decisions → a pipeline of small guardrail stages. A stage that drops a
 * decision says why; the caller audits every suppressed decision with that reason.
 */
export class PolicyEngine {
  private readonly stages: PolicyStage[];

  constructor(
    private readonly options: PolicyEngineOptions,
    private readonly clock: Clock,
  ) {
    this.validateRules();
    this.stages = [new CooldownStage(options.cooldownMs, clock)];
  }

  get rules(): readonly PolicyRule[] {
    return this.options.rules;
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

  evaluate(incident: Incident, anomaly: Anomaly): PolicyOutcome {
    const candidates: Decision[] = [];
    const suppressed: SuppressedDecision[] = [];
    const shadow: Decision[] = [];
    for (const rule of this.options.rules) {
      if (!matches(rule, anomaly)) continue;
      const target = this.resolveTarget(rule, anomaly);
      const decision = this.decisionFor(rule, incident, anomaly, target ?? placeholderTarget(rule));
      if (!target) {
        suppressed.push({ decision, reason: 'invalid_target', detail: 'the target template did not resolve to a valid Kubernetes name' });
        continue;
      }
      (rule.shadow ? shadow : candidates).push(decision);
    }
    let current: StageResult = { kept: candidates, dropped: [] };
    for (const stage of this.stages) {
      const next = stage.apply(current.kept, this.ruleByName);
      current = { kept: next.kept, dropped: [...current.dropped, ...next.dropped] };
    }
    return { proposed: current.kept, suppressed: [...suppressed, ...current.dropped], shadow };
  }

  private readonly ruleByName = (name: string): PolicyRule | undefined => this.options.rules.find((r) => r.name === name);

  private decisionFor(rule: PolicyRule, incident: Incident, anomaly: Anomaly, target: TargetRef): Decision {
    const kind = this.options.actionKinds.get(rule.action.type)!;
    return {
      id: newId('dec'),
      incidentId: incident.id,
      rule: rule.name,
      action: { type: rule.action.type, target, params: kind.parse(rule.action.params) as Record<string, unknown> },
      dryRun: this.options.dryRun,
      createdAtMs: this.clock.nowMs(),
      status: 'proposed',
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

function matches(rule: PolicyRule, anomaly: Anomaly): boolean {
  if (anomaly.score < rule.when['score>=']) return false;
  if (rule.when.metric !== undefined && rule.when.metric !== anomaly.metric) return false;
  for (const [k, v] of Object.entries(rule.when.labels)) if (anomaly.labels[k] !== v) return false;
  return true;
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
