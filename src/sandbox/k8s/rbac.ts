/**
 * A small RBAC authorizer: an allow-list of rules, evaluated like Kubernetes RBAC. Subresources are
 * separate resources ("rollouts/status", "deployments/scale"); a dry run needs the same verb as the real
 * call; a rule limited to namespaces (a RoleBinding) never grants cluster-scoped or all-namespace requests.
 * No rules configured at all means everything is allowed (the sandbox default).
 */
import { forbidden } from './status.js';
import type { RequestInfo } from './types.js';

export interface RbacRule {
  /** get, list, watch, create, update, patch, delete, or '*'. */
  readonly verbs: readonly string[];
  /** API groups; '' is the core group; '*' matches any. */
  readonly groups: readonly string[];
  /** Resources, with subresources spelled "resource/sub"; '*' matches any. */
  readonly resources: readonly string[];
  /** Limit to these namespaces (as a RoleBinding would); absent = everywhere (a ClusterRoleBinding). */
  readonly namespaces?: readonly string[];
  /** Limit to these object names. */
  readonly resourceNames?: readonly string[];
}

export interface RbacAttributes {
  readonly verb: string;
  readonly group: string;
  /** "resource" or "resource/subresource". */
  readonly resource: string;
  readonly namespace: string;
  readonly name: string | undefined;
}

function has(list: readonly string[], value: string): boolean {
  return list.includes('*') || list.includes(value);
}

export function ruleAllows(rule: RbacRule, a: RbacAttributes): boolean {
  if (!has(rule.verbs, a.verb) || !has(rule.groups, a.group) || !has(rule.resources, a.resource)) return false;
  if (rule.namespaces !== undefined && (a.namespace === '' || !rule.namespaces.includes(a.namespace))) return false;
  if (rule.resourceNames !== undefined && rule.resourceNames.length > 0) {
    if (a.name === undefined || !rule.resourceNames.includes(a.name)) return false;
  }
  return true;
}

export function attributesOf(info: RequestInfo): RbacAttributes {
  return {
    verb: info.verb,
    group: info.group,
    resource: info.subresource === undefined ? info.resource : `${info.resource}/${info.subresource}`,
    namespace: info.namespace,
    name: info.name,
  };
}

export class Rbac {
  private rules: readonly RbacRule[] | undefined;

  constructor(
    rules: readonly RbacRule[] | undefined,
    readonly user: string,
  ) {
    this.rules = rules;
  }

  /** Replace the rules at run time (undefined = allow everything). */
  setRules(rules: readonly RbacRule[] | undefined): void {
    this.rules = rules;
  }

  allows(a: RbacAttributes): boolean {
    return this.rules === undefined || this.rules.some((rule) => ruleAllows(rule, a));
  }

  /** Throws a 403 Forbidden Status when the request is not allowed. */
  authorize(info: RequestInfo): void {
    const a = attributesOf(info);
    if (!this.allows(a)) throw forbidden(this.user, a.verb, a.group, a.resource, a.namespace, a.name);
  }
}
