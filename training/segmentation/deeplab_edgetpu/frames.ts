// DIR/frames.json as make_inputs.ts writes it: for each frame, its own size and the content box in the 513x513 input.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ContentBox } from '../../../src/core/analysis/segmentation'

export interface FrameInfo {
  width: number
  height: number
  content: ContentBox
  /** The model input the frame was letterboxed into. */
  inputWidth: number
  inputHeight: number
}

export function readFrames(dir: string): Record<string, FrameInfo> {
  const f = join(dir, 'frames.json')
  if (!existsSync(f)) throw new Error(`${f} is missing (run make_inputs.ts first)`)
  return JSON.parse(readFileSync(f, 'utf8')) as Record<string, FrameInfo>
}
