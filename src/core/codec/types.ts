// The codec's shared shapes: encode options and results, the C-independent prepared image and one packing of it,
// and progress reports. Types only, so encoder, packing, auto choice and decoder all import them without a loop.
import type { CaptionMode, GscHeader, TransmittedDetection } from '../bitstream/gscPacket'
import type { Detection } from '../analysis/detections'
import type { RgbImage } from '../image/rgbImage'
import type { SelectionRule } from './channelSelection'
import type { CodecModels, ExecutionProvider } from './codecModels'
import type { CaptionerSpec } from './captioning'

export interface CodecProgress {
  stage: string
  done: number
  total: number
}

export interface EncodeOptions {
  /** Number of transmitted channels (0 = caption only), or 'auto' to choose by alpha/beta. Default 1. */
  channels?: number | 'auto'
  /** Caption typed by the operator; overrides the captioner. */
  caption?: string
  /** 'builtin' (default), 'none' (no caption), or an OpenAI-compatible endpoint. */
  captioner?: CaptionerSpec
  apid?: number
  sequenceCount?: number
  /** Model set to encode with (the header's modelId); default the manifest's defaultModelSet, else 1. */
  modelSet?: number
  /** Noise seed written to the header (default 0: the cheapest to code, and reproducible). */
  seed?: number
  /** Flow-step hint written to the header (default: the generator's recommended steps). Set 1's flow only: a set
   *  without a flow writes 0 and refuses this option. */
  steps?: number
  /** Set 28's luma plane: 'search' decodes every candidate and keeps the best (lumaSearch.ts), 'search-from-c4' and
   *  'search-from-c8' do so from C = 4 and C = 8; 'fixed' takes the rule per C (packing.ts FINE_LUMA_RULE), as a given quantStep does. Default:
   *  lumaSearch.ts DEFAULT_LUMA_RULE. */
  lumaRule?: LumaRule
  /** Fixed quantisation step (one of QUANT_STEPS or any multiple of 1/64); default: the step rule. */
  quantStep?: number
  /** Channel ranking: 'ssim' (default; the set's own SSIM rule, the one its decoder was trained with) or 'energy' (channel variance). */
  selection?: SelectionRule
  /** Append the sender's detections (class, score, quantised box) to the packet. */
  sendDetections?: boolean
  /** Weights of --channels auto: cost = alpha * (1 - F1) + beta * bits. Defaults 1 and 1e-4. */
  alpha?: number
  beta?: number
  executionProvider?: ExecutionProvider
  modelsDir?: string
  signal?: AbortSignal
  onProgress?(p: CodecProgress): void
}

export interface BitsReport {
  header: number
  caption: number
  latents: number
  detections: number
  total: number
  bpp: number
}

export interface AutoCandidate {
  channels: number
  channelIndices: number[]
  quantStep: number
  bits: BitsReport
  f1: number
  precision: number
  recall: number
  score: number
}

export interface EncodeResult {
  packet: Uint8Array
  /** The model set that made the packet (its header's modelId). */
  modelSet: number
  width: number
  height: number
  channels: number
  channelIndices: number[]
  quantStep: number
  /** False when the step is coarser than any the generator was trained on (quality may suffer). */
  quantStepTrained: boolean
  selection: SelectionRule
  seed: number
  steps: number
  caption: string
  captionMode: CaptionMode
  captionSource: string
  bits: BitsReport
  /** The bit target of the step rule for this C and image size, and whether the packet met it. */
  targetBits: number
  fitsTarget: boolean
  /** How far a predicted value could be rounded from its nearest level (0.5 = plain rounding; predictiveQuantize.ts). */
  roundingTolerance: number
  /** Set 21: the thumbnails copied the mosaic's tolerant rounding (the step rule's last resort; predictiveQuantize.ts). */
  snapAnchored: boolean
  /** Set 22: the colour thumbnail's step (docs/bitstream.md 6.4), when the packet carries one. */
  colourStep?: number
  /** Set 30: the strength of the grain the packet asks the station to draw (0: none; textureSynthesis.ts). */
  textureStrength?: number
  /** Set 28: the luma plane the packet carries, and the candidates the sender's search decoded (absent: the fixed rule). */
  lumaChoice?: LumaChoice
  lumaSearch?: LumaTrial[]
  /** Set 32: whether the sender kept its station's sharpening (else it sent set 28's packet), and why. */
  sharpening?: PackResult['sharpening']
  /** Every trial of the step search: bits counted against the target (packet minus appended detections). */
  stepsTried: StepTrial[]
  /** The sender's detections (pixel boxes) when they were computed (builtin caption, auto, --send-detections). */
  senderDetections?: Detection[]
  transmittedDetections: TransmittedDetection[]
  candidates?: AutoCandidate[]
  alpha?: number
  beta?: number
  timingsMs: Record<string, number>
}

