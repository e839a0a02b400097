#!/usr/bin/env bash
# The whole test suite: type checks, unit tests (vitest), training smoke test, browser end-to-end tests.
# Ends with one line "tests: N passed, N failed, N skipped" counting vitest and Playwright together.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
rm -f test-results/vitest.json test-results/playwright.json

npx madge --circular --extensions ts,tsx --ts-config tsconfig.node.json src # no import loops in src/, type-only included (.madgerc)
npm run typecheck
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
bash training/smoke_test.sh
PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/playwright.json npx playwright test --reporter=list,json

node -e '
const fs = require("node:fs")
const v = JSON.parse(fs.readFileSync("test-results/vitest.json", "utf8"))
const p = JSON.parse(fs.readFileSync("test-results/playwright.json", "utf8")).stats
const passed = v.numPassedTests + p.expected
const failed = v.numFailedTests + p.unexpected + p.flaky
const skipped = v.numPendingTests + v.numTodoTests + p.skipped
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
'
