// Runtime schemas for every API call's arguments. The main process and the WebSocket server parse
// each call with these and reject anything else (unknown keys included), so a compromised or buggy
// renderer cannot hand the engine arbitrary values.
import { z } from 'zod'

const packetId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
const isoTime = z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'not a date-time')
/** Opaque reference to an uploaded file (server-side name, never a path chosen by the renderer). */
const fileRef = z.string().regex(/^(upload|dialog):[A-Za-z0-9_-]{1,64}$/, 'not a file reference')

export const emptyArgs = z.strictObject({})

export const packetStatus = z.enum(['ok', 'crc_failed', 'malformed', 'foreign', 'idle'])

export const listPacketsArgs = z.strictObject({
  apid: z.number().int().min(0).max(2047).optional(),
  status: packetStatus.optional(),
  c: z.number().int().min(0).max(64).optional(),
  text: z.string().max(200).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  sort: z.enum(['id', 'receivedAt', 'apid', 'sequenceCount', 'bits', 'c', 'status']).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.number().int().min(1).max(5000).optional(),
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional()
})

export const timelineArgs = z.strictObject({
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: z.number().int().min(1).max(20000).optional(),
  /** Aggregated view: about this many buckets over [start, end] on the axis (receive time or arrival order). */
  buckets: z.number().int().min(1).max(4000).optional(),
  axis: z.enum(['time', 'order']).optional(),
  /** Range on the axis: ms since epoch (time) or packet ids (order); default the whole log. */
  start: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  end: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  apid: z.number().int().min(0).max(2047).optional()
})

export const packetIdArgs = z.strictObject({ id: packetId })

/**
 * The baseline codecs the image view fits to a packet's bytes: the same six, with the same ids, as
 * `gsc bench --baselines` (src/core/baselines/codecs.ts; the engine checks at compile time that the lists agree).
 */
export const BASELINE_CODECS = [
  { id: 'avif', name: 'AVIF' },
  { id: 'webp', name: 'WebP' },
  { id: 'jpeg', name: 'JPEG' },
  { id: 'jpeg2000', name: 'JPEG 2000' },
  { id: 'hevc', name: 'HEVC/HEIF' },
  { id: 'jxl', name: 'JPEG XL' }
] as const
const BASELINE_CODEC_IDS = BASELINE_CODECS.map((c) => c.id) as [(typeof BASELINE_CODECS)[number]['id'], ...(typeof BASELINE_CODECS)[number]['id'][]]
export const baselineCodec = z.enum(BASELINE_CODEC_IDS, { error: () => `unknown baseline codec (have: ${BASELINE_CODEC_IDS.join(', ')})` })

export const compareArgs = z.strictObject({
  id: packetId,
  /** Which baseline to fit to the packet's bytes (default webp). */
  codec: baselineCodec.optional()
})

export const reconstructArgs = z.strictObject({
  id: packetId,
  steps: z.number().int().min(0).max(64).optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  /** Decode a few samples to estimate the per-pixel uncertainty map. */
  uncertainty: z.boolean().optional(),
  /** Model set 30: draw the synthesised grain its packet asks for (default true); false: only what the packet determines. */
  texture: z.boolean().optional()
})

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64')

export const attachOriginalArgs = z.strictObject({
  id: packetId,
  name: z.string().min(1).max(255),
  /** Image file bytes (PNG/JPEG/WebP) as base64; at most 24 MiB of bytes. */
  data: base64.max(32 * 1024 * 1024),
  /** The baseline shown in the comparison that comes back (default webp). */
  codec: baselineCodec.optional()
})

/** Scene analyses of the Image view (issue 20): segmentation with the Cityscapes ('city') or PASCAL VOC ('pascal') model. */
export const imageSegmentationArgs = z.strictObject({ id: packetId, model: z.enum(['city', 'pascal']).optional() })

export const uploadBeginArgs = z.strictObject({
  name: z.string().min(1).max(255),
  /** Bytes the upload will send; the station's own limit (gsc serve --max-upload, default 4 GiB) applies. */
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
})
export const uploadChunkArgs = z.strictObject({
  uploadId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  offset: z.number().int().min(0),
  /** At most 4 MiB of bytes per chunk. */
  data: base64.max(6 * 1024 * 1024)
})
export const uploadIdArgs = z.strictObject({ uploadId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) })

