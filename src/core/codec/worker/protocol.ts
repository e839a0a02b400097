// Messages between the codec runner (serving thread) and the codec worker thread.
import type { DecodeOptions, DecodeResult } from '../decoder'
import type { CodecProgress, EncodeOptions, EncodeResult } from '../types'
import type { RgbImage } from '../../image/rgbImage'

/** Options that can cross a thread boundary (no callbacks, no AbortSignal). */
export type EncodeJobOptions = Omit<EncodeOptions, 'signal' | 'onProgress'>
export type DecodeJobOptions = Omit<DecodeOptions, 'signal' | 'onProgress'>

export type JobRequest =
  | { type: 'job'; id: number; kind: 'encode'; image: RgbImage | string; opts: EncodeJobOptions }
  | { type: 'job'; id: number; kind: 'decode'; bytes: Uint8Array; opts: DecodeJobOptions }
  | { type: 'cancel'; id: number }

export type JobReply =
  | { type: 'ready' }
  | { type: 'progress'; id: number; progress: CodecProgress }
  | { type: 'result'; id: number; value: EncodeResult | DecodeResult }
  | { type: 'error'; id: number; message: string; code?: string; gsc: boolean }
