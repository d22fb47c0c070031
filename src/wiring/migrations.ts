import { MIGRATIONS, type Migration } from '../store/migrate.js';
import { DECISIONS_MIGRATION } from '../policy/decision-store.js';
import { guardrailsMigration } from '../guardrails/migration.js';
import { approvalsMigration } from '../approvals/store.js';

/** Every schema migration, in order. The daemon and `aiopsd audit verify` apply the same list. */
export function allMigrations(): Migration[] {
  return [...MIGRATIONS, DECISIONS_MIGRATION, guardrailsMigration(3), approvalsMigration(4)];
}
