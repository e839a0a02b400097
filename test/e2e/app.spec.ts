// The operator's path through the interface against a real `gsc serve` (see globalSetup.ts).
import { test, expect, type Page } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { readCaptureInfo, ROOT } from './buildCapture'

const SHOTS = path.join(ROOT, 'test-results', 'screenshots')
/** Screenshot of a view; toasts are hidden (they are checked separately) unless asked for. */
async function shot(page: Page, name: string, withToasts = false): Promise<void> {
  const style = withToasts ? null : await page.addStyleTag({ content: '.mantine-Notifications-root { display: none !important; }' })
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) })
  await style?.evaluate((el) => (el as unknown as { remove(): void }).remove())
}

/** The codec can regenerate images only once its models (g_s, generator) are in the manifest. */
function codecModelsPresent(): boolean {
  const f = path.join(ROOT, 'resources', 'models', 'manifest.json')
  if (!existsSync(f)) return false
  const m = JSON.parse(readFileSync(f, 'utf8')) as { models?: Record<string, unknown> }
  return Boolean(m.models?.g_s && m.models?.generator)
}

test.describe.configure({ mode: 'serial' })

test('import a capture, inspect packets, plan', async ({ page }) => {
  const url = process.env.GSC_E2E_URL!
  const info = readCaptureInfo(process.env.GSC_E2E_DIR!)
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))

  await page.goto(url)
  await expect(page.getByTestId('connection')).toHaveText(/engine online/)

  // Replay view: upload the capture (the browser sends its bytes over the API) and import it.
  await page.getByTestId('nav-replay').click()
  await page.locator('input[type=file]').setInputFiles(info.capture)
  await expect(page.getByTestId('capture-ready')).toBeVisible()
  await page.getByTestId('import-capture').click()
  await expect(page.getByTestId('progress-import').first()).toHaveAttribute('data-state', 'done')
  await shot(page, 'replay')

  // Timeline: every packet, the CRC failure and the gap from the skipped sequence count.
  await page.getByTestId('nav-timeline').click()
  const bars = page.locator('[data-testid=timeline-plot] [data-packet]')
  await expect(bars).toHaveCount(info.packets)
  await expect(page.locator('[data-testid=timeline-plot] [data-status=crc_failed]')).toHaveCount(1)
  await expect(page.getByTestId('gap-marker')).toHaveCount(1)
  await expect(page.getByTestId('gap-marker')).toContainText('gap −1')
  await expect(page.getByTestId('stat-gaps')).toContainText('1 gaps')
  await expect(page.getByTestId('conductor-mode')).toHaveText(/LIVE/)
  await shot(page, 'timeline')
  // Zooming leaves live mode visibly; "Follow live" returns to it.
  await page.getByTestId('zoom-in').click()
  await expect(page.getByTestId('conductor-mode')).toHaveText(/FIXED RANGE/)
  await shot(page, 'timeline-fixed')
  await page.getByTestId('go-live').click()
  await expect(page.getByTestId('conductor-mode')).toHaveText(/LIVE/)

  // Open the first packet: reconstruction with detection overlays (or a readable decode error).
  await bars.first().click()
  await expect(page.getByTestId('packet-status')).toHaveText('received')
  await expect(page.getByTestId('caption')).not.toBeEmpty()
  // the encoder's default set carries a colour thumbnail: the details say which planes its sender chose
  if (info.method === 'encode-dir') await expect(page.getByText(/^luma 1\/(16|8|4) step [\d.]+, chroma 1\/16 step [\d.]+$/)).toBeVisible()
  if (codecModelsPresent()) {
    await expect(page.getByTestId('reconstruction').locator('img').first()).toBeVisible({ timeout: 90_000 })
    await expect(page.getByTestId('agreement')).toBeVisible()
    await expect(page.locator('[data-testid=reconstruction] [data-testid=box-transmitted]').first()).toBeVisible()
    // Overlays toggle off and on.
    await page.getByTestId('toggle-transmitted').uncheck()
    await expect(page.locator('[data-testid=reconstruction] [data-testid=box-transmitted]')).toHaveCount(0)
    await page.getByTestId('toggle-transmitted').check()
    // Uncertainty map: a few more samples, shown as an overlay.
    await page.getByTestId('toggle-uncertainty').check()
    await expect(page.getByTestId('uncertainty-overlay').first()).toBeVisible({ timeout: 90_000 })
    // Save the reconstruction with its overlays.
    const png = page.waitForEvent('download')
    await page.getByTestId('save-png').click()
    const saved = readFileSync(await (await png).path())
    expect(saved.subarray(1, 4).toString()).toBe('PNG')
  } else {
    console.log('[e2e] codec models (g_s, generator) are not in resources/models/manifest.json: checking the decode error is shown instead of a reconstruction')
    test.info().annotations.push({ type: 'skipped-step', description: 'reconstruction: codec models not present' })
    await expect(page.getByTestId('decode-error')).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('decode-error')).toContainText(/model/)
  }
  // Attach the original (rehearsal replay): it appears with the sender's detections, beside a WebP
  // baseline fitted to the packet's size.
  await page.locator('input[type=file]').setInputFiles(info.originals[0])
  await expect(page.getByTestId('original')).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('baseline')).toBeVisible()
  await expect(page.locator('[data-testid=original] [data-testid=box-transmitted]').first()).toBeVisible()
  // Zoom and pan are shared by every panel.
  await page.getByTestId('original').hover()
  await page.mouse.wheel(0, -200)
  await expect(page.getByText(/zoom ×1\.2/)).toBeVisible()
  const stage = (panel: string) => page.locator(`[data-testid=${panel}] .stage`).evaluate((el) => (el as HTMLElement).style.transform)
  expect(await stage('baseline')).toMatch(/scale\(/)
  expect(await stage('baseline')).toBe(await stage('original'))
  await page.getByTestId('toggle-transmitted').uncheck()
  await expect(page.locator('[data-testid=original] [data-testid=box-transmitted]')).toHaveCount(0)
  await page.getByTestId('toggle-transmitted').check()
  // The baseline panel offers all six codecs, each fitted to the packet's octets as the bench fits it.
  const fit = page.getByTestId('baseline-fit')
  const codecs = page.getByTestId('baseline-codec')
  await expect(fit).toHaveAttribute('data-codec', 'webp')
  await expect(fit).toHaveText(/^WebP at \d+ of \d+ octets: quality \d+/)
  for (const name of ['AVIF', 'WebP', 'JPEG', 'JPEG 2000', 'HEVC/HEIF', 'JPEG XL']) await expect(codecs.getByText(name, { exact: true })).toBeVisible()
  const octets = Number((await fit.textContent())!.match(/of (\d+) octets/)![1])
  const webpImage = await page.locator('[data-testid=baseline] img').getAttribute('src')
  /** Chooses a codec; the panel then shows its fit at the packet's octets, or says plainly that it cannot get that small. */
  const choose = async (name: string, id: string, knob: string) => {
    await codecs.getByText(name, { exact: true }).click()
    await expect(fit).toHaveAttribute('data-codec', id, { timeout: 60_000 })
    if ((await fit.getAttribute('data-reached')) === 'true') {
      await expect(fit).toHaveText(new RegExp(`^${name} at \\d+ of ${octets} octets: ${knob} `))
      expect(Number((await fit.textContent())!.match(/at (\d+) of/)![1])).toBeLessThanOrEqual(octets)
      await expect(page.locator('[data-testid=baseline] img')).not.toHaveAttribute('src', webpImage!)
      await expect(page.getByTestId('baseline')).toContainText(`Baseline ${name}`)
      expect(await stage('baseline')).toBe(await stage('original'))
      await expect(page.getByTestId('baseline-unreachable')).toHaveCount(0)
    } else {
      await expect(fit).toHaveText(new RegExp(`^${name} cannot fit in ${octets} octets`))
      await expect(page.getByTestId('baseline-unreachable')).toContainText(`${name} cannot fit in ${octets} octets`)
      await expect(page.getByTestId('baseline')).toHaveCount(0)
    }
    await shot(page, `image-baseline-${id}`)
  }
  // At this capture's ~100-octet packets JPEG XL fits and HEVC in HEIF (a few hundred octets of container) cannot.
  await choose('JPEG XL', 'jxl', 'distance')
  await choose('HEVC/HEIF', 'hevc', 'quality')
  await choose('JPEG 2000', 'jpeg2000', 'compression ratio')
  // Back to WebP: the engine kept the fit.
  await codecs.getByText('WebP', { exact: true }).click()
  await expect(fit).toHaveAttribute('data-codec', 'webp')
  await expect(page.locator('[data-testid=baseline] img')).toHaveAttribute('src', webpImage!)
  await shot(page, 'image', true)

  // The corrupted packet shows as failed, with its header, without breaking the view.
  await page.getByTestId('nav-timeline').click()
  await page.locator('[data-testid=timeline-plot] [data-status=crc_failed]').click()
  await expect(page.getByTestId('packet-status')).toHaveText('CRC failed')
  await expect(page.getByTestId('packet-error')).toContainText(/CRC/)
  await shot(page, 'image-failed')

  // Packet table: all rows, then filtered to the failure.
  await page.getByTestId('nav-packets').click()
  await expect(page.locator('[data-testid=packet-table] tbody tr')).toHaveCount(info.packets)
  await page.getByTestId('filter-status').click()
  await page.getByRole('option', { name: 'CRC failed' }).click()
  await expect(page.locator('[data-testid=packet-table] tbody tr')).toHaveCount(1)
  await shot(page, 'packets')
  // Mark one row and export just that.
  await page.getByLabel(/mark packet \d+/).first().check()
  const markedDl = page.waitForEvent('download')
  await page.getByTestId('export-marked').click()
  const marked = readFileSync(await (await markedDl).path(), 'utf8').trim().split('\n')
  expect(marked).toHaveLength(2)
  const download = page.waitForEvent('download')
  await page.getByTestId('export-all').click()
  const csv = readFileSync(await (await download).path(), 'utf8')
  expect(csv.split('\n')[0]).toContain('sequenceCount')
  expect(csv).toContain('crc_failed')

  // Planner: changing alpha changes the chosen C.
  await page.getByTestId('nav-planner').click()
  const chosen = page.getByTestId('chosen-c')
  await expect(chosen).toHaveText(/C = \d+/)
  const alpha = page.getByTestId('alpha-input')
  // alpha 0: bits alone decide, so the cheapest C wins whatever the models' disagreement estimates are
  await alpha.fill('0')
  await expect(chosen).toHaveText('C = 1')
  const low = await chosen.textContent()
  await alpha.fill('20')
  await expect(chosen).not.toHaveText(low!)
  await expect(page.getByTestId('rd-plot')).toBeVisible()
  await shot(page, 'planner')

  await page.getByTestId('nav-settings').click()
  await expect(page.getByTestId('db-location')).toContainText('log.db')
  await page.getByRole('button', { name: 'Verify hashes' }).click()
  await expect(page.getByTestId('models-table').getByText('verified').first()).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('models-table').getByText('MISMATCH')).toHaveCount(0)
  await shot(page, 'settings')

  await page.getByTestId('nav-events').click()
  await expect(page.getByTestId('event-log')).toContainText('CRC failures')
  await shot(page, 'events')

  expect(pageErrors, `uncaught errors in the page: ${pageErrors.join('; ')}`).toEqual([])
})

