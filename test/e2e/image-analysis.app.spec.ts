// The Image view's scene analyses against a real `gsc serve` (globalSetup.ts) and the real models: segmentation
// (ESPNetv2 Cityscapes) and depth (mobile PyDNet) drawn over the reconstruction and the attached original side by
// side, with the legend, the opacity slider and the agreement figures. Runs after app.spec.ts (same server) or alone:
// it imports the test capture itself when the log is empty.
import { test, expect, type Locator, type Page } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { CITYSCAPES_CLASSES } from '../../src/core/analysis/segmentationClasses'
import { readCaptureInfo, ROOT } from './buildCapture'

const SHOTS = path.join(ROOT, 'test-results', 'screenshots')

function codecModelsPresent(): boolean {
  const f = path.join(ROOT, 'resources', 'models', 'manifest.json')
  if (!existsSync(f)) return false
  const m = JSON.parse(readFileSync(f, 'utf8')) as { models?: Record<string, unknown> }
  return Boolean(m.models?.g_s && m.models?.generator)
}

/** Distinct RGBA values among the canvas's pixels (the maps are small: every pixel is read). */
function distinctColours(canvas: Locator): Promise<number> {
  return canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
    const seen = new Set<number>()
    for (let i = 0; i < px.length; i += 4) seen.add(((px[i] << 24) | (px[i + 1] << 16) | (px[i + 2] << 8) | px[i + 3]) >>> 0)
    return seen.size
  })
}

async function figure(page: Page, testId: string): Promise<number> {
  const v = Number(await page.getByTestId(testId).getAttribute('data-value'))
  expect(Number.isFinite(v), `${testId} is a number`).toBe(true)
  return v
}

/** Packet 1 (the first image of the capture) in the Image view, by its id: the timeline's bars overlap once the
 *  replay test has added its packets. */
async function openFirstPacket(page: Page): Promise<void> {
  await page.getByTestId('nav-image').click()
  await page.getByLabel('packet id').fill('1')
  await expect(page.getByText('Packet #1', { exact: true })).toBeVisible()
}

async function importCaptureIfEmpty(page: Page): Promise<void> {
  const info = readCaptureInfo(process.env.GSC_E2E_DIR!)
  await page.getByTestId('nav-timeline').click()
  const empty = page.getByText('No packets in the log yet')
  await expect(empty.or(page.locator('[data-testid=timeline-plot] [data-packet]').first())).toBeVisible()
  if (!(await empty.isVisible())) return
  await page.getByTestId('nav-replay').click()
  await page.locator('input[type=file]').setInputFiles(info.capture)
  await expect(page.getByTestId('capture-ready')).toBeVisible()
  await page.getByTestId('import-capture').click()
  await expect(page.getByTestId('progress-import').first()).toHaveAttribute('data-state', 'done')
}

