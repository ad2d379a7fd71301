#!/usr/bin/env bash
# The runtime image's node_modules: the production dependencies only, as the Dockerfile installs
# them (`npm ci --omit=dev --ignore-scripts`, then scripts/prune-runtime-deps.mjs), in a temporary copy. Fails above the budget
# (issue 17: ≤ 150 MB), so a runtime dependency that drags in a toolchain is caught in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
budget_mb="${RUNTIME_NODE_MODULES_BUDGET_MB:-150}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
(cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
node scripts/prune-runtime-deps.mjs "$work"
# The pruned tree must still load what the gateway loads natively (argon2's binary is optional).
(cd "$work" && node -e "import('@node-rs/argon2').then((m) => { if (typeof m.hash !== 'function') process.exit(1); })")
size_mb=$(( $(du -sk "$work/node_modules" | cut -f1) / 1024 ))
echo "runtime node_modules: ${size_mb} MB (budget ${budget_mb} MB)"
# awk reads the whole sorted list (no `head`): under pipefail, a reader that stops early would end
# `sort` with SIGPIPE and fail the step (exit 141) depending on timing.
du -sk "$work"/node_modules/* "$work"/node_modules/@*/* 2>/dev/null | sort -rn \
  | awk -v prefix="$work/node_modules/" 'NR <= 8 { name = $2; sub(prefix, "", name); printf "  %6.1f MB  %s\n", $1 / 1024, name }'
if [ "$size_mb" -gt "$budget_mb" ]; then
  echo "runtime node_modules exceed the budget: move build-only packages to devDependencies" >&2
  exit 1
fi