export const importCaptureArgs = z.strictObject({ file: fileRef, name: z.string().max(255).optional() })

export const replayStartArgs = z.strictObject({
  file: fileRef,
  name: z.string().max(255).optional(),
  /** Packets per second. */
  speed: z.number().min(0.1).max(1000).optional(),
  /** Decode each packet as it arrives. */
  decode: z.boolean().optional()
})

export const replayControlArgs = z.strictObject({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  action: z.enum(['pause', 'resume', 'speed']),
  speed: z.number().min(0.1).max(1000).optional()
})

export const jobIdArgs = z.strictObject({ jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) })

export const planArgs = z.strictObject({
  alpha: z.number().min(0).max(1e9),
  beta: z.number().min(0).max(1e9),
  linkBps: z.number().positive().max(1e12).optional(),
  passS: z.number().positive().max(1e7).optional(),
  images: z.number().int().min(1).max(10000),
  /** The planner's V: weights per task (V = weighted mean of each task's disagreement); default detection alone. */
  objective: z
    .strictObject({ detection: z.number().min(0).max(1e6).optional(), segmentation: z.number().min(0).max(1e6).optional(), depth: z.number().min(0).max(1e6).optional() })
    .refine((o) => Object.values(o).some((w) => w !== undefined && w > 0), 'the objective needs at least one task with a weight > 0')
    .optional()
})

export const loadCalibrationArgs = z.strictObject({
  name: z.string().min(1).max(255),
  /** Text of a results.json written by `gsc bench`; at most 16 MiB. */
  json: z.string().max(16 * 1024 * 1024)
})

export const setSettingsArgs = z.strictObject({
  executionProvider: z.enum(['cpu', 'cuda']).optional(),
  captionerUrl: z
    .string()
    .max(500)
    .refine((s) => s === '' || /^https?:\/\/[^\s]+$/.test(s), 'must be an http(s) URL or empty')
    .optional(),
  captionerModel: z.string().max(200).optional(),
  decodeSteps: z.number().int().min(0).max(64).nullable().optional(),
  imageApids: z.union([z.literal('auto'), z.array(z.number().int().min(0).max(2046)).min(1).max(2047)]).optional(),
  /** Lower decode limits (docs/bitstream.md 4.1): at most the wire's 16384 x 16384 pixels and 4096 steps; the engine
   *  refuses a value above its front door's limit. */
  maxPixels: z.number().int().min(1).max(16384 * 16384).nullable().optional(),
  maxFlowSteps: z.number().int().min(0).max(4096).nullable().optional()
})

export const severity = z.enum(['debug', 'info', 'watch', 'warning', 'distress', 'critical'])

export const listEventsArgs = z.strictObject({
  limit: z.number().int().min(1).max(5000).optional(),
  minSeverity: severity.optional()
})

export const logEventArgs = z.strictObject({
  severity,
  source: z.string().min(1).max(60),
  message: z.string().min(1).max(2000)
})

/** One schema per method, used by every server-side dispatcher. */
export const ARG_SCHEMAS = {
  systemInfo: emptyArgs,
  listPackets: listPacketsArgs,
  timeline: timelineArgs,
  getPacket: packetIdArgs,
  reconstruct: reconstructArgs,
  compare: compareArgs,
  attachOriginal: attachOriginalArgs,
  uploadBegin: uploadBeginArgs,
  uploadChunk: uploadChunkArgs,
  uploadEnd: uploadIdArgs,
  importCapture: importCaptureArgs,
  replayStart: replayStartArgs,
  replayControl: replayControlArgs,
  listJobs: emptyArgs,
  listWorkers: emptyArgs,
  cancelJob: jobIdArgs,
  plan: planArgs,
  loadCalibration: loadCalibrationArgs,
  clearCalibration: emptyArgs,
  getSettings: emptyArgs,
  setSettings: setSettingsArgs,
  listEvents: listEventsArgs,
  logEvent: logEventArgs,
  verifyModels: emptyArgs,
  imageSegmentation: imageSegmentationArgs,
  imageDepth: packetIdArgs
} as const

export type SchemaMethod = keyof typeof ARG_SCHEMAS
