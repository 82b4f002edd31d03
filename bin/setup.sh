#!/usr/bin/env bash
# Prepares a fresh machine for this repo: pnpm, dependencies, Chromium (for
# the browser tests) and a running PostgreSQL. Safe to run repeatedly.
# Each step's output is kept aside and printed only when the step fails, so a
# failure shows the real error instead of a bare exit code.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# step_quietly WHAT CMD...: runs CMD with its output in $log; on failure prints
# the last 40 lines of it to stderr and returns CMD's exit code.
step_quietly() {
  local what=$1
  shift
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "! $what failed (exit $rc): $*" >&2
    tail -n 40 "$log" | sed 's/^/  | /' >&2
  fi
  return "$rc"
}

want_pnpm=10.34.9
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  echo "› installing pnpm@$want_pnpm"
  step_quietly "installing pnpm@$want_pnpm" npm i -g "pnpm@$want_pnpm"
fi

if [ "${SETUP_SKIP_SYSTEM:-}" != "1" ]; then
  if ! [ -x /usr/bin/chromium ]; then
    echo "› installing Debian chromium (browser tests)"
    step_quietly "installing chromium" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium' \
      || echo "! could not install chromium; browser tests will fail" >&2
  fi
  if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "› starting PostgreSQL"
    # pg_ctlcluster exits 2 when the cluster already runs; `service` is the fallback.
    step_quietly "starting PostgreSQL" bash -c \
      'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || service postgresql start' \
      || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
    pg_isready -q -h 127.0.0.1 -p 5432 || echo "! PostgreSQL is not accepting connections on 127.0.0.1:5432; its tests will fail" >&2
  fi
fi

echo "› pnpm install"
step_quietly "pnpm install" pnpm install --frozen-lockfile --reporter=append-only
tail -n 3 "$log"
