/**
 * Comparison sheets: the pictures a person looks at before believing a metric (issue 16, item 1).
 *
 * For one image: the original, then for each C the GSC reconstruction (the default models, the bench's own
 * encode and decode path) beside the best baseline fitted to the same bytes, each with a label giving the method,
 * its bytes and the metrics of that panel against the original (ΔE00, blockiness, LPIPS, MS-SSIM; the JSON has
 * every metric `gsc bench` measures).
 *
 * The rule for the baseline panel (BEST_BASELINE_RULE): every requested baseline is fitted to the GSC packet's
 * size by the bench's fit-to-size rule (src/core/baselines/fitToSize.ts: downscale + quality search, the file
 * not above the packet's bytes); among those that reached that size, the one with the highest MS-SSIM against
 * the original is shown (ties to the earlier codec in the requested list).
 *
 * This folder's entry point. Plain Node: no CLI concerns. Writes <out>/<id>.png, <out>/<id>.json and rebuilds <out>/index.md from every
 * sheet JSON in <out>.
 */
export { makeSheets } from './makeSheets'
export { indexMarkdown } from './indexMarkdown'
export { pickBest } from './baselineFit'
export { sheetLayout, type SheetLayout } from './layout'
export {
  BEST_BASELINE_RULE,
  DEFAULT_SHEET_CHANNELS,
  LABEL_METRICS,
  MAX_SHEET_WIDTH,
  SHEET_KIND,
  SHEET_VERSION,
  type PanelMetrics,
  type SheetBaseline,
  type SheetC,
  type SheetOptions,
  type SheetPanelPlacement,
  type SheetRecord,
  type SheetsResult
} from './types'