test('replay plays, pauses and resumes; the live timeline follows new packets', async ({ page }) => {
  const info = readCaptureInfo(process.env.GSC_E2E_DIR!)
  await page.goto(process.env.GSC_E2E_URL!)
  await page.getByTestId('nav-replay').click()
  await page.locator('input[type=file]').setInputFiles(info.live)
  await expect(page.getByTestId('capture-ready')).toBeVisible()
  await page.getByText('0.5', { exact: true }).click()
  await page.getByTestId('replay-play').click()
  await expect(page.getByTestId('replay-pause')).toBeEnabled()
  await page.getByTestId('replay-pause').click()
  await expect(page.getByTestId('progress-replay').first()).toContainText('(paused)')
  await shot(page, 'replay-paused')
  await page.getByText('2', { exact: true }).click()
  await page.getByTestId('replay-pause').click()
  // While it plays, the timeline stays live and grows with each packet.
  await page.getByTestId('nav-timeline').click()
  await expect(page.getByTestId('conductor-mode')).toHaveText(/LIVE/)
  const bars = page.locator('[data-testid=timeline-plot] [data-packet]')
  await expect(bars).toHaveCount(info.packets + info.livePackets, { timeout: 30_000 })
  await shot(page, 'timeline-live')
  await page.getByTestId('nav-replay').click()
  await expect(page.getByTestId('progress-replay').first()).toHaveAttribute('data-state', 'done', { timeout: 30_000 })

  // The replay carried housekeeping packets of another APID and an idle packet: kept, shown as such, and the
  // timeline and the packet table filter by APID.
  await page.getByTestId('nav-timeline').click()
  await expect(page.locator('[data-testid=timeline-plot] [data-status=foreign]')).toHaveCount(info.foreignPackets)
  await expect(page.locator('[data-testid=timeline-plot] [data-status=idle]')).toHaveCount(info.idlePackets)
  await page.getByTestId('timeline-apid').fill(String(info.foreignApid))
  await expect(bars).toHaveCount(info.foreignPackets)
  await expect(page.locator(`[data-testid=timeline-plot] [data-packet][data-apid="${info.foreignApid}"][data-status=foreign]`)).toHaveCount(info.foreignPackets)
  await expect(page.getByTestId('timeline-count')).toContainText(`${info.foreignPackets} packet(s) of APID ${info.foreignApid}`)
  await page.getByTestId('timeline-apid').fill('101')
  await expect(bars).toHaveCount(info.livePackets - info.foreignPackets - info.idlePackets)
  await shot(page, 'timeline-apid')
  await page.getByTestId('timeline-apid').fill('')
  await expect(bars).toHaveCount(info.packets + info.livePackets)
  await page.getByTestId('nav-packets').click()
  await page.getByTestId('filter-apid').fill(String(info.foreignApid))
  const rows = page.locator('[data-testid=packet-table] tbody tr')
  await expect(rows).toHaveCount(info.foreignPackets)
  await expect(page.locator(`[data-testid=packet-table] tbody tr[data-status=foreign][data-apid="${info.foreignApid}"]`)).toHaveCount(info.foreignPackets)
  await expect(rows.first()).toContainText('foreign APID')
  await expect(rows.first()).toContainText(`packet of APID ${info.foreignApid}`)
  await page.getByTestId('filter-apid').fill('')
  await page.getByTestId('filter-status').click()
  await page.getByRole('option', { name: 'idle (APID 2047)' }).click()
  await expect(rows).toHaveCount(info.idlePackets)
  await shot(page, 'packets-idle')
})
