#!/usr/bin/env bash
# The whole test suite: type checks, unit tests, the hub box's install (install-check.sh), a fresh
# build, then the browser tests in a private network namespace. Installs Debian's Chromium and
# tools when missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
[ -d node_modules ] || npm ci
npm run check
npx vitest run
bash scripts/install-check.sh
npx vite build --mode diagnostics --logLevel warn
scripts/with-netns.sh npx playwright test
