#!/usr/bin/env bash
# How a hub box installs (README, "Run a hub"): the files a clone has, `npm ci --omit=dev`, then
# `npm start`, which builds the app on its first start and serves it. This checks that path in a
# scratch copy: nothing from this checkout's node_modules or builds is used. Part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
scratch=$(mktemp -d "${TMPDIR:-/tmp}/osmose-install-XXXXXX")
hub=''
cleanup() {
  if [ -n "$hub" ]; then kill "$hub" 2>/dev/null || true; wait "$hub" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

echo "install check: a clean copy in $scratch"
git ls-files -z | (cd "$repo" && xargs -0 cp --parents -t "$scratch")
cd "$scratch"
# --prefer-offline: what `npm ci` fetched for this checkout is in npm's cache already.
npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error
if [ -d node_modules/vitest ] || [ -d node_modules/@playwright/test ]; then
  echo "install check: dev dependencies were installed; this is not the production install" >&2
  exit 1
fi

# Ports from the kernel (0): the readiness line says which.
npm start --silent -- --data "$scratch/data" --host 127.0.0.1 --http-port 0 --https-port 0 --no-qr >"$scratch/hub.log" 2>&1 &
hub=$!
for _ in $(seq 1 600); do
  grep -q '"http":' "$scratch/hub.log" 2>/dev/null && grep -q 'hub ready' "$scratch/hub.log" && break
  if ! kill -0 "$hub" 2>/dev/null; then cat "$scratch/hub.log" >&2; echo "install check: the hub exited" >&2; exit 1; fi
  sleep 0.5
done
ready=$(grep 'hub ready' "$scratch/hub.log" || true)
if [ -z "$ready" ]; then cat "$scratch/hub.log" >&2; echo "install check: the hub did not start within 5 minutes" >&2; exit 1; fi
http=$(sed -E 's/.*"http":([0-9]+).*/\1/' <<<"$ready")
https=$(sed -E 's/.*"https":([0-9]+).*/\1/' <<<"$ready")

# The app over HTTPS (the room CA is not trusted by this check), onboarding over plain HTTP.
NODE_TLS_REJECT_UNAUTHORIZED=0 node --no-warnings --input-type=module - "$http" "$https" <<'JS'
const [http, https] = process.argv.slice(2);
const checks = [
  [`https://127.0.0.1:${https}/`, '<div id="app"', 'the app'],
  [`http://127.0.0.1:${http}/`, 'Osmose', 'onboarding'],
  [`https://127.0.0.1:${https}/api/hub`, '"room"', "the hub's API"],
];
for (const [url, want, what] of checks) {
  const res = await fetch(url);
  const body = await res.text();
  if (!res.ok || !body.includes(want)) {
    console.error(`install check: the hub does not serve ${what} (${url}: HTTP ${res.status})`);
    process.exit(1);
  }
}
JS
echo "install check: npm ci --omit=dev && npm start builds and serves the app (ports $http, $https)"