/** Everything about one image that does not depend on C. */
export interface PreparedImage {
  image: RgbImage
  padded: RgbImage
  lh: number
  lw: number
  /** g_a output, 320 x lh x lw, channel-major. */
  latent: Float32Array
  /** All channel indices, best first (channel-selection rule). */
  ranking: number[]
  scores: Float64Array
  selection: SelectionRule
  caption: string
  captionMode: CaptionMode
  captionSource: string
  senderDetections?: Detection[]
  transmittedDetections: TransmittedDetection[]
  models: CodecModels
}

/** Set 28's luma plane per packet: searched at every C, searched from C = 4 or from C = 8 (the fixed rule below), or the fixed rule. */
export type LumaRule = 'search' | 'search-from-c4' | 'search-from-c8' | 'fixed'

/** Set 28: the luma plane's factor (1, 2 or 4 times the thumbnail's resolution) and how many quarter-octaves finer
 *  than the luma the chroma is quantised (docs/bitstream.md 6.4). */
export interface LumaChoice {
  lumaFactor: number
  chromaOffset: number
}

/** One candidate of set 28's luma search (lumaSearch.ts): its packet's size and its decode's metrics and score. */
export interface LumaTrial extends LumaChoice {
  bytes: number
  fitsTarget: boolean
  msssim: number
  ciede2000: number
  lpips: number | null
  /** Where the search counts it (search-from-c4 below C = 8): chroma lost on the most colourful cells (colourfulChromaLoss). */
  chromaLoss?: number
  score: number
}

export interface PackResult {
  packet: Uint8Array
  channels: number
  channelIndices: number[]
  quantStep: number
  roundingTolerance: number
  /** Set 21: the thumbnails copied the mosaic's tolerant rounding (the step rule's last resort; predictiveQuantize.ts). */
  snapAnchored: boolean
  /** Set 22: the colour thumbnail's step (docs/bitstream.md 6.4), when the packet carries one. */
  colourStep?: number
  /** Set 30: the strength of the grain the packet asks the station to draw (0: none; textureSynthesis.ts). */
  textureStrength?: number
  /** Set 28: the luma plane the packet carries, and the candidates the sender's search decoded (absent: the fixed rule). */
  lumaChoice?: LumaChoice
  lumaSearch?: LumaTrial[]
  /** Set 32: whether the sender kept the station's sharpening, and each decode's detection F1 against the original's
   *  detections (sharpenChoice.ts); absent for other sets. */
  sharpening?: { sent: boolean; sharpenedF1: number; plainF1: number }
  bits: BitsReport
  targetBits: number
  fitsTarget: boolean
  stepsTried: StepTrial[]
  header: GscHeader
}

/** One trial of the step rule: a step, the rounding tolerance on predicted channels, the bits against the target. */
export interface StepTrial {
  step: number
  roundingTolerance: number
  /** Set 21's last resort: the mosaic's samples of sent thumbnails rounded tolerantly too (predictiveQuantize.ts). */
  snapAnchored?: boolean
  /** Set 22: the colour step is the step times 2^(colourExponent / 4) (0 when absent). */
  colourExponent?: number
  /** Sets 28, 32, 33, 35-37 below C = 8 (packing.ts fillSlack): the chroma's own step exponent, and the luma's dead zone, where
   *  the sender set them apart. */
  chromaExponent?: number
  lumaDeadZone?: number
  bits: number
}
