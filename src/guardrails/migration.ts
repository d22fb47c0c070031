import type { Migration } from '../store/migrate.js';

/**
 * Shared guardrail state and the execution ledger (one migration so it slots in as one version).
 * Every replica reads and writes these rows, so cooldowns, the rate limit, the kill switch and the
 * circuit breaker hold across replicas and restarts. The lead appends it with the next free version
 * (after DECISIONS_MIGRATION, version 2).
 */
export function guardrailsMigration(version: number): Migration {
  return {
  version,
  name: 'guardrails_and_execution_ledger',
  statements: [
    `create table if not exists policy_cooldowns (
      key text primary key,
      last_ms bigint not null,
      decision_id text
    )`,
    `create table if not exists rate_limit_buckets (
      name text primary key,
      tokens double precision not null,
      updated_ms bigint not null
    )`,
    `create table if not exists kill_switch (
      id smallint primary key check (id = 1),
      is_on boolean not null,
      actor jsonb not null,
      reason text not null,
      updated_at_ms bigint not null
    )`,
    `create table if not exists circuit_breaker (
      id smallint primary key check (id = 1),
      open_until_ms bigint not null,
      opened_at_ms bigint not null,
      reason text not null
    )`,
    `create table if not exists circuit_verifications (
      id bigserial primary key,
      at_ms bigint not null,
      ok boolean not null,
      decision_id text
    )`,
    'create index if not exists circuit_verifications_at_idx on circuit_verifications (at_ms)',
    `create table if not exists circuit_anomalous_targets (
      key text primary key,
      last_ms bigint not null
    )`,
    `create table if not exists execution_ledger (
      decision_id text primary key,
      claimed_by text not null,
      claim_token text not null,
      claimed_at_ms bigint not null,
      attempt int not null,
      state text not null,
      side_effect_started boolean not null default false,
      side_effect_at_ms bigint,
      lease_until_ms bigint not null,
      outcome text,
      updated_at_ms bigint not null
    )`,
    'create index if not exists execution_ledger_state_idx on execution_ledger (state)',
    // Risk and approval travel with the decision so a worker can tell an auto-run from an approved one.
    `alter table decisions add column if not exists risk text not null default 'low'`,
    'alter table decisions add column if not exists requires_approval boolean not null default false',
  ],
  };
}
