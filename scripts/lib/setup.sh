# Shared set-up for scripts/test.sh and scripts/demo.sh: installs and starts what a bare Debian
# machine lacks. Each function is idempotent and prints one line saying what it did.

log() { printf '[setup] %s\n' "$*" >&2; }

can_apt() { command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; }

APT_UPDATED=0
apt_install() {
  can_apt || { log "cannot install $* (need root and apt-get)"; return 1; }
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; fi
  log "installing $* from Debian packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

# npm ci when node_modules is missing or older than package-lock.json (npm ci also builds dist/).
ensure_node_modules() {
  if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    if ! npm ci --no-audit --no-fund >&2; then
      # Some npm 11 releases refuse a lockfile that omits other platforms' optional packages
      # (npm/cli#4828 family); npm install resolves the same tree from the lockfile.
      log "npm ci failed; retrying with npm install"
      npm install --no-audit --no-fund >&2 || return 1
    fi
  fi
  if [ ! -f dist/main.js ] || [ -n "$(find src -newer dist/main.js -name '*.ts' -print -quit 2>/dev/null)" ]; then
    log "building dist/"
    npm run --silent build >&2 || return 1
  fi
}

ensure_redis_binary() {
  command -v redis-server >/dev/null 2>&1 && return 0
  apt_install redis-server || { log "redis-server is missing: install it (apt-get install redis-server) or set REDIS_URL"; return 1; }
}

# A Redis for the tests: REDIS_URL if set, else 127.0.0.1:6379, started here when it is not running.
ensure_redis_server() {
  if [ -n "${REDIS_URL:-}" ]; then log "using REDIS_URL"; return 0; fi
  export REDIS_URL=redis://127.0.0.1:6379
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then log "redis on 127.0.0.1:6379 is up"; return 0; fi
  ensure_redis_binary || return 1
  command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools || true
  mkdir -p /tmp/aiopsd-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --maxmemory-policy noeviction --dir /tmp/aiopsd-redis --logfile /tmp/aiopsd-redis/redis.log
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && { log "started redis on 127.0.0.1:6379"; return 0; }; sleep 0.1; done
  log "redis did not start"; return 1
}

# PostgreSQL for the tests that need the real one: TEST_DATABASE_URL, else 127.0.0.1:5432/test.
# Optional: when it cannot be had, those tests skip with a visible message.
ensure_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then log "using TEST_DATABASE_URL"; return 0; fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
    log "postgresql on 127.0.0.1:5432 is up"; return 0
  fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql || return 1; fi
  local version; version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { log "postgresql did not start"; return 1; }
  # A fresh Debian cluster has password auth on TCP: give the postgres user a known test password.
  su postgres -c "psql -q -c \"alter user postgres password 'postgres'\"" >/dev/null 2>&1 || true
  su postgres -c "createdb test" >/dev/null 2>&1 || true
  export TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/test
  log "started postgresql $version on 127.0.0.1:5432"
}

# Prometheus, Alertmanager and promtool for conformance tests; optional (those tests skip without them).
ensure_prometheus() {
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && return 0
  apt_install prometheus prometheus-alertmanager || { log "prometheus unavailable: its tests will skip"; return 1; }
  # The Debian package starts a system service on :9090/:9093 where systemd runs; tests use their own ports.
}

ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  apt_install chromium || { log "chromium unavailable: browser tests will skip"; return 1; }
}
