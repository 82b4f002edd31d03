#!/usr/bin/env bash
# Prepares a fresh machine for this repo: pnpm, dependencies, Chromium (for
# the browser tests) and a running PostgreSQL. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

want_pnpm=10.34.9
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  echo "› installing pnpm@$want_pnpm"
  npm i -g "pnpm@$want_pnpm" >/dev/null 2>&1
fi

if [ "${SETUP_SKIP_SYSTEM:-}" != "1" ]; then
  if ! [ -x /usr/bin/chromium ]; then
    echo "› installing Debian chromium (browser tests)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "! could not install chromium; browser tests will fail"
  fi
  if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "› starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start 2>/dev/null \
      || service postgresql start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi

echo "› pnpm install"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
