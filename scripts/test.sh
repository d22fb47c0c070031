#!/usr/bin/env bash
# The whole test suite, from a bare machine: set-up, lint, typecheck, then every vitest test against
# real Redis / PostgreSQL / Prometheus. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

ensure_node_modules || { echo "npm ci failed"; exit 1; }
ensure_redis_server || { echo "Redis is required for the tests"; exit 1; }
ensure_postgres || log "PostgreSQL is not available: tests against a real PostgreSQL will be SKIPPED"
ensure_prometheus || true
ensure_chromium || true

status=0
log "lint"; npm run --silent lint || status=1
log "typecheck"; npm run --silent typecheck || status=1

mkdir -p artifacts
rm -f artifacts/vitest-report.json
npx vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest-report.json "$@" || status=1
node scripts/summarize-tests.js artifacts/vitest-report.json || status=1
exit $status