test('segmentation and depth overlays of the reconstruction and the original, with legend, opacity and agreement', async ({ page }) => {
  test.skip(!codecModelsPresent(), 'codec models (g_s, generator) are not in resources/models/manifest.json: there is no reconstruction to analyse')
  const info = readCaptureInfo(process.env.GSC_E2E_DIR!)
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(process.env.GSC_E2E_URL!)
  await expect(page.getByTestId('connection')).toHaveText(/engine online/)
  await importCaptureIfEmpty(page)

  // The first packet, its reconstruction, and its original attached beside it.
  await openFirstPacket(page)
  await expect(page.getByTestId('reconstruction').locator('img').first()).toBeVisible({ timeout: 90_000 })
  await page.locator('input[type=file]').setInputFiles(info.originals[0])
  await expect(page.getByTestId('original')).toBeVisible({ timeout: 30_000 })

  const mode = page.getByTestId('analysis-mode')
  const layer = (panel: string, kind: string) => page.locator(`[data-testid=${panel}] [data-testid=analysis-layer][data-kind=${kind}]`)

  // Segmentation: class colours over both pictures, a legend of the classes present, mIoU and pixel agreement.
  await mode.getByText('Segmentation', { exact: true }).click()
  await expect(layer('reconstruction', 'segmentation')).toBeVisible({ timeout: 60_000 })
  await expect(layer('original', 'segmentation')).toBeVisible()
  for (const panel of ['reconstruction', 'original']) expect(await distinctColours(layer(panel, 'segmentation')), `${panel} segmentation has more than one colour`).toBeGreaterThan(1)
  const legend = page.getByTestId('legend-class')
  expect(await legend.count()).toBeGreaterThan(1)
  for (const name of await legend.evaluateAll((els) => els.map((e) => e.getAttribute('data-class'))))
    expect(CITYSCAPES_CLASSES as readonly (string | null)[]).toContain(name)
  const miou = await figure(page, 'segmentation-miou')
  const agree = await figure(page, 'segmentation-pixel-agreement')
  expect(miou).toBeGreaterThanOrEqual(0)
  expect(miou).toBeLessThanOrEqual(1)
  expect(agree).toBeGreaterThanOrEqual(0)
  expect(agree).toBeLessThanOrEqual(1)
  const segInfo = await page.getByTestId('analysis-info').textContent()
  expect(segInfo).toMatch(/ESPNetv2 \(Cityscapes\) · \d+ ms/)
  // Opacity: the slider's ends clear and fill the overlay on both sides.
  const opacityOf = (panel: string) => layer(panel, 'segmentation').evaluate((el) => (el as HTMLElement).style.opacity)
  expect(await opacityOf('reconstruction')).toBe('0.6')
  await page.screenshot({ path: path.join(SHOTS, 'image-segmentation.png') })
  const thumb = page.getByTestId('analysis-opacity').getByRole('slider')
  await thumb.focus()
  await thumb.press('Home')
  await expect.poll(() => opacityOf('original')).toBe('0')
  await thumb.press('End')
  await expect.poll(() => opacityOf('reconstruction')).toBe('1')

  // Depth: the colour-mapped maps side by side, delta1 / AbsRel / RMSE of the reconstruction against the original.
  await mode.getByText('Depth', { exact: true }).click()
  await expect(layer('reconstruction', 'depth')).toBeVisible({ timeout: 60_000 })
  await expect(layer('original', 'depth')).toBeVisible()
  await expect(page.locator('[data-testid=analysis-layer][data-kind=segmentation]')).toHaveCount(0)
  for (const panel of ['reconstruction', 'original']) expect(await distinctColours(layer(panel, 'depth')), `${panel} depth map has more than one colour`).toBeGreaterThan(8)
  await expect(page.getByTestId('depth-legend')).toBeVisible()
  const delta1 = await figure(page, 'depth-delta1')
  expect(delta1).toBeGreaterThanOrEqual(0)
  expect(delta1).toBeLessThanOrEqual(1)
  expect(await figure(page, 'depth-absrel')).toBeGreaterThanOrEqual(0)
  expect(await figure(page, 'depth-rmse')).toBeGreaterThanOrEqual(0)
  await expect(page.getByTestId('analysis-info')).toContainText('mobile PyDNet')
  await page.screenshot({ path: path.join(SHOTS, 'image-depth.png') })

  // Back to segmentation: kept, so it is shown at once with the same figures and the engine's first timing.
  await mode.getByText('Segmentation', { exact: true }).click()
  await expect(layer('reconstruction', 'segmentation')).toBeVisible({ timeout: 2_000 })
  await expect(page.getByTestId('analysis-info')).toHaveText(segInfo!)
  expect(await figure(page, 'segmentation-miou')).toBe(miou)
  // None: no overlay.
  await mode.getByText('None', { exact: true }).click()
  await expect(page.getByTestId('analysis-layer')).toHaveCount(0)
  await expect(page.getByTestId('segmentation-legend')).toHaveCount(0)

  // A fresh page asks the engine again: its cached answer comes back (the first computation's timing).
  await page.reload()
  await openFirstPacket(page)
  await expect(page.getByTestId('original')).toBeVisible({ timeout: 90_000 })
  await mode.getByText('Segmentation', { exact: true }).click()
  await expect(layer('original', 'segmentation')).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('analysis-info')).toHaveText(segInfo!)

  expect(pageErrors, `uncaught errors in the page: ${pageErrors.join('; ')}`).toEqual([])
})
