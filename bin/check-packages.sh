#!/usr/bin/env bash
# Packs every published package the way `pnpm publish` would and lints the
# tarballs: publint (package.json, exports map, files) and
# @arethetypeswrong/cli (types resolve for each export under node16 ESM and
# bundler resolution; the packages are ESM-only, so the esm-only profile).
#
# Usage: bash bin/check-packages.sh [package-dir-name ...]   (default: all of packages/*)
# Needs a build first (`pnpm build`). Progress and findings go to stderr;
# stdout gets one line per package: "<name> ok" or "<name> FAILED".
# Exit codes: 0 all clean, 1 a package has findings, 2 usage error or not built.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 0
fi

if [ $# -gt 0 ]; then packages=("$@"); else packages=($(ls packages)); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

for pkg in "${packages[@]}"; do
  dir="packages/$pkg"
  if [ ! -f "$dir/package.json" ]; then
    echo "check-packages: no package at $dir (names are folders under packages/)" >&2
    exit 2
  fi
  if [ "$(node -p "require('./$dir/package.json').private === true")" = "true" ]; then continue; fi
  if [ ! -d "$dir/dist" ]; then
    echo "check-packages: $dir/dist is missing; run \`pnpm build\` first" >&2
    exit 2
  fi
  name=$(node -p "require('./$dir/package.json').name")
  echo "::: $name: pack" >&2
  if ! tarball=$(cd "$dir" && pnpm pack --pack-destination "$tmp" 2>"$tmp/pack.err" | tail -n 1); then
    cat "$tmp/pack.err" >&2
    echo "$name FAILED"
    status=1
    continue
  fi
  ok=1
  echo "::: $name: publint" >&2
  pnpm exec publint run "$tarball" --strict >&2 || ok=0
  echo "::: $name: attw" >&2
  pnpm exec attw "$tarball" --profile esm-only --format ascii --no-emoji --no-color >"$tmp/attw.out" 2>&1 || { ok=0; cat "$tmp/attw.out" >&2; }
  if [ $ok = 1 ]; then echo "$name ok"; else echo "$name FAILED"; status=1; fi
done
exit $status
