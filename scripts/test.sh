#!/usr/bin/env bash
# The whole test suite: type checks, unit tests (vitest), training smoke test, browser end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run typecheck
npx vitest run
if [ -f training/smoke_test.sh ]; then bash training/smoke_test.sh; fi
if [ -f playwright.config.ts ]; then npx playwright test; fi
