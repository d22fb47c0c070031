/** API roles, ordered: each one can do everything the ones before it can. */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return roleRank(have) >= roleRank(need);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** How a caller proved who they are. Recorded in every audit record they cause. */
export type AuthMethod = 'token' | 'oidc' | 'slack' | 'anonymous' | 'cli';

/**
 * Who is calling, derived only from a verified credential (never from a request body).
 * `subject` is the person (or service account) identity shared across channels, so the same
 * person approving once in Slack and once over the API counts once.
 */
export interface Principal {
  readonly subject: string;
  readonly role: Role;
  readonly method: AuthMethod;
  readonly kind: 'person' | 'service_account' | 'anonymous';
}

export function actorOf(p: Principal): { type: 'person' | 'service_account'; id: string; authMethod: string } {
  return { type: p.kind === 'service_account' ? 'service_account' : 'person', id: p.subject, authMethod: p.method };
}
