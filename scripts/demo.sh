#!/usr/bin/env bash
# `aiopsd demo` on embedded defaults from a fresh clone: npm ci when needed, redis-server when
# missing (aiopsd then starts its own private Redis), then the demo. Extra flags pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_node_modules
ensure_redis_binary
unset REDIS_URL DATABASE_URL
exec node bin/aiopsd.js demo "$@"
