// What a comparison sheet is: its constants, the rule for the baseline panel, the record written as <id>.json,
// and the options and result of making sheets.
import type { BaselineId } from '../../baselines/codecs'
import type { GscBenchCodec } from '../gscCodec'
import type { ImageMetricValues } from '../imageMetrics'

export const SHEET_KIND = 'gsc-comparison-sheet'
export const SHEET_VERSION = 1
export const DEFAULT_SHEET_CHANNELS = [1, 4, 16]
/** Sheets wider than this (in pixels) are scaled down as a whole; text stays at its size. */
export const MAX_SHEET_WIDTH = 2400

export const BEST_BASELINE_RULE =
  "baseline panel = of the requested baselines, each fitted to the GSC packet's bytes by the bench's fit-to-size rule " +
  '(downscale + quality search, file not above the packet), the one with the highest MS-SSIM against the original; ' +
  'codecs that cannot get that small are not candidates'

/** The metrics written under each panel, in this order (all of IMAGE_METRICS are in the JSON). */
export const LABEL_METRICS = ['ciede2000', 'blockiness', 'lpips', 'msssim'] as const

export type PanelMetrics = ImageMetricValues

export interface SheetBaseline {
  codec: BaselineId
  name: string
  /** The fitted file is not above the GSC packet's bytes. */
  reached: boolean
  /** The chosen file's bytes; when not reached, the smallest this codec can make of this image. */
  bytes: number | null
  bpp: number | null
  scale: number | null
  codedWidth: number | null
  codedHeight: number | null
  knob: { name: string; value: number } | null
  metrics: PanelMetrics | null
  /** Why the codec could not run at all (e.g. its command-line tool is missing). */
  error: string | null
  fitMs: number
}

export interface SheetC {
  c: number
  gsc: {
    bytes: number
    bpp: number
    quantStep: number
    fitsTarget: boolean
    channelIndices: number[]
    steps: number
    packMs: number
    decodeMs: number
    metrics: PanelMetrics
  }
  baselines: SheetBaseline[]
  /** The codec shown beside GSC (BEST_BASELINE_RULE); null when none reached the packet's bytes. */
  best: BaselineId | null
}

export interface SheetPanelPlacement {
  label: string[]
  kind: 'original' | 'gsc' | 'baseline'
  c: number | null
  codec: BaselineId | null
  x: number
  y: number
  width: number
  height: number
}

export interface SheetRecord {
  kind: typeof SHEET_KIND
  version: number
  id: string
  file: string
  width: number
  height: number
  fileBytes: number
  caption: string
  modelId: number
  channels: number[]
  baselinesRequested: BaselineId[]
  rule: string
  original: { metrics: PanelMetrics }
  perC: SheetC[]
  sheet: { png: string; width: number; height: number; scale: number; layout: 'row' | 'grid'; panels: SheetPanelPlacement[] }
  timingMs: { gsc: number; baselines: number; render: number; total: number }
}

export interface SheetOptions {
  /** Image files; each gives <out>/<id>.png and .json, id = the file name without extension (deduplicated). */
  images: string[]
  out: string
  channels?: number[]
  baselines: BaselineId[]
  maxWidth?: number
  /** Default: the bench's GSC driver with the default models. */
  gsc?: GscBenchCodec
  /** Recorded in index.md. */
  command?: string
  signal?: AbortSignal
  onProgress?(p: { image: string; done: number; total: number; detail: string }): void
}

export interface SheetsResult {
  out: string
  index: string
  sheets: { id: string; png: string; json: string; width: number; height: number; seconds: number }[]
}
