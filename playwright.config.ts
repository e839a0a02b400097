// End-to-end tests: Debian's Chromium against a real `gsc serve` (started in global setup on a
// temporary database and a free port), plus an Electron smoke test where Electron's binary exists.
import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: /.*\.spec\.ts$/,
  globalSetup: './test/e2e/globalSetup.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results/playwright',
  use: {
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'off'
  },
  projects: [
    {
      name: 'chromium',
      testMatch: /app\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']
        }
      }
    },
    { name: 'electron', testMatch: /electron\.spec\.ts$/ }
  ]
})
