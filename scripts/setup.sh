#!/usr/bin/env bash
# One set-up command for a fresh machine (`npm run setup`): the Debian packages the tests need,
# then the npm packages, then the Edge Function's npm imports cached for Deno.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || missing+=(postgresql-15-pgtap)
command -v pg_prove >/dev/null 2>&1 || missing+=(libtap-parser-sourcehandler-pgtap-perl)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
# wrk, the second load generator of `npm run bench -- api` (next to autocannon).
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# Debian's Chromium for the browser suite (driven by playwright-core, which downloads no browser).
[ -n "${CHROMIUM_PATH:-}" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing with apt-get: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "Please install pgTAP for PostgreSQL, pg_prove, wrk and Chromium (missing: ${missing[*]})." >&2
    echo "  macOS: brew install pgtap wrk   other: cpan TAP::Parser::SourceHandler::pgTAP and your distribution's pgtap and wrk packages" >&2
    echo "  Chromium: set CHROMIUM_PATH to a Chromium or Chrome binary for the browser suite" >&2
  fi
fi

npm ci --no-audit --no-fund
# Fetch the function's npm: imports into Deno's cache now rather than on first request.
npx deno install --quiet --config functions/api/deno.json --entrypoint functions/api/index.ts local/edge-runtime/main.ts
echo "Set-up done. Next: npm start (local stack) or npm test."
